/* The VMXON gate: every precondition checked and reported, then VMXON; and VMXOFF. */
#ifndef PTV_VMX_VMXON_H
#define PTV_VMX_VMXON_H

#include "types.h"
#include "cpu.h"
#include "vmx/caps.h"
#include "x86/arch.h"

#define VMXON_REASON_MAX 160

/* Everything vmx_enter() did and saw; the only state the gate keeps. */
struct vmxon_report {
	int result;             /* 0 in VMX operation, -1 refused or failed */
	enum vmx_status status; /* of VMXON itself, when it ran */
	bool vmxon_executed;
	bool in_vmx;                     /* VMXON succeeded and VMXOFF has not run yet */
	uint64_t feature_control;        /* as found */
	bool feature_control_locked_now; /* we set VMX-outside-SMX and the lock */
	bool pt_stopped;                 /* TraceEn was cleared before VMXON */
	uint64_t rtit_ctl;               /* IA32_RTIT_CTL as found (before clearing TraceEn) */
	uint64_t rtit_status;            /* IA32_RTIT_STATUS once tracing stopped */
	uint64_t cr0_before, cr4_before; /* as found */
	uint64_t cr0, cr4;               /* as written for VMX operation */
	paddr_t region_pa;
	uint32_t region_size;
	uint32_t revision_id;
	char reason[VMXON_REASON_MAX]; /* why it was refused or failed; empty on success */
};

/*
 * Enters VMX operation on this CPU with the VMXON region at `region` (mapped)
 * / `region_pa` (its physical address), following SDM 24.7 "Enabling and
 * Entering VMX Operation". Returns 0 in VMX operation, -1 otherwise; either
 * way `r` says what happened and every step is logged.
 */
int vmx_enter(const struct vmx_caps *c, void *region, paddr_t region_pa, struct vmxon_report *r);
/* VMXOFF, then CR4.VMXE cleared. Returns 0, or -1 when not in VMX operation or VMXOFF failed. */
int vmx_leave(struct vmxon_report *r);

#endif

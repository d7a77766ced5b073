/* A virtual CPU: its VMCS, saved GPRs, cached exit information and counters. */
#ifndef PTV_VCPU_H
#define PTV_VCPU_H

#include "types.h"

/* Guest GPRs the exit stub saves; RSP and RIP live in the VMCS. Order fixed by vmx_run.asm via offsets. */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
	uint64_t host_rsp;   /* HOST_RSP last written to this VMCS, so vmx_run skips the VMWRITE */
};

struct vcpu_stats {
	uint64_t exits;
	uint64_t hypercalls;
	uint64_t ept_violations;
	uint64_t by_reason[80];   /* EXIT_REASON_MAX */
	/* IA32_RTIT_* RDMSR/WRMSR made by the PT code between a VM exit and the next entry (pt_hw.c). */
	uint64_t rtit_msr_accesses;      /* over all exit/entry pairs */
	uint64_t rtit_msr_last_exit;     /* in the last pair */
	uint64_t rtit_exits_with_access; /* pairs that made at least one */
};

struct guest;

struct vcpu {
	struct guest_regs regs;          /* first: the exit stub addresses it directly */
	struct guest *guest;
	paddr_t vmcs_pa;
	bool launched;
	bool efer_lma;
	bool pt_stepping;                /* the emulated PT backend single-steps this vCPU */
	bool pt_step_mtf;                /* ... with the monitor trap flag (else RFLAGS.TF and #DB) */
	bool probe;                      /* a boot self-test vCPU: its MTF/HLT exits only record the reason */
	uint32_t probe_exit;                   /* IA32_EFER.LMA as last set by the CR0 handler */
	/* Cached for the handler of the current exit. */
	uint32_t exit_reason;
	uint64_t exit_qual;
	/* MSRs the VMCS does not switch and the VMM never uses itself: swapped on guest switch. */
	uint64_t msr_star, msr_lstar, msr_cstar, msr_fmask, msr_kernel_gs_base, msr_tsc_aux;
	uint64_t xcr0;
	uint32_t cpu2_controls;
	uint32_t entry_controls;
	uint64_t slice_end;              /* TSC at which the current slice ends */
	/* Check slice_end at every exit: the preemption timer restarts at each entry, or it counts only
	   guest time while the VMM does most of the work (PT single-stepping). */
	bool slice_by_tsc;
	int last_action;                 /* enum exit_action that ended the last vmx_run */
	struct vcpu_stats stats;
};

_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "vmx_run takes the vcpu as its register block");

#endif

/* VMCS setup in the order of the SDM's VM-entry checks: controls, host state, guest state. */
#ifndef PTV_VMCS_INIT_H
#define PTV_VMCS_INIT_H

#include "types.h"
#include "vmx/caps.h"

/* The control words every guest uses, decided once at boot against the capability MSRs. */
struct vmx_controls {
	uint32_t pin, cpu, cpu2, exit, entry;
	bool vpid;
	bool preemption_timer;
	bool timer_saved;         /* the timer keeps counting across exits */
	bool virtual_nmis;        /* NMI exiting, virtual NMIs and NMI-window exiting: guests can take NMIs */
	unsigned preemption_rate; /* the timer counts down every 2^rate TSC ticks (SDM 26.5.1) */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	unsigned maxphyaddr; /* CPUID.80000008H:EAX[7:0], for the guest-state checks */
};

extern struct vmx_controls vmx_ctls;

/* Control bits decided elsewhere (Intel PT's, pt_boot.c), each already checked against the capabilities. */
struct vmx_extra_controls {
	uint32_t cpu2, exit, entry;
};

/* Reports each decision; -1 when a required feature is missing (named). extra may be NULL. */
int vmx_controls_decide(const struct vmx_caps *c, const struct vmx_extra_controls *extra, struct vmx_controls *out);

struct vcpu;
/*
 * VMCLEAR + VMPTRLD v's VMCS and fill every field: controls, host state, and the multiboot entry
 * state (EIP, EAX = magic, EBX = info); -1 with a report on failure.
 */
int vmcs_setup(struct vcpu *v, uint32_t entry_eip, uint32_t magic, uint32_t info);

#endif

/* The vCPU's guest state as the current VMCS holds it: CPL, execution mode, instruction retirement. */
#ifndef PTV_VCPU_VMCS_H
#define PTV_VCPU_VMCS_H

#include "vmx/vcpu.h"
#include "vmx/vmcs_ops.h"
#include "x86/insn.h"

/* The guest's current privilege level: SS.DPL (SDM 5.5). */
static inline unsigned vcpu_cpl(void)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/* CS.L with IA32_EFER.LMA: 64-bit mode (SDM 3.4.5). LMA changes only in our CR0 handler, so it is cached. */
static inline bool vcpu_long_mode(const struct vcpu *v)
{
	return v->efer_lma && (vmcs_read32(GUEST_CS_AR_BYTES) & BIT(13));
}

/* The code size instructions are decoded with: 64-bit mode, else CS.D (SDM 3.4.5, 5.2.1). */
static inline enum insn_mode vcpu_insn_mode(const struct vcpu *v)
{
	uint32_t ar = vmcs_read32(GUEST_CS_AR_BYTES);

	if (v->efer_lma && (ar & BIT(13)))
		return INSN_MODE64;
	return (ar & BIT(14)) ? INSN_MODE32 : INSN_MODE16;
}

/* The guest's TSC: the host's plus the vCPU's TSC_OFFSET (SDM 26.3 "RDTSC", "USE TSC offsetting"). */
static inline uint64_t vcpu_guest_tsc(const struct vcpu *v)
{
	return cpu_rdtsc() + v->tsc_offset;
}

/* The linear address of the next instruction: CS base + RIP. */
static inline uint64_t vcpu_lip(void)
{
	return vmcs_readnat(GUEST_CS_BASE) + vmcs_readnat(GUEST_RIP);
}

/*
 * An instruction retired in the VMM while single-stepping: its step is still due. With TF that is a
 * pending single-step #DB (BS, SDM 25.4.2); with MTF a pending MTF VM exit, injected as event type 7
 * vector 0 (SDM 27.6.2 "Injection of Pending MTF VM Exits").
 */
static inline void vcpu_retired_in_vmm(struct vcpu *v)
{
	if (v->pt_stepping) {
		if (v->pt_step_mtf)
			vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | (7u << 8));
		else
			vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, DR6_BS);
	}
}

/* Drops STI/MOV-SS blocking: the emulated instruction retired and its shadow ends with it (SDM 25.4.2). */
static inline void vcpu_end_shadow(void)
{
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/*
 * Advances RIP by len (EIP wraps at 4 GiB outside 64-bit mode) and retires
 * the instruction: RF clears, the STI/MOV-SS shadow ends, and a guest with TF=1 gets its single-step #DB
 * (a pending debug exception, BS: SDM 18.3.1.4, 25.4.2).
 */
static inline void vcpu_advance(struct vcpu *v, uint64_t len)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP) + len;

	/* Outside 64-bit mode EIP wraps at 4 GiB; checked only when it could matter. */
	if ((rip >> 32) && !vcpu_long_mode(v))
		rip = (uint32_t)rip;
	vmcs_writenat(GUEST_RIP, rip);
	/* Every instruction that completes clears RF (SDM 18.3.1.1): one restarted after a fault may exit here. */
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS);
	if (rflags & RFLAGS_RF)
		vmcs_writenat(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
	vcpu_end_shadow();
	if (v->pt_stepping)
		vcpu_retired_in_vmm(v);
	else if (rflags & RFLAGS_TF)
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) | DR6_BS);
}

/*
 * The guest's own TF single-steps a REP string instruction one iteration at a time: the trap comes
 * after each, RIP still on the instruction while iterations remain (SDM Vol. 3B 18.3.1.4). Not while
 * the emulated PT backend steps the guest: that TF is ptvisor's.
 */
static inline bool vcpu_rep_single_step(const struct vcpu *v)
{
	return !v->pt_stepping && (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_TF);
}

/*
 * A REP instruction stops between iterations and continues when the guest re-enters, RIP still on it:
 * RF set, as the CPU sets it in the frame of an interrupt taken there (SDM Vol. 3B 18.3.1.1), so an
 * instruction breakpoint on it does not fire again; it clears when the instruction completes. Under
 * the guest's TF its single-step trap is due now (a pending debug exception, BS: SDM 25.4.2).
 */
static inline void vcpu_rep_pause(struct vcpu *v)
{
	bool step = vcpu_rep_single_step(v);

	vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
	if (step)
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) | DR6_BS);
}

/* Advances RIP past the exiting instruction (VM-exit instruction length, SDM 28.2.4). */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	vcpu_advance(v, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

#endif

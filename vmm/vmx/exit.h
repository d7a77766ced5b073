/* VM-exit dispatch: a table from basic exit reason to handler, and the helpers handlers share. */
#ifndef PTV_EXIT_H
#define PTV_EXIT_H

#include "types.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs_ops.h"

/* What the scheduler does after a handler returns. */
enum exit_action {
	EXIT_RESUME = 0,   /* re-enter the same guest */
	EXIT_YIELD,        /* let the next runnable guest run (time slice over, HLT) */
	EXIT_STOPPED,      /* the handler stopped the guest (guest_stop was called) */
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v);

/* Handles the exit just taken by v (VMCS current). */
enum exit_action vmx_handle_exit(struct vcpu *v);
/* Enters v's guest (VMCS current) and handles exits until it yields or stops; slice_end (TSC, 0 = none)
   bounds the slice where the preemption timer cannot. */
enum exit_action vmx_run_guest(struct vcpu *v, uint64_t slice_end, bool slice_by_tsc);
int vmx_run(struct guest_regs *regs, int launched);
/* Reports a VMLAUNCH/VMRESUME that failed (vmx_run returned nonzero) and stops the guest. */
void vmx_report_vmfail(struct vcpu *v, int fail);

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
			vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, BIT(14));
	}
}

/* Advances RIP past the exiting instruction and drops STI/MOV-SS blocking (SDM 25.4.2). */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	/* Outside 64-bit mode EIP wraps at 4 GiB; checked only when it could matter. */
	if ((rip >> 32) && !vcpu_long_mode(v))
		rip = (uint32_t)rip;
	vmcs_writenat(GUEST_RIP, rip);
	/* The emulated instruction retired: STI and MOV-SS shadows end with it. */
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	vcpu_retired_in_vmm(v);
}
/*
 * The guest GPR numbered as in ModRM/exit qualifications (0 RAX ... 15 R15). RSP lives in the
 * VMCS: the caller passes a slot holding it and writes it back if it changed the register.
 */
uint64_t *vcpu_gpr(struct vcpu *v, unsigned n, uint64_t *rsp);

/* Queues a hardware exception for the next VM entry (SDM 27.6.1.1 "Event injection"). */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);
#define vcpu_inject_gp(v) vcpu_inject_exception((v), 13, true, 0)
#define vcpu_inject_ud(v) vcpu_inject_exception((v), 6, false, 0)

/* Handlers, one file per concern. */
enum exit_action handle_cpuid(struct vcpu *v);
enum exit_action handle_msr_read(struct vcpu *v);
enum exit_action handle_msr_write(struct vcpu *v);
enum exit_action handle_io(struct vcpu *v);
enum exit_action handle_cr_access(struct vcpu *v);
enum exit_action handle_vmcall(struct vcpu *v);
enum exit_action handle_ept_violation(struct vcpu *v);
enum exit_action handle_ept_misconfig(struct vcpu *v);
enum exit_action handle_hlt(struct vcpu *v);
enum exit_action handle_xsetbv(struct vcpu *v);
enum exit_action handle_cache_flush(struct vcpu *v);
enum exit_action handle_triple_fault(struct vcpu *v);
enum exit_action handle_preemption_timer(struct vcpu *v);
enum exit_action handle_exception(struct vcpu *v);
enum exit_action handle_mtf(struct vcpu *v);
enum exit_action handle_vmx_instruction(struct vcpu *v);
enum exit_action handle_ud_instruction(struct vcpu *v);
enum exit_action handle_external_interrupt(struct vcpu *v);
enum exit_action handle_init_signal(struct vcpu *v);

#endif

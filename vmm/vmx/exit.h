/* VM-exit dispatch: a table from basic exit reason to handler, and the helpers handlers share. */
#ifndef PTV_EXIT_H
#define PTV_EXIT_H

#include "types.h"
#include "vmx/vcpu.h"

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
enum exit_action vmx_run_guest(struct vcpu *v, uint64_t slice_end);
int vmx_run(struct guest_regs *regs, int launched);
/* Reports a VMLAUNCH/VMRESUME that failed (vmx_run returned nonzero) and stops the guest. */
void vmx_report_vmfail(struct vcpu *v, int fail);

/* Advances RIP past the exiting instruction and drops STI/MOV-SS blocking (SDM 25.4.2). */
void vcpu_skip_instruction(struct vcpu *v);
/* Queues a hardware exception for the next VM entry (SDM 27.6.1.1 "Event injection"). */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);
#define vcpu_inject_gp(v) vcpu_inject_exception((v), 13, true, 0)
#define vcpu_inject_ud(v) vcpu_inject_exception((v), 6, false, 0)
/* The guest's current privilege level: SS.DPL (SDM 5.5). */
unsigned vcpu_cpl(void);
bool vcpu_long_mode(const struct vcpu *v);

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

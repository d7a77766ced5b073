/* VM-exit dispatch: a table from basic exit reason to handler, and the world switch around it. */
#ifndef PTV_EXIT_H
#define PTV_EXIT_H

#include "types.h"
#include "vmx/vcpu.h"
#include "vmx/vcpu_vmcs.h"

/*
 * A handler acts on the vCPU it is handed (its VMCS current) and says what happens next; one
 * that ends the guest returns vcpu_stop(...), and the scheduler stops it.
 */
typedef enum exit_action (*exit_handler_fn)(struct vcpu *v);

/* Handles the exit just taken by v (VMCS current). */
enum exit_action vmx_handle_exit(struct vcpu *v);
/* Enters v's guest (VMCS current) and handles exits until it yields or stops; slice_end (TSC, 0 = none)
   bounds the slice where the preemption timer cannot. EXIT_STOPPED also for a failed entry (v->stop). */
enum exit_action vmx_run_guest(struct vcpu *v, uint64_t slice_end, bool slice_by_tsc);
int vmx_run(struct guest_regs *regs, int launched);

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
enum exit_action handle_rdpmc(struct vcpu *v);
enum exit_action handle_external_interrupt(struct vcpu *v);
enum exit_action handle_init_signal(struct vcpu *v);
enum exit_action handle_interrupt_window(struct vcpu *v);

#endif

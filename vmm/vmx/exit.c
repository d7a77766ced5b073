/*
 * Exit dispatch (SDM 28.2 "Recording VM-Exit Information"). Handlers get the
 * vCPU with exit_reason and exit_qual cached and return an enum exit_action;
 * an empty slot stops only that guest, with a VMCS report. Nothing here
 * reaches into guest management: a stop is recorded in the vCPU (vcpu_stop)
 * and handed up, as the action, to the scheduler.
 */
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_event.h"
#include "vmx/vcpu_time.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs_check.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmx_error.h"
#include "log.h"

static enum exit_action handle_unexpected(struct vcpu *v) __attribute__((noinline, cold));

static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = handle_init_signal,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_GETSEC] = handle_ud_instruction,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_cache_flush,
	[EXIT_REASON_RDPMC] = handle_rdpmc,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_msr_read,
	[EXIT_REASON_MSR_WRITE] = handle_msr_write,
	[EXIT_REASON_MWAIT] = handle_ud_instruction,
	[EXIT_REASON_MONITOR_TRAP_FLAG] = handle_mtf,
	[EXIT_REASON_MONITOR] = handle_ud_instruction,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_WBINVD] = handle_cache_flush,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_VMFUNC] = handle_ud_instruction,
	[EXIT_REASON_ENCLS] = handle_ud_instruction,
};

static void vmcs_report(struct vcpu *v)
{
	pr_err("  exit reason %u (%s), qualification 0x%lx\n", v->exit_reason & 0xffff,
	       exit_reason_name(v->exit_reason), v->exit_qual);
	pr_err("  RIP 0x%lx RSP 0x%lx RFLAGS 0x%lx CR0 0x%lx CR3 0x%lx CR4 0x%lx EFER 0x%lx\n", vmcs_readnat(GUEST_RIP),
	       vmcs_readnat(GUEST_RSP), vmcs_readnat(GUEST_RFLAGS), vmcs_readnat(GUEST_CR0), vmcs_readnat(GUEST_CR3),
	       vmcs_readnat(GUEST_CR4), vmcs_read64(GUEST_IA32_EFER));
	pr_err("  RAX 0x%lx RBX 0x%lx RCX 0x%lx RDX 0x%lx RSI 0x%lx RDI 0x%lx\n", v->regs.rax, v->regs.rbx, v->regs.rcx,
	       v->regs.rdx, v->regs.rsi, v->regs.rdi);
	pr_err("  CS %04x base 0x%lx AR 0x%x; interruptibility 0x%x; activity %u\n", vmcs_read16(GUEST_CS_SELECTOR),
	       vmcs_readnat(GUEST_CS_BASE), vmcs_read32(GUEST_CS_AR_BYTES), vmcs_read32(GUEST_INTERRUPTIBILITY_INFO),
	       vmcs_read32(GUEST_ACTIVITY_STATE));
}

static enum exit_action handle_unexpected(struct vcpu *v)
{
	v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
	pr_err("guest %s: no handler for exit reason %u (%s)\n", v->name, v->exit_reason & 0xffff,
	       exit_reason_name(v->exit_reason));
	vmcs_report(v);
	return vcpu_stop(v, -1, "unhandled exit reason %u (%s)", v->exit_reason & 0xffff,
			 exit_reason_name(v->exit_reason));
}

/* SDM 28.7 "VM-Entry Failures During or After Loading Guest State". Cold: kept out of the exit path. */
static __attribute__((noinline, cold)) enum exit_action handle_failed_entry(struct vcpu *v)
{
	unsigned basic = v->exit_reason & 0xffff;

	pr_err("guest %s: VM entry failed: exit reason %u with bit 31 set (%s), qualification 0x%lx%s\n", v->name,
	       basic, exit_reason_name(basic), v->exit_qual,
	       basic == EXIT_REASON_MSR_LOAD_FAIL ? " (index of the failing MSR-load entry)" : "");
	if (basic == EXIT_REASON_INVALID_GUEST_STATE) {
		char why[160];
		if (vmcs_guest_state_problem(&vmx_ctls, why, sizeof(why)))
			pr_err("  the guest state breaks SDM 27.3.1: %s\n", why);
		else
			pr_err("  none of ptvisor's guest-state checks names the field (SDM 27.3.1)\n");
	}
	vmcs_report(v);
	return vcpu_stop(v, -1, "VM entry failed (%s)", exit_reason_name(basic));
}

static inline enum exit_action dispatch(struct vcpu *v)
{
	v->exit_reason = vmcs_read32(VM_EXIT_REASON);
	v->stats.exits++;

	unsigned basic = v->exit_reason & 0xffff;
	/* Handlers that need the qualification read it: most exits don't (SDM 28.2.1). */
	if (v->exit_reason & EXIT_REASON_FAILED_VMENTRY) {
		v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
		return handle_failed_entry(v);
	}
	if (basic >= EXIT_REASON_MAX || !exit_handlers[basic])
		return handle_unexpected(v);
	v->stats.by_reason[basic]++;
	/* An event whose delivery this exit interrupted is queued again before the handler adds its own. */
	if (basic < 64 && (VECTORING_EXITS & BIT(basic)))
		vcpu_requeue_vectoring(v);
	enum exit_action a = exit_handlers[basic](v);
	/* A handler may end the guest through an event it raised (a triple fault in vcpu_inject_exception). */
	return v->stop.requested ? EXIT_STOPPED : a;
}

enum exit_action vmx_handle_exit(struct vcpu *v)
{
	return dispatch(v);
}

/* A VMLAUNCH/VMRESUME that failed (vmx_run returned nonzero), SDM 31.2 "Conventions". Cold. */
static __attribute__((noinline, cold)) enum exit_action report_vmfail(struct vcpu *v, int fail)
{
	const char *insn = v->launched ? "RESUME" : "LAUNCH";

	if (fail == 1) {
		pr_err("guest %s: VM%s failed with VMfailInvalid (no current VMCS)\n", v->name, insn);
		return vcpu_stop(v, -1, "VM entry failed: VMfailInvalid");
	}
	unsigned err = vmcs_read32(VM_INSTRUCTION_ERROR);
	pr_err("guest %s: VM%s failed with VMfailValid, VM-instruction error %u: %s\n", v->name, insn, err,
	       vmx_instruction_error_name(err));
	if (err == VMXERR_ENTRY_BAD_CONTROLS)
		pr_err("  a VM-execution, VM-exit or VM-entry control is invalid (SDM 27.2.1)\n");
	else if (err == VMXERR_ENTRY_BAD_HOST_STATE)
		pr_err("  host state is invalid (SDM 27.2.2-27.2.4)\n");
	return vcpu_stop(v, -1, "VM entry failed: VM-instruction error %u (%s)", err, vmx_instruction_error_name(err));
}

/*
 * Called by vmx_run.asm at every VM exit with the guest GPRs saved: nonzero
 * resumes the guest at once, 0 returns from vmx_run to the scheduler.
 */
int vmx_exit_dispatch(struct guest_regs *regs);
int vmx_exit_dispatch(struct guest_regs *regs)
{
	struct vcpu *v = (struct vcpu *)regs;
	enum exit_action a;

	v->launched = true;
	vcpu_pt_after_exit(v); /* PT hardware path: host trace back on */
	uint64_t exit_tsc = cpu_rdtsc();
	a = dispatch(v);
	if (v->hide_exit_time) {
		v->hide_exit_time = false;
		vcpu_time_hide(v, cpu_rdtsc() - exit_tsc);
	}
	if (a == EXIT_RESUME) {
		uint64_t now = cpu_rdtsc();
		/* The slice ends by the TSC too: the preemption timer may be absent or restart at each entry. */
		if (now < v->slice_end) {
			vcpu_time_before_entry(v, now);
			vcpu_pt_before_entry(v);
			return 1;
		}
	}
	v->last_action = a == EXIT_RESUME ? EXIT_YIELD : a;
	return 0;
}

enum exit_action vmx_run_guest(struct vcpu *v, uint64_t slice_end)
{
	v->slice_end = slice_end ? slice_end : UINT64_MAX;
	vcpu_time_before_entry(v, cpu_rdtsc());
	vcpu_pt_before_entry(v);
	/* Interrupts raised while the vCPU was off the CPU (serial input) arm their window now. */
	vlapic_request_windows(v);
	int fail = vmx_run(&v->regs, v->launched);
	if (fail) {
		vcpu_pt_after_exit(v); /* no exit happened: the host trace still comes back on */
		return report_vmfail(v, fail);
	}
	return v->last_action;
}

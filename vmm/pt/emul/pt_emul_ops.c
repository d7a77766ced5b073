/* The emulated backend as the VMX core sees it: its hooks, and what the guest reads of its PT. */
#include "pt/emul/pt_emul_int.h"
#include "pt/emul/pt_emul_cpl.h"
#include "ept/ept_violation.h"
#include "pt/hw/pt_hw.h"
#include "pt/rtit.h"
#include "vmx/pt_backend.h"
#include "msr.h"

static void emul_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	pt_vcaps_cpuid(&v->pt->caps, leaf, sub, r);
}

static bool emul_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct pt_guest *pg = v->pt;

	*val = 0;
	return pg->caps.enabled && rtit_is_rtit_msr(msr) && rtit_read(&pg->ctx, &pg->caps, msr, val) == RTIT_OK;
}

/* Both backends validate RTIT writes with the same rules (rtit.c); a CTL write may start or stop tracing. */
static bool emul_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct pt_guest *pg = v->pt;
	uint64_t old = pg->ctx.ctl;

	if (!pg->caps.enabled || !rtit_is_rtit_msr(msr) || rtit_write(&pg->ctx, &pg->caps, msr, val) != RTIT_OK)
		return false;
	if (msr == MSR_IA32_RTIT_CTL)
		pt_emul_ctl_written(v, pg, old);
	return true;
}

/* The outside view's faults first (pt_emul_cpl.c), then the block engine's write-protected code. */
static int emul_ept_violation(struct vcpu *v, const struct ept_violation *ev)
{
	int r = pt_emul_cpl_ept(v, ev);

	return r != EPT_FAULT_UNHANDLED ? r : pt_emul_block_ept(v, ev);
}

static void emul_vmm_write(struct vcpu *v, uint64_t gpa)
{
	pt_emul_block_writable(v, gpa);
	pt_emul_cpl_written(v, gpa);
}

#define PT_EMUL_HOOKS                                                                                  \
	.cpuid = emul_cpuid, .rdmsr = emul_rdmsr, .wrmsr = emul_wrmsr, .exception = pt_emul_exception, \
	.mtf = pt_emul_mtf, .cr3_load = pt_emul_cr3_load, .event_injected = pt_emul_event_injected,    \
	.stopped = pt_emul_stopped, .ept_violation = emul_ept_violation, .vmm_write = emul_vmm_write,  \
	.descheduled = pt_emul_descheduled, .release = pt_emul_cpl_release

const struct pt_backend_ops pt_emul_ops = {
	.name = "emulated",
	PT_EMUL_HOOKS,
};

const struct pt_backend_ops pt_emul_ops_host_traced = {
	.name = "emulated, host traced",
	PT_EMUL_HOOKS,
	.before_entry = pt_hw_vcpu_before_entry,
	.after_exit = pt_hw_vcpu_after_exit,
};

/*
 * Guest view of Intel PT: CPUID leaves 07H.EBX[25] and 14H and the IA32_RTIT_*
 * MSRs, per the backend in force for the guest. Without a backend the guest is
 * a CPU without Intel PT: the leaves read 0 and every RTIT MSR access #GPs
 * (SDM 33.2.8: the MSRs exist only when CPUID enumerates Intel PT). Both
 * backends validate MSR writes with the same rules (rtit.c).
 */
#include "pt/pt_guest.h"
#include "pt/emul/pt_emul.h"
#include "pt/rtit.h"
#include "msr.h"

static struct pt_guest *emulated(struct vcpu *v)
{
	struct pt_guest *pg = pt_guest_of(v);

	return pg && pg->backend == PT_BACKEND_EMULATED && pg->caps.enabled ? pg : NULL;
}

void pt_guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	struct pt_guest *pg = pt_guest_of(v);

	if (pg && (pt_guest_is_hw(v) || emulated(v)))
		pt_vcaps_cpuid(&pg->caps, leaf, sub, r);
}

/* Virtual IA32_PERF_GLOBAL_STATUS: bit 55 is set when a ToPA INT region fills (SDM 33.2.7.2). */
static bool emul_perf_msr(struct pt_guest *pg, uint32_t msr, uint64_t *rd, const uint64_t *wr)
{
	if (msr == MSR_IA32_PERF_GLOBAL_STATUS) {
		if (wr)
			return false;   /* read-only */
		*rd = pg->perf_global_status;
		return true;
	}
	if (msr == MSR_IA32_PERF_GLOBAL_STATUS_RESET) {
		if (!wr) {
			*rd = 0;
			return true;
		}
		if (*wr & ~BIT(55))
			return false;
		pg->perf_global_status &= ~*wr;
		if (*wr & BIT(55))
			pg->pmi_pending = false;
		return true;
	}
	return false;
}

bool pt_guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct pt_guest *pg;

	if (pt_guest_is_hw(v))
		return pt_guest_hw_rdmsr(v, msr, val);
	*val = 0;
	if (!(pg = emulated(v)))
		return false;
	if (emul_perf_msr(pg, msr, val, NULL))
		return true;
	return rtit_is_rtit_msr(msr) && rtit_read(&pg->ctx, &pg->caps, msr, val) == RTIT_OK;
}

bool pt_guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct pt_guest *pg;
	uint64_t old;

	if (pt_guest_is_hw(v))
		return pt_guest_hw_wrmsr(v, msr, val);
	if (!(pg = emulated(v)))
		return false;
	if (msr == MSR_IA32_PERF_GLOBAL_STATUS || msr == MSR_IA32_PERF_GLOBAL_STATUS_RESET)
		return emul_perf_msr(pg, msr, NULL, &val);
	old = pg->ctx.ctl;
	if (!rtit_is_rtit_msr(msr) || rtit_write(&pg->ctx, &pg->caps, msr, val) != RTIT_OK)
		return false;
	if (msr == MSR_IA32_RTIT_CTL)
		pt_emul_ctl_written(v, pg, old);
	return true;
}

/*
 * The guest's architectural PMU, version 2 (SDM 20.2.1 "Architectural Performance Monitoring Version 1",
 * 20.2.2 "... Version 2"): its CPUID leaf, its MSRs and RDPMC, and the PMI that Intel PT's ToPA raises.
 * Nothing counts (see vpmu.h): a counter reads what was last written to it.
 */
#include "vmx/vpmu.h"
#include "vmx/vcpu.h"
#include "vmx/vlapic_vmx.h"
#include "msr.h"

#define COUNTER_MASK    GENMASK(VPMU_COUNTER_WIDTH - 1, 0)
#define GP_CTRL_BITS    GENMASK(VPMU_GP_COUNTERS - 1, 0) /* IA32_PERF_GLOBAL_CTRL[n-1:0], PMCn enables */
#define EVTSEL_RSVD     (GENMASK(63, 32) | PERFEVTSEL_ANY_THREAD)
#define STATUS_V2_FLAGS (PERF_GLOBAL_STATUS_OVF_BUF | PERF_GLOBAL_STATUS_COND_CHGD)
#define RDPMC_FIXED     BIT(30) /* ECX[30] selects the fixed-function counters (SDM Vol. 2B RDPMC) */

void vpmu_cpuid(struct cpuid_regs *r)
{
	/* EAX: version, counters per logical processor, their width, EBX's length (SDM Table 3-8, leaf 0AH). */
	r->eax = VPMU_VERSION | (VPMU_GP_COUNTERS << 8) | (VPMU_COUNTER_WIDTH << 16) | (VPMU_ARCH_EVENTS << 24);
	/* EBX: a set bit marks that event unavailable; none counts here, so all are. */
	r->ebx = (uint32_t)GENMASK(VPMU_ARCH_EVENTS - 1, 0);
	r->ecx = 0;
	/* EDX[4:0]: no fixed-function counters (so IA32_FIXED_CTR_CTRL has no writable bit). */
	r->edx = 0;
}

static int gp_index(uint32_t msr, uint32_t base)
{
	return msr - base < VPMU_GP_COUNTERS ? (int)(msr - base) : -1;
}

bool vpmu_rdmsr(const struct vpmu *p, uint32_t msr, uint64_t *val)
{
	int i;

	*val = 0;
	if ((i = gp_index(msr, MSR_IA32_PMC0)) >= 0) {
		*val = p->pmc[i];
		return true;
	}
	if ((i = gp_index(msr, MSR_IA32_PERFEVTSEL0)) >= 0) {
		*val = p->evtsel[i];
		return true;
	}
	switch (msr) {
	case MSR_IA32_FIXED_CTR_CTRL:
	case MSR_IA32_PERF_GLOBAL_STATUS_RESET: /* a command register: reads 0 */
		return true;
	case MSR_IA32_PERF_GLOBAL_STATUS:
		*val = p->global_status;
		return true;
	case MSR_IA32_PERF_GLOBAL_CTRL:
		*val = p->global_ctrl;
		return true;
	default:
		return false;
	}
}

bool vpmu_wrmsr(struct vpmu *p, uint32_t msr, uint64_t val, bool has_pt)
{
	uint64_t reset_bits = GP_CTRL_BITS | STATUS_V2_FLAGS | (has_pt ? PERF_GLOBAL_STATUS_TOPA_PMI : 0);
	int i;

	if ((i = gp_index(msr, MSR_IA32_PMC0)) >= 0) {
		/* Without full-width writes WRMSR loads EAX sign-extended to the counter's width (SDM 20.2.6). */
		p->pmc[i] = (uint64_t)(int64_t)(int32_t)(uint32_t)val & COUNTER_MASK;
		return true;
	}
	if ((i = gp_index(msr, MSR_IA32_PERFEVTSEL0)) >= 0) {
		if (val & EVTSEL_RSVD)
			return false;
		p->evtsel[i] = val;
		return true;
	}
	switch (msr) {
	case MSR_IA32_FIXED_CTR_CTRL:
		return val == 0; /* its bits belong to fixed counters, of which there are none */
	case MSR_IA32_PERF_GLOBAL_CTRL:
		if (val & ~GP_CTRL_BITS)
			return false;
		p->global_ctrl = val;
		return true;
	case MSR_IA32_PERF_GLOBAL_STATUS_RESET:
		/* Each set bit clears that bit of IA32_PERF_GLOBAL_STATUS (SDM 20.2.2, Figure 20-5). */
		if (val & ~reset_bits)
			return false;
		p->global_status &= ~val;
		return true;
	default:
		return false; /* IA32_PERF_GLOBAL_STATUS is read-only */
	}
}

bool vpmu_rdpmc(const struct vpmu *p, uint32_t ecx, uint64_t *val)
{
	*val = 0;
	if (ecx & RDPMC_FIXED)
		return false;
	if (ecx >= VPMU_GP_COUNTERS)
		return false;
	*val = p->pmc[ecx];
	return true;
}

void vpmu_pmi(struct vcpu *v, uint64_t status)
{
	vpmu_overflow(&v->pmu, status);
	vlapic_pmi(v);
}

/*
 * Area "msr", PMU part: the architectural PMU's MSRs where CPUID leaf 0AH enumerates them (SDM 20.2.1,
 * 20.2.2; Vol. 4 Table 2-2) and RDPMC (Vol. 2B). Bochs 2.7 advertises PMU version 2 but implements none
 * of these MSRs (#GP), so each check applies where IA32_PMC0 can be read; a VMM that offers a PMU must
 * keep its counters, controls and status to the SDM's rules. Counters are left disabled, so they hold
 * what was written on any CPU.
 */
#include "conf.h"
#include "conf_msr.h"
#include "lib/format.h"

#define PMC0         0x0c1
#define PERFEVTSEL0  0x186
#define GLOBAL_STAT  0x38e
#define GLOBAL_CTRL  0x38f
#define GLOBAL_RESET 0x390

static const struct conf_feature f_pmu2 = { "CPUID.0AH:EAX[7:0]>=2 (PMU v2)",
					    { 0xa, 0, CPUID_EAX, 0, 7, 2 },
					    CONF_NONE };

static struct conf_event rdpmc(uint32_t idx, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	struct conf_event e = CONF_PROBE("rdpmc", : "+a"(lo), "+d"(hi) : "c"(idx) : "memory");

	*val = (uint64_t)hi << 32 | lo;
	return e;
}

static void pmu_check(const char *what, bool readable, bool ok, const char *detail)
{
	conf_agree(what, &f_pmu2, !readable || ok, detail);
}

void conf_msr_pmu(void)
{
	uint32_t eax = conf_cpuid_reg(0xa, 0, CPUID_EAX);
	unsigned counters = (eax >> 8) & 0xff, width = (eax >> 16) & 0xff;
	uint64_t orig = 0, got = 0, ctrl = 0, status = 0;
	bool readable = conf_rdmsr(PMC0, &orig).vector == FAULT_NONE && conf_feature_present(&f_pmu2) &&
			counters >= 1 && width > 32 && width < 64;
	struct conf_event e;
	char detail[64];

	conf_wrmsr(PMC0, 0xffff);
	conf_rdmsr(PMC0, &got);
	ptv_snprintf(detail, sizeof(detail), "reads 0x%llx", (unsigned long long)got);
	pmu_check("PMC0 (0xc1) (if readable) write 0xffff reads back", readable, got == 0xffff, detail);
	/* WRMSR writes EAX sign-extended to the counter width (SDM 20.2.6), with full-width writes or not. */
	conf_wrmsr(PMC0, 0x80000000u);
	conf_rdmsr(PMC0, &got);
	ptv_snprintf(detail, sizeof(detail), "reads 0x%llx", (unsigned long long)got);
	pmu_check("PMC0 (if readable) write 0x80000000 sign-extends to CPUID.0AH:EAX[23:16] bits", readable,
		  got == (((1ull << width) - 1) & ~0x7fffffffull), detail);
	uint64_t pmc = 0;
	e = rdpmc(0, &pmc);
	ptv_snprintf(detail, sizeof(detail), "%s, 0x%llx", conf_vector(&e), (unsigned long long)pmc);
	pmu_check("RDPMC 0 at CPL 0 (if PMC0 readable) returns IA32_PMC0", readable,
		  e.vector == FAULT_NONE && pmc == got, detail);
	e = rdpmc(counters, &pmc);
	pmu_check("RDPMC of counter CPUID.0AH:EAX[15:8] (if PMC0 readable): #GP(0)", readable,
		  e.vector == VEC_GP && e.error == 0, conf_vector(&e));
	conf_wrmsr(PMC0, orig);
	/* IA32_PERFEVTSELx: bits 63:32 reserved (Figure 20-1). */
	e = conf_wrmsr(PERFEVTSEL0, 1ull << 32);
	pmu_check("PERFEVTSEL0 (0x186) (if PMC0 readable) bit 32: #GP(0)", readable, e.vector == VEC_GP,
		  conf_vector(&e));
	/* IA32_PERF_GLOBAL_CTRL: one enable per counter; the bit above them reserved (Figure 20-3). */
	readable = readable && conf_rdmsr(GLOBAL_CTRL, &ctrl).vector == FAULT_NONE;
	e = conf_wrmsr(GLOBAL_CTRL, (1ull << counters) - 1);
	conf_rdmsr(GLOBAL_CTRL, &got);
	ptv_snprintf(detail, sizeof(detail), "%s, reads 0x%llx", conf_vector(&e), (unsigned long long)got);
	pmu_check("PERF_GLOBAL_CTRL (0x38f) (if readable) takes the counters' enable bits", readable,
		  e.vector == FAULT_NONE && got == (1ull << counters) - 1, detail);
	e = conf_wrmsr(GLOBAL_CTRL, 1ull << counters);
	pmu_check("PERF_GLOBAL_CTRL (if readable) bit CPUID.0AH:EAX[15:8]: #GP(0)", readable, e.vector == VEC_GP,
		  conf_vector(&e));
	conf_wrmsr(GLOBAL_CTRL, ctrl);
	/* IA32_PERF_GLOBAL_STATUS is read-only; _OVF_CTRL clears its bits (Figures 20-4, 20-5). */
	conf_rdmsr(GLOBAL_STAT, &status);
	e = conf_wrmsr(GLOBAL_STAT, status);
	pmu_check("PERF_GLOBAL_STATUS (0x38e) (if readable) is read-only: #GP(0)", readable, e.vector == VEC_GP,
		  conf_vector(&e));
	e = conf_wrmsr(GLOBAL_RESET, 1);
	pmu_check("PERF_GLOBAL_OVF_CTRL (0x390) (if readable) clears PMC0's overflow bit", readable,
		  e.vector == FAULT_NONE, conf_vector(&e));
}

/*
 * Area "tsc": the time-stamp counter (SDM Vol. 3B 18.17 "Time-Stamp Counter"): RDTSC is monotonic and agrees
 * with RDMSR IA32_TIME_STAMP_COUNTER; WRMSR to it sets it; IA32_TSC_ADJUST (18.17.3) moves with every TSC
 * write and moves the TSC when written; RDTSCP and RDPID return IA32_TSC_AUX; CR4.TSD leaves CPL 0 alone.
 * Values are never printed: only whether they fall in windows wide enough for a VMM's exits and a switch to
 * another guest (SLACK), and far narrower than the jumps written (JUMP).
 */
#include "conf.h"
#include "cpu.h"
#include "msr.h"
#include "lib/format.h"

#define JUMP      (1ull << 40)
#define SLACK     (1ull << 28)
#define READS     1000
#define AUX_VALUE 0x5a5u

/* clang-format off */
static const struct conf_feature f_adjust = { "CPUID.7.0:EBX[1] (TSC_ADJUST)", CONF_BIT(7, 0, CPUID_EBX, 1), CONF_NONE };
static const struct conf_feature f_rdtscp = { "CPUID.80000001H:EDX[27] (RDTSCP)", CONF_BIT(0x80000001u, 0, CPUID_EDX, 27), CONF_NONE };
static const struct conf_feature f_rdpid  = { "CPUID.7.0:ECX[22] (RDPID)", CONF_BIT(7, 0, CPUID_ECX, 22), CONF_NONE };
/* clang-format on */

static bool within(uint64_t v, uint64_t lo, uint64_t width)
{
	return v - lo < width;
}

static void tsc_reads(void)
{
	uint64_t prev = cpu_rdtsc(), t0, m = 0, t1;
	unsigned backwards = 0;
	struct conf_event e;

	for (unsigned i = 0; i < READS; i++) {
		uint64_t t = cpu_rdtsc();

		backwards += t < prev;
		prev = t;
	}
	conf_verdict("rdtsc %u times: %u went backwards", READS, backwards);
	t0 = cpu_rdtsc();
	for (volatile unsigned i = 0; i < READS; i++)
		;
	conf_verdict("rdtsc after a %u-iteration loop is ahead: %s", READS, cpu_rdtsc() > t0 ? "yes" : "no");
	t0 = cpu_rdtsc();
	e = conf_rdmsr(MSR_IA32_TIME_STAMP_COUNTER, &m);
	t1 = cpu_rdtsc();
	conf_verdict("rdmsr TSC between two rdtsc: %s, in between: %s", conf_vector(&e),
		     t0 <= m && m <= t1 ? "yes" : "no");
}

static void tsc_write(void)
{
	uint64_t target = cpu_rdtsc() + JUMP, t;
	struct conf_event e = conf_wrmsr(MSR_IA32_TIME_STAMP_COUNTER, target);

	t = cpu_rdtsc();
	conf_verdict("wrmsr TSC to 2^40 ahead: %s, rdtsc then just above the value written: %s", conf_vector(&e),
		     within(t, target, SLACK) ? "yes" : "no");
	e = conf_wrmsr(MSR_IA32_TIME_STAMP_COUNTER, t - JUMP);
	conf_verdict("wrmsr TSC back by 2^40: %s, rdtsc went back: %s", conf_vector(&e),
		     within(cpu_rdtsc(), t - JUMP, SLACK) ? "yes" : "no");
}

/* SDM 18.17.3: a WRMSR to the TSC adds the same change to TSC_ADJUST; a WRMSR to TSC_ADJUST adds its change to the TSC. */
static void tsc_adjust(void)
{
	bool present = conf_feature_present(&f_adjust);
	uint64_t a0 = 0, a1 = 0, t0, t1;
	struct conf_event e;
	char detail[80];
	bool ok;

	e = conf_rdmsr(MSR_IA32_TSC_ADJUST, &a0);
	t0 = cpu_rdtsc();
	conf_wrmsr(MSR_IA32_TIME_STAMP_COUNTER, t0 + JUMP);
	conf_rdmsr(MSR_IA32_TSC_ADJUST, &a1);
	ok = present ? e.vector == FAULT_NONE && within(a1 - a0, JUMP - SLACK, SLACK + 1) : e.vector == VEC_GP;
	ptv_snprintf(detail, sizeof(detail), "rdmsr %s, moved %s", conf_vector(&e),
		     a1 == a0 ? "not at all" : "by something else");
	conf_agree("wrmsr TSC +2^40 adds it to TSC_ADJUST", &f_adjust, ok, detail);

	conf_rdmsr(MSR_IA32_TSC_ADJUST, &a0);
	t0 = cpu_rdtsc();
	e = conf_wrmsr(MSR_IA32_TSC_ADJUST, a0 - JUMP);
	t1 = cpu_rdtsc();
	conf_rdmsr(MSR_IA32_TSC_ADJUST, &a1);
	ok = present ? e.vector == FAULT_NONE && a1 == a0 - JUMP && within(t1 - (t0 - JUMP), 0, SLACK)
		     : e.vector == VEC_GP;
	ptv_snprintf(detail, sizeof(detail), "wrmsr %s, reads back %s, TSC back %s", conf_vector(&e),
		     a1 == a0 - JUMP ? "yes" : "no", within(t1 - (t0 - JUMP), 0, SLACK) ? "yes" : "no");
	conf_agree("wrmsr TSC_ADJUST -2^40: reads back, TSC moves back 2^40", &f_adjust, ok, detail);
}

static void tsc_aux_readers(void)
{
	uint64_t before, after;
	uint32_t lo = 0, hi = 0, aux = 0, pid = 0;
	struct conf_event e;
	bool ok;

	conf_wrmsr(MSR_IA32_TSC_AUX, AUX_VALUE);
	before = cpu_rdtsc();
	e = CONF_PROBE("rdtscp", : "+a"(lo), "+d"(hi), "+c"(aux) : : "memory");
	after = (uint64_t)hi << 32 | lo;
	ok = conf_feature_present(&f_rdtscp) ? e.vector == FAULT_NONE && aux == AUX_VALUE && after >= before
					     : e.vector == VEC_UD;
	conf_agree("rdtscp: ECX is TSC_AUX, the TSC not behind rdtsc", &f_rdtscp, ok, conf_vector(&e));
	e = CONF_PROBE(".byte 0xf3, 0x0f, 0xc7, 0xf8", : "+a"(pid) : : "memory"); /* rdpid %eax */
	ok = conf_feature_present(&f_rdpid) ? e.vector == FAULT_NONE && pid == AUX_VALUE : e.vector == VEC_UD;
	conf_agree("rdpid: EAX is TSC_AUX", &f_rdpid, ok, conf_vector(&e));
}

static void tsc_tsd(void)
{
	uint32_t cr4 = cpu_read_cr4(), lo = 0, hi = 0;
	struct conf_event e;

	cpu_write_cr4(cr4 | (uint32_t)CR4_TSD);
	e = CONF_PROBE("rdtsc", : "+a"(lo), "+d"(hi) : : "memory");
	conf_verdict("rdtsc at CPL 0 with CR4.TSD=1: %s", conf_outcome(&e));
	cpu_write_cr4(cr4);
}

void conf_area_tsc(void)
{
	tsc_reads();
	tsc_write();
	tsc_adjust();
	tsc_aux_readers();
	tsc_tsd();
}

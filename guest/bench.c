/* bench: round-trip cost of each exit kind in TSC ticks, minimum and median over 1000 runs. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "msr.h"

#define ITERATIONS   1000
#define WARMUP       16
#define SCRATCH_PORT (COM1_BASE + UART_SCRATCH)

static uint32_t samples[ITERATIONS];

/* Insertion sort: 1000 elements, no recursion, no library. */
static void bench_sort(uint32_t *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = a[i], j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static void bench_report(const char *name)
{
	bench_sort(samples, ITERATIONS);
	serial_printf("bench: %s min=%u median=%u\n", name, samples[0], samples[ITERATIONS / 2]);
}

/* Times `op` between two LFENCE;RDTSC pairs, after a few untimed runs to warm caches and TLBs. */
#define BENCH(name, op)                                                      \
	do {                                                                 \
		for (int w_ = 0; w_ < WARMUP; w_++) {                        \
			op;                                                  \
		}                                                            \
		for (int i_ = 0; i_ < ITERATIONS; i_++) {                    \
			uint64_t t0_ = cpu_rdtsc_ordered();                  \
			op;                                                  \
			samples[i_] = (uint32_t)(cpu_rdtsc_ordered() - t0_); \
		}                                                            \
		bench_report(name);                                          \
	} while (0)

int guest_main(uint32_t magic, uint32_t info)
{
	struct ptv_hc_info hi = { 0 };
	uint64_t msr;
	uint32_t ept_gpa, sink = 0;

	(void)magic;
	(void)info;
	serial_init();
	if (!check(hc_ptvisor_present(), "ptvisor detected by CPUID"))
		return test_finish();
	if (!check_eq((uint32_t)hc_info(&hi), 0, "PTV_HC_INFO returns 0"))
		return test_finish();
	msr = cpu_rdmsr(MSR_IA32_SYSENTER_CS);
	ept_gpa = (uint32_t)hi.mem_size + 0x1000;

	BENCH("baseline", (void)0);
	BENCH("null", hc_null());
	BENCH("cpuid", cpu_cpuid(0, 0));
	BENCH("rdmsr", cpu_rdmsr(MSR_IA32_SYSENTER_CS));
	BENCH("wrmsr", cpu_wrmsr(MSR_IA32_SYSENTER_CS, msr));
	BENCH("io", cpu_outb(SCRATCH_PORT, 0x5a));
	BENCH("ept", sink |= cpu_read32_phys(ept_gpa));
	check_eq(sink, 0xffffffff, "reads of GPA mem_size + 0x1000 gave all ones");
	return test_finish();
}

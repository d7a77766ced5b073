/* stress: one million exits in four kinds, counted exactly by PTV_HC_STATS; checks for leaks and drift. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "msr.h"

#define PER_PHASE        250000u
#define PHASES           4
#define WARMUP           16u
#define SYSENTER_CS_TEST 0x1358u
#define SCRATCH_PORT     (COM1_BASE + UART_SCRATCH)

enum phase { PH_CPUID, PH_NULL, PH_OUT, PH_RDMSR };

static const char *const phase_name[PHASES] = { "CPUID(0)", "VMCALL NULL", "OUT 0x3ff", "RDMSR SYSENTER_CS" };
static struct cpuid_regs ref;

/* Runs n exits of one kind; returns how many gave a result other than the expected one. */
static uint32_t phase_run(enum phase ph, uint32_t n)
{
	uint32_t bad = 0;

	switch (ph) {
	case PH_CPUID:
		for (uint32_t i = 0; i < n; i++) {
			struct cpuid_regs r = cpu_cpuid(0, 0);

			bad += r.eax != ref.eax || r.ebx != ref.ebx || r.ecx != ref.ecx || r.edx != ref.edx;
		}
		break;
	case PH_NULL:
		for (uint32_t i = 0; i < n; i++)
			bad += hc_null() != 0;
		break;
	case PH_OUT:
		for (uint32_t i = 0; i < n; i++)
			cpu_outb(SCRATCH_PORT, (uint8_t)i);
		break;
	case PH_RDMSR:
		for (uint32_t i = 0; i < n; i++)
			bad += cpu_rdmsr(MSR_IA32_SYSENTER_CS) != SYSENTER_CS_TEST;
		break;
	default:
		bad = n;
		break;
	}
	return bad;
}

static void stress_stats(struct ptv_hc_stats *s)
{
	if (hc_stats(s) != 0)
		s->exits = 0;
}

int guest_main(uint32_t magic, uint32_t info)
{
	struct ptv_hc_stats st[PHASES + 1];
	uint32_t bad[PHASES];
	uint64_t loop_exits = 0;

	(void)magic;
	(void)info;
	serial_init();
	if (!check(hc_ptvisor_present(), "ptvisor detected by CPUID"))
		return test_finish();
	ref = cpu_cpuid(0, 0);
	cpu_wrmsr(MSR_IA32_SYSENTER_CS, SYSENTER_CS_TEST);
	/* Touch every loop and the STATS path once, so the counted windows hold nothing but the loops. */
	for (int p = 0; p < PHASES; p++)
		phase_run((enum phase)p, WARMUP);
	check_eq((uint32_t)hc_stats(&st[0]), 0, "STATS returns 0");

	/*
	 * Each window: STATS, 250,000 exits, STATS, with nothing else between; the
	 * second STATS call is itself one more exit, whichever side of the count
	 * the VMM takes it on. Printing happens only outside the windows.
	 */
	for (int p = 0; p < PHASES; p++) {
		uint64_t d;

		stress_stats(&st[p]);
		bad[p] = phase_run((enum phase)p, PER_PHASE);
		stress_stats(&st[p + 1]);
		d = st[p + 1].exits - st[p].exits;
		loop_exits += d - 1;
		serial_printf("stress: %u/%u exits done (%s)\n", (p + 1) * PER_PHASE, PHASES * PER_PHASE,
			      phase_name[p]);
		check_eq_dec(d, PER_PHASE + 1, "%s x250000: exits grew by 250000 + 1 STATS", phase_name[p]);
		check_eq_dec(st[p + 1].hypercalls - st[p].hypercalls, p == PH_NULL ? PER_PHASE + 1 : 1,
			     "%s x250000: hypercalls counted", phase_name[p]);
	}
	check_eq_dec(loop_exits, PHASES * PER_PHASE, "1000000 loop exits counted exactly");
	check_eq_dec(st[PHASES].vmm_free_frames, st[0].vmm_free_frames, "vmm_free_frames unchanged (no leak)");
	check_eq_dec(bad[PH_CPUID], 0, "every CPUID(0) identical to the first (no drift)");
	check_eq_dec(bad[PH_NULL], 0, "every VMCALL NULL returned 0");
	check_eq_dec(bad[PH_RDMSR], 0, "every RDMSR IA32_SYSENTER_CS read 0x1358");
	check_eq(cpu_inb(SCRATCH_PORT), (uint8_t)(PER_PHASE - 1), "UART scratch holds the last OUT");
	serial_printf("stress: ept_violations %llu -> %llu\n", (unsigned long long)st[0].ept_violations,
		      (unsigned long long)st[PHASES].ept_violations);
	return test_finish();
}

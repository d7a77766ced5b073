/*
 * timer: the clock ptvisor gives a guest with no calibration hardware (SDM Vol. 3A 11.5.4 "APIC Timer").
 * Command line (after "--"):
 *   role=timer  checks CPUID 15H/16H/6/80000007H and CPUID.1:ECX[24], then the local APIC timer in
 *       one-shot, periodic and TSC-deadline modes against the TSC rate 15H gives, then sleeps in HLT
 *       for the timer (sleeps=N times, 5 ms each, then one long sleep of long_ms ms).
 *   role=compute ms=N  spins for N ms of TSC time, to be the guest running beside the sleeper.
 */
#include "cpu.h"
#include "div64.h"
#include "msr.h"
#include "serial.h"
#include "test.h"
#include "trap.h"
#include "multiboot.h"
#include "lib/string.h"

#define APIC             0xfee00000u
#define APIC_EOI         0x0b0
#define APIC_SVR         0x0f0
#define APIC_LVT_TIMER   0x320
#define APIC_TIMER_ICR   0x380
#define APIC_TIMER_CCR   0x390
#define APIC_TIMER_DCR   0x3e0
#define LVT_MASKED       (1u << 16)
#define LVT_PERIODIC     (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIV1         0xbu
#define DCR_DIV16        0x3u
#define TIMER_VEC        0x40u
#define PERIODIC_MS      50u

static inline void cpu_sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void cpu_pause(void)
{
	asm volatile("pause");
}

static volatile uint32_t ticks;         /* timer interrupts taken */
static volatile uint64_t last_tick_tsc; /* TSC in the handler of the last one */
static uint64_t tsc_hz, crystal_hz;

static uint32_t apic_read(uint32_t off)
{
	return cpu_read32_phys(APIC + off);
}

static void apic_write(uint32_t off, uint32_t v)
{
	cpu_write32_phys(APIC + off, v);
}

static bool timer_handler(struct trap_frame *f)
{
	if (f->vector != TIMER_VEC)
		return false;
	last_tick_tsc = cpu_rdtsc();
	ticks++;
	apic_write(APIC_EOI, 0);
	return true;
}

static uint64_t ms_to_tsc(uint64_t ms)
{
	return tsc_hz * ms / 1000;
}

/* Busy-waits until `n` more interrupts came or `ms` of TSC time passed; returns the interrupts seen. */
static uint32_t wait_ticks(uint32_t start, uint32_t n, uint64_t ms)
{
	uint64_t end = cpu_rdtsc() + ms_to_tsc(ms);

	while (ticks - start < n && cpu_rdtsc() < end)
		cpu_pause();
	return ticks - start;
}

static bool check_clock_leaves(void)
{
	struct cpuid_regs r0 = cpu_cpuid(0, 0), r15 = cpu_cpuid(0x15, 0), r16 = cpu_cpuid(0x16, 0);

	check(r0.eax >= 0x16, "CPUID.0: maximum basic leaf covers 16H (0x%x)", r0.eax);
	if (!check(r15.eax && r15.ebx && r15.ecx, "CPUID.15H: crystal %u Hz, TSC/crystal %u/%u", r15.ecx, r15.ebx,
		   r15.eax))
		return false;
	crystal_hz = r15.ecx;
	tsc_hz = (uint64_t)r15.ecx * r15.ebx / r15.eax;
	serial_printf("timer: TSC %llu Hz by CPUID 15H\n", (unsigned long long)tsc_hz);
	check_eq_dec(r16.eax, (uint32_t)(tsc_hz / 1000000), "CPUID.16H: base frequency in MHz");
	check(cpu_cpuid(6, 0).eax & (1u << 2), "CPUID.6:EAX[2] ARAT (the APIC timer always runs)");
	check(cpu_cpuid(0x80000007, 0).edx & (1u << 8), "CPUID.80000007H:EDX[8] invariant TSC");
	check(cpu_cpuid(1, 0).ecx & (1u << 24), "CPUID.1:ECX[24] TSC-deadline");
	return true;
}

/* One-shot at divide-by-1: 1 ms of crystal counts, the interrupt after 1 ms of TSC, once. */
static void check_oneshot(void)
{
	uint32_t count = (uint32_t)(crystal_hz / 1000), start = ticks;
	uint64_t t0;

	apic_write(APIC_TIMER_DCR, DCR_DIV1);
	apic_write(APIC_LVT_TIMER, TIMER_VEC);
	cpu_sti();
	t0 = cpu_rdtsc();
	apic_write(APIC_TIMER_ICR, count);
	uint32_t ccr = apic_read(APIC_TIMER_CCR);
	uint32_t n = wait_ticks(start, 1, 20);
	uint64_t us = (last_tick_tsc - t0) * 1000000 / tsc_hz;
	check(ccr > 0 && ccr <= count, "one-shot: current count %u starts at the initial count %u", ccr, count);
	check(n == 1 && us >= 1000 && us < 1500, "one-shot: interrupt after %llu us for 1000 us",
	      (unsigned long long)us);
	check(wait_ticks(start, 2, 5) == 1, "one-shot: no second interrupt");
	check_eq(apic_read(APIC_TIMER_CCR), 0, "one-shot: current count 0 after expiry");
	cpu_cli();
}

/* Periodic at divide-by-16, 1 ms period: interrupts counted over PERIODIC_MS of TSC. */
static void check_periodic(void)
{
	uint32_t start, n;

	apic_write(APIC_TIMER_DCR, DCR_DIV16);
	apic_write(APIC_LVT_TIMER, TIMER_VEC | LVT_PERIODIC);
	apic_write(APIC_TIMER_ICR, (uint32_t)(crystal_hz / 16 / 1000));
	cpu_sti();
	start = ticks;
	uint64_t end = cpu_rdtsc() + ms_to_tsc(PERIODIC_MS);
	while (cpu_rdtsc() < end)
		cpu_pause();
	n = ticks - start;
	apic_write(APIC_TIMER_ICR, 0);
	cpu_cli();
	/* within 4 % of one per millisecond */
	check(n * 100 >= PERIODIC_MS * 96 && n * 100 <= PERIODIC_MS * 104,
	      "periodic: %u interrupts in %u ms at a 1 ms period", n, PERIODIC_MS);
	start = ticks;
	cpu_sti();
	check(wait_ticks(start, 1, 5) == 0, "periodic: initial count 0 stops it");
	cpu_cli();
}

static void check_deadline(void)
{
	uint32_t start = ticks;
	uint64_t dl;

	apic_write(APIC_LVT_TIMER, TIMER_VEC);
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, cpu_rdtsc() + ms_to_tsc(1));
	check_eq(cpu_rdmsr(MSR_IA32_TSC_DEADLINE), 0, "IA32_TSC_DEADLINE reads 0 and ignores writes in one-shot mode");
	apic_write(APIC_LVT_TIMER, TIMER_VEC | LVT_TSC_DEADLINE);
	cpu_sti();
	dl = cpu_rdtsc() + ms_to_tsc(2);
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, dl);
	uint64_t held = cpu_rdmsr(MSR_IA32_TSC_DEADLINE);
	uint32_t n = wait_ticks(start, 1, 20);
	cpu_cli();
	check_eq(held, dl, "IA32_TSC_DEADLINE holds the deadline");
	uint64_t late_us = last_tick_tsc >= dl ? (last_tick_tsc - dl) * 1000000 / tsc_hz : ~0ull;
	check(n == 1 && late_us < 500, "TSC-deadline: interrupt %llu us after the deadline",
	      (unsigned long long)late_us);
	check_eq(cpu_rdmsr(MSR_IA32_TSC_DEADLINE), 0, "IA32_TSC_DEADLINE is 0 once it fired");
	apic_write(APIC_LVT_TIMER, TIMER_VEC | LVT_MASKED);
}

/* STI;HLT waiting for a one-shot of `ms`: returns the HLTs it took and the microseconds slept. */
static uint32_t sleep_once(uint32_t ms, uint64_t *us)
{
	uint32_t start = ticks, hlts = 0;
	uint64_t t0;

	apic_write(APIC_TIMER_DCR, DCR_DIV1);
	apic_write(APIC_LVT_TIMER, TIMER_VEC);
	t0 = cpu_rdtsc();
	apic_write(APIC_TIMER_ICR, (uint32_t)(crystal_hz / 1000 * ms));
	while (ticks == start && hlts < 1000) {
		hlts++;
		cpu_sti_hlt();
		cpu_cli();
	}
	*us = (last_tick_tsc - t0) * 1000000 / tsc_hz;
	return hlts;
}

static void check_sleep(uint32_t sleeps, uint32_t long_ms)
{
	uint32_t extra = 0, late = 0;
	uint64_t us, worst = 0;

	for (uint32_t i = 0; i < sleeps; i++) {
		extra += sleep_once(5, &us) - 1;
		late += us < 5000 || us >= 5000 + 2000;
		worst = MAX(worst, us);
	}
	check(extra == 0, "HLT sleeps until the timer: %u sleeps of 5 ms, %u extra HLT returns", sleeps, extra);
	check(late == 0, "HLT wake-ups on time: %u of %u outside [5, 7) ms (longest %llu us)", late, sleeps,
	      (unsigned long long)worst);
	uint32_t hlts = sleep_once(long_ms, &us);
	check(hlts == 1 && us >= long_ms * 1000ull && us < long_ms * 1000ull + 2000,
	      "a %u ms sleep in one HLT took %llu us", long_ms, (unsigned long long)us);
}

static int compute(uint32_t ms)
{
	struct cpuid_regs r15 = cpu_cpuid(0x15, 0);
	uint64_t end, spins = 0;

	if (!r15.eax)
		return 1;
	tsc_hz = (uint64_t)r15.ecx * r15.ebx / r15.eax;
	end = cpu_rdtsc() + ms_to_tsc(ms);
	while (cpu_rdtsc() < end)
		spins++;
	serial_printf("timer: computed for %u ms (%llu loops)\n", ms, (unsigned long long)spins);
	return 0;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = mb2_cmdline(info);
	char role[16] = "timer";

	(void)magic;
	serial_init();
	cmdline_get_arg(cmd, "role", role, sizeof(role));
	/* The computing guest stays quiet until it ends: ptvisor's serial output of a line (about 5 ms at
	   115200 baud) holds the CPU, and would delay the sleeper's wake-ups beside it. */
	if (strcmp(role, "compute") == 0)
		return compute(cmdline_get_u32(cmd, "ms", 100));
	serial_printf("timer: role=%s\n", role);
	if (!check_clock_leaves())
		return test_finish();
	trap_hook = timer_handler;
	apic_write(APIC_SVR, 0x1ff);
	check_oneshot();
	check_periodic();
	check_deadline();
	check_sleep(cmdline_get_u32(cmd, "sleeps", 10), cmdline_get_u32(cmd, "long_ms", 300));
	return test_finish();
}

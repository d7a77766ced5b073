/*
 * share: how much of the CPU a guest gets beside others, seen from inside (Bochs' TSC counts
 * instructions, so TSC time is work). Command line (after "--"):
 *   role=compute  a loop of pure register work;
 *   role=storm kind=out|timer|rep  a loop that makes the VMM work: an OUT to an unused port each
 *       time (one short exit per iteration), the TSC-deadline timer re-armed 1000 ticks ahead with its
 *       interrupt taken (three exits per interrupt: the interrupt, EOI, WRMSR), or a REP OUTSB of
 *       REP_BYTES to that port (long exits: ptvisor emulates string I/O);
 *   ticks=N  how long both loop, in TSC ticks from the moment the guest starts.
 * Each guest counts its iterations and the time it was off the CPU: a gap between two reads of the TSC
 * longer than any of its own exits (GAP_TICKS) is time another guest ran. It prints
 * "share: ROLE N iterations, on-CPU X of Y ticks (P per mille)" and ends with status 0.
 */
#include "cpu.h"
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
#define LVT_TSC_DEADLINE (2u << 17)
#define TIMER_VEC        0x40u
#define DEADLINE_AHEAD   100000u
#define UNUSED_PORT      0x2e0u
/* Longer than one exit of this guest's loops (a few thousand ticks), shorter than a time slice. */
#define GAP_TICKS 200000u

static volatile uint32_t timer_irqs;

static void apic_write(uint32_t off, uint32_t v)
{
	cpu_write32_phys(APIC + off, v);
}

static bool timer_handler(struct trap_frame *f)
{
	if (f->vector != TIMER_VEC)
		return false;
	timer_irqs++;
	apic_write(APIC_EOI, 0);
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, cpu_rdtsc() + DEADLINE_AHEAD);
	return true;
}

static uint64_t arg_u64(const char *cmd, const char *key, uint64_t dflt)
{
	char buf[24];
	uint64_t v;

	if (!cmdline_get_arg(cmd, key, buf, sizeof(buf)) || !ptv_parse_u64(buf, strlen(buf), false, &v))
		return dflt;
	return v;
}

struct share {
	uint64_t iterations, off_cpu, start, end;
};

enum share_kind { SHARE_COMPUTE, SHARE_OUT, SHARE_TIMER, SHARE_REP };

#define REP_BYTES 0x8000u
static char rep_text[REP_BYTES];

/* Iterates until the TSC reaches s->end; a storm adds its exit to each iteration (the timer's come by themselves). */
static void share_loop(struct share *s, enum share_kind kind)
{
	uint64_t last = s->start, now;
	uint32_t x = 1;

	for (;;) {
		if (kind == SHARE_OUT)
			cpu_outb(UNUSED_PORT, (uint8_t)x);
		else if (kind == SHARE_REP) {
			const char *src = rep_text;
			uint32_t n = REP_BYTES;

			asm volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"(UNUSED_PORT) : "memory");
		}
		x = x * 1103515245u + 12345u;
		now = cpu_rdtsc();
		s->iterations++;
		if (now - last > GAP_TICKS)
			s->off_cpu += now - last;
		last = now;
		if (now >= s->end)
			break;
	}
	asm volatile("" : : "r"(x));
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = mb2_cmdline(info);
	char role[16] = "compute", kind[16] = "out";
	struct share s = { 0 };
	enum share_kind k = SHARE_COMPUTE;

	(void)magic;
	serial_init();
	cmdline_get_arg(cmd, "role", role, sizeof(role));
	cmdline_get_arg(cmd, "kind", kind, sizeof(kind));
	if (strcmp(role, "storm") == 0) {
		k = strcmp(kind, "timer") == 0 ? SHARE_TIMER : strcmp(kind, "rep") == 0 ? SHARE_REP : SHARE_OUT;
		if (k == SHARE_TIMER) {
			trap_hook = timer_handler;
			apic_write(APIC_SVR, 0x1ff);
			apic_write(APIC_LVT_TIMER, TIMER_VEC | LVT_TSC_DEADLINE);
			asm volatile("sti");
			cpu_wrmsr(MSR_IA32_TSC_DEADLINE, cpu_rdtsc() + DEADLINE_AHEAD);
		}
	}
	s.start = cpu_rdtsc();
	s.end = s.start + arg_u64(cmd, "ticks", 100000000u);
	share_loop(&s, k);
	cpu_cli();
	uint64_t total = s.end - s.start, on = total > s.off_cpu ? total - s.off_cpu : 0;
	serial_printf("share: %s %llu iterations, %u timer interrupts, on-CPU %llu of %llu ticks (%llu per mille)\n",
		      k ? kind : role, (unsigned long long)s.iterations, timer_irqs, (unsigned long long)on,
		      (unsigned long long)total, (unsigned long long)(on * 1000 / (total ? total : 1)));
	return 0;
}

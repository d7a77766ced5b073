/*
 * The TSC frequency, measured: CPUID 15H is not trusted (Bochs 2.7 reports a crystal ratio unrelated to
 * its TSC, which counts instructions at the `ips` rate). PIT channel 2 counts down in mode 0 from a
 * 10 ms latch with its gate held high by port 61H bit 0; port 61H bit 5 shows OUT2, which goes high at
 * terminal count (Intel 8254 datasheet, "Mode 0: Interrupt on Terminal Count"; the PC/AT port B
 * layout). The TSC ticks between the start and OUT2 rising give the frequency.
 */
#include "time/tsc.h"
#include "cpu.h"
#include "log.h"

#define PIT_HZ          1193182u
#define PIT_CH2_DATA    0x42
#define PIT_MODE        0x43
#define PORT_B          0x61
#define PORT_B_GATE2    0x01 /* timer 2 gate */
#define PORT_B_SPEAKER  0x02 /* speaker data enable: kept off */
#define PORT_B_OUT2     0x20 /* timer 2 output, read-only */
#define PIT_CH2_LOHI_M0 0xb0 /* channel 2, low then high byte, mode 0, binary */
#define CAL_MS          10u
#define CAL_LATCH       (PIT_HZ * CAL_MS / 1000u)
#define CAL_TRIES       3

uint32_t tsc_khz;

/* TSC ticks over one CAL_MS window; 0 when OUT2 never rises or was high from the start (no PIT). */
static uint64_t pit_window(void)
{
	uint8_t b = cpu_inb(PORT_B);
	uint64_t t0, t1;
	unsigned long spins = 0;

	cpu_outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	cpu_outb(PIT_MODE, PIT_CH2_LOHI_M0);
	cpu_outb(PIT_CH2_DATA, CAL_LATCH & 0xff);
	cpu_outb(PIT_CH2_DATA, CAL_LATCH >> 8);
	t0 = cpu_rdtsc();
	/* Writing the count sets OUT low in mode 0: seeing it high at once means nothing is there. */
	if (cpu_inb(PORT_B) & PORT_B_OUT2)
		return 0;
	while (!(cpu_inb(PORT_B) & PORT_B_OUT2))
		if (++spins > 100000000ul)
			return 0;
	t1 = cpu_rdtsc();
	cpu_outb(PORT_B, b);
	return t1 - t0;
}

void tsc_init(void)
{
	uint64_t best = 0;

	/* The shortest window is the one least disturbed (an SMI or a host preempting an emulator). */
	for (int i = 0; i < CAL_TRIES; i++) {
		uint64_t t = pit_window();
		if (t && (!best || t < best))
			best = t;
	}
	if (best < 1000 * CAL_MS) {
		pr_warn("time: the TSC could not be measured against the PIT; guests get no TSC frequency\n");
		tsc_khz = 0;
		return;
	}
	/* ticks / (CAL_LATCH / PIT_HZ s), in kHz, rounded to nearest. */
	tsc_khz = (uint32_t)((best * PIT_HZ + CAL_LATCH * 500ull) / (CAL_LATCH * 1000ull));
	pr_info("time: TSC %u.%03u MHz (measured against the PIT over %u ms); guest crystal clock %u kHz\n",
		tsc_khz / 1000, tsc_khz % 1000, CAL_MS, tsc_crystal_khz_for(tsc_khz));
}

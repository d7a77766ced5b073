/*
 * hostile: random Intel PT output configurations (ToPA tables, single-range), then TraceEn over a few
 * branches. Regions and tables lie in the scratch RAM, outside RAM or across its end; ToPA entries carry
 * random sizes, END/INT/STOP bits, reserved bits, and END pointers back into their own table.
 */
#include "cpu.h"
#include "hostile.h"
#include "msr.h"
#include "serial.h"
#include "trap.h"

#define TOPA_END  BIT(0)
#define TOPA_INT  BIT(2)
#define TOPA_STOP BIT(4)

#define CTL_TRACEEN  BIT(0)
#define CTL_TOPA     BIT(8)
#define CTL_BRANCHEN BIT(13)

#define STATUS_ERROR   BIT(4)
#define STATUS_STOPPED BIT(5)

/* Outcomes of the configurations: TraceEn accepted, then Error, Stopped or output written. */
static uint32_t traced, errors, stopped, wrote;

/* A 4 KiB-aligned address for a table or region. */
static uint32_t pt_addr(void)
{
	switch (rnd_below(6)) {
	case 0:
		return HOSTILE_OUTSIDE + (rnd_below(16) << 12);
	case 1:
		return (hostile_mem - 0x1000u * (1 + rnd_below(2))) & ~0xfffu;
	default:
		return (HOSTILE_SCRATCH + 0x200000u + rnd_below(0x500000u)) & ~0xfffu;
	}
}

static uint64_t topa_entry(uint32_t table, unsigned i, unsigned n)
{
	uint64_t e = pt_addr() | ((uint64_t)rnd_below(16) << 6);

	if (rnd_below(6) == 0)
		e |= TOPA_INT;
	if (rnd_below(8) == 0)
		e |= TOPA_STOP;
	if (rnd_below(16) == 0)
		e |= 1ull << (rnd_below(2) ? 1 : 3 + rnd_below(2)); /* reserved bits 1, 3, 5 */
	if (i == n - 1 || rnd_below(10) == 0) {
		uint32_t next = rnd_below(3) ? table : pt_addr(); /* a ring onto itself, or elsewhere */
		e = next | TOPA_END | (rnd_below(4) == 0 ? TOPA_INT : 0);
	}
	if (rnd_below(32) == 0)
		e |= (uint64_t)rnd32() << 32; /* an address beyond MAXPHYADDR */
	return e;
}

/* A few branches to trace: the emulated backend steps each of them. */
static uint32_t __attribute__((noinline)) traced_work(uint32_t x)
{
	for (unsigned i = 0; i < 8; i++)
		x = (x & 1) ? x * 3 + 1 : x / 2;
	return x;
}

static void pt_config(void)
{
	/* Mostly what this backend offers (CPUID 14H: CYC, OS/User, TSC, DisRETC, the PSB frequencies 14H.1
	   lists, two address ranges), sometimes any of bits 1-27 (#GP where not offered). */
	uint64_t ctl = CTL_TRACEEN | CTL_BRANCHEN |
		       (rnd_below(4) ? (rnd32() & 0x0c0eu) | rnd_below(6) << 24 : rnd32() & 0x0f0ffeeu);
	uint64_t base, mask;
	uint32_t n = 1 + rnd_below(8);

	if (rnd_below(3)) {
		uint32_t table = pt_addr();

		ctl |= CTL_TOPA;
		if (table >= HOSTILE_SCRATCH && table < hostile_mem - 0x1000u)
			for (unsigned i = 0; i < n; i++)
				((volatile uint64_t *)table)[i] = topa_entry(table, i, n);
		base = table;
		mask = 0x7f | ((uint64_t)rnd_below(n) << 7) | ((uint64_t)rnd_below(0x1000) << 32);
	} else {
		uint32_t size_log = 7 + rnd_below(14);

		base = pt_addr() & ~((1ull << size_log) - 1);
		mask = ((1ull << size_log) - 1) | ((uint64_t)rnd_below(MIN(1u << size_log, 0x1000u)) << 32);
		ctl &= ~(uint64_t)CTL_TOPA;
	}
	ctl |= (uint64_t)rnd_below(3) << 32 | (uint64_t)rnd_below(3) << 36; /* ADDR0/1_CFG: off, filter, stop */
	if (rnd_below(16) == 0)
		ctl |= 1ull << rnd_below(64); /* anything, reserved bits included: #GP where reserved */
	ctl &= ~(uint64_t)(BIT(6) | BIT(7));  /* FabricEn is #GP anyway; no CR3 filter, so the run is traced */
	hostile_count(HC_TOPA, cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, base));
	hostile_count(HC_TOPA, cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, mask));
	hostile_count(HC_TOPA, cpu_wrmsr_safe(MSR_IA32_RTIT_STATUS, rnd_below(4) ? 0 : rnd64()));
	hostile_count(HC_TOPA, cpu_wrmsr_safe(MSR_IA32_RTIT_ADDR0_A, rnd32()));
	int f = cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, ctl);
	hostile_count(HC_TOPA, f);
	if (f == FAULT_NONE) {
		traced++;
		asm volatile("" : : "r"(traced_work(rnd32())));
	}
	hostile_count(HC_TOPA, cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, ctl & ~(uint64_t)CTL_TRACEEN));
	uint64_t status = 0, ptrs = 0;
	hostile_count(HC_TOPA, cpu_rdmsr_safe(MSR_IA32_RTIT_STATUS, &status));
	hostile_count(HC_TOPA, cpu_rdmsr_safe(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, &ptrs));
	if (f == FAULT_NONE) {
		errors += (status & STATUS_ERROR) != 0;
		stopped += (status & STATUS_STOPPED) != 0;
		wrote += ptrs != mask;
	}
	cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0);
}

void hostile_topa(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pt_config();
	serial_printf("hostile: topa: %u configurations, %u traced (TraceEn accepted): %u Error, %u Stopped, %u "
		      "moved the output pointers\n",
		      n, traced, errors, stopped, wrote);
}

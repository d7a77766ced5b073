/*
 * ptwork: a guest that traces itself with Intel PT (as ptvisor exposes it), runs a known workload, stops
 * tracing and dumps its trace through the serial port in the framed form tools/ptextract.py reads.
 * Command line (after "--"): case=topa|topa-nmi|single|stop|outside|region-outside|reserved|int80|smc|retmod,
 * iterations=N, delay=MS (sleep before tracing), hold=MS (sleep traced, before the workload), tick=MS (the
 * longest timer chunk of those sleeps: one interrupt per chunk).
 * case=topa-nmi is case=topa with LVT PC in NMI delivery mode, as Linux programs it: the PMI is an NMI.
 * case=smc traces code that rewrites a jump just ahead of itself (ptwork_smc), into single-range output.
 * case=retmod traces returns to addresses no CALL pushed (ptwork_ret.c), into single-range output.
 * case=int80 traces INT 0x80 executed `iterations` times in a loop instead of the workload, into a
 * 512 KiB single range, and checks that no frame its handler saw shows ptvisor's stepping TF.
 * pattern=on fills PTW_PATTERN_SIZE bytes of its RAM with a pattern before it starts and checks them at
 * the end: the victim beside the hostile guest (test_hostile.sh) sees its memory intact.
 */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "multiboot.h"
#include "trap.h"
#include "trace_dump.h"
#include "hypercall.h"
#include "ptwork.h"
#include "lib/string.h"

#define MSR_PERF_GLOBAL_STATUS       0x38e
#define MSR_PERF_GLOBAL_STATUS_RESET 0x390
#define MSR_RTIT_OUTPUT_BASE         0x560
#define MSR_RTIT_OUTPUT_MASK         0x561
#define MSR_RTIT_CTL                 0x570
#define MSR_RTIT_STATUS              0x571

#define CTL_TRACEEN    (1u << 0)
#define CTL_OS         (1u << 2)
#define CTL_TOPA       (1u << 8)
#define CTL_TSCEN      (1u << 10)
#define CTL_BRANCHEN   (1u << 13)
#define STATUS_ERROR   (1u << 4)
#define STATUS_STOPPED (1u << 5)

#define TOPA_END  1u
#define TOPA_INT  4u
#define TOPA_STOP 16u
#define TOPA_4K   (0u << 6)
#define TOPA_8K   (1u << 6)

/* The local APIC as ptvisor models it (SDM Vol. 3A, Table 11-1 "Local APIC Register Address Map"). */
#define APIC_BASE       0xfee00000u
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ISR        0x100
#define APIC_ICR_LO     0x300
#define APIC_LVT_PC     0x340
#define APIC_ICR_SELF   (1u << 18) /* destination shorthand 01: self */
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_DM_NMI     (4u << 8)
#define PMI_VECTOR      0xf0u
#define IPI_VECTOR      0xe1u
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_ICR  0x380
#define APIC_TIMER_DCR  0x3e0
#define DELAY_VECTOR    0xe2u
#define VEC_NMI         2 /* SDM Table 6-1 */

static char name[32] = "ptwork";

static void topa_set(uint32_t table, unsigned idx, uint64_t entry)
{
	((volatile uint64_t *)table)[idx] = entry;
}

static void fill(uint32_t pa, uint32_t len, uint32_t v)
{
	for (uint32_t i = 0; i < len; i += 4)
		*(volatile uint32_t *)(pa + i) = v;
}

/* Lays out the output for the case; returns OUTPUT_BASE, MASK_PTRS and CTL. */
static void setup(const char *c, uint64_t *base, uint64_t *mask, uint32_t *ctl)
{
	fill(PTW_TOPA, 0x2000, 0);
	fill(PTW_REGION_A, 0x4000, 0);
	fill(PTW_CANARY, 0x1000, PTW_CANARY_VALUE);
	*ctl = CTL_OS | CTL_TSCEN | CTL_BRANCHEN | CTL_TOPA;
	*base = PTW_TOPA;
	*mask = 0x7f;
	if (!strcmp(c, "single")) {
		*ctl &= ~CTL_TOPA;
		*base = PTW_REGION_A;
		*mask = 0x3fff; /* 16 KiB: A, B and C contiguous */
	} else if (!strcmp(c, "stop")) {
		topa_set(PTW_TOPA, 0, PTW_REGION_A | TOPA_4K | TOPA_STOP);
		topa_set(PTW_TOPA, 1, PTW_TOPA | TOPA_END);
	} else if (!strcmp(c, "outside")) {
		*base = PTW_OUTSIDE;
	} else if (!strcmp(c, "region-outside")) {
		topa_set(PTW_TOPA, 0, PTW_OUTSIDE | TOPA_4K);
		topa_set(PTW_TOPA, 1, PTW_TOPA | TOPA_END);
	} else if (!strcmp(c, "int80") || !strcmp(c, "smc") || !strcmp(c, "retmod")) {
		*ctl &= ~CTL_TOPA;
		*base = PTW_INT80_OUT;
		*mask = PTW_INT80_SIZE - 1;
		fill(PTW_INT80_OUT, PTW_INT80_SIZE, 0);
	} else if (!strcmp(c, "reserved")) {
		topa_set(PTW_TOPA, 0, PTW_REGION_A | TOPA_4K | 2u /* reserved bit 1 */);
		topa_set(PTW_TOPA, 1, PTW_TOPA | TOPA_END);
	} else {
		topa_set(PTW_TOPA, 0, PTW_REGION_A | TOPA_4K | TOPA_INT);
		topa_set(PTW_TOPA, 1, PTW_REGION_B | TOPA_4K);
		topa_set(PTW_TOPA, 2, PTW_TOPA2 | TOPA_END);
		topa_set(PTW_TOPA2, 0, PTW_REGION_C | TOPA_8K);
		topa_set(PTW_TOPA2, 1, PTW_TOPA | TOPA_END);
	}
}

/* Bytes of trace in the ToPA layout of the "topa" case, copied out in order to PTW_DUMP. */
static uint32_t collect_topa(uint64_t base, uint64_t mask)
{
	uint32_t idx = (uint32_t)(mask >> 7) & 0x1ffffff, off = (uint32_t)(mask >> 32);
	uint32_t n = 0;

	if (base == PTW_TOPA2) { /* in region C */
		memcpy((void *)PTW_DUMP, (void *)PTW_REGION_A, 0x2000);
		n = 0x2000;
		if (idx == 0) {
			memcpy((void *)(PTW_DUMP + n), (void *)PTW_REGION_C, off);
			n += off;
		}
		return n;
	}
	uint32_t full = idx >= 1 ? 0x1000 * idx : 0;
	memcpy((void *)PTW_DUMP, (void *)PTW_REGION_A, full + off);
	return full + off;
}

static uint32_t apic_read(uint32_t off)
{
	return cpu_read32_phys(APIC_BASE + off);
}

static void apic_write(uint32_t off, uint32_t v)
{
	cpu_write32_phys(APIC_BASE + off, v);
}

static volatile uint32_t nmis;

static bool count_nmi(struct trap_frame *f)
{
	if (f->vector != VEC_NMI)
		return false;
	nmis++;
	return true;
}

/* The ToPA PMI through LVT PC: enable the APIC, vector 0xF0 with fixed delivery or NMI delivery, unmasked. */
static volatile bool delay_fired;
static uint32_t tick_ms; /* tick=MS: the longest one-shot chunk of a sleep (0: as long as the count allows) */

static bool delay_tick(struct trap_frame *f)
{
	if (f->vector != DELAY_VECTOR)
		return false;
	delay_fired = true;
	apic_write(APIC_EOI, 0);
	return true;
}

/*
 * delay=MS: sleeps (STI;HLT) on the APIC timer's one-shot, counting at CPUID 15H's crystal clock, before
 * tracing starts, so that this guest traces while another one does (tests of trace isolation);
 * hold=MS does the same with TraceEn set, before the traced workload, so that its tracing lasts long
 * enough to overlap another guest's whatever their speeds. `what` names it in the line printed.
 */
static void delay_ms(uint32_t ms, const char *what)
{
	bool (*volatile saved_hook)(struct trap_frame * f) = trap_hook;
	uint32_t crystal = cpu_cpuid(0x15, 0).ecx;
	/* One-shot chunks as long as the 32-bit initial count allows at CPUID 15H's clock (100 s at 25 MHz). */
	uint32_t chunk_ms = crystal ? (uint32_t)MIN(100000ull, 0xffffffffull / (crystal / 1000 + 1)) : 0;

	if (tick_ms && tick_ms < chunk_ms)
		chunk_ms = tick_ms; /* more timer interrupts in the sleep: more traced events */

	if (!ms)
		return;
	if (!crystal) {
		serial_printf("ptwork: no crystal clock in CPUID 15H: no delay\n");
		return;
	}
	trap_hook = delay_tick;
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TIMER_DCR, 0xb); /* divide by 1 */
	for (uint32_t left = ms; left;) {
		uint32_t now = left < chunk_ms ? left : chunk_ms;
		delay_fired = false;
		apic_write(APIC_LVT_TIMER, DELAY_VECTOR);
		apic_write(APIC_TIMER_ICR, crystal / 1000 * now);
		while (!delay_fired) {
			cpu_sti_hlt();
			cpu_cli();
		}
		left -= now;
	}
	apic_write(APIC_LVT_TIMER, DELAY_VECTOR | APIC_LVT_MASKED);
	trap_hook = saved_hook;
	serial_printf("ptwork: %s %u ms\n", what, ms);
}

static void pmi_setup(bool nmi)
{
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	if (nmi) {
		trap_hook = count_nmi;
		apic_write(APIC_LVT_PC, APIC_DM_NMI);
		check_eq(apic_read(APIC_LVT_PC), APIC_DM_NMI, "LVT PC programmed: NMI delivery, unmasked");
		return;
	}
	apic_write(APIC_LVT_PC, PMI_VECTOR);
	check_eq(apic_read(APIC_LVT_PC), PMI_VECTOR, "LVT PC programmed: vector 0xF0, fixed, unmasked");
}

/* One NMI when region A (INT) filled, and no interrupt; LVT PC masked by it (SDM 11.5.1). */
static void pmi_nmi_check(uint32_t interrupts)
{
	trap_hook = 0;
	check_eq(nmis, 1, "exactly one PMI NMI while tracing");
	check_eq(interrupts, 0, "no maskable interrupt for it");
	check_eq(apic_read(APIC_LVT_PC), APIC_DM_NMI | APIC_LVT_MASKED, "LVT PC masked after the PMI");
}

/* One interrupt when region A (INT) filled; LVT PC masked by it; in service until EOI (SDM 11.5.1, 11.8.5). */
static void pmi_check(uint32_t interrupts)
{
	uint32_t isr = APIC_ISR + (PMI_VECTOR / 32) * 0x10, bit = 1u << (PMI_VECTOR % 32);

	check_eq(interrupts, 1, "exactly one PMI interrupt (vector 0xF0) while tracing");
	check_eq(apic_read(APIC_LVT_PC), PMI_VECTOR | APIC_LVT_MASKED, "LVT PC masked after the PMI");
	check_eq(apic_read(isr) & bit, bit, "vector 0xF0 in service until EOI");
	apic_write(APIC_EOI, 0);
	check_eq(apic_read(isr) & bit, 0, "EOI retires it");
}

/* A self-IPI sent with IF=0 is taken by the STI;HLT that follows: the HLT must not sleep through it. */
static void self_ipi_check(void)
{
	uint32_t isr = APIC_ISR + (IPI_VECTOR / 32) * 0x10, bit = 1u << (IPI_VECTOR % 32);
	uint32_t n = trap_interrupt_count();

	apic_write(APIC_ICR_LO, APIC_ICR_SELF | IPI_VECTOR);
	cpu_sti_hlt();
	cpu_cli();
	check_eq(trap_interrupt_count() - n, 1, "self-IPI (vector 0xE1) wakes STI;HLT and is taken once");
	check_eq(apic_read(isr) & bit, bit, "vector 0xE1 in service");
	apic_write(APIC_EOI, 0);
}

static void check_cpuid(void)
{
	struct cpuid_regs r = cpu_cpuid(7, 0), l0 = cpu_cpuid(0x14, 0), l1 = cpu_cpuid(0x14, 1);

	check((r.ebx >> 25) & 1, "CPUID.7.EBX[25]: Intel PT enumerated");
	check_eq(l0.ecx & 7, 7, "CPUID.14H.0:ECX: ToPA, multiple ToPA entries, single-range output");
	check_eq(l0.ebx & 7, 7, "CPUID.14H.0:EBX: CR3 filtering, configurable PSB, IP filtering");
	check_eq(l1.eax & 7, 2, "CPUID.14H.1:EAX[2:0]: two address ranges");
}

/* A few of the MSR rules, from the guest's side: each violation is a #GP and changes nothing. */
static void check_rules(void)
{
	uint64_t v;

	check_fault(cpu_wrmsr_safe(MSR_RTIT_CTL, 1ull << 9), VEC_GP, "MTCEn without MTC support: #GP");
	check_fault(cpu_wrmsr_safe(MSR_RTIT_OUTPUT_BASE, PTW_TOPA | 0x40), VEC_GP,
		    "OUTPUT_BASE not 128-byte aligned: #GP");
	check_fault(cpu_wrmsr_safe(MSR_RTIT_CTL, (uint64_t)3 << 32), VEC_GP, "ADDR0_CFG=3: #GP");
	check_eq(cpu_rdmsr_safe(MSR_RTIT_CTL, &v) == FAULT_NONE ? v : ~0ull, 0, "IA32_RTIT_CTL still 0");
}

static uint32_t pattern_word(uint32_t addr)
{
	return (addr * 0x9e3779b1u) ^ 0xa5c3e1f0u;
}

static void pattern_fill(void)
{
	for (uint32_t a = PTW_PATTERN; a < PTW_PATTERN + PTW_PATTERN_SIZE; a += 4)
		*(volatile uint32_t *)a = pattern_word(a);
}

static void pattern_check(void)
{
	uint32_t bad = 0, first = 0;

	for (uint32_t a = PTW_PATTERN; a < PTW_PATTERN + PTW_PATTERN_SIZE; a += 4)
		if (*(volatile uint32_t *)a != pattern_word(a) && !bad++)
			first = a;
	check(bad == 0, "memory pattern intact: %u of %u words differ (first at 0x%x)", bad, PTW_PATTERN_SIZE / 4,
	      first);
}

int guest_main(uint32_t magic, uint32_t info)
{
	char c[24] = "topa", iters[16] = "900";
	struct ptv_hc_info hi;
	const char *cmd = mb2_cmdline(info);
	uint64_t base, mask, status, gstat, ctl_rd;
	uint32_t ctl;

	(void)magic;
	cmdline_get_arg(cmd, "case", c, sizeof(c));
	cmdline_get_arg(cmd, "iterations", iters, sizeof(iters));
	char lm[8] = "off", delay[16] = "0", hold[16] = "0";
	cmdline_get_arg(cmd, "delay", delay, sizeof(delay));
	cmdline_get_arg(cmd, "hold", hold, sizeof(hold));
	tick_ms = cmdline_get_u32(cmd, "tick", 0);
	cmdline_get_arg(cmd, "longmode", lm, sizeof(lm));
	char pat[8] = "off";
	cmdline_get_arg(cmd, "pattern", pat, sizeof(pat));
	bool pattern = !strcmp(pat, "on");
	if (pattern)
		pattern_fill();
	ptw_long_mode = !strcmp(lm, "on");
	if (hc_info(&hi) == 0)
		memcpy(name, hi.name, sizeof(name) - 1);
	uint32_t n = 0;
	for (const char *p = iters; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	serial_printf("ptwork: case=%s iterations=%u longmode=%s\n", c, n, ptw_long_mode ? "on" : "off");
	uint32_t delay_n = 0, hold_n = 0;
	for (const char *p = delay; *p >= '0' && *p <= '9'; p++)
		delay_n = delay_n * 10 + (uint32_t)(*p - '0');
	for (const char *p = hold; *p >= '0' && *p <= '9'; p++)
		hold_n = hold_n * 10 + (uint32_t)(*p - '0');
	delay_ms(delay_n, "slept");
	check_cpuid();
	check_rules();
	check_eq(ptwork_own_tf(), 6, "own RFLAGS.TF single-steps, untraced: 6 #DB traps");
	setup(c, &base, &mask, &ctl);
	check(cpu_wrmsr_safe(MSR_RTIT_OUTPUT_BASE, base) == FAULT_NONE, "OUTPUT_BASE 0x%x accepted", (uint32_t)base);
	check(cpu_wrmsr_safe(MSR_RTIT_OUTPUT_MASK, mask) == FAULT_NONE, "OUTPUT_MASK_PTRS accepted");
	check(cpu_wrmsr_safe(MSR_RTIT_STATUS, 0) == FAULT_NONE, "STATUS cleared");

	/* The "topa" case takes its PMI as an interrupt: traced with IF=1. */
	bool nmi = !strcmp(c, "topa-nmi"), pmi = nmi || !strcmp(c, "topa"), int80 = !strcmp(c, "int80");
	bool smc = !strcmp(c, "smc"), retmod = !strcmp(c, "retmod");
	uint32_t irq0 = trap_interrupt_count();
	if (pmi) {
		pmi_setup(nmi);
		asm volatile("sti" : : : "memory");
	}
	if (int80)
		trap_set_gate(PTW_INT80_VECTOR, (uint32_t)ptw_int80_entry);
	/* --- traced --- */
	if (hold_n)
		serial_printf("ptwork: tracing\n");
	cpu_wrmsr(MSR_RTIT_CTL, ctl | CTL_TRACEEN);
	if (hold_n) {
		/* Its timer interrupts are traced events, not the workload's: counted before it. */
		delay_ms(hold_n, "held TraceEn");
		irq0 = trap_interrupt_count();
		if (pmi)
			asm volatile("sti" : : : "memory");
	}
	uint32_t sum = 0;
	if (int80)
		ptwork_int80(n);
	else if (smc)
		sum = ptwork_smc(n);
	else if (retmod)
		sum = ptwork_retmod(n);
	else
		sum = ptwork_run(n);
	cpu_wrmsr(MSR_RTIT_CTL, ctl);
	/* --- untraced --- */
	cpu_cli();
	uint32_t irqs = trap_interrupt_count() - irq0;

	cpu_rdmsr_safe(MSR_RTIT_CTL, &ctl_rd);
	cpu_rdmsr_safe(MSR_RTIT_STATUS, &status);
	cpu_rdmsr_safe(MSR_RTIT_OUTPUT_BASE, &base);
	cpu_rdmsr_safe(MSR_RTIT_OUTPUT_MASK, &mask);
	serial_printf("ptwork: checksum 0x%x ctl 0x%x status 0x%x base 0x%x mask_ptrs 0x%x%08x\n", sum,
		      (uint32_t)ctl_rd, (uint32_t)status, (uint32_t)base, (uint32_t)(mask >> 32), (uint32_t)mask);
	check_eq(*(volatile uint32_t *)PTW_CANARY, PTW_CANARY_VALUE, "memory after the output buffers untouched");
	if (pattern)
		pattern_check();
	if (int80) {
		/* Delivery clears TF (SDM 6.12.1): the flags a handler finds in its frame are the guest's own. */
		check_eq_dec(ptw_int80_frames, n, "int $0x80 handler ran %u times", n);
		check(ptw_int80_tf == 0, "no TF visible in %u of %u int $0x80 frames", ptw_int80_frames - ptw_int80_tf,
		      ptw_int80_frames);
	} else if (retmod) {
		check_eq_dec(sum, ptwork_retmod_expected(n), "every modified return went where the stack said");
	} else if (smc) {
		check_eq_dec(sum, (n + 1) / 2, "the rewritten jump ran as written: CMC in %u of %u iterations",
			     (n + 1) / 2, n);
	} else {
		check_eq(ptw_traced_tf_steps, 6, "own RFLAGS.TF single-steps while traced: 6 #DB traps");
	}

	if (!strcmp(c, "outside") || !strcmp(c, "region-outside") || !strcmp(c, "reserved")) {
		check(status & STATUS_ERROR, "IA32_RTIT_STATUS.Error set by the bad output configuration");
		check_eq(*(volatile uint32_t *)PTW_REGION_A, 0, "no trace byte written");
		return test_finish();
	}
	if (!strcmp(c, "stop")) {
		check(status & STATUS_STOPPED, "IA32_RTIT_STATUS.Stopped set by the STOP region");
		/* SDM 33.2.7.2 "ToPA STOP": the pointers stay on the STOP entry with OutputOffset = its size. */
		check_eq(((mask >> 7) & 0x1ffffff) | ((mask >> 32) << 32), (uint64_t)0x1000 << 32,
			 "OUTPUT_MASK_PTRS stays on the STOP entry with offset = region size");
		trace_dump(name, (const void *)PTW_REGION_A, 0x1000);
		return test_finish();
	}
	check(!(status & (STATUS_ERROR | STATUS_STOPPED)), "no Error or Stopped in IA32_RTIT_STATUS");
	uint32_t len;
	if (int80 || smc || retmod) {
		len = (uint32_t)(mask >> 32);
		check(len > 0, "trace bytes produced: %u", len);
		trace_dump(name, (const void *)PTW_INT80_OUT, len);
		return test_finish();
	}
	if (!strcmp(c, "single")) {
		len = (uint32_t)(mask >> 32);
		memcpy((void *)PTW_DUMP, (void *)PTW_REGION_A, len);
	} else {
		len = collect_topa(base, mask);
		check(len > 0x1000, "the trace crossed from region A into the next region (%u bytes)", len);
		cpu_rdmsr_safe(MSR_PERF_GLOBAL_STATUS, &gstat);
		check((gstat >> 55) & 1, "IA32_PERF_GLOBAL_STATUS[55] (ToPA PMI) set when the INT region filled");
		cpu_wrmsr_safe(MSR_PERF_GLOBAL_STATUS_RESET, 1ull << 55);
		cpu_rdmsr_safe(MSR_PERF_GLOBAL_STATUS, &gstat);
		check(!((gstat >> 55) & 1), "IA32_PERF_GLOBAL_STATUS_RESET[55] clears it");
		if (nmi) {
			pmi_nmi_check(irqs);
		} else {
			pmi_check(irqs);
			self_ipi_check();
		}
	}
	check(len > 0, "trace bytes produced: %u", len);
	trace_dump(name, (const void *)PTW_DUMP, len);
	return test_finish();
}

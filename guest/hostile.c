/*
 * hostile: a guest that fuzzes every input a guest controls, to attack ptvisor, not itself. Seeded and
 * reproducible: `seed=N` on its command line (after "--") gives the same inputs in the same order;
 * `scale=N` (percent, default 100) sizes the run, `addr16=on` adds string I/O with a 0x67 prefix.
 * Classes: CPUID (every leaf and sub-leaf up to the maximum, then random ones), RDMSR/WRMSR (random
 * indices over the 32-bit space, every RTIT and PMU MSR, random values), port I/O of every size,
 * string I/O (REP and not, odd counts, DF=1, segment overrides), MMIO at odd offsets and sizes (local
 * APIC, I/O APIC, unbacked GPAs), hypercalls, ToPA/single-range output then TraceEn, XSETBV, CR0/CR3/CR4.
 * Faults are caught by the guest's own IDT; where the architecture fixes the outcome (#GP for CR0.NW
 * without CD, for XCR0 without x87 or with AVX but no SSE) a different outcome counts as a mismatch.
 * The fuzzer keeps itself alive: paging and protected mode stay on as they are, ports 0xf4 (its exit),
 * COM1 (its console) and 0x8900 are left alone, writes go to its scratch half of RAM or outside RAM.
 * Prints "hostile: class NAME: N inputs, F faults, M mismatches" per class; exit status 0 unless a
 * mismatch was seen.
 */
#include "cpu.h"
#include "hostile.h"
#include "hypercall.h"
#include "msr.h"
#include "multiboot.h"
#include "serial.h"
#include "test.h"
#include "trap.h"
#include "lib/string.h"

struct hostile_count hostile_counts[HC_CLASSES];
uint32_t hostile_mem;
static uint64_t rng;
static volatile uint32_t nmis;

static const char *const class_name[HC_CLASSES] = {
	[HC_CPUID] = "cpuid",
	[HC_MSR] = "msr",
	[HC_IO] = "io",
	[HC_STRIO] = "string-io",
	[HC_STRIO16] = "string-io-addr16",
	[HC_MMIO] = "mmio",
	[HC_HCALL] = "hypercall",
	[HC_TOPA] = "topa",
	[HC_XSETBV] = "xsetbv",
	[HC_CR] = "cr",
};

void rnd_seed(uint64_t seed)
{
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
}

/* xorshift64* (Vigna): enough spread for input selection, one line of state. */
uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

uint32_t rnd32(void)
{
	return (uint32_t)(rnd64() >> 32);
}

uint32_t rnd_below(uint32_t n)
{
	return rnd32() % n;
}

void hostile_count(enum hostile_class c, int fault)
{
	hostile_counts[c].inputs++;
	if (fault != FAULT_NONE)
		hostile_counts[c].faults++;
}

static void mismatch(enum hostile_class c, const char *what, uint64_t val, int fault)
{
	hostile_counts[c].arch_mismatch++;
	serial_printf("hostile: MISMATCH %s: %s 0x%llx gave vector %d\n", class_name[c], what, (unsigned long long)val,
		      fault);
}

/* Generated code: the input's bytes, then a jump back through the recovery address. */
static uint8_t exec_buf[64] __attribute__((aligned(16)));
static uint32_t exec_target = (uint32_t)exec_buf;

int hostile_exec(const uint8_t *insn, unsigned len, uint32_t regs[5], bool df)
{
	unsigned n = 0;

	if (df)
		exec_buf[n++] = 0xfd; /* STD */
	memcpy(exec_buf + n, insn, len);
	n += len;
	exec_buf[n++] = 0xfc; /* CLD */
	exec_buf[n++] = 0xff; /* JMP m32: back to the recovery address */
	exec_buf[n++] = 0x25;
	uint32_t slot = (uint32_t)&exec_buf[n + 4];
	memcpy(exec_buf + n, &slot, 4);
	guest_expect_fault(FAULT_ANY);
	asm volatile("movl $1f, trap_recover_eip\n\t"
		     "movl $1f, (%[slot])\n\t"
		     "jmp *exec_target\n"
		     "1:\n\t"
		     "cld"
		     : "+a"(regs[0]), "+c"(regs[1]), "+d"(regs[2]), "+S"(regs[3]), "+D"(regs[4])
		     : [slot] "b"(slot), "m"(exec_target)
		     : "memory", "cc");
	return guest_fault_taken();
}

static void fuzz_cpuid(uint32_t n)
{
	uint32_t max = cpu_cpuid(0, 0).eax, ext = cpu_cpuid(0x80000000u, 0).eax;

	for (uint32_t leaf = 0; leaf <= max + 2 && leaf < 0x100; leaf++)
		for (uint32_t sub = 0; sub < 64; sub++, hostile_count(HC_CPUID, FAULT_NONE))
			cpu_cpuid(leaf, sub);
	for (uint32_t leaf = 0x40000000u; leaf < 0x40000010u; leaf++, hostile_count(HC_CPUID, FAULT_NONE))
		cpu_cpuid(leaf, rnd32());
	for (uint32_t leaf = 0x80000000u; leaf <= ext + 2 && leaf < 0x80000100u; leaf++)
		for (uint32_t sub = 0; sub < 4; sub++, hostile_count(HC_CPUID, FAULT_NONE))
			cpu_cpuid(leaf, sub);
	for (uint32_t i = 0; i < n; i++, hostile_count(HC_CPUID, FAULT_NONE))
		cpu_cpuid(rnd32(), rnd32());
}

/* Every MSR of Intel PT and of the PMU the SDM lists for these CPUs (Vol. 4 Table 2-2). */
static const uint32_t pt_pmu_msrs[] = {
	0xc1,  0xc2,  0xc3,  0xc4,  0xc5,  0xc6,  0xc7,  0xc8,  0x186, 0x187, 0x188, 0x189, 0x18a, 0x18b,
	0x18c, 0x18d, 0x1d9, 0x309, 0x30a, 0x30b, 0x30c, 0x329, 0x345, 0x38d, 0x38e, 0x38f, 0x390, 0x391,
	0x392, 0x3f1, 0x3f2, 0x3f6, 0x4c1, 0x4c2, 0x4c3, 0x4c4, 0x4c5, 0x4c6, 0x4c7, 0x4c8, 0x560, 0x561,
	0x570, 0x571, 0x572, 0x580, 0x581, 0x582, 0x583, 0x584, 0x585, 0x586, 0x587, 0x600, 0x1c4, 0x1c5,
};

static uint64_t msr_value(uint64_t old)
{
	switch (rnd_below(6)) {
	case 0:
		return old;
	case 1:
		return old ^ (1ull << rnd_below(64));
	case 2:
		return 0;
	case 3:
		return ~0ull;
	case 4:
		return rnd32();
	default:
		return rnd64();
	}
}

/* RTIT_CTL.TraceEn stays clear here: tracing with a random output configuration is the topa class's. */
static void msr_try(uint32_t msr)
{
	uint64_t old = 0;
	int f = cpu_rdmsr_safe(msr, &old);

	hostile_count(HC_MSR, f);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t v = msr_value(old);

		if (msr == MSR_IA32_RTIT_CTL)
			v &= ~1ull;
		hostile_count(HC_MSR, cpu_wrmsr_safe(msr, v));
	}
}

static void fuzz_msr(uint32_t n)
{
	static const uint32_t bases[] = { 0, 0x400, 0xc0000000u, 0xc0010000u, 0x40000000u, 0x4b564d00u };

	for (unsigned r = 0; r < 4; r++)
		for (size_t i = 0; i < ARRAY_SIZE(pt_pmu_msrs); i++)
			msr_try(pt_pmu_msrs[i]);
	cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0);
	for (uint32_t i = 0; i < n; i++)
		msr_try(rnd_below(2) ? rnd32() : bases[rnd_below(ARRAY_SIZE(bases))] + rnd_below(0x1000));
	cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0);
}

static int xsetbv_try(uint32_t xcr, uint64_t v)
{
	int f = cpu_xsetbv_safe(xcr, v);

	hostile_count(HC_XSETBV, f);
	/* SDM Vol. 2C "XSETBV": #GP for an XCR other than 0 (and 1 with XINUSE), bit 0 clear, AVX without SSE. */
	if (xcr == 0 && (!(v & 1) || (v & 6) == 4) && f != VEC_GP)
		mismatch(HC_XSETBV, "XCR0", v, f);
	return f;
}

static void fuzz_xsetbv(uint32_t n)
{
	uint64_t xcr0 = 0;

	if (cpu_write_cr4_safe(cpu_read_cr4() | (1u << 18)) != FAULT_NONE || cpu_xgetbv_safe(0, &xcr0) != FAULT_NONE)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = rnd_below(4) ? rnd32() & 0x602ffu : rnd64();
		uint32_t xcr = rnd_below(8) ? 0 : rnd_below(4) ? 1 : rnd32();

		xsetbv_try(xcr, v);
		uint64_t got;
		hostile_count(HC_XSETBV, cpu_xgetbv_safe(rnd_below(3), &got));
	}
	cpu_xsetbv_safe(0, xcr0);
}

static int mov_cr(unsigned cr, uint32_t v)
{
	guest_expect_fault(FAULT_ANY);
	if (cr == 0)
		asm volatile(TRAP_GUARD("mov %0, %%cr0") : : "r"(v) : "memory");
	else if (cr == 3)
		asm volatile(TRAP_GUARD("mov %0, %%cr3") : : "r"(v) : "memory");
	else
		asm volatile(TRAP_GUARD("mov %0, %%cr4") : : "r"(v) : "memory");
	return guest_fault_taken();
}

#define CR0_PE BIT(0)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

/* CR0 keeps PE set and PG clear (the fuzzer's own mode) except where the architecture must refuse. */
static void fuzz_cr(uint32_t n)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4(), cr3;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v;
		int f;

		switch (rnd_below(5)) {
		case 0:
			v = ((cr0 ^ rnd32()) | CR0_PE) & ~CR0_PG;
			f = mov_cr(0, v);
			/* SDM Vol. 3A 2.5: NW=1 with CD=0 is #GP(0). */
			if ((v & (CR0_NW | CR0_CD)) == CR0_NW && f != VEC_GP)
				mismatch(HC_CR, "CR0", v, f);
			break;
		case 1:
			v = cr0 | CR0_PG | CR0_PE;
			v &= ~CR0_PE; /* PG without PE: #GP(0) */
			f = mov_cr(0, v);
			if (f != VEC_GP)
				mismatch(HC_CR, "CR0", v, f);
			break;
		case 2:
			v = cr4 ^ (rnd_below(2) ? BIT(rnd_below(32)) : rnd32());
			f = mov_cr(4, v);
			break;
		case 3:
			v = rnd32();
			f = mov_cr(3, v);
			break;
		default: {
			uint32_t msw = (rnd32() & 0xfu) | CR0_PE;
			guest_expect_fault(FAULT_ANY);
			asm volatile(TRAP_GUARD("lmsw %w0") : : "r"(msw) : "memory");
			f = guest_fault_taken();
			v = msw;
			break;
		}
		}
		hostile_count(HC_CR, f);
		mov_cr(0, cr0);
		mov_cr(4, cr4);
		mov_cr(3, cr3);
	}
}

static bool hostile_trap(struct trap_frame *f)
{
	if (f->vector != 2)
		return false;
	nmis++; /* an NMI the fuzzer sent itself through its APIC or I/O APIC */
	return true;
}

static uint32_t arg_u32(const char *cmd, const char *key, uint32_t dflt)
{
	char buf[16];
	uint64_t v;

	if (!cmdline_get_arg(cmd, key, buf, sizeof(buf)) || !ptv_parse_u64(buf, strlen(buf), false, &v))
		return dflt;
	return (uint32_t)v;
}

static uint32_t scaled(uint32_t n, uint32_t scale)
{
	return n * scale / 100;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = mb2_cmdline(info);
	uint32_t seed = arg_u32(cmd, "seed", 1), scale = arg_u32(cmd, "scale", 100);
	char a16[8] = "off";
	struct ptv_hc_info hi;
	uint32_t total = 0, mismatches = 0;

	(void)magic;
	serial_init();
	cmdline_get_arg(cmd, "addr16", a16, sizeof(a16));
	hostile_mem = hc_info(&hi) == 0 ? (uint32_t)hi.mem_size : 0x1000000u;
	rnd_seed(seed);
	trap_hook = hostile_trap;
	serial_printf("hostile: seed=%u scale=%u addr16=%s mem=0x%x\n", seed, scale, a16, hostile_mem);
	fuzz_cpuid(scaled(3000, scale));
	fuzz_msr(scaled(3000, scale));
	hostile_io(scaled(3000, scale));
	hostile_strio(scaled(600, scale), false);
	if (!strcmp(a16, "on"))
		hostile_strio(scaled(300, scale), true);
	hostile_mmio(scaled(2000, scale));
	hostile_hcall(scaled(2000, scale));
	hostile_topa(scaled(150, scale));
	fuzz_xsetbv(scaled(600, scale));
	fuzz_cr(scaled(1000, scale));
	for (unsigned c = 0; c < HC_CLASSES; c++) {
		const struct hostile_count *k = &hostile_counts[c];

		serial_printf("hostile: class %s: %u inputs, %u faults, %u mismatches\n", class_name[c], k->inputs,
			      k->faults, k->arch_mismatch);
		total += k->inputs;
		mismatches += k->arch_mismatch;
	}
	serial_printf("hostile: done: seed=%u, %u inputs, %u mismatches, %u NMIs to itself\n", seed, total, mismatches,
		      nmis);
	return mismatches ? 1 : 0;
}

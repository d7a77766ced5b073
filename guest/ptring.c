/*
 * ptring: Intel PT as Linux's perf uses it for `perf record -e intel_pt//u`. A 64-bit kernel enables
 * tracing at CPL 0 with IA32_RTIT_CTL.User only, and a ring-3 program runs SYSCALL/SYSRETQ, INT 0x80
 * with IRETQ, a page fault, and system calls that do a sched-out/sched-in (TraceEn toggled, STATUS
 * and output MSRs rewritten, CR3 switched) into a ToPA of two tables and four regions. The trace is
 * dumped for tools/ptverify.py; the checks here are what the program and its kernel saw.
 * Command line (after "--"): iterations=N, cr3filter=on, compute=N (N turns of ptwork's loop in the user
 * program between its system calls: a program that mostly computes).
 */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "multiboot.h"
#include "trace_dump.h"
#include "hypercall.h"
#include "ptring.h"
#include "lib/string.h"

#define MSR_PERF_GLOBAL_STATUS       0x38e
#define MSR_PERF_GLOBAL_STATUS_RESET 0x390
#define MSR_RTIT_OUTPUT_BASE         0x560
#define MSR_RTIT_OUTPUT_MASK         0x561
#define MSR_RTIT_CTL                 0x570
#define MSR_RTIT_STATUS              0x571
#define MSR_RTIT_CR3_MATCH           0x572
#define CTL_USER                     (1u << 3)
#define CTL_CR3FILTER                (1u << 7)
#define CTL_TOPA                     (1u << 8)
#define CTL_TSCEN                    (1u << 10)
#define CTL_BRANCHEN                 (1u << 13)
#define STATUS_ERROR                 (1u << 4)
#define STATUS_STOPPED               (1u << 5)
#define TOPA_END                     1u
#define TOPA_INT                     4u
#define TOPA_SIZE(k)                 ((uint64_t)(k) << 6) /* 4 KiB << k */
#define PDE_2M_USER                  0x87u                /* present, writable, user, 2 MiB page */

static char name[32] = "ptring";

static void topa_set(uint32_t table, unsigned idx, uint64_t entry)
{
	((volatile uint64_t *)table)[idx] = entry;
}

/* The first 16 MiB 1:1 for user and kernel, except the 2 MiB page at PTR_FAULT, and the APIC for the
   kernel (SDM 4.5 "4-Level Paging"). */
static void build_tables(void)
{
	volatile uint64_t *a = (volatile uint64_t *)PTR_PML4_A, *b = (volatile uint64_t *)PTR_PML4_B;
	volatile uint64_t *pdpt = (volatile uint64_t *)PTR_PDPT, *pd = (volatile uint64_t *)PTR_PD;
	volatile uint64_t *hi = (volatile uint64_t *)PTR_PD_HI;

	for (unsigned i = 0; i < 512; i++)
		a[i] = b[i] = pdpt[i] = pd[i] = hi[i] = 0;
	a[0] = b[0] = PTR_PDPT | 7;
	pdpt[0] = PTR_PD | 7;
	pdpt[3] = PTR_PD_HI | 3;                      /* kernel only */
	hi[(PTR_APIC >> 21) & 511] = PTR_APIC | 0x93; /* present, writable, cache disabled, 2 MiB */
	for (unsigned i = 0; i < 8; i++)
		pd[i] = ((uint64_t)i << 21) | PDE_2M_USER;
	pd[PTR_FAULT >> 21] = 0;
}

static void build_topa(void)
{
	memset((void *)PTR_TOPA, 0, 0x2000);
	memset((void *)PTR_REGION_A, 0, PTR_OUT_END - PTR_REGION_A);
	*(volatile uint32_t *)PTR_CANARY = PTR_CANARY_VAL;
	topa_set(PTR_TOPA, 0, PTR_REGION_A | TOPA_SIZE(0) | TOPA_INT);
	topa_set(PTR_TOPA, 1, PTR_REGION_B | TOPA_SIZE(0));
	topa_set(PTR_TOPA, 2, PTR_TOPA2 | TOPA_END);
	topa_set(PTR_TOPA2, 0, PTR_REGION_C | TOPA_SIZE(1));
	topa_set(PTR_TOPA2, 1, PTR_REGION_D | TOPA_SIZE(2));
	topa_set(PTR_TOPA2, 2, PTR_TOPA | TOPA_END);
}

/* Bytes written, from the output pointers: regions before the current one, plus its offset. */
static uint32_t trace_len(uint64_t base, uint64_t mask)
{
	uint32_t idx = (uint32_t)(mask >> 7) & 0x1ffffff, off = (uint32_t)(mask >> 32);

	if (base == PTR_TOPA)
		return (idx == 0 ? 0 : PTR_REGION_B - PTR_REGION_A) + off;
	return (idx == 0 ? PTR_REGION_C : PTR_REGION_D) - PTR_REGION_A + off;
}

/* What the user program accumulates: each loop adds its counter, and 3 more when it is odd. */
/* Per loop, for turns c = N..1: u_add, u_mul or u_xor by c % 3 (c + 3, 5c + 1, c ^ 0x55), then u_pick
   (20 for an odd c, 10 for an even one; ptring_lm.asm). */
static uint64_t expected_mix(uint32_t n, uint32_t compute)
{
	uint64_t turn = 0;

	for (uint32_t c = compute; c > 0; c--) {
		uint32_t r = c % 3 == 0 ? c + 3 : c % 3 == 1 ? 5 * c + 1 : c ^ 0x55;
		turn += r + ((c & 1) ? 20 : 10);
	}
	return turn * n;
}

static uint64_t expected_acc(uint32_t n)
{
	uint64_t acc = 0;

	for (uint32_t i = n; i > 0; i--)
		acc += i + ((i & 1) ? 3 : 0);
	return acc;
}

int guest_main(uint32_t magic, uint32_t info)
{
	char iters[16] = "200", cr3f[4] = "";
	uint32_t compute;
	bool cr3_filter = false;
	struct ptv_hc_info hi;
	uint64_t ctl_rd = 0, status = 0, base = 0, mask = 0, gstat = 0;
	uint32_t n = 0, ctl = CTL_USER | CTL_TOPA | CTL_TSCEN | CTL_BRANCHEN;

	(void)magic;
	cmdline_get_arg(mb2_cmdline(info), "iterations", iters, sizeof(iters));
	for (const char *p = iters; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	if (hc_info(&hi) == 0)
		memcpy(name, hi.name, sizeof(name) - 1);
	compute = cmdline_get_u32(mb2_cmdline(info), "compute", 0);
	ptr_compute = compute;
	serial_printf("ptring: iterations=%u compute=%u\n", n, compute);
	check((cpu_cpuid(7, 0).ebx >> 25) & 1, "CPUID.7.EBX[25]: Intel PT enumerated");
	build_tables();
	build_topa();
	/* perf's first start: output set up, IA32_RTIT_STATUS (PacketByteCnt) cleared. */
	check(cpu_wrmsr_safe(MSR_RTIT_OUTPUT_BASE, PTR_TOPA) == FAULT_NONE, "OUTPUT_BASE accepted");
	check(cpu_wrmsr_safe(MSR_RTIT_OUTPUT_MASK, 0x7f) == FAULT_NONE, "OUTPUT_MASK_PTRS accepted");
	check(cpu_wrmsr_safe(MSR_RTIT_STATUS, 0) == FAULT_NONE, "STATUS cleared");
	/* cr3filter=on: only process A (the first CR3) is traced, as `perf record -p` on a CPU would with
	   CR3 filtering; every other sched-in runs process B, where nothing is traced. */
	if (cmdline_get_arg(mb2_cmdline(info), "cr3filter", cr3f, sizeof(cr3f)) && !strcmp(cr3f, "on")) {
		cr3_filter = true;
		ctl |= CTL_CR3FILTER;
		check(cpu_wrmsr_safe(MSR_RTIT_CR3_MATCH, PTR_PML4_A) == FAULT_NONE, "CR3_MATCH accepted");
	}

	ptr_run(PTR_PML4_A, ctl, n);

	cpu_rdmsr_safe(MSR_RTIT_CTL, &ctl_rd);
	cpu_rdmsr_safe(MSR_RTIT_STATUS, &status);
	cpu_rdmsr_safe(MSR_RTIT_OUTPUT_BASE, &base);
	cpu_rdmsr_safe(MSR_RTIT_OUTPUT_MASK, &mask);
	serial_printf("ptring: ctl 0x%x status 0x%x%08x base 0x%x mask_ptrs 0x%x%08x\n", (uint32_t)ctl_rd,
		      (uint32_t)(status >> 32), (uint32_t)status, (uint32_t)base, (uint32_t)(mask >> 32),
		      (uint32_t)mask);
	check_eq(ptr_bad_vector, 0xffffffffu, "no unexpected exception in the 64-bit kernel or user code");
	check_eq(ptr_user_acc, expected_acc(n), "the user program computed what it should");
	check_eq(ptr_user_mix, expected_mix(n, compute), "its compute=%u turns summed what they should", compute);
	check_eq(ptr_counts[PTR_SYSCALL], n + 1 + n / 16 + ((n % 16) >= 8 ? 1 : 0), "SYSCALLs made");
	check_eq(ptr_counts[PTR_INT80], n / 4, "INT 0x80s handled");
	check_eq(ptr_counts[PTR_SCHED], n / 16 + ((n % 16) >= 8 ? 1 : 0), "sched-out/in system calls");
	check_eq(ptr_counts[PTR_PF], 1, "one page fault, fixed by the kernel");
	check_eq(ptr_counts[PTR_CR2_BAD], 0, "CR2 held the faulting address in the #PF handler");
	check_eq(ptr_counts[PTR_R11_TF_K], 0, "no SYSCALL saved a TF the program did not set in R11");
	check_eq(ptr_counts[PTR_R11_TF_U], 0, "R11 after SYSRETQ shows no TF");
	check_eq(ptr_counts[PTR_KFLAGS_TF], 0, "IA32_FMASK's TF: the kernel's RFLAGS show no TF after SYSCALL");
	check_eq(ptr_counts[PTR_PUSHF_TF], 0, "PUSHFQ in user code shows no TF");
	check_eq(ptr_counts[PTR_FRAME_TF], 0, "no INT 0x80, #PF, interrupt or NMI frame shows TF");
	check_eq(ptr_counts[PTR_IPI], (n + 5) / 8, "self-IPIs taken");
	check_eq(ptr_counts[PTR_IPI_USER], (n + 5) / 8, "... each in ring 3, after SYSRETQ set IF");
	check_eq(ptr_counts[PTR_NMI_OTHER], 0, "no NMI without IA32_PERF_GLOBAL_STATUS[55]");
	check_eq(ptr_counts[PTR_BYTECNT0], 0, "IA32_RTIT_STATUS.PacketByteCnt counts the bytes written");
	check_eq(ctl_rd & 1, 0, "TraceEn cleared by the kernel");
	check(!(status & (STATUS_ERROR | STATUS_STOPPED)), "no Error or Stopped in IA32_RTIT_STATUS");
	check(((status >> 32) & 0x1ffff) != 0, "PacketByteCnt kept after tracing");
	check_eq(*(volatile uint32_t *)PTR_CANARY, PTR_CANARY_VAL, "memory after the output regions untouched");
	uint32_t len = trace_len(base, mask);
	bool crossed = len > PTR_REGION_B - PTR_REGION_A;
	/* With the CR3 filter half the program is traced: a short run may not fill region A. */
	check_eq(ptr_counts[PTR_NMI], crossed ? 1u : 0u, "one PMI (NMI through LVT PC) when region A (INT) filled");
	check((crossed || cr3_filter) && len < PTR_OUT_END - PTR_REGION_A,
	      "the trace crossed region A (INT) and did not wrap: %u bytes", len);
	cpu_rdmsr_safe(MSR_PERF_GLOBAL_STATUS, &gstat);
	check(!((gstat >> 55) & 1), "IA32_PERF_GLOBAL_STATUS[55] reset by the PMI handler");
	trace_dump(name, (const void *)PTR_REGION_A, len);
	return test_finish();
}

/* exits: HLT, XSETBV, WBINVD/INVD, MOV to CR4 and RDTSC. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "exits.h"

#define CPUID_1_ECX_XSAVE   BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27) /* mirrors CR4.OSXSAVE (SDM Vol. 2A "CPUID") */
#define XCR0_X87            BIT(0)
#define XCR0_SSE            BIT(1)
#define XCR0_AVX            BIT(2)
#define TSC_SAMPLES         1000

static void misc_check_hlt(void)
{
	uint32_t before = trap_interrupt_count();

	/* Under ptvisor nothing interrupts the guest: only the VMM resuming it ends this HLT. */
	cpu_sti_hlt();
	cpu_cli();
	check(true, "STI; HLT returns (interrupts taken: %u)", trap_interrupt_count() - before);
}

/* SDM Vol. 2C "XSETBV": #GP for XCR0[0] = 0, or AVX set without SSE. */
static void misc_check_xsetbv(void)
{
	uint64_t xcr0 = 0;

	if (!(cpu_cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE)) {
		serial_printf("info: no XSAVE in CPUID.1:ECX[26]: XSETBV checks skipped\n");
		return;
	}
	check_fault(cpu_write_cr4_safe(cpu_read_cr4() | (uint32_t)CR4_OSXSAVE), FAULT_NONE,
		    "MOV to CR4 setting OSXSAVE");
	check(cpu_read_cr4() & CR4_OSXSAVE, "CR4.OSXSAVE reads back 1");
	check(cpu_cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE, "CPUID.1:ECX[27] (OSXSAVE) follows CR4");
	check_fault(cpu_xsetbv_safe(0, XCR0_X87 | XCR0_SSE), FAULT_NONE, "XSETBV XCR0 = x87|SSE");
	check_fault(cpu_xgetbv_safe(0, &xcr0), FAULT_NONE, "XGETBV XCR0");
	check_eq(xcr0, XCR0_X87 | XCR0_SSE, "XCR0 reads back x87|SSE");
	check_fault(cpu_xsetbv_safe(0, 0), VEC_GP, "XSETBV XCR0 = 0 (x87 clear)");
	check_fault(cpu_xsetbv_safe(0, XCR0_X87 | XCR0_AVX), VEC_GP, "XSETBV XCR0 = x87|AVX without SSE");
}

static void misc_check_cr4(void)
{
	uint32_t cr4 = cpu_read_cr4();

	/* VMXE is the VMM's; a guest that cannot see VMX must not set it (SDM Vol. 3C 24.7). */
	check_fault(cpu_write_cr4_safe(cr4 | (uint32_t)CR4_VMXE), VEC_GP, "MOV to CR4 setting VMXE");
	check(!(cpu_read_cr4() & CR4_VMXE), "CR4 reads back VMXE = 0 (CR4 0x%x)", cpu_read_cr4());
}

static void misc_check_rdtsc(void)
{
	uint64_t first = cpu_rdtsc(), prev = first, now = first;
	uint32_t backwards = 0;

	for (int i = 0; i < TSC_SAMPLES; i++) {
		now = cpu_rdtsc();
		if (now < prev)
			backwards++;
		prev = now;
	}
	check(backwards == 0 && now > first, "RDTSC monotonic over %d reads (%u went backwards)", TSC_SAMPLES,
	      backwards);
}

void exits_check_misc(void)
{
	misc_check_hlt();
	misc_check_xsetbv();
	check_fault(cpu_wbinvd_safe(), FAULT_NONE, "WBINVD");
	check_fault(cpu_invd_safe(), FAULT_NONE, "INVD");
	misc_check_cr4();
	misc_check_rdtsc();
}

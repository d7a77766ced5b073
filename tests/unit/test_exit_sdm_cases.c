/*
 * Six places where the exit handlers once departed from the SDM, each found
 * by writing these tests and fixed after: the previous guest's extended state
 * seen by the next, CR0.PG cleared in 64-bit mode, PDPTE bits above
 * MAXPHYADDR, 16-bit REP string I/O, CPUID.OSPKE, IA32_TSC_AUX without RDTSCP.
 * Each asserts what the architecture requires; the SDM section is named with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "msr.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vmcs_init.h"

static struct vcpu v, b;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (b.vmcs_pa)
		vcpu_destroy(&b);
	memset(&b, 0, sizeof(b));
	vcpu_env_teardown(&v);
	return 0;
}

/*
 * vcpu_switch.c loads the next guest's XCR0 before XRSTOR, so XRSTOR restores only the components
 * that guest has enabled (RFBM = XCR0 AND EDX:EAX, SDM Vol. 1 13.8). The others keep the previous
 * guest's values: "the processor will preserve AVX state unmodified if software clears XCR0[2]" (and
 * likewise AVX-512, SDM Vol. 1 13.3). A guest that enables AVX with XSETBV then reads the upper
 * halves of the other guest's YMM registers. Architecturally a vCPU that never used AVX finds it in
 * its initial configuration (all zeros). Fix: XRSTOR with XCR0 = xcr0_allowed, then XSETBV the
 * guest's XCR0. (The same order leaks XMM0-15 and MXCSR to a guest still at XCR0 = 1, which the
 * model cannot show: its XRSTOR moves the whole legacy region as one.)
 */
static void test_xsave_state_leaks_to_next_guest(void **state)
{
	static const uint8_t zero[256];

	(void)state;
	env_vcpu_create(&b, 1, "g1");
	v.fpu.xcr0 = ENV_GUEST_XCR0;
	vcpu_load(&v);
	memset(env.m->xstate, 0xaa, ENV_GUEST_AREA); /* g0's secrets in every component */
	vcpu_put(&v);
	vcpu_load(&b); /* g1 at power-up: XCR0 = x87 */
	b.regs.rax = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	b.regs.rcx = b.regs.rdx = 0;
	env_exit(&b, EXIT_REASON_XSETBV, 0, 3);
	assert_int_equal(handle_xsetbv(&b), EXIT_RESUME);
	assert_int_equal(env.m->xcr0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	assert_memory_equal(env.m->xstate + 576, zero, sizeof(zero)); /* g1's YMM_Hi128 */
}

/*
 * SDM Vol. 2B MOV (control registers), 64-Bit Mode Exceptions: #GP(0) on "Attempting to clear
 * CR0.PG"; IA-32e mode is left from compatibility mode only (Vol. 3A 10.8.5.4). exit_cr.c clears
 * EFER.LMA and the "IA-32e mode guest" control instead, under code that still has CS.L = 1.
 */
static void test_clearing_pg_in_64bit_mode(void **state)
{
	(void)state;
	env_guest64(&v);
	v.regs.rbx = CR0_PE | CR0_WP;
	env_exit(&v, EXIT_REASON_CR_ACCESS, 0 | (3 << 8), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	expect_gp();
	assert_int_equal(vmr(GUEST_IA32_EFER) & EFER_LMA, EFER_LMA);
	assert_int_equal(vmr(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST, ENTRY_IA32E_MODE_GUEST);
}

/*
 * SDM Vol. 3A 4.4.1 and Table 4-8: bits 63:MAXPHYADDR of a present PAE PDPTE are reserved and MOV to
 * CR0/CR4 that loads it #GPs. exit_cr.c checks bits 63:52 only; with MAXPHYADDR 40 (this fixture) a
 * PDPTE with bit 40 set is loaded, and VM entry then fails its PDPTE check (SDM 27.3.1.6) instead of
 * the guest taking #GP.
 */
static void test_pdpte_bits_above_maxphyaddr(void **state)
{
	uint64_t *pdpt = env_gpa(0x5000);

	(void)state;
	assert_int_equal(cpu_model_maxphyaddr(env.m), 40);
	pdpt[0] = 0x6001 | BIT(40);
	vmw(GUEST_CR3, 0x5000);
	vmw(CR4_READ_SHADOW, CR4_PAE);
	vmw(GUEST_CR4, CR4_PAE | CR4_VMXE);
	v.regs.rbx = CR0_PE | CR0_PG;
	env_exit(&v, EXIT_REASON_CR_ACCESS, 0 | (3 << 8), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	expect_gp();
	assert_int_equal(vmr(GUEST_PDPTE0), 0);
}

/*
 * SDM Vol. 2B REP/REPE/REPZ/REPNE/REPNZ: the count register is CX, ECX or RCX by the address size;
 * OUTS/INS use SI/ESI/RSI (DI/EDI/RDI) likewise. The exit reports the address size in the
 * VM-exit instruction-information field, bits 9:7 (SDM 28.2.5, Table 28-8). exit_io.c always uses
 * ECX/ESI/EDI: a 16-bit REP OUTSB with CX = 2 and ECX[31:16] = 1 sends 65538 bytes.
 */
static void test_rep_string_io_16bit_address_size(void **state)
{
	(void)state;
	env_guest16(&v);
	memcpy(env_gpa(0x2000), "ab", 2);
	v.regs.rcx = 0x00010002;
	v.regs.rsi = 0x00022000; /* SI = 2000H; ESI[31:16] is not part of a 16-bit address */
	env_exit(&v, EXIT_REASON_IO_INSTRUCTION, (0x3f8ULL << 16) | BIT(4) | BIT(5), 2);
	vmw(GUEST_LINEAR_ADDRESS, 0x2000);
	vmw(VMX_INSTRUCTION_INFO, (0u << 7) | (3u << 15)); /* 16-bit address size, DS */
	assert_int_equal(handle_io(&v), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.uart.bytes_out, 2);
	assert_int_equal(v.regs.rcx, 0x00010000);
	assert_int_equal(v.regs.rsi, 0x00022002);
}

/*
 * SDM Vol. 2A CPUID, Table 3-8: CPUID.(EAX=07H,ECX=0):ECX[4] OSPKE "If 1, OS has set CR4.PKE". Like
 * OSXSAVE it reflects the CR4 of whoever executes CPUID; exit_cpuid.c passes the VMM's through, so
 * a guest that set CR4.PKE (allowed: PKE is in CR4_FIXED1 and PKU is passed through) reads OSPKE = 0.
 */
static void test_cpuid_ospke_follows_guest_cr4(void **state)
{
	const struct cpuid_regs host = { 0, 0, BIT(3), 0 }; /* PKU; the VMM runs without CR4.PKE */

	(void)state;
	cpu_model_set_cpuid(env.m, 7, 0, &host);
	vmw(GUEST_CR4, vmr(GUEST_CR4) | CR4_PKE);
	v.regs.rax = 7;
	v.regs.rcx = 0;
	env_exit(&v, EXIT_REASON_CPUID, 0, 2);
	assert_int_equal(handle_cpuid(&v), EXIT_RESUME);
	assert_int_equal(v.regs.rcx, BIT(3) | BIT(4));
}

/*
 * SDM Vol. 4 Table 2-2: IA32_TSC_AUX exists "if CPUID.80000001H:EDX[27] = 1 or CPUID.(EAX=7,ECX=0):
 * ECX[22] = 1"; RDMSR of an unimplemented MSR is #GP(0) (Vol. 2B RDMSR). On a CPU without RDTSCP and
 * RDPID (this fixture; the guest's CPUID says the same) exit_msr.c returns 0 from its failed read.
 */
static void test_rdmsr_tsc_aux_without_rdtscp(void **state)
{
	(void)state;
	assert_false(vcpu_host.rdtscp);
	v.regs.rcx = MSR_IA32_TSC_AUX;
	env_exit(&v, EXIT_REASON_MSR_READ, 0, 2);
	assert_int_equal(handle_msr_read(&v), EXIT_RESUME);
	expect_gp();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xsave_state_leaks_to_next_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clearing_pg_in_64bit_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdpte_bits_above_maxphyaddr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_string_io_16bit_address_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuid_ospke_follows_guest_cr4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdmsr_tsc_aux_without_rdtscp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

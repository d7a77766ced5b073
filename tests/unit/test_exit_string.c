/*
 * String instructions emulated on an EPT violation (vmm/vmx/exit_string.c) on the CPU model: MOVS, STOS,
 * LODS, CMPS, SCAS with and without REP/REPE/REPNE, both directions, 16/32/64-bit address sizes, elements
 * that cross between RAM and unbacked memory, the per-exit bound, and faults in either operand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/emul.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"

#define Q_READ   (EPT_VQ_READ | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define Q_WRITE  (EPT_VQ_WRITE | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define HOLE     0xd0000000ULL
#define RAM_END  ENV_RAM_SIZE
#define BUF      0x20000ULL /* RAM for the other operand */
#define EXIT_LEN 1

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

static enum exit_action run(const void *code, size_t n, uint64_t gpa, uint64_t qual)
{
	memcpy(env_gpa(ENV_RIP), code, n);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, qual, EXIT_LEN);
	vmw(GUEST_PHYSICAL_ADDRESS, gpa);
	vmw(GUEST_LINEAR_ADDRESS, gpa);
	return handle_ept_violation(&v);
}

#define CODE(s) (s), sizeof(s) - 1
#define done(code, gpa, qual)                                                  \
	do {                                                                   \
		assert_int_equal(run(CODE(code), (gpa), (qual)), EXIT_RESUME); \
		expect_retired(sizeof(code) - 1);                              \
	} while (0)
/* Re-entered at the same instruction: some elements done, the REP to continue. */
#define partial(code, gpa, qual)                                               \
	do {                                                                   \
		assert_int_equal(run(CODE(code), (gpa), (qual)), EXIT_RESUME); \
		assert_int_equal(vmr(GUEST_RIP), ENV_RIP);                     \
		assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);            \
		assert_false(v.stop.requested);                                \
	} while (0)

static uint64_t flags(void)
{
	return vmr(GUEST_RFLAGS) & RFLAGS_STATUS;
}

static void test_stos_movs_lods(void **state)
{
	uint8_t *buf = env_gpa(BUF);

	(void)state;
	/* rep stosd into the hole: five dwords dropped. */
	v.regs.rax = 0x11223344;
	v.regs.rcx = 5;
	v.regs.rdi = HOLE;
	done("\xf3\xab", HOLE, Q_WRITE);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rdi, HOLE + 20);
	assert_true(host_console_contains("4-byte write at GPA 0xd0000000 outside its RAM: dropped"));
	/* rep movsb from the hole into RAM: all ones arrive. */
	memset(buf, 0x11, 16);
	v.regs.rsi = HOLE + 0x100;
	v.regs.rdi = BUF;
	v.regs.rcx = 10;
	done("\xf3\xa4", HOLE + 0x100, Q_READ);
	assert_memory_equal(buf, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x11", 11);
	assert_int_equal(v.regs.rsi, HOLE + 0x10a);
	assert_int_equal(v.regs.rdi, BUF + 10);
	assert_int_equal(v.regs.rcx, 0);
	/* movsw from RAM into the hole, no REP: one element, RCX untouched. */
	v.regs.rsi = BUF;
	v.regs.rdi = HOLE;
	v.regs.rcx = 7;
	done("\x66\xa5", HOLE, Q_WRITE);
	assert_int_equal(v.regs.rsi, BUF + 2);
	assert_int_equal(v.regs.rdi, HOLE + 2);
	assert_int_equal(v.regs.rcx, 7);
	/* DF=1: rep stosw steps down. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_DF);
	v.regs.rdi = HOLE + 10;
	v.regs.rcx = 3;
	done("\xf3\x66\xab", HOLE + 10, Q_WRITE);
	assert_int_equal(v.regs.rdi, HOLE + 4);
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
	/* lodsd; rep lodsw keeps EAX[31:16]. */
	v.regs.rsi = HOLE;
	v.regs.rax = 0x1122334455667788ull;
	done("\xad", HOLE, Q_READ);
	assert_int_equal(v.regs.rax, 0xffffffff);
	v.regs.rax = 0x12345678;
	v.regs.rcx = 3;
	done("\xf3\x66\xad", HOLE + 4, Q_READ);
	assert_int_equal(v.regs.rax, 0x1234ffff);
	assert_int_equal(v.regs.rsi, HOLE + 10);
	/* A segment override moves the source (fs: movsb); the destination is ES whatever the prefix. */
	vmw(GUEST_FS_BASE, HOLE);
	buf[0x40] = 0;
	v.regs.rsi = 0x30;
	v.regs.rdi = BUF + 0x40;
	done("\x64\xa4", HOLE + 0x30, Q_READ);
	assert_int_equal(buf[0x40], 0xff);
}

static void test_rep_bounds(void **state)
{
	uint8_t *buf = env_gpa(BUF);

	(void)state;
	/* A count of 0 does nothing at all. */
	v.regs.rcx = 0;
	v.regs.rdi = HOLE;
	done("\xf3\xaa", HOLE, Q_WRITE);
	assert_int_equal(v.regs.rdi, HOLE);
	/* 5000 elements: 4096 in the first exit, RIP kept, the rest in the next. */
	v.regs.rcx = 5000;
	partial("\xf3\xaa", HOLE, Q_WRITE);
	assert_int_equal(v.regs.rcx, 5000 - EMUL_STRING_MAX);
	assert_int_equal(v.regs.rdi, HOLE + EMUL_STRING_MAX);
	assert_true(vmr(GUEST_RFLAGS) & RFLAGS_RF); /* as after an interrupt between iterations */
	done("\xf3\xaa", HOLE + EMUL_STRING_MAX, Q_WRITE);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rdi, HOLE + 5000);
	assert_false(vmr(GUEST_RFLAGS) & RFLAGS_RF);
	/* Under the guest's TF: one element per exit, its single-step trap pending after each. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_TF);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	v.regs.rcx = 2;
	partial("\xf3\xaa", HOLE + 5000, Q_WRITE);
	assert_int_equal(v.regs.rcx, 1);
	assert_int_equal(vmr(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	done("\xf3\xaa", HOLE + 5001, Q_WRITE);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(vmr(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
	/*
	 * From the hole into RAM, stepping down: the two bytes at 400001H and 400000H are emulated, then the
	 * source is RAM too and the CPU takes over at the same RIP with the registers advanced.
	 */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_DF);
	memset(buf, 0x11, 16);
	v.regs.rsi = RAM_END + 1;
	v.regs.rdi = BUF + 8;
	v.regs.rcx = 4;
	partial("\xf3\xa4", RAM_END + 1, Q_READ);
	assert_int_equal(v.regs.rcx, 2);
	assert_int_equal(v.regs.rsi, RAM_END - 1);
	assert_int_equal(v.regs.rdi, BUF + 6);
	assert_memory_equal(buf + 6, "\x11\xff\xff\x11", 4);
}

/* The address size picks SI/DI/CX (67 prefix): 16-bit ones wrap and keep the bits above them. */
static void test_address_size(void **state)
{
	(void)state;
	vmw(GUEST_ES_BASE, HOLE);
	v.regs.rcx = 0x10002;
	v.regs.rdi = 0xabcdffff;
	done("\x67\xf3\xaa", HOLE + 0xffff, Q_WRITE); /* rep stosb es:[di] */
	assert_int_equal(v.regs.rcx, 0x10000);
	assert_int_equal(v.regs.rdi, 0xabcd0001);
	/* 64-bit mode: 32-bit addresses zero-extend ESI/EDI/ECX. */
	env_guest64(&v);
	v.regs.rcx = 0xffffffff00000002ull;
	v.regs.rsi = 0xffffffff00000000ull | HOLE;
	v.regs.rdi = BUF;
	done("\x67\xf3\xa4", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rsi, HOLE + 2);
	assert_int_equal(v.regs.rdi, BUF + 2);
	/* 64-bit addresses and rep movsq */
	v.regs.rcx = 2;
	v.regs.rsi = HOLE;
	v.regs.rdi = BUF;
	done("\xf3\x48\xa5", HOLE, Q_READ);
	assert_int_equal(*(uint64_t *)env_gpa(BUF + 8), ~0ull);
	assert_int_equal(v.regs.rsi, HOLE + 16);
}

static void test_cmps_scas(void **state)
{
	uint8_t *buf = env_gpa(BUF);

	(void)state;
	/* repe cmpsb: [HOLE] (FFH) against FF FF 00 FF: ends at the third, ZF=0, RCX=1. */
	memcpy(buf, "\xff\xff\x00\xff", 4);
	v.regs.rsi = HOLE;
	v.regs.rdi = BUF;
	v.regs.rcx = 4;
	done("\xf3\xa6", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 1);
	assert_int_equal(v.regs.rsi, HOLE + 3);
	assert_int_equal(v.regs.rdi, BUF + 3);
	assert_int_equal(flags(), RFLAGS_SF | RFLAGS_PF); /* FFH - 00H */
	/* repne scasb with AL = FFH over the hole: the first element matches. */
	v.regs.rax = 0xff;
	v.regs.rdi = HOLE;
	v.regs.rcx = 10;
	done("\xf2\xae", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 9);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_PF);
	/* repe scasd with EAX = FFFFFFFFH runs to the end; scasw with AX = 0 borrows. */
	v.regs.rax = 0xffffffff;
	v.regs.rdi = HOLE;
	v.regs.rcx = 6;
	done("\xf3\xaf", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rdi, HOLE + 24);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_PF);
	v.regs.rax = 0;
	done("\x66\xaf", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF); /* 0 - FFFFH = 1: PF odd */
	/* With a count of 0, REPE CMPS leaves the flags alone. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_OF);
	v.regs.rcx = 0;
	done("\xf3\xa6", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_OF);
}

static void expect_fault(unsigned vector, uint32_t error)
{
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD),
			 INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | vector);
	assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), error);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_false(v.stop.requested);
}

static void test_faults(void **state)
{
	(void)state;
	/* ES limit: two elements fit, the third is #GP(0) with the registers at it. */
	vmw(GUEST_ES_LIMIT, HOLE + 1);
	v.regs.rdi = HOLE;
	v.regs.rcx = 4;
	assert_int_equal(run(CODE("\xf3\xaa"), HOLE, Q_WRITE), EXIT_RESUME);
	expect_fault(X86_VEC_GP, 0);
	assert_int_equal(v.regs.rcx, 2);
	assert_int_equal(v.regs.rdi, HOLE + 2);
	/* 64-bit: the destination not present in the guest's tables, at once and after two elements. */
	env_guest64(&v);
	v.regs.rsi = HOLE;
	v.regs.rdi = 0x40000000;
	v.regs.rcx = 3;
	assert_int_equal(run(CODE("\xf3\xa4"), HOLE, Q_READ), EXIT_RESUME);
	expect_fault(X86_VEC_PF, PF_ERR_W);
	assert_int_equal(v.regs.cr2, 0x40000000);
	assert_int_equal(v.regs.rcx, 3);
	assert_int_equal(v.regs.rsi, HOLE);
	v.regs.rdi = 0x3ffffffe; /* in the hole too (identity-mapped, above RAM) */
	assert_int_equal(run(CODE("\xf3\xa4"), HOLE, Q_READ), EXIT_RESUME);
	expect_fault(X86_VEC_PF, PF_ERR_W);
	assert_int_equal(v.regs.rcx, 1);
	assert_int_equal(v.regs.rsi, HOLE + 2);
	assert_int_equal(v.regs.rdi, 0x40000000);
	/* CPL 3: the supervisor-only source page faults with P and U. */
	env_cpl(3);
	v.regs.rsi = HOLE;
	v.regs.rdi = 0x1000;
	v.regs.rcx = 1;
	assert_int_equal(run(CODE("\xf3\xa4"), HOLE, Q_READ), EXIT_RESUME);
	expect_fault(X86_VEC_PF, PF_ERR_P | PF_ERR_U);
	assert_int_equal(v.regs.cr2, HOLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stos_movs_lods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmps_scas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

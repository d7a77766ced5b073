/*
 * EPT-violation exits (exit_ept.c) on the CPU model: MOVs to unbacked GPAs, the virtual APIC page, claims,
 * and what stops the guest. The other emulated forms are in test_exit_mem.c and test_exit_string.c.
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
#include "ept/ept_violation.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"

/* Exit qualifications (SDM 28.2.1, Table 28-7): a data read, a data write, a fetch, each of a linear address. */
#define Q_READ    (EPT_VQ_READ | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define Q_WRITE   (EPT_VQ_WRITE | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define Q_FETCH   (EPT_VQ_READ | EPT_VQ_FETCH | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define HOLE      0xd0000000ULL /* no RAM, no device */
#define APIC(off) (0xfee00000ULL + (off))
#define EXIT_LEN  1 /* what the VMCS says; an emulated MOV advances by its decoded length */

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	vlapic_reset(&v.lapic, 5);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

/* The guest runs `code` at ENV_RIP and touches gpa. */
static enum exit_action violation(const char *code, size_t n, uint64_t gpa, uint64_t qual)
{
	memcpy(env_gpa(ENV_RIP), code, n);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, qual, EXIT_LEN);
	vmw(GUEST_PHYSICAL_ADDRESS, gpa);
	vmw(GUEST_LINEAR_ADDRESS, gpa);
	return handle_ept_violation(&v);
}

#define CODE(s) (s), sizeof(s) - 1
#define emulated(code, gpa, qual)                                                    \
	do {                                                                         \
		assert_int_equal(violation(CODE(code), (gpa), (qual)), EXIT_RESUME); \
		expect_retired(sizeof(code) - 1);                                    \
	} while (0)

static void test_unbacked_32(void **state)
{
	(void)state;
	v.regs.rax = v.regs.rcx = v.regs.rdx = 0x1122334455667788ULL;
	emulated("\x8b\x05\x00\x00\x00\xd0", HOLE, Q_READ); /* mov eax, [HOLE] */
	assert_int_equal(v.regs.rax, 0xffffffff);
	emulated("\x66\x8b\x0d\x04\x00\x00\xd0", HOLE + 4, Q_READ); /* mov cx, [HOLE+4] */
	assert_int_equal(v.regs.rcx, 0x112233445566ffffULL);
	emulated("\x8a\x35\x08\x00\x00\xd0", HOLE + 8, Q_READ); /* mov dh, [HOLE+8] */
	assert_int_equal(v.regs.rdx, 0x112233445566ff88ULL);
	assert_int_equal(env_console_count("outside its RAM"), 1); /* once per page in a row */
	assert_true(host_console_contains("4-byte read at GPA 0xd0000000 outside its RAM: reads all ones"));
	emulated("\xc7\x05\x00\x10\x00\xd0\x78\x56\x34\x12", HOLE + 0x1000, Q_WRITE); /* mov dword [..], imm */
	emulated("\x88\x25\x00\x20\x00\xd0", HOLE + 0x2000, Q_WRITE);                 /* mov [..], ah */
	assert_true(host_console_contains("4-byte write at GPA 0xd0001000 outside its RAM: dropped"));
	assert_true(host_console_contains("1-byte write at GPA 0xd0002000"));
	assert_int_equal(v.regs.rdx, 0x112233445566ff88ULL);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	assert_int_equal(v.stats.ept_violations, 5);
}

static void test_apic_page(void **state)
{
	(void)state;
	v.regs.rax = 0x1122334455667788ULL;
	/* SVR is FFH after reset: MOVZX and MOVSX widen it differently. */
	emulated("\x0f\xb6\x05\xf0\x00\xe0\xfe", APIC(APIC_SVR), Q_READ); /* movzx eax, byte */
	assert_int_equal(v.regs.rax, 0xff);
	emulated("\x0f\xbe\x05\xf0\x00\xe0\xfe", APIC(APIC_SVR), Q_READ); /* movsx eax, byte */
	assert_int_equal(v.regs.rax, 0xffffffff);
	v.regs.rax = 0x1122334455667788ULL;
	emulated("\x66\x0f\xbe\x05\xf0\x00\xe0\xfe", APIC(APIC_SVR), Q_READ); /* movsx ax, byte */
	assert_int_equal(v.regs.rax, 0x112233445566ffffULL);
	emulated("\x0f\xb7\x05\x32\x00\xe0\xfe", APIC(APIC_VERSION + 2), Q_READ); /* movzx eax, word */
	assert_int_equal(v.regs.rax, 0x0005);
	/* High-byte registers: APIC ID byte 3 into AH, CH, BH. */
	v.regs.rax = v.regs.rcx = v.regs.rbx = 0x1122334455667788ULL;
	emulated("\x8a\x25\x23\x00\xe0\xfe", APIC(APIC_ID + 3), Q_READ); /* mov ah */
	emulated("\x8a\x2d\x23\x00\xe0\xfe", APIC(APIC_ID + 3), Q_READ); /* mov ch */
	emulated("\x8a\x3d\x23\x00\xe0\xfe", APIC(APIC_ID + 3), Q_READ); /* mov bh */
	assert_int_equal(v.regs.rax, 0x1122334455660588ULL);
	assert_int_equal(v.regs.rcx, 0x1122334455660588ULL);
	assert_int_equal(v.regs.rbx, 0x1122334455660588ULL);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	/* A dword store reaches the register; a word store is dropped; loads see it. */
	v.regs.rbx = 0xffffffff00000040ULL;
	emulated("\x89\x1d\x80\x00\xe0\xfe", APIC(APIC_TPR), Q_WRITE); /* mov [TPR], ebx */
	assert_int_equal(v.lapic.tpr, 0x40);
	emulated("\x66\xc7\x05\x80\x00\xe0\xfe\x30\x00", APIC(APIC_TPR), Q_WRITE); /* mov word [TPR], 30h */
	emulated("\x8b\x0d\x80\x00\xe0\xfe", APIC(APIC_TPR), Q_READ);              /* mov ecx, [TPR] */
	assert_int_equal(v.regs.rcx, 0x40);
	assert_int_equal(env_console_count("outside its RAM"), 0);
}

static void test_unbacked_64(void **state)
{
	(void)state;
	env_guest64(&v); /* the fetch walks the guest's page tables */
	v.regs.rbx = HOLE;
	emulated("\x48\x8b\x03", HOLE, Q_READ); /* mov rax, [rbx] */
	assert_int_equal(v.regs.rax, ~0ULL);
	v.regs.r8 = 0x1122334455667788ULL;
	emulated("\x44\x8b\x03", HOLE, Q_READ); /* mov r8d, [rbx] */
	assert_int_equal(v.regs.r8, 0xffffffff);
	emulated("\x44\x8a\x3b", HOLE, Q_READ); /* mov r15b, [rbx] */
	assert_int_equal(v.regs.r15, 0xff);
	/* RSP lives in the VMCS; with REX, register 4 of a byte load is SPL, not AH. */
	emulated("\x40\x8a\x23", HOLE, Q_READ); /* mov spl, [rbx] */
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP | 0xff);
	v.regs.rax = 0;
	emulated("\x8a\x23", HOLE, Q_READ); /* mov ah, [rbx] */
	assert_int_equal(v.regs.rax, 0xff00);
	emulated("\x48\x8b\x23", HOLE, Q_READ); /* mov rsp, [rbx] */
	assert_int_equal(vmr(GUEST_RSP), ~0ULL);
	v.regs.rax = 0;
	emulated("\x48\xa1\x00\x00\x00\xd0\x00\x00\x00\x00", HOLE, Q_READ); /* mov rax, moffs64 */
	assert_int_equal(v.regs.rax, ~0ULL);
	emulated("\x48\xc7\x03\xff\xff\xff\xff", HOLE, Q_WRITE); /* mov qword [rbx], -1 */
}

static void test_not_emulated(void **state)
{
	(void)state;
	/* Code in a hole: nothing to run. */
	assert_int_equal(violation(CODE("\x90"), HOLE, Q_FETCH), EXIT_STOPPED);
	expect_stop(&v, -1, "instruction fetch at GPA 0xd0000000");
	/* What is not emulated stops the guest, naming the instruction by its bytes. */
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(violation(CODE("\xf7\x25\x00\x00\x00\xd0"), HOLE, Q_READ), EXIT_STOPPED); /* mul */
	expect_stop(&v, -1, "access at GPA 0xd0000000 by an instruction ptvisor does not emulate: [f7 25 00 00 00 d0]");
	assert_true(host_console_contains("instruction [f7 25 00 00 00 d0] at RIP 0x10000 touched GPA 0xd0000000"));
	memset(&v.stop, 0, sizeof(v.stop));
	/* SSE/AVX operands are not emulated (the VMM has no vector registers of its own: -mgeneral-regs-only). */
	assert_int_equal(violation(CODE("\x0f\x10\x05\x00\x00\x00\xd0"), HOLE, Q_READ), EXIT_STOPPED); /* movups */
	expect_stop(&v, -1, "does not emulate: [0f 10 05 00 00 00 d0]");
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(violation(CODE("\xc5\xfc\x11\x05\x00\x00\x00\xd0"), HOLE, Q_WRITE), EXIT_STOPPED);
	expect_stop(&v, -1, "does not emulate: [c5 fc 11 05 00 00 00 d0]"); /* vmovups [HOLE], ymm0 */
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(violation(CODE("\xf0\x89\x05\x00\x00\x00\xd0"), HOLE, Q_WRITE), EXIT_STOPPED); /* LOCK */
	expect_stop(&v, -1, "does not emulate: [f0 89 05 00 00 00 d0 "); /* undecodable: every byte fetched */
	/* Instruction bytes the VMM cannot read (RIP in no RAM). */
	memset(&v.stop, 0, sizeof(v.stop));
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, Q_READ, EXIT_LEN);
	vmw(GUEST_RIP, 0xe0000000);
	vmw(GUEST_PHYSICAL_ADDRESS, HOLE);
	vmw(GUEST_LINEAR_ADDRESS, HOLE);
	assert_int_equal(handle_ept_violation(&v), EXIT_STOPPED);
	assert_true(strstr(v.stop.reason, "does not emulate: [not readable]") != NULL);
	/* An exit during event delivery: the instruction at RIP is not the one that touched the GPA. */
	memset(&v.stop, 0, sizeof(v.stop));
	memcpy(env_gpa(ENV_RIP), "\x8b\x05\x00\x00\x00\xd0", 6);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, Q_WRITE, EXIT_LEN);
	vmw(GUEST_PHYSICAL_ADDRESS, HOLE);
	vmw(GUEST_LINEAR_ADDRESS, HOLE);
	vmw(IDT_VECTORING_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x30);
	assert_int_equal(handle_ept_violation(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "delivery of event vector 48 touched GPA 0xd0000000 (no RAM there): not emulated");
	vmw(IDT_VECTORING_INFO_FIELD, 0);
	/* A hole inside the guest's RAM is ptvisor's mistake, not an unclaimed bus. */
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(ept_unmap(&env.ept, 0x300000, PAGE_SIZE), 0);
	assert_int_equal(violation(CODE("\x8b\x05\x00\x00\x30\x00"), 0x300000, Q_READ), EXIT_STOPPED);
	expect_stop(&v, -1, "unexpected EPT violation");
	/* An asynchronous access (PT output) is nobody's instruction. */
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(violation(CODE("\x90"), HOLE, EPT_VQ_WRITE | EPT_VQ_ASYNC), EXIT_STOPPED);
	expect_stop(&v, -1, "unexpected EPT violation");
	assert_int_equal(env_console_count("outside its RAM"), 0);
}

static void test_report_limit(void **state)
{
	(void)state;
	/* Alternating pages are each reported, up to eight reports in all. */
	for (unsigned i = 0; i < 12; i++) {
		if (i & 1)
			emulated("\x8b\x05\x00\x10\x00\xd0", HOLE + PAGE_SIZE, Q_READ);
		else
			emulated("\x8b\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	}
	assert_int_equal(env_console_count("outside its RAM"), 8);
}

/* A claim and a PT backend that answer what the test says and count their calls. */
static enum ept_fault_result claim_answer, pt_answer;
static unsigned claim_calls, pt_calls;
static enum ept_fault_result claim_fn(void *ctx, const struct ept_violation *ev)
{
	assert_ptr_equal(ctx, &v);
	assert_int_equal(ev->gpa, 0x200010);
	assert_true(ev->write);
	claim_calls++;
	return claim_answer;
}
static int pt_violation(struct vcpu *vc, const struct ept_violation *ev)
{
	assert_ptr_equal(vc, &v);
	(void)ev;
	pt_calls++;
	return pt_answer;
}
static const struct pt_backend_ops pt_fake = { .name = "fake", .ept_violation = pt_violation };

static void test_claims(void **state)
{
	(void)state;
	assert_int_equal(ept_claim(&env.claims, 0x200000, PAGE_SIZE, "test", claim_fn, &v), 0);
	claim_answer = EPT_FAULT_SKIP; /* emulated by its owner: past the instruction, by the exit's length */
	assert_int_equal(violation(CODE("\x90"), 0x200010, Q_WRITE), EXIT_RESUME);
	expect_retired(EXIT_LEN);
	claim_answer = EPT_FAULT_RETRY;
	assert_int_equal(violation(CODE("\x90"), 0x200010, Q_WRITE), EXIT_RESUME);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	/* The PT backend comes first; what it leaves goes to the claims. */
	v.pt_ops = &pt_fake;
	pt_answer = EPT_FAULT_RETRY;
	assert_int_equal(violation(CODE("\x90"), 0x200010, Q_WRITE), EXIT_RESUME);
	assert_int_equal(claim_calls, 2);
	pt_answer = EPT_FAULT_UNHANDLED;
	claim_answer = EPT_FAULT_STOP_GUEST;
	assert_int_equal(violation(CODE("\x90"), 0x200010, Q_WRITE), EXIT_STOPPED);
	expect_stop(&v, -1, "EPT violation: ");
	assert_int_equal(claim_calls, 3);
	assert_int_equal(pt_calls, 2);
	v.pt_ops = &pt_backend_none;
	/* Unhandled by its owner inside RAM: unexpected. */
	memset(&v.stop, 0, sizeof(v.stop));
	claim_answer = EPT_FAULT_UNHANDLED;
	assert_int_equal(violation(CODE("\x90"), 0x200010, Q_WRITE), EXIT_STOPPED);
	expect_stop(&v, -1, "unexpected EPT violation");
}

static void test_misconfig(void **state)
{
	(void)state;
	env_exit(&v, EXIT_REASON_EPT_MISCONFIG, 0, 0);
	vmw(GUEST_PHYSICAL_ADDRESS, 0x123000);
	assert_int_equal(handle_ept_misconfig(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "EPT misconfiguration at GPA 0x123000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unbacked_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbacked_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_emulated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misconfig, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Port I/O exits (exit_io.c) on the CPU model: COM1, unclaimed ports, isa-debug-exit, Bochs shutdown, INS/OUTS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"

/* Exit qualification for I/O instructions (SDM 28.2.1, Table 28-5). */
#define IOQ(port, size, in) (((uint64_t)(port) << 16) | ((size)-1) | ((in) ? BIT(3) : 0))
#define IOQ_STRING          BIT(4)
#define IOQ_REP             BIT(5)
/* VM-exit instruction information for INS/OUTS (SDM 28.2.5, Table 28-8): 32-bit address size, DS. */
#define INFO_ADDR32_DS ((1u << 7) | (3u << 15))

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

static enum exit_action io(uint64_t qual, uint32_t len)
{
	env_exit(&v, EXIT_REASON_IO_INSTRUCTION, qual, len);
	vmw(VMX_INSTRUCTION_INFO, INFO_ADDR32_DS);
	return handle_io(&v);
}

static void out_ok(uint16_t port, unsigned size, uint64_t rax)
{
	v.regs.rax = rax;
	assert_int_equal(io(IOQ(port, size, false), 1), EXIT_RESUME);
	expect_retired(1);
	assert_int_equal(v.regs.rax, rax);
}

/* IN AL/AX/EAX with RAX full of garbage: what the register holds afterwards. */
static uint64_t in_ok(uint16_t port, unsigned size)
{
	v.regs.rax = 0x1122334455667788ULL;
	assert_int_equal(io(IOQ(port, size, true), 2), EXIT_RESUME);
	expect_retired(2);
	return v.regs.rax;
}

static void test_com1(void **state)
{
	(void)state;
	out_ok(0x3f8, 1, 'h');
	out_ok(0x3f8, 1, 0x1234560000000000ULL | 'i');
	assert_false(host_console_contains("[g0] hi"));
	out_ok(0x3f8, 1, '\n');
	assert_true(host_console_contains("[g0] hi\n"));
	/* A word to the scratch register (offset 7): its low byte lands there, the high byte is past COM1. */
	out_ok(0x3ff, 2, 0x5634);
	assert_int_equal(in_ok(0x3ff, 1), 0x1122334455667734ULL);
	assert_int_equal(in_ok(0x3fe, 2), 0x11223344556634b0ULL); /* MSR: DCD DSR CTS, then scratch */
	assert_int_equal(in_ok(0x3fe, 4), 0xffff34b0ULL);         /* bytes past COM1 read FFH */
	assert_int_equal(v.uart.bytes_out, 3);
}

static void test_unclaimed_ports(void **state)
{
	(void)state;
	assert_int_equal(in_ok(0x80, 1), 0x11223344556677ffULL);
	assert_int_equal(in_ok(0x80, 2), 0x112233445566ffffULL);
	assert_int_equal(in_ok(0x80, 4), 0xffffffffULL); /* a 32-bit destination zero-extends */
	assert_int_equal(env_console_count("IN from unclaimed port 0x80 "), 1);
	out_ok(0x81, 1, 0);
	out_ok(0x81, 4, 0);
	assert_int_equal(env_console_count("OUT to unclaimed port 0x81 "), 1);
	/* The two ports ptvisor owns read all ones too, without a report. */
	assert_int_equal(in_ok(0xf4, 1), 0x11223344556677ffULL);
	assert_int_equal(in_ok(0x8900, 2), 0x112233445566ffffULL);
	assert_int_equal(env_console_count("unclaimed port 0xf4 "), 0);
	assert_int_equal(env_console_count("unclaimed port 0x8900 "), 0);
	assert_false(v.stop.requested);
}

/* A sweep over every port: 32 reported, one line saying the rest are not, then silence. */
static void test_unclaimed_reports_capped(void **state)
{
	(void)state;
	for (unsigned port = 0x1000; port < 0x1100; port++)
		assert_int_equal(in_ok((uint16_t)port, 1), 0x11223344556677ffULL);
	out_ok(0x2000, 1, 0);
	assert_int_equal(env_console_count("from unclaimed port"), 32);
	assert_int_equal(env_console_count("IN from unclaimed port 0x101f "), 1);
	assert_int_equal(env_console_count("unclaimed port 0x1020 "), 0);
	assert_int_equal(env_console_count("more than 32 unclaimed ports used: no more reported"), 1);
	assert_int_equal(env_console_count("unclaimed port 0x2000 "), 0);
	assert_false(v.stop.requested);
}

static void test_debug_exit(void **state)
{
	(void)state;
	v.regs.rax = 0xffffff31;
	assert_int_equal(io(IOQ(0xf4, 1, false), 2), EXIT_STOPPED);
	expect_stop(&v, 0xffffff31, "isa-debug-exit");
	/* The value written is the status, at any width. */
	memset(&v.stop, 0, sizeof(v.stop));
	v.regs.rax = 0x12345678;
	assert_int_equal(io(IOQ(0xf4, 4, false), 1), EXIT_STOPPED);
	expect_stop(&v, 0x12345678, "wrote 305419896 to the isa-debug-exit port 0xf4");
}

static void test_bochs_shutdown(void **state)
{
	const char *seq = "SShuXShutdow";

	(void)state;
	/* A false start restarts the match; only "Shutdown" byte by byte ends the guest. */
	for (const char *c = seq; *c; c++)
		out_ok(0x8900, 1, (uint8_t)*c);
	out_ok(0x8900, 2, 'n'); /* a word write is not part of the sequence */
	assert_false(v.stop.requested);
	v.regs.rax = 'n';
	assert_int_equal(io(IOQ(0x8900, 1, false), 1), EXIT_STOPPED);
	expect_stop(&v, 0, "\"Shutdown\" to the Bochs shutdown port 0x8900");
}

static void test_outs_rep(void **state)
{
	(void)state;
	memcpy(env_gpa(0x20000), "abc\n", 4);
	v.regs.rsi = 0x20000;
	v.regs.rcx = 4;
	vmw(GUEST_LINEAR_ADDRESS, 0x20000);
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_true(host_console_contains("[g0] abc\n"));
	assert_int_equal(v.regs.rsi, 0x20004);
	assert_int_equal(v.regs.rcx, 0);
	/* REP with a count of 0 does nothing but retire. */
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rsi, 0x20004);
	assert_int_equal(v.uart.bytes_out, 4);
}

static void test_ins_down(void **state)
{
	uint8_t *ram = env_gpa(0x2fff0);

	(void)state;
	/* DF=1: REP INSB fills downwards from EDI. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_DF);
	v.regs.rdi = 0x30003;
	v.regs.rcx = 4;
	vmw(GUEST_LINEAR_ADDRESS, 0x30003);
	assert_int_equal(io(IOQ(0x80, 1, true) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(ram[0xf], 0);
	assert_int_equal(ram[0x10] & ram[0x11] & ram[0x12] & ram[0x13], 0xff);
	assert_int_equal(ram[0x14], 0);
	assert_int_equal(v.regs.rdi, 0x2ffff);
	assert_int_equal(v.regs.rcx, 0);
	/* INSD without REP: one dword, ECX untouched, EDI down by 4. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
	v.regs.rdi = 0x30008;
	v.regs.rcx = 7;
	vmw(GUEST_LINEAR_ADDRESS, 0x30008);
	assert_int_equal(io(IOQ(0x3fe, 4, true) | IOQ_STRING, 1), EXIT_RESUME);
	expect_retired(1);
	assert_int_equal(*(uint32_t *)&ram[0x18], 0xffff00b0);
	assert_int_equal(v.regs.rdi, 0x3000c);
	assert_int_equal(v.regs.rcx, 7);
}

static void test_string_outside_ram(void **state)
{
	(void)state;
	memcpy(env_gpa(ENV_RAM_SIZE - 2), "xy", 2);
	v.regs.rsi = ENV_RAM_SIZE - 2;
	v.regs.rcx = 4;
	vmw(GUEST_LINEAR_ADDRESS, ENV_RAM_SIZE - 2);
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_STOPPED);
	expect_stop(&v, -1, "touched GPA 0x400000 outside its RAM");
	assert_int_equal(v.uart.bytes_out, 2); /* what was in RAM went out */
	assert_int_equal(v.regs.rsi, ENV_RAM_SIZE);
	assert_int_equal(v.regs.rcx, 2);
	/* INS to a GPA without RAM writes nothing anywhere. */
	memset(&v.stop, 0, sizeof(v.stop));
	v.regs.rdi = 0xd0000000;
	vmw(GUEST_LINEAR_ADDRESS, 0xd0000000);
	assert_int_equal(io(IOQ(0x80, 4, true) | IOQ_STRING, 1), EXIT_STOPPED);
	expect_stop(&v, -1, "touched GPA 0xd0000000 outside its RAM");
	assert_int_equal(v.regs.rdi, 0xd0000000);
}

static void test_string_special_ports(void **state)
{
	(void)state;
	/* OUTSB to isa-debug-exit stops with the byte from memory. */
	*(uint8_t *)env_gpa(0x20000) = 7;
	v.regs.rsi = 0x20000;
	vmw(GUEST_LINEAR_ADDRESS, 0x20000);
	assert_int_equal(io(IOQ(0xf4, 1, false) | IOQ_STRING, 1), EXIT_STOPPED);
	expect_stop(&v, 7, "isa-debug-exit");
}

/* With paging on each element's linear address goes through the guest's page tables. */
static void test_string_paged(void **state)
{
	(void)state;
	env_guest64(&v);                    /* GiBs 0 and 3 identity-mapped */
	vmw(VMX_INSTRUCTION_INFO, 2u << 7); /* 64-bit addresses: RCX, RSI */
	memcpy(env_gpa(0x20000), "ok", 2);
	v.regs.rsi = 0x20000;
	v.regs.rcx = 2;
	vmw(GUEST_LINEAR_ADDRESS, 0x20000);
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	assert_int_equal(v.uart.bytes_out, 2);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rsi, 0x20002);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID, 0);
	/* The third element is on an unmapped page (GiB 1): #PF there, RCX/RSI count the two that went out,
	   RIP stays at the instruction so it restarts. */
	uint64_t la = 0x40000000 - 2;
	v.regs.rsi = la;
	v.regs.rcx = 5;
	vmw(GUEST_LINEAR_ADDRESS, la);
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	assert_int_equal(v.uart.bytes_out, 4);
	assert_int_equal(v.regs.rcx, 3);
	assert_int_equal(v.regs.rsi, 0x40000000);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD),
			 INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | X86_VEC_PF);
	assert_int_equal(v.regs.cr2, 0x40000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_com1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed_reports_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bochs_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outs_rep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ins_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_special_ports, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

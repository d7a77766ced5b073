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
#include "ept/ept.h"
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

static enum exit_action io_info(uint64_t qual, uint32_t len, uint32_t info)
{
	env_exit(&v, EXIT_REASON_IO_INSTRUCTION, qual, len);
	vmw(VMX_INSTRUCTION_INFO, info);
	return handle_io(&v);
}

static enum exit_action io(uint64_t qual, uint32_t len)
{
	return io_info(qual, len, INFO_ADDR32_DS);
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

/* Memory without RAM is the unclaimed bus for INS/OUTS too: all ones out, nothing written in. */
static void test_string_outside_ram(void **state)
{
	(void)state;
	memcpy(env_gpa(ENV_RAM_SIZE - 2), "xy", 2);
	v.regs.rsi = ENV_RAM_SIZE - 2;
	v.regs.rcx = 4;
	assert_int_equal(io(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_memory_equal(v.uart.line, "xy??", 4); /* FFH is shown as ? */
	assert_int_equal(v.uart.bytes_out, 4);
	assert_int_equal(v.regs.rsi, ENV_RAM_SIZE + 2);
	assert_int_equal(v.regs.rcx, 0);
	/* INS to a GPA without RAM writes nothing anywhere. */
	v.regs.rdi = 0xd0000000;
	assert_int_equal(io(IOQ(0x80, 4, true) | IOQ_STRING, 1), EXIT_RESUME);
	expect_retired(1);
	assert_int_equal(v.regs.rdi, 0xd0000004);
	assert_true(host_console_contains("4-byte write at GPA 0xd0000000 outside its RAM: dropped"));
}

/*
 * A REP moves at most a page's worth per exit, then the guest re-enters at the same RIP with RF set and
 * the registers advanced, so interrupts and other guests come between; the last exit retires it.
 */
static void test_rep_bounded(void **state)
{
	(void)state;
	v.regs.rsi = 0x20000;
	v.regs.rcx = 10000;
	for (unsigned i = 1; i <= 2; i++) {
		assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
		assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
		assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);
		assert_true(vmr(GUEST_RFLAGS) & RFLAGS_RF);
		assert_int_equal(v.regs.rcx, 10000 - 4096 * i);
		assert_int_equal(v.regs.rsi, 0x20000 + 4096 * i);
	}
	assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_false(vmr(GUEST_RFLAGS) & RFLAGS_RF);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(v.regs.rsi, 0x20000 + 10000);
	/* REP INSD, DF=1: 1024 dwords per exit, EDI moving down. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_DF);
	v.regs.rdi = 0x300000;
	v.regs.rcx = 1025;
	assert_int_equal(io(IOQ(0x80, 4, true) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_int_equal(v.regs.rcx, 1);
	assert_int_equal(v.regs.rdi, 0x300000 - 4096);
	assert_int_equal(*(uint32_t *)env_gpa(0x300000 - 4092), 0xffffffff);
	assert_int_equal(*(uint32_t *)env_gpa(0x300000 - 4096), 0);
	assert_int_equal(io(IOQ(0x80, 4, true) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rdi, 0x300000 - 4100);
	assert_int_equal(*(uint32_t *)env_gpa(0x300000 - 4096), 0xffffffff);
}

/* RAM the EPT maps read-only (ptvisor's own restriction) takes no INS byte: the guest stops there. */
static void test_ins_read_only_ram(void **state)
{
	(void)state;
	assert_int_equal(ept_protect(&env.ept, 0x31000, PAGE_SIZE, EPT_R | EPT_X), 0);
	memset(env_gpa(0x30ffe), 0x11, 4);
	v.regs.rdi = 0x30ffe;
	v.regs.rcx = 4;
	assert_int_equal(io(IOQ(0x80, 1, true) | IOQ_STRING | IOQ_REP, 2), EXIT_STOPPED);
	expect_stop(&v, -1, "write refused by ptvisor's EPT at GPA 0x31000");
	assert_memory_equal(env_gpa(0x30ffe), "\xff\xff\x11\x11", 4);
	assert_int_equal(v.regs.rdi, 0x31000);
	assert_int_equal(v.regs.rcx, 2);
}

/* Under the guest's TF a REP goes one iteration per exit, each followed by its single-step trap. */
static void test_rep_single_step(void **state)
{
	(void)state;
	v.regs.rsi = 0x20000;
	v.regs.rcx = 2;
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_TF);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_int_equal(v.regs.rcx, 1);
	assert_int_equal(v.regs.rsi, 0x20001);
	assert_int_equal(vmr(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
	assert_true(vmr(GUEST_RFLAGS) & RFLAGS_RF);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rcx, 0);
	assert_int_equal(vmr(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
}

/* 16-bit address size: CX, SI wrap within 64 KiB and the bits above stay; 32-bit zero-extends. */
static void test_string_addr_size(void **state)
{
	(void)state;
	memcpy(env_gpa(0xfffe), "pq", 2);
	*(uint8_t *)env_gpa(0) = 'r';
	v.regs.rsi = 0x1234beeffffeULL;
	v.regs.rcx = 0xdead0003;
	assert_int_equal(io_info(IOQ(0x3f8, 1, false) | IOQ_STRING | IOQ_REP, 3, 3u << 15), EXIT_RESUME);
	expect_retired(3);
	assert_memory_equal(v.uart.line, "pqr", 3);
	assert_int_equal(v.regs.rsi, 0x1234beef0001ULL);
	assert_int_equal(v.regs.rcx, 0xdead0000);
	/* 32-bit address size writes ESI/ECX zero-extended. */
	v.regs.rsi = 0xffffffff0000fffeULL;
	v.regs.rcx = 0x100000001ULL;
	assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rsi, 0xffff);
	assert_int_equal(v.regs.rcx, 0);
}

/* The operand's segment is checked: OUTS past DS's limit takes #GP at that element, INS uses ES. */
static void test_string_segment(void **state)
{
	(void)state;
	vmw(GUEST_DS_LIMIT, 0x20001);
	v.regs.rsi = 0x20000;
	v.regs.rcx = 4;
	assert_int_equal(io(IOQ(0x80, 1, false) | IOQ_STRING | IOQ_REP, 2), EXIT_RESUME);
	expect_gp();
	assert_int_equal(v.regs.rsi, 0x20002);
	assert_int_equal(v.regs.rcx, 2);
	/* An FS override for OUTS reads FS:rSI; INS ignores the field and writes ES:rDI. */
	vmw(GUEST_FS_BASE, 0x10000);
	*(uint8_t *)env_gpa(0x30000) = 'f';
	v.regs.rsi = 0x20000;
	assert_int_equal(io_info(IOQ(0x3f8, 1, false) | IOQ_STRING, 2, (1u << 7) | (4u << 15)), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.uart.line[0], 'f');
	v.regs.rdi = 0x20000;
	assert_int_equal(io_info(IOQ(0x3fa, 1, true) | IOQ_STRING, 2, (1u << 7) | (4u << 15)), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(*(uint8_t *)env_gpa(0x20000), 0x01); /* IIR: no interrupt pending */
	assert_int_equal(*(uint8_t *)env_gpa(0x30000), 'f');
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
		cmocka_unit_test_setup_teardown(test_rep_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_single_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ins_read_only_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_addr_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_segment, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

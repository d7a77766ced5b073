/* VMCALL exits (hypercall.c) on the CPU model: the ptvisor hypercall ABI, its argument checks and registration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "hypercall_abi.h"
#include "mem/frame.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/hypercall.h"

#define TEXT_GPA  0x20000ULL
#define STATS_GPA 0x21000ULL

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

static enum exit_action vmcall(uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	v.regs.rax = rax;
	v.regs.rbx = rbx;
	v.regs.rcx = rcx;
	v.regs.rdx = rdx;
	env_exit(&v, EXIT_REASON_VMCALL, 0, 3);
	return handle_vmcall(&v);
}

/* A call that returns: RIP past VMCALL, the result in RAX. */
static uint64_t call_at(uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx, const char *file, int line)
{
	_assert_int_equal(vmcall(rax, rbx, rcx, rdx), EXIT_RESUME, file, line);
	env_expect_retired(3, file, line);
	return v.regs.rax;
}
#define call(...) call_at(__VA_ARGS__, __FILE__, __LINE__)

static void test_cpl3(void **state)
{
	(void)state;
	env_cpl(3);
	assert_int_equal(vmcall(PTV_HC_NULL, 0, 0, 0), EXIT_RESUME);
	expect_ud();
	assert_int_equal(v.regs.rax, PTV_HC_NULL);
	assert_int_equal(vmcall(PTV_HC_SHUTDOWN, 0, 0, 0), EXIT_RESUME);
	expect_ud();
	assert_false(v.stop.requested);
	assert_int_equal(v.stats.hypercalls, 0);
}

static void test_null_and_version(void **state)
{
	(void)state;
	/* The call number is EAX: the upper half of RAX is not part of it. */
	assert_int_equal(call(0xffffffff00000000ULL | PTV_HC_NULL, 7, 8, 9), PTV_HC_OK);
	assert_int_equal(v.regs.rbx, 7);
	assert_int_equal(call(PTV_HC_VERSION, ~0ULL, 8, 9), 0x00010000);
	assert_int_equal(v.regs.rbx, PTV_HC_SIGNATURE);
	assert_int_equal(v.regs.rcx, 8);
	assert_int_equal(v.regs.rdx, 9);
	assert_int_equal(v.stats.hypercalls, 2);
}

static void test_console_write(void **state)
{
	(void)state;
	memcpy(env_gpa(TEXT_GPA), "hello\x01\n!", 8);
	/* Outside 64-bit mode the arguments are EBX, ECX: garbage above is ignored. */
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, 0x100000000ULL | TEXT_GPA, 0x200000000ULL | 8, 0), 8);
	assert_true(host_console_contains("[g0] (console) hello? !\n")); /* control characters defused */
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, PTV_HC_CONSOLE_MAX, 0), PTV_HC_CONSOLE_MAX);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, 0, 0), 0);
	/* Errors come back as 32-bit negative numbers. */
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, PTV_HC_CONSOLE_MAX + 1, 0), (uint32_t)PTV_HC_EINVAL);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, 0xffffffff, 0), (uint32_t)PTV_HC_EINVAL);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, 0xd0000000, 4, 0), (uint32_t)PTV_HC_EFAULT);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, ENV_RAM_SIZE - 4, 8, 0), (uint32_t)PTV_HC_EFAULT);
	/* In 64-bit mode all 64 bits count, and so does the sign of the result. */
	env_guest64(&v);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, 0x100000000ULL | TEXT_GPA, 8, 0), (uint64_t)PTV_HC_EFAULT);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, 0x100000008ULL, 0), (uint64_t)PTV_HC_EINVAL);
	assert_int_equal(call(PTV_HC_CONSOLE_WRITE, TEXT_GPA, 5, 0), 5);
	assert_int_equal(env_console_count("(console) hello"), 3);
}

static void test_stats(void **state)
{
	const struct ptv_hc_stats *st = env_gpa(STATS_GPA);
	struct frame_stats fs;

	(void)state;
	v.stats.exits = 10;
	v.stats.by_reason[EXIT_REASON_PREEMPTION_TIMER] = 3;
	v.stats.by_reason[EXIT_REASON_EXTERNAL_INTERRUPT] = 2;
	v.stats.ept_violations = 4;
	v.stats.hypercalls = 6;
	assert_int_equal(call(PTV_HC_STATS, STATS_GPA, 0, 0), PTV_HC_OK);
	frame_get_stats(&fs);
	assert_int_equal(st->exits, 5); /* time-slice exits are the VMM's */
	assert_int_equal(st->hypercalls, 7);
	assert_int_equal(st->vmm_free_frames, fs.free_frames);
	assert_int_equal(st->ept_violations, 4);
	assert_int_equal(call(PTV_HC_STATS, ENV_RAM_SIZE - 8, 0, 0), (uint32_t)PTV_HC_EFAULT);
	assert_int_equal(call(PTV_HC_STATS, 0xfee00000, 0, 0), (uint32_t)PTV_HC_EFAULT);
}

static void test_shutdown(void **state)
{
	(void)state;
	assert_int_equal(vmcall(PTV_HC_SHUTDOWN, 0xffffffff, 0, 0), EXIT_STOPPED);
	expect_stop(&v, -1, "shutdown hypercall with status -1");
	memset(&v.stop, 0, sizeof(v.stop));
	env_guest64(&v);
	assert_int_equal(vmcall(PTV_HC_SHUTDOWN, 0x100000003ULL, 0, 0), EXIT_STOPPED);
	expect_stop(&v, 3, "status 3");
}

static void test_unknown(void **state)
{
	static const uint64_t unknown[] = { PTV_HC_INFO, PTV_HC_PT_HOST_READ, PTV_HC_COUNT, 99, 0xffffffff };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(unknown); i++) {
		assert_int_equal(call(unknown[i], 1, 2, 3), (uint32_t)PTV_HC_ENOSYS);
		assert_int_equal(v.regs.rbx, 1);
		assert_int_equal(v.regs.rcx, 2);
		assert_int_equal(v.regs.rdx, 3);
	}
	env_guest64(&v);
	assert_int_equal(call(99, 1, 2, 3), (uint64_t)PTV_HC_ENOSYS);
	assert_false(v.stop.requested);
}

static uint64_t got[3];
static int64_t info_call(struct vcpu *vc, uint64_t a1, uint64_t a2, uint64_t a3)
{
	assert_ptr_equal(vc, &v);
	got[0] = a1, got[1] = a2, got[2] = a3;
	return 0x100000005LL;
}

static void test_registered(void **state)
{
	(void)state;
	hypercall_register(PTV_HC_INFO, info_call);
	assert_ptr_equal(hypercall_registered(PTV_HC_INFO), info_call);
	/* Outside 64-bit mode: EBX, ECX, EDX in, EAX out. */
	assert_int_equal(call(PTV_HC_INFO, 0xaaaaaaaa00000001ULL, 0xbbbbbbbb00000002ULL, 0xcccccccc00000003ULL), 5);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 3);
	env_guest64(&v);
	assert_int_equal(call(PTV_HC_INFO, 0xaaaaaaaa00000001ULL, 0xbbbbbbbb00000002ULL, 0xcccccccc00000003ULL),
			 0x100000005ULL);
	assert_int_equal(got[0], 0xaaaaaaaa00000001ULL);
	assert_int_equal(got[2], 0xcccccccc00000003ULL);
	hypercall_register(PTV_HC_INFO, NULL);
	assert_int_equal(call(PTV_HC_INFO, 0, 0, 0), (uint64_t)PTV_HC_ENOSYS);
	assert_null(hypercall_registered(PTV_HC_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cpl3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registered, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The EPT outside view (ept_view.c): the base's mappings with execute taken away but on learned
 * pages (which lose write instead), kept in step with every change to the base, learned pages
 * forgotten when written by the guest or through ept_write_guest, a bounded learned set, INVEPT of
 * both EPTPs, and all its tables given back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "ept_env.h"
#include "cpu.h"
#include "ept/ept_view.h"
#include "ept/ept_violation.h"

#define RAM_HPA (32 * MiB)

static const struct ept_caps caps = { .pages_2m = true, .wb = true, .invept_single = true };
static struct ept base;
static struct ept_view view;
static unsigned invepts;
static uint64_t invept_eptp[8];

/* The CPU's INVEPT, single-context only (the EPTPs are recorded). */
enum vmx_status cpu_invept(uint64_t type, uint64_t eptp)
{
	assert_int_equal(type, INVEPT_SINGLE_CONTEXT);
	invept_eptp[invepts++ % 8] = eptp;
	return VMX_OK;
}

/* Guest RAM [0, 4 MiB) RWX in two 2-MiB pages, and one read-only 4-KiB page at 8 MiB. */
static void setup_base(void)
{
	assert_int_equal(ept_init(&base, &caps), 0);
	assert_int_equal(ept_map(&base, 0, RAM_HPA, 4 * MiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&base, 8 * MiB, RAM_HPA + 8 * MiB, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(ept_view_init(&view, &base), 0);
	invepts = 0;
}

static enum ept_view_fault fault(uint64_t qual, uint64_t gpa)
{
	struct ept_violation ev;

	ept_violation_decode(qual, gpa, 0, &ev);
	return ept_view_fault(&view, &ev);
}

static void test_view_mirrors_without_execute(void **state)
{
	(void)state;
	setup_base();
	assert_ptr_equal(base.follower, &view.follower);
	/* Large pages stay large; only execute goes. */
	expect_xlate(&view.ept, 0x1234, RAM_HPA + 0x1234, EPT_R | EPT_W, 2);
	expect_xlate(&view.ept, 3 * MiB, RAM_HPA + 3 * MiB, EPT_R | EPT_W, 2);
	expect_xlate(&view.ept, 8 * MiB + 8, RAM_HPA + 8 * MiB + 8, EPT_R, 1);
	expect_absent(&view.ept, 4 * MiB);
	expect_absent(&view.ept, 16 * MiB);
	/* The base is as it was. */
	expect_xlate(&base, 0x1234, RAM_HPA + 0x1234, EPT_RWX, 2);
	ept_destroy(&base);
	assert_null(base.follower);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_view_learns_and_faults(void **state)
{
	(void)state;
	setup_base();
	/* A fetch from a page not learned, that the base allows: the owner's decision. */
	assert_int_equal(fault(EPT_VQ_FETCH | (EPT_R | EPT_W) << EPT_VQ_PERM_SHIFT, 0x3010), EPT_VIEW_FETCH);
	ept_view_learn(&view, 0x3010);
	assert_true(ept_view_is_learned(&view, 0x3ff0));
	assert_int_equal(view.st.learned, 1);
	/* Executable and read-only there, the 2-MiB page around it split into 4-KiB ones. */
	expect_xlate(&view.ept, 0x3000, RAM_HPA + 0x3000, EPT_R | EPT_X, 1);
	expect_xlate(&view.ept, 0x4000, RAM_HPA + 0x4000, EPT_R | EPT_W, 1);
	expect_xlate(&view.ept, 2 * MiB, RAM_HPA + 2 * MiB, EPT_R | EPT_W, 2);
	assert_int_equal(invepts, 1);
	assert_int_equal(invept_eptp[0], ept_eptp(&view.ept));
	/* The guest writes it: forgotten, and the write goes through on retry. */
	assert_int_equal(fault(EPT_VQ_WRITE | (EPT_R | EPT_X) << EPT_VQ_PERM_SHIFT, 0x3008), EPT_VIEW_RETRY);
	assert_false(ept_view_is_learned(&view, 0x3000));
	assert_int_equal(view.st.unlearned, 1);
	expect_xlate(&view.ept, 0x3000, RAM_HPA + 0x3000, EPT_R | EPT_W, 1);
	/* What the base forbids is the base's handlers' business. */
	assert_int_equal(fault(EPT_VQ_WRITE | EPT_R << EPT_VQ_PERM_SHIFT, 8 * MiB), EPT_VIEW_BASE);
	assert_int_equal(fault(EPT_VQ_READ, 16 * MiB), EPT_VIEW_BASE);
	assert_int_equal(fault(EPT_VQ_FETCH | EPT_R << EPT_VQ_PERM_SHIFT, 8 * MiB), EPT_VIEW_BASE);
	ept_destroy(&base);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_view_follows_base(void **state)
{
	(void)state;
	setup_base();
	ept_view_learn(&view, 0x3000);
	/* The block engine write-protects code pages: the view follows page by page. */
	assert_int_equal(ept_protect(&base, 0x3000, PAGE_SIZE, EPT_R | EPT_X), 0);
	assert_int_equal(ept_protect(&base, 0x6000, PAGE_SIZE, EPT_R | EPT_X), 0);
	expect_xlate(&view.ept, 0x3000, RAM_HPA + 0x3000, EPT_R | EPT_X, 1);
	expect_xlate(&view.ept, 0x6000, RAM_HPA + 0x6000, EPT_R, 1);
	expect_xlate(&view.ept, 0x7000, RAM_HPA + 0x7000, EPT_R | EPT_W, 1);
	/* A write to the protected page is the base's (the block engine's) to handle. */
	assert_int_equal(fault(EPT_VQ_WRITE | EPT_R << EPT_VQ_PERM_SHIFT, 0x6000), EPT_VIEW_BASE);
	assert_int_equal(ept_protect(&base, 0x6000, PAGE_SIZE, EPT_RWX), 0);
	expect_xlate(&view.ept, 0x6000, RAM_HPA + 0x6000, EPT_R | EPT_W, 1);
	/* Unmapped and mapped ranges. */
	assert_int_equal(ept_unmap(&base, 0x7000, PAGE_SIZE), 0);
	expect_absent(&view.ept, 0x7000);
	assert_int_equal(ept_map(&base, 16 * MiB, RAM_HPA + 16 * MiB, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	expect_xlate(&view.ept, 16 * MiB + 5, RAM_HPA + 16 * MiB + 5, EPT_R | EPT_W, 2);
	/* A remap of a learned page keeps it learned at its new host page. */
	assert_int_equal(ept_map(&base, 0x3000, RAM_HPA + 20 * MiB, PAGE_SIZE, EPT_RWX, EPT_MT_WB), 0);
	expect_xlate(&view.ept, 0x3000, RAM_HPA + 20 * MiB, EPT_R | EPT_X, 1);
	/* INVEPT of the base takes the view's EPTP too. */
	invepts = 0;
	assert_int_equal(ept_invalidate(&base), 0);
	assert_int_equal(invepts, 2);
	assert_int_equal(invept_eptp[0], ept_eptp(&base));
	assert_int_equal(invept_eptp[1], ept_eptp(&view.ept));
	ept_destroy(&base);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_view_vmm_writes_unlearn(void **state)
{
	uint8_t buf[4] = { 1, 2, 3, 4 };

	(void)state;
	setup_base();
	ept_view_learn(&view, 0x3000);
	ept_view_learn(&view, 0x5000);
	/* ptvisor's write elsewhere leaves both; one across 0x3fff..0x4002 forgets 0x3000 only. */
	assert_int_equal(ept_write_guest(&base, 0x10000, buf, sizeof(buf)), sizeof(buf));
	assert_true(ept_view_is_learned(&view, 0x3000));
	assert_int_equal(ept_write_guest(&base, 0x3ffe, buf, sizeof(buf)), sizeof(buf));
	assert_false(ept_view_is_learned(&view, 0x3000));
	assert_true(ept_view_is_learned(&view, 0x5000));
	expect_xlate(&view.ept, 0x3000, RAM_HPA + 0x3000, EPT_R | EPT_W, 1);
	ept_destroy(&base);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_view_bounded(void **state)
{
	(void)state;
	setup_base();
	assert_int_equal(ept_map(&base, 4 * MiB, RAM_HPA + 4 * MiB, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	for (unsigned i = 0; i <= EPT_VIEW_LEARN_MAX; i++)
		ept_view_learn(&view, (uint64_t)i * PAGE_SIZE);
	assert_int_equal(view.n, EPT_VIEW_LEARN_MAX);
	assert_int_equal(view.st.evicted, 1);
	/* One gave way (the first, as the set was full for the first time). */
	assert_false(ept_view_is_learned(&view, 0));
	expect_xlate(&view.ept, 0, RAM_HPA, EPT_R | EPT_W, 1);
	uint64_t newest = (uint64_t)EPT_VIEW_LEARN_MAX * PAGE_SIZE;
	expect_xlate(&view.ept, newest, RAM_HPA + newest, EPT_R | EPT_X, 1);
	/* Destroyed on its own, the view leaves the base alone. */
	ept_view_destroy(&view);
	assert_null(base.follower);
	expect_xlate(&base, 0, RAM_HPA, EPT_RWX, 2);
	ept_destroy(&base);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_view_mirrors_without_execute, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_view_learns_and_faults, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_view_follows_base, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_view_vmm_writes_unlearn, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_view_bounded, ept_env_setup, ept_env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* EPT builder: capabilities, EPTP, page-size choice, argument checks and frame accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "ept_env.h"
#include "ept/ept.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"

static void test_caps_and_eptp(void **state)
{
	(void)state;
	struct ept_caps c;

	ept_caps_from_msr(BIT(0) | BIT(6) | BIT(8) | BIT(14) | BIT(16) | BIT(17) | BIT(21), &c);
	assert_true(c.exec_only && c.uc && c.wb && c.pages_2m && c.pages_1g && c.ad);
	ept_caps_from_msr(BIT(6) | BIT(14) | BIT(16), &c);
	assert_true(c.wb && c.pages_2m);
	assert_false(c.exec_only || c.uc || c.pages_1g || c.ad);

	struct ept e;
	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	assert_int_equal(e.table_pages, 1);
	assert_true(e.pml4 >= 1 * MiB && IS_ALIGNED(e.pml4, PAGE_SIZE));
	/* WB (6), walk length 4 encoded as 3 in bits 5:3, A/D bit 6 clear. */
	assert_int_equal(ept_eptp(&e), e.pml4 | 0x1e);
	e.caps = (struct ept_caps){ .uc = true };
	assert_int_equal(ept_eptp(&e), e.pml4 | 0x18);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_page_size_by_caps(void **state)
{
	(void)state;
	const struct ept_caps *caps[] = { &ept_caps_all, &ept_caps_2m, &ept_caps_4k };
	const uint64_t pages[] = { 2, 3, 3 + 512 };
	const unsigned level[] = { 3, 2, 1 };

	for (unsigned i = 0; i < 3; i++) {
		struct ept e;
		assert_int_equal(ept_init(&e, caps[i]), 0);
		assert_int_equal(ept_map(&e, 1 * GiB, 2 * GiB, 1 * GiB, EPT_RWX, EPT_MT_WB), 0);
		assert_int_equal(e.table_pages, pages[i]);
		assert_int_equal(ept_env_initial_free - ept_env_free_frames(), pages[i]);
		expect_xlate(&e, 1 * GiB, 2 * GiB, EPT_RWX, level[i]);
		expect_xlate(&e, 2 * GiB - 1, 3 * GiB - 1, EPT_RWX, level[i]);
		expect_absent(&e, 1 * GiB - 1);
		expect_absent(&e, 2 * GiB);
		ept_destroy(&e);
		assert_int_equal(e.table_pages, 0);
		assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
	}
}

static void test_mixed_alignment(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	/* gpa and hpa congruent mod 2M: 4K head, two 2M pages, 4K tail. */
	assert_int_equal(ept_map(&e, 2 * MiB - 4 * KiB, 1 * GiB + 2 * MiB - 4 * KiB, 4 * MiB + 8 * KiB, EPT_R | EPT_W,
				 EPT_MT_WB),
			 0);
	expect_xlate(&e, 2 * MiB - 4 * KiB, 1 * GiB + 2 * MiB - 4 * KiB, EPT_R | EPT_W, 1);
	expect_xlate(&e, 2 * MiB, 1 * GiB + 2 * MiB, EPT_R | EPT_W, 2);
	expect_xlate(&e, 4 * MiB + 123, 1 * GiB + 4 * MiB + 123, EPT_R | EPT_W, 2);
	expect_xlate(&e, 6 * MiB, 1 * GiB + 6 * MiB, EPT_R | EPT_W, 1);
	expect_absent(&e, 2 * MiB - 8 * KiB);
	expect_absent(&e, 6 * MiB + 4 * KiB);
	/* PML4 + PDPT + PD + the PTs holding the head and the tail. */
	assert_int_equal(e.table_pages, 5);

	/* gpa 2M-aligned but hpa only 4K-aligned: 4K pages only, in one new PT. */
	assert_int_equal(ept_map(&e, 8 * MiB, 1 * GiB + 4 * KiB, 2 * MiB, EPT_R, EPT_MT_UC), 0);
	assert_int_equal(e.table_pages, 6);
	expect_xlate(&e, 8 * MiB, 1 * GiB + 4 * KiB, EPT_R, 1);
	expect_xlate(&e, 10 * MiB - 4 * KiB, 1 * GiB + 2 * MiB, EPT_R, 1);

	/* gpa 1G-aligned, hpa only 2M-aligned: 2M pages. */
	assert_int_equal(ept_map(&e, 1 * GiB, 4 * GiB + 2 * MiB, 1 * GiB, EPT_RWX, EPT_MT_WB), 0);
	expect_xlate(&e, 1 * GiB, 4 * GiB + 2 * MiB, EPT_RWX, 2);
	expect_xlate(&e, 2 * GiB - 1, 5 * GiB + 2 * MiB - 1, EPT_RWX, 2);
	assert_int_equal(e.table_pages, 7);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_rejects_bad_arguments(void **state)
{
	(void)state;
	struct ept e;
	const unsigned bad_perms[] = { 0, EPT_W, EPT_W | EPT_X, EPT_X, 8, EPT_RWX | 8 };
	const unsigned bad_mt[] = { 2, 3, 7, 8 };

	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_perms); i++)
		assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, bad_perms[i], EPT_MT_WB), -1);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_mt); i++)
		assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_R, bad_mt[i]), -1);
	assert_int_equal(ept_map(&e, 0x800, 0, PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, 0, 0x800, PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, 0, 0, 0x800, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, 0, 0, 0, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, (1ULL << 48) - PAGE_SIZE, 0, 2 * PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, 0, (1ULL << 52) - PAGE_SIZE, 2 * PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_int_equal(ept_map(&e, ~0ULL - 0xfff, 0, 2 * PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_true(host_console_contains("ept_map: bad permissions 0x2"));
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(ept_env_initial_free - ept_env_free_frames(), 1);
	expect_absent(&e, 0);

	/* The highest page of the 48-bit space and every valid memory type are fine. */
	assert_int_equal(ept_map(&e, (1ULL << 48) - PAGE_SIZE, 0, PAGE_SIZE, EPT_R, EPT_MT_WP), 0);
	assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_R, EPT_MT_WT), 0);
	assert_int_equal(ept_map(&e, PAGE_SIZE, 0, PAGE_SIZE, EPT_R, EPT_MT_WC), 0);
	assert_int_equal(ept_protect(&e, 0, PAGE_SIZE, EPT_W), -1);
	ept_destroy(&e);

	/* Execute-only only where the CPU supports it. */
	struct ept_caps xo = ept_caps_4k;
	xo.exec_only = true;
	assert_int_equal(ept_init(&e, &xo), 0);
	assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_X, EPT_MT_WB), 0);
	expect_xlate(&e, 0, 0, EPT_X, 1);
	assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_W | EPT_X, EPT_MT_WB), -1);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_only_requested_pages(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	assert_int_equal(ept_map(&e, 0x3000, 0x7000, 0x2000, EPT_R, EPT_MT_WB), 0);
	expect_absent(&e, 0x2fff);
	expect_xlate(&e, 0x3000, 0x7000, EPT_R, 1);
	expect_xlate(&e, 0x4fff, 0x8fff, EPT_R, 1);
	expect_absent(&e, 0x5000);
	for (uint64_t gpa = 0x5000; gpa < 2 * MiB; gpa += PAGE_SIZE)
		expect_absent(&e, gpa);
	ept_destroy(&e);
}

static void test_out_of_memory_and_destroy(void **state)
{
	(void)state;
	struct ept e;
	const struct mem_range tiny[] = { { 1 * MiB, 3 * PAGE_SIZE, MEM_USABLE } };

	assert_int_equal(frame_init(tiny, 1, NULL, 0), 3);
	assert_int_equal(ept_init(&e, &ept_caps_4k), 0);
	/* Needs a PDPT, a PD and a PT: only two frames are left. */
	assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_R, EPT_MT_WB), -1);
	assert_true(host_console_contains("out of table memory"));
	assert_int_equal(ept_env_free_frames(), 0);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), 3);
	assert_int_equal(e.pml4, 0);

	assert_int_equal(frame_init(tiny, 1, NULL, 0), 3);
	struct ept none;
	assert_int_equal(frame_alloc() != 0, 1);
	assert_int_equal(frame_alloc() != 0, 1);
	assert_int_equal(frame_alloc() != 0, 1);
	assert_int_equal(ept_init(&none, &ept_caps_4k), -1);
	assert_int_equal(none.pml4, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caps_and_eptp, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_page_size_by_caps, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_alignment, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_arguments, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_only_requested_pages, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory_and_destroy, ept_env_setup, ept_env_teardown),
	};
	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}

/* EPT range changes: large-page splits, protect, unmap and the tables they allocate and free. */
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

static void test_split_2m_for_4k_protect(void **state)
{
	(void)state;
	struct ept e;
	struct ept_xlate x;
	const paddr_t base = 0x4000000;

	assert_int_equal(ept_init(&e, &ept_caps_2m), 0);
	assert_int_equal(ept_map(&e, 2 * MiB, base, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 3);
	assert_int_equal(ept_protect(&e, 2 * MiB + 5 * PAGE_SIZE, PAGE_SIZE, EPT_R), 0);
	assert_int_equal(e.table_pages, 4);
	for (unsigned i = 0; i < 512; i++) {
		assert_true(ept_translate(&e, 2 * MiB + i * PAGE_SIZE + 7, &x));
		assert_int_equal(x.level, 1);
		assert_int_equal(x.hpa, base + i * PAGE_SIZE + 7);
		assert_int_equal(x.memtype, EPT_MT_WB);
		assert_int_equal(x.perms, i == 5 ? EPT_R : EPT_RWX);
	}
	expect_absent(&e, 4 * MiB);
	expect_absent(&e, 2 * MiB - 1);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_split_1g_twice_and_whole_protect(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	assert_int_equal(ept_map(&e, 0, 8 * GiB, 1 * GiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 2);
	/* A whole large page changes in place. */
	assert_int_equal(ept_protect(&e, 0, 1 * GiB, EPT_R | EPT_X), 0);
	assert_int_equal(e.table_pages, 2);
	expect_xlate(&e, 12345, 8 * GiB + 12345, EPT_R | EPT_X, 3);
	/* A 4K page in it: 1G -> 2M pages -> 4K pages. */
	assert_int_equal(ept_protect(&e, 6 * MiB + 8 * KiB, 4 * KiB, EPT_R | EPT_W), 0);
	assert_int_equal(e.table_pages, 4);
	expect_xlate(&e, 6 * MiB + 8 * KiB, 8 * GiB + 6 * MiB + 8 * KiB, EPT_R | EPT_W, 1);
	expect_xlate(&e, 6 * MiB + 4 * KiB, 8 * GiB + 6 * MiB + 4 * KiB, EPT_R | EPT_X, 1);
	expect_xlate(&e, 4 * MiB, 8 * GiB + 4 * MiB, EPT_R | EPT_X, 2);
	expect_xlate(&e, 1 * GiB - 1, 9 * GiB - 1, EPT_R | EPT_X, 2);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_protect_needs_mapping(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_2m), 0);
	assert_int_equal(ept_map(&e, 0, 32 * MiB, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	/* Runs into the hole at 2M: refused, and nothing changed (no split either). */
	assert_int_equal(ept_protect(&e, 1 * MiB, 2 * MiB, EPT_R), -1);
	assert_true(host_console_contains("not mapped throughout"));
	assert_int_equal(e.table_pages, 3);
	expect_xlate(&e, 1 * MiB, 33 * MiB, EPT_RWX, 2);
	assert_int_equal(ept_protect(&e, 0, 2 * MiB, 0), -1);
	ept_destroy(&e);
}

static void test_large_map_over_small_frees_tables(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_2m), 0);
	assert_int_equal(ept_map(&e, 2 * MiB, 40 * MiB + 4 * KiB, 2 * MiB, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 4);
	expect_xlate(&e, 2 * MiB, 40 * MiB + 4 * KiB, EPT_R, 1);
	assert_int_equal(ept_map(&e, 2 * MiB, 44 * MiB, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 3);
	assert_int_equal(ept_env_initial_free - ept_env_free_frames(), 3);
	expect_xlate(&e, 3 * MiB, 45 * MiB, EPT_RWX, 2);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

static void test_unmap(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &ept_caps_all), 0);
	assert_int_equal(ept_map(&e, 0, 16 * MiB, 4 * MiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 1 * GiB, 2 * GiB, 1 * GiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 3);
	/* A 4K hole in a 2M page: split, neighbours keep their host pages. */
	assert_int_equal(ept_unmap(&e, 2 * MiB + 4 * KiB, 4 * KiB), 0);
	assert_int_equal(e.table_pages, 4);
	expect_absent(&e, 2 * MiB + 4 * KiB);
	expect_xlate(&e, 2 * MiB, 18 * MiB, EPT_RWX, 1);
	expect_xlate(&e, 2 * MiB + 8 * KiB, 18 * MiB + 8 * KiB, EPT_RWX, 1);
	expect_xlate(&e, 0, 16 * MiB, EPT_RWX, 2);
	/* Unmapping what is not mapped is fine. */
	assert_int_equal(ept_unmap(&e, 2 * MiB + 4 * KiB, 4 * KiB), 0);
	assert_int_equal(ept_unmap(&e, 100 * GiB, 1 * GiB), 0);
	/* The whole first GiB: the PD and its PT go away with it. */
	assert_int_equal(ept_unmap(&e, 0, 1 * GiB), 0);
	assert_int_equal(e.table_pages, 2);
	expect_absent(&e, 0);
	expect_absent(&e, 2 * MiB);
	expect_xlate(&e, 1 * GiB, 2 * GiB, EPT_RWX, 3);
	/* Part of a 1G page: split into 2M pages, one removed. */
	assert_int_equal(ept_unmap(&e, 1 * GiB + 2 * MiB, 2 * MiB), 0);
	assert_int_equal(e.table_pages, 3);
	expect_absent(&e, 1 * GiB + 3 * MiB);
	expect_xlate(&e, 1 * GiB + 4 * MiB, 2 * GiB + 4 * MiB, EPT_RWX, 2);
	expect_xlate(&e, 1 * GiB + 2 * MiB - 1, 2 * GiB + 2 * MiB - 1, EPT_RWX, 2);
	assert_int_equal(ept_unmap(&e, 1, 4 * KiB), -1);
	ept_destroy(&e);
	assert_int_equal(ept_env_free_frames(), ept_env_initial_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_2m_for_4k_protect, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_split_1g_twice_and_whole_protect, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_protect_needs_mapping, ept_env_setup, ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_large_map_over_small_frees_tables, ept_env_setup,
						ept_env_teardown),
		cmocka_unit_test_setup_teardown(test_unmap, ept_env_setup, ept_env_teardown),
	};
	return cmocka_run_group_tests_name("ept_range", tests, NULL, NULL);
}

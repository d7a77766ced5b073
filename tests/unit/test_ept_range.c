/* EPT range changes: large-page splits, protect, unmap and the tables they allocate and free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "ept/ept.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static const struct ept_caps caps_all = { .pages_2m = true, .pages_1g = true, .wb = true, .uc = true };
static const struct ept_caps caps_2m = { .pages_2m = true, .wb = true };

static uint64_t initial_free;

static uint64_t free_frames(void)
{
	struct frame_stats st;

	frame_get_stats(&st);
	return st.free_frames;
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	phys_arena_init(64 * MiB);
	const struct mem_range map[] = { { 1 * MiB, 63 * MiB, MEM_USABLE } };
	initial_free = frame_init(map, 1, NULL, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	phys_arena_free();
	return 0;
}

/* Translates gpa and checks the whole result. */
static void expect_xlate(const struct ept *e, uint64_t gpa, paddr_t hpa, unsigned perms, unsigned level)
{
	struct ept_xlate x;

	assert_true(ept_translate(e, gpa, &x));
	assert_true(x.present);
	assert_false(x.misconfig);
	assert_int_equal(x.hpa, hpa);
	assert_int_equal(x.perms, perms);
	assert_int_equal(x.level, level);
}

static void expect_absent(const struct ept *e, uint64_t gpa)
{
	struct ept_xlate x;

	assert_false(ept_translate(e, gpa, &x));
	assert_false(x.present);
	assert_false(x.misconfig);
}

static void test_split_2m_for_4k_protect(void **state)
{
	(void)state;
	struct ept e;
	struct ept_xlate x;
	const paddr_t base = 0x4000000;

	assert_int_equal(ept_init(&e, &caps_2m), 0);
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
	assert_int_equal(free_frames(), initial_free);
}

static void test_split_1g_twice_and_whole_protect(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &caps_all), 0);
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
	assert_int_equal(free_frames(), initial_free);
}

static void test_protect_needs_mapping(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &caps_2m), 0);
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

	assert_int_equal(ept_init(&e, &caps_2m), 0);
	assert_int_equal(ept_map(&e, 2 * MiB, 40 * MiB + 4 * KiB, 2 * MiB, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 4);
	expect_xlate(&e, 2 * MiB, 40 * MiB + 4 * KiB, EPT_R, 1);
	assert_int_equal(ept_map(&e, 2 * MiB, 44 * MiB, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(e.table_pages, 3);
	assert_int_equal(initial_free - free_frames(), 3);
	expect_xlate(&e, 3 * MiB, 45 * MiB, EPT_RWX, 2);
	ept_destroy(&e);
	assert_int_equal(free_frames(), initial_free);
}

static void test_unmap(void **state)
{
	(void)state;
	struct ept e;

	assert_int_equal(ept_init(&e, &caps_all), 0);
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
	assert_int_equal(free_frames(), initial_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_2m_for_4k_protect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_1g_twice_and_whole_protect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protect_needs_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_map_over_small_frees_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap, setup, teardown),
	};
	return cmocka_run_group_tests_name("ept_range", tests, NULL, NULL);
}

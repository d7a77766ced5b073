/* Emulated PT trace output: single-range and ToPA writes through a guest EPT, with pointers and STATUS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "phys_arena.h"
#include "pt_out_rig.h"
#include "ept/ept.h"
#include "msr.h"

/* ---- single-range output (SDM 33.2.7.1 "Single Range Output") ---- */

static void test_single_appends(void **state)
{
	(void)state;
	rig_single(0x100000, 8 * KiB, 0);
	const uint8_t *p = rig_pattern(100, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 100), PT_OUT_OK);
	rig_assert_guest_equal(0x100000, p, 100);
	assert_int_equal(rig_ctx.output_mask_ptrs, (100ULL << 32) | 0x1fff);
	assert_int_equal(rig_ctx.output_base, 0x100000);

	p = rig_pattern(50, 2);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 50), PT_OUT_OK);
	rig_assert_guest_equal(0x100000 + 100, p, 50);
	assert_int_equal(rig_ctx.output_mask_ptrs, (150ULL << 32) | 0x1fff);
	assert_int_equal(*rig_guest(0x100000 - 1), 0);
	rig_assert_guest_zero(0x100000 + 150, 8 * KiB - 150);
	assert_int_equal(rig_out.st.bytes, 150);
	assert_int_equal(rig_out.st.wraps, 0);
	assert_int_equal(rig_ctx.status, 0);

	/* Zero bytes: nothing moves. */
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 0), PT_OUT_OK);
	assert_int_equal(rig_ctx.output_mask_ptrs, (150ULL << 32) | 0x1fff);
}

static void test_single_wraps(void **state)
{
	(void)state;
	static uint8_t ring[4096];
	uint64_t off = 4000;

	rig_single(0x200000, 4 * KiB, off);
	/* Reference model: byte i of the stream lands at (start + i) mod size. */
	const size_t lens[] = { 200, 2 * 4096 + 10, 4096 };
	const uint64_t wraps[] = { 1, 3, 4 };
	for (unsigned w = 0; w < 3; w++) {
		const uint8_t *p = rig_pattern(lens[w], w + 3);
		for (size_t i = 0; i < lens[w]; i++)
			ring[(off + i) % 4096] = p[i];
		off = (off + lens[w]) % 4096;
		assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, lens[w]), PT_OUT_OK);
		assert_int_equal(rig_ctx.output_mask_ptrs, (off << 32) | 0xfff);
		assert_int_equal(rig_out.st.wraps, wraps[w]);
		rig_assert_guest_equal(0x200000, ring, sizeof(ring));
	}
	assert_int_equal(off, 114);
	assert_int_equal(rig_out.st.bytes, 200 + 2 * 4096 + 10 + 4096);
	assert_int_equal(*rig_guest(0x200000 - 1), 0);
	assert_int_equal(*rig_guest(0x201000), 0);

	/* Filling exactly to the end leaves offset 0 and counts the wrap. */
	rig_single(0x200000, 4 * KiB, 4000);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(96, 9), 96), PT_OUT_OK);
	assert_int_equal(rig_ctx.output_mask_ptrs, 0xfff);
	assert_int_equal(rig_out.st.wraps, 5);
}

static void test_single_after_status(void **state)
{
	(void)state;
	rig_single(0x100000, 4 * KiB, 0);
	rig_snapshot();
	rig_ctx.status = RTIT_STATUS_STOPPED;
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(20, 1), 20), PT_OUT_STOPPED);
	rig_ctx.status = RTIT_STATUS_ERROR;
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_buf, 30), PT_OUT_ERROR);
	assert_int_equal(rig_out.st.dropped, 50);
	assert_int_equal(rig_out.st.bytes, 0);
	assert_int_equal(rig_out.st.errors, 0);
	assert_int_equal(rig_ctx.output_mask_ptrs, 0xfff);
	rig_assert_unchanged();
}

/* ---- ToPA output (SDM 33.2.7.2 "Table of Physical Addresses (ToPA)") ---- */

static void test_topa_regions(void **state)
{
	(void)state;
	/* The second host page of the 8K region is elsewhere: the write must follow the EPT. */
	assert_int_equal(ept_map(&rig_ept, 0x205000, 48 * MiB, PAGE_SIZE, EPT_RWX, EPT_MT_WB), 0);
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0)); /* 4K */
	rig_topa_set(TABLE_A, 1, rig_topa_region(0x204000, 1, 0)); /* 8K, 8K-aligned */
	rig_topa_set(TABLE_A, 2, rig_topa_region(0x201000, 0, 0)); /* 4K */
	rig_topa_set(TABLE_A, 3, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);

	const uint8_t *p = rig_pattern(100, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 100), PT_OUT_OK);
	rig_assert_guest_equal(0x200000, p, 100);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 100));

	/* Rest of region 0, all of region 1, 50 bytes of region 2. */
	size_t n = 3996 + 8192 + 50;
	p = rig_pattern(n, 2);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, n), PT_OUT_OK);
	rig_assert_guest_equal(0x200000 + 100, p, 3996);
	rig_assert_guest_equal(0x204000, p + 3996, 8192);
	assert_int_equal(*(uint8_t *)phys_arena_at(48 * MiB), p[3996 + 4096]);
	rig_assert_guest_equal(0x201000, p + 3996 + 8192, 50);
	rig_assert_guest_zero(0x201000 + 50, 4096 - 50);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(2, 50));
	assert_int_equal(rig_ctx.output_base, TABLE_A);
	assert_int_equal(rig_out.st.regions, 2);
	assert_int_equal(rig_out.st.bytes, 100 + n);

	/* Filling region 2 exactly leaves the pointers on the next entry, offset 0. */
	p = rig_pattern(4046, 3);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 4046), PT_OUT_OK);
	rig_assert_guest_equal(0x201000 + 50, p, 4046);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(3, 0));
	assert_int_equal(rig_out.st.regions, 3);

	/* END back to the same table: a circular buffer, overwriting region 0 from its start. */
	const uint8_t old = *rig_guest(0x200000 + 10);
	p = rig_pattern(10, 4);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 10), PT_OUT_OK);
	rig_assert_guest_equal(0x200000, p, 10);
	assert_int_equal(*rig_guest(0x200000 + 10), old);
	assert_int_equal(rig_ctx.output_base, TABLE_A);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 10));
	assert_int_equal(rig_ctx.status, 0);
	assert_false(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 0);
	assert_int_equal(rig_out.st.dropped, 0);
}

static void test_topa_two_tables(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, TABLE_B | TOPA_END);
	rig_topa_set(TABLE_B, 0, rig_topa_region(0x206000, 1, 0));
	rig_topa_set(TABLE_B, 1, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);

	const uint8_t *p = rig_pattern(4096 + 20, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 4096 + 20), PT_OUT_OK);
	rig_assert_guest_equal(0x200000, p, 4096);
	rig_assert_guest_equal(0x206000, p + 4096, 20);
	assert_int_equal(rig_ctx.output_base, TABLE_B);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 20));

	p = rig_pattern(8172 + 5, 2);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 8172 + 5), PT_OUT_OK);
	rig_assert_guest_equal(0x206000 + 20, p, 8172);
	rig_assert_guest_equal(0x200000, p + 8172, 5);
	assert_int_equal(rig_ctx.output_base, TABLE_A);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 5));
	assert_int_equal(rig_out.st.regions, 2);
	assert_int_equal(rig_out.st.bytes, 4096 + 20 + 8177);
}

/* A circular one-region buffer written round many times in one call is not a loop. */
static void test_topa_many_laps(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);
	size_t n = 20 * 4096 + 7;
	const uint8_t *p = rig_pattern(n, 5);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, n), PT_OUT_OK);
	rig_assert_guest_equal(0x200000, p + 20 * 4096, 7);
	rig_assert_guest_equal(0x200000 + 7, p + 19 * 4096 + 7, 4096 - 7);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 7));
	assert_int_equal(rig_out.st.regions, 20);
	assert_int_equal(rig_ctx.status, 0);
}

static void test_topa_int(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, TOPA_INT));
	rig_topa_set(TABLE_A, 1, rig_topa_region(0x201000, 0, 0));
	rig_topa_set(TABLE_A, 2, rig_topa_region(0x202000, 0, TOPA_INT));
	rig_topa_set(TABLE_A, 3, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);

	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(4095, 1), 4095), PT_OUT_OK);
	assert_false(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 0);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_buf, 1), PT_OUT_OK); /* region 0 full */
	assert_true(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 1);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(1, 0));
	rig_out.pmi = false;
	/* Region 1 has no INT. */
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(4096, 2), 4096), PT_OUT_OK);
	assert_false(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 1);
	assert_int_equal(rig_out.st.regions, 2);
	/* Regions 2 and 0 (after END) both fill in one write: two PMIs counted. */
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(8192 + 3, 3), 8192 + 3), PT_OUT_OK);
	assert_true(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 3);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(1, 3));
	assert_int_equal(rig_ctx.status, 0);
}

static void test_topa_stop(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, rig_topa_region(0x201000, 0, TOPA_STOP | TOPA_INT));
	rig_topa_set(TABLE_A, 2, rig_topa_region(0x202000, 0, 0));
	rig_topa_set(TABLE_A, 3, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);

	size_t n = 8192 + 100;
	const uint8_t *p = rig_pattern(n, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, n), PT_OUT_STOPPED);
	rig_assert_guest_equal(0x200000, p, 8192);
	rig_assert_guest_zero(0x202000, 4096);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_STOPPED);
	assert_true(rig_out.pmi);
	assert_int_equal(rig_out.st.pmis, 1);
	assert_int_equal(rig_out.st.stops, 1);
	assert_int_equal(rig_out.st.bytes, 8192);
	assert_int_equal(rig_out.st.dropped, 100);
	/* ToPA stop: OUTPUT_BASE is the STOP entry's table, the index that entry's, the offset its size. */
	assert_int_equal(rig_ctx.output_base, TABLE_A);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(1, 4096));

	rig_snapshot();
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(30, 2), 30), PT_OUT_STOPPED);
	assert_int_equal(rig_out.st.dropped, 130);
	assert_int_equal(rig_out.st.stops, 1);
	rig_assert_unchanged();

	/* Clearing Stopped but keeping those pointers is an illegal output offset (SDM "ToPA Errors"). */
	rig_ctx.status = 0;
	rig_out.pmi = false;
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_buf, 5), PT_OUT_ERROR);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_ERROR);
	assert_int_equal(rig_out.error_gpa, TABLE_A + 8);
	assert_string_equal(rig_out.error_what, "ToPA output offset beyond its region");
	rig_assert_unchanged();
}

static void test_topa_stop_exact(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, TOPA_STOP));
	rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 4000);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(96, 1), 96), PT_OUT_STOPPED);
	rig_assert_guest_equal(0x200000 + 4000, rig_buf, 96);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_STOPPED);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 4096));
	assert_int_equal(rig_out.st.dropped, 0);
	assert_false(rig_out.pmi);
}

static void test_topa_after_status(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 0, 0);
	rig_snapshot();
	rig_ctx.status = RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED;
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(40, 1), 40), PT_OUT_ERROR);
	rig_ctx.status = RTIT_STATUS_STOPPED;
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_buf, 2), PT_OUT_STOPPED);
	assert_int_equal(rig_out.st.dropped, 42);
	assert_int_equal(rig_out.st.errors + rig_out.st.stops + rig_out.st.bytes, 0);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 0));
	rig_assert_unchanged();
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_single_appends),    T(test_single_wraps),    T(test_single_after_status),
		T(test_topa_regions),      T(test_topa_two_tables), T(test_topa_many_laps),
		T(test_topa_int),          T(test_topa_stop),       T(test_topa_stop_exact),
		T(test_topa_after_status),
	};
	return cmocka_run_group_tests_name("pt_emul_out", tests, NULL, NULL);
}

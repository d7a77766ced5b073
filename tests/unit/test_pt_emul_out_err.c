/* Emulated PT trace output: operational errors (SDM 33.2.7.1 and 33.2.7.2) stop the trace; only bytes before the bad page land. */
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

/* ---- single-range errors ---- */

static void test_single_outside_ram(void **state)
{
	(void)state;
	rig_single(RIG_RAM_SIZE, 4 * KiB, 0);
	rig_expect_error(rig_pattern(64, 1), 64, RIG_RAM_SIZE, "single-range output outside guest RAM");
	/* Later writes are dropped without a second error. */
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_buf, 10), PT_OUT_ERROR);
	assert_int_equal(rig_out.st.dropped, 74);
	assert_int_equal(rig_out.st.errors, 1);
	rig_assert_unchanged();
}

static void test_single_read_only(void **state)
{
	(void)state;
	/* A page the guest may only read is not trace RAM. */
	assert_int_equal(ept_protect(&rig_ept, 0x300000, PAGE_SIZE, EPT_R), 0);
	rig_single(0x300000, 4 * KiB, 16);
	rig_expect_error(rig_pattern(8, 1), 8, 0x300010, "single-range output outside guest RAM");
}

/* Single-Range Output Errors (SDM 33.2.7.1): bad mask, base/mask overlap, offset past the mask. */
static void test_single_config_errors(void **state)
{
	(void)state;
	const uint8_t *p = rig_pattern(32, 1);

	rig_single(0x100000, 4 * KiB, 0);
	rig_ctx.output_mask_ptrs = 0x2fff; /* a 0 (bit 12) below the top 1 (bit 13) */
	rig_expect_error(p, 32, 0x100000, "single-range mask not contiguous");
	rig_restart(state);

	rig_single(0x100800, 4 * KiB, 0);
	rig_expect_error(p, 32, 0x100800, "single-range base not aligned to its size");
	rig_restart(state);

	rig_single(0x100000, 4 * KiB, 4096);
	rig_expect_error(p, 32, 0x100000, "single-range output offset beyond the mask");
}

/* ---- ToPA errors ---- */

static void test_topa_reserved_bits(void **state)
{
	(void)state;
	const uint64_t bits[] = { BIT(1), BIT(3), BIT(5), BIT(10), BIT(11), BIT(36), BIT(51), BIT(63) };

	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
		rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, bits[i]));
		rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END);
		rig_topa(TABLE_A, 0, 0);
		rig_expect_error(rig_pattern(16, 1), 16, TABLE_A, "ToPA entry with reserved bits set");
		rig_restart(state);
	}
	/* Reserved bits in an END entry too, found when the END is reached. */
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END | BIT(3));
	rig_topa(TABLE_A, 1, 0);
	rig_expect_error(rig_pattern(16, 1), 16, TABLE_A + 8, "ToPA entry with reserved bits set");
}

/* Entry addresses are limited to MAXPHYADDR: bit 36 is reserved at 36 bits, a plain address at 39. */
static void test_topa_maxphyaddr(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(BIT(36), 0, 0));
	rig_topa(TABLE_A, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A, "ToPA entry with reserved bits set");
	rig_restart(state);

	rig_out.maxphyaddr = 39;
	rig_topa_set(TABLE_A, 0, rig_topa_region(BIT(36), 0, 0));
	rig_topa(TABLE_A, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, BIT(36), "ToPA output region outside guest RAM");
	rig_restart(state);

	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, BIT(36) | TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 1, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A + 8, "ToPA entry with reserved bits set");
}

static void test_topa_table_outside_ram(void **state)
{
	(void)state;
	rig_topa(RIG_RAM_SIZE, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, RIG_RAM_SIZE, "ToPA table outside guest RAM");
	rig_restart(state);

	/* Reached through END: the region before it is written, then the table fails. */
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, (RIG_RAM_SIZE + 0x1000) | TOPA_END);
	rig_topa(TABLE_A, 0, 0);
	const uint8_t *p = rig_pattern(4096 + 10, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 4096 + 10), PT_OUT_ERROR);
	rig_assert_guest_equal(0x200000, p, 4096);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_ERROR);
	assert_int_equal(rig_out.error_gpa, RIG_RAM_SIZE + 0x1000);
	assert_string_equal(rig_out.error_what, "ToPA table outside guest RAM");
	assert_int_equal(rig_out.st.bytes, 4096);
	assert_int_equal(rig_out.st.dropped, 10);
	assert_int_equal(rig_ctx.output_base, RIG_RAM_SIZE + 0x1000);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 0));
}

static void test_topa_region_outside_ram(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(RIG_RAM_SIZE, 1, 0));
	rig_topa(TABLE_A, 0, 100);
	rig_expect_error(rig_pattern(8, 1), 8, RIG_RAM_SIZE + 100, "ToPA output region outside guest RAM");
}

static void test_topa_region_misaligned(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x201000, 1, 0)); /* 8K at a 4K boundary */
	rig_topa(TABLE_A, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A, "ToPA region not aligned to its size");
	rig_restart(state);

	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, rig_topa_region(0x300000, 9, 0)); /* 2M at a 1M boundary */
	rig_topa(TABLE_A, 1, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A + 8, "ToPA region not aligned to its size");
	rig_restart(state);

	/* The same 2M region at a 2M boundary is fine. */
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x400000, 9, 0));
	rig_topa(TABLE_A, 0, 2 * MiB - 4);
	const uint8_t *p = rig_pattern(4, 1);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 4), PT_OUT_OK);
	rig_assert_guest_equal(0x600000 - 4, p, 4);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(1, 0));
}

/* OUTPUT_BASE in ToPA mode names a table, which must be 4K-aligned (SDM "ToPA Errors"). */
static void test_topa_table_misaligned(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa(TABLE_A + 0x80, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A + 0x80, "ToPA table base not 4-KByte aligned");
}

/* END entries that never reach a region must end in an error, not a hang. */
static void test_topa_end_loops(void **state)
{
	(void)state;
	rig_topa_set(TABLE_A, 0, TABLE_A | TOPA_END); /* entry 0 points at itself */
	rig_topa(TABLE_A, 0, 0);
	rig_expect_error(rig_pattern(8, 1), 8, TABLE_A, "ToPA END entry at index 0 of a table");
	rig_restart(state);

	rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
	rig_topa_set(TABLE_A, 1, TABLE_B | TOPA_END);
	rig_topa_set(TABLE_B, 0, TABLE_A | TOPA_END);
	rig_topa(TABLE_A, 1, 0);
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, rig_pattern(8, 1), 8), PT_OUT_ERROR);
	assert_int_equal(rig_out.error_gpa, TABLE_B);
	assert_string_equal(rig_out.error_what, "ToPA END entry at index 0 of a table");
	assert_int_equal(rig_out.st.bytes, 0);
	rig_assert_guest_zero(0x200000, 4096);
}

/* ToPA rules violations: STOP or INT on an END entry (SDM "ToPA Errors"). */
static void test_topa_end_flags(void **state)
{
	(void)state;
	const uint64_t flags[] = { TOPA_INT, TOPA_STOP };

	for (unsigned i = 0; i < ARRAY_SIZE(flags); i++) {
		rig_topa_set(TABLE_A, 0, rig_topa_region(0x200000, 0, 0));
		rig_topa_set(TABLE_A, 1, TABLE_A | TOPA_END | flags[i]);
		rig_topa(TABLE_A, 1, 0);
		rig_expect_error(rig_pattern(8, 1), 8, TABLE_A + 8, "ToPA END entry with INT or STOP set");
		rig_restart(state);
	}
}

/*
 * Output that runs from writable RAM into a page that is not: the bytes before it land, are counted
 * and the pointers follow them; the rest is dropped with STATUS.Error (found by tests/fuzz/fuzz_pt_out).
 */
static void check_partial(uint64_t region, const char *what)
{
	const uint8_t *p = rig_pattern(200, 3);

	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, 200), PT_OUT_ERROR);
	rig_assert_guest_equal(region + 4000, p, 96);
	assert_int_equal(rig_out.st.bytes, 96);
	assert_int_equal(rig_out.st.dropped, 104);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_ERROR);
	assert_int_equal(rig_out.error_gpa, region + 4096);
	assert_string_equal(rig_out.error_what, what);
}

static void test_single_partial(void **state)
{
	(void)state;
	assert_int_equal(ept_protect(&rig_ept, 0x301000, PAGE_SIZE, EPT_R), 0);
	rig_single(0x300000, 8 * KiB, 4000);
	check_partial(0x300000, "single-range output outside guest RAM");
	assert_int_equal(rig_ctx.output_mask_ptrs, (4096ULL << 32) | 0x1fff);
}

static void test_topa_partial(void **state)
{
	(void)state;
	assert_int_equal(ept_protect(&rig_ept, 0x301000, PAGE_SIZE, EPT_R), 0);
	rig_topa_set(TABLE_A, 0, rig_topa_region(0x300000, 1, 0));
	rig_topa(TABLE_A, 0, 4000);
	check_partial(0x300000, "ToPA output region outside guest RAM");
	assert_int_equal(rig_ctx.output_base, TABLE_A);
	assert_int_equal(rig_ctx.output_mask_ptrs, rig_ptrs(0, 4096));
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_single_outside_ram),
		T(test_single_read_only),
		T(test_single_config_errors),
		T(test_topa_reserved_bits),
		T(test_topa_maxphyaddr),
		T(test_topa_table_outside_ram),
		T(test_topa_region_outside_ram),
		T(test_topa_region_misaligned),
		T(test_topa_table_misaligned),
		T(test_topa_end_loops),
		T(test_topa_end_flags),
		T(test_single_partial),
		T(test_topa_partial),
	};
	return cmocka_run_group_tests_name("pt_emul_out_err", tests, NULL, NULL);
}

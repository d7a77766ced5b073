/* Frame allocator: built from a memory map, never hands out reserved, non-usable or low memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "host_env.h"
#include "mem/frame.h"

#define MiB (1ULL << 20)

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static void test_basic_map(void **state)
{
	(void)state;
	const struct mem_range map[] = {
		{ 0, 0x9f000, MEM_USABLE },
		{ 0x9f000, 0x61000, MEM_RESERVED },
		{ 1 * MiB, 31 * MiB, MEM_USABLE },
		{ 32 * MiB, 1 * MiB, MEM_ACPI_RECLAIMABLE },
	};
	const struct mem_range res[] = {
		{ 2 * MiB, 1 * MiB + 123, MEM_RESERVED }, /* image: rounds outward to 3 MiB + 4 KiB */
		{ 8 * MiB + 100, 10, MEM_RESERVED },      /* boot info inside one frame */
	};
	uint64_t n = frame_init(map, 4, res, 2);
	struct frame_stats st;

	frame_get_stats(&st);
	/* Usable: 0x9f low frames + 31 MiB. Free: minus frame 0, 257 image frames, 1 info frame. */
	assert_int_equal(st.usable_frames, 0x9f + 31 * 256);
	assert_int_equal(n, st.usable_frames - 1 - 257 - 1);
	assert_int_equal(st.reserved_frames, 1 + 257 + 1);
	assert_false(frame_is_free(0));
	assert_false(frame_is_free(2 * MiB));
	assert_false(frame_is_free(3 * MiB));
	assert_true(frame_is_free(3 * MiB + 4096));
	assert_false(frame_is_free(8 * MiB));
	assert_false(frame_is_free(32 * MiB));

	/* General allocations come from above 1 MiB and avoid the reserved frames. */
	for (int i = 0; i < 1000; i++) {
		paddr_t p = frame_alloc();
		assert_true(p >= 1 * MiB && p < 32 * MiB);
		assert_false(p >= 2 * MiB && p < 3 * MiB + 4096);
		assert_false(p == 8 * MiB);
		assert_false(frame_is_free(p));
	}
	paddr_t low = frame_alloc_low();
	assert_true(low > 0 && low < 0x9f000);
}

static void test_overlap_nonusable_wins(void **state)
{
	(void)state;
	/* A malformed map: a reserved hole inside a usable range, unaligned usable edges. */
	const struct mem_range map[] = {
		{ 1 * MiB + 1, 4 * MiB - 2, MEM_USABLE },
		{ 2 * MiB + 5, 10, MEM_RESERVED },
	};
	frame_init(map, 2, NULL, 0);
	assert_false(frame_is_free(1 * MiB)); /* rounded inward */
	assert_true(frame_is_free(1 * MiB + 4096));
	assert_false(frame_is_free(2 * MiB));        /* reserved wins */
	assert_false(frame_is_free(5 * MiB - 4096)); /* end rounded inward */
	assert_true(frame_is_free(5 * MiB - 8192));
}

static void test_contig_alignment_and_exhaustion(void **state)
{
	(void)state;
	const struct mem_range map[] = { { 1 * MiB, 8 * MiB, MEM_USABLE } };
	frame_init(map, 1, NULL, 0);

	paddr_t a = frame_alloc_contig(512, 512); /* 2 MiB aligned 2 MiB block */
	assert_int_equal(a, 2 * MiB);
	paddr_t b = frame_alloc_contig(512, 512);
	assert_int_equal(b, 4 * MiB);
	paddr_t c = frame_alloc_contig(512, 512);
	assert_int_equal(c, 6 * MiB);
	assert_int_equal(frame_alloc_contig(512, 512), 0); /* 8 MiB block would end past 9 MiB */
	assert_int_equal(frame_alloc_contig(0, 1), 0);
	assert_int_equal(frame_alloc_contig(1, 3), 0); /* alignment not a power of two */

	frame_free_contig(b, 512);
	assert_int_equal(frame_alloc_contig(512, 512), 4 * MiB);

	uint64_t count = 0;
	while (frame_alloc())
		count++;
	assert_int_equal(count, 256 + 256); /* 1-2 MiB and 8-9 MiB remain as single frames */
	assert_int_equal(frame_alloc(), 0);
}

static void test_above_limit_not_managed(void **state)
{
	(void)state;
	const struct mem_range map[] = {
		{ 1 * MiB, 1 * MiB, MEM_USABLE },
		{ FRAME_MAX_PHYS - 4096, 8192, MEM_USABLE },
		{ 0xffffffffffff0000ULL, 0x20000, MEM_USABLE }, /* wraps: ignored */
	};
	frame_init(map, 3, NULL, 0);
	struct frame_stats st;
	frame_get_stats(&st);
	assert_int_equal(st.usable_frames, 256 + 1);
	assert_int_equal(st.unmanaged_bytes, 4096);
	assert_true(frame_is_free(FRAME_MAX_PHYS - 4096));
	assert_false(frame_is_free(FRAME_MAX_PHYS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_basic_map, setup),
		cmocka_unit_test_setup(test_overlap_nonusable_wins, setup),
		cmocka_unit_test_setup(test_contig_alignment_and_exhaustion, setup),
		cmocka_unit_test_setup(test_above_limit_not_managed, setup),
	};
	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}

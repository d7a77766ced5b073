/* Memory maps: multiboot2 entries checked and sorted, the EFI map converted and merged, tag choice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "boot_info.h"
#include "boot_mmap.h"
#include "host_env.h"
#include "mb2_blob.h"

static struct mb2_blob blob;
static struct boot_info bi;
static struct mb2_range many[BOOT_MMAP_MAX + 10];

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	mb2_blob_init(&blob);
	return 0;
}

static void expect_range(unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
	assert_in_range(i, 0, bi.mmap_count - 1);
	assert_int_equal(bi.mmap[i].base, base);
	assert_int_equal(bi.mmap[i].len, len);
	assert_int_equal(bi.mmap[i].type, type);
}

static void test_bad_entry_size(void **state)
{
	static const struct mb2_range map[] = { { 0, 0x9fc00, 1 } };
	(void)state;
	mb2_blob_mmap(&blob, 20, map, 1);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_int_equal(bi.problems, 1);
	assert_true(host_console_contains("multiboot2: tag 6 (memory map) at offset 8: entry_size 20 is not "
					  "a multiple of 8 that is at least 24, map ignored\n"));

	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_mmap(&blob, 28, map, 1);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_true(host_console_contains("entry_size 28 is not a multiple of 8"));
}

static void test_entry_checks(void **state)
{
	static const struct mb2_range map[] = {
		{ 0x200000, 0x100000, 1 },
		{ 0x500000, 0, 1 },                   /* zero length: dropped quietly */
		{ 0xfffffffffffff000ULL, 0x2000, 2 }, /* wraps: dropped, reported */
		{ 0x100000, 0x180000, 1 },            /* overlaps the first */
		{ 0xfee00000, 0x1000, 9 },            /* unknown type: reserved */
	};
	(void)state;
	mb2_blob_mmap(&blob, 32, map, 5); /* a larger entry_size is the stride */
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.mmap_count, 3);
	expect_range(0, 0x100000, 0x180000, MEM_USABLE);
	expect_range(1, 0x200000, 0x100000, MEM_USABLE);
	expect_range(2, 0xfee00000, 0x1000, MEM_RESERVED);
	assert_int_equal(bi.problems, 2);
	assert_true(host_console_contains("tag 6 (memory map) at offset 8: entry 2 base 0xfffffffffffff000 "
					  "length 0x2000 runs past 2^64, dropped\n"));
	assert_true(host_console_contains("multiboot2: memory map ranges overlap: [0x100000-0x280000) usable "
					  "and [0x200000-0x300000) usable\n"));
	assert_true(host_console_contains("entry 1 at 0x500000 has zero length, dropped"));
}

static void test_too_many_entries(void **state)
{
	const unsigned n = BOOT_MMAP_MAX + 10;
	(void)state;
	/* Descending, so the kept first 160 are the highest and sorting must reverse them. */
	for (unsigned i = 0; i < n; i++)
		many[i] = (struct mb2_range){ (uint64_t)(n - 1 - i) * 0x10000, 0x8000, 1 };
	mb2_blob_mmap(&blob, 24, many, n);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
	expect_range(0, 10 * 0x10000, 0x8000, MEM_USABLE);
	expect_range(BOOT_MMAP_MAX - 1, (uint64_t)(n - 1) * 0x10000, 0x8000, MEM_USABLE);
	for (unsigned i = 1; i < bi.mmap_count; i++)
		assert_true(bi.mmap[i - 1].base < bi.mmap[i].base);
	assert_int_equal(bi.problems, 1);
	assert_true(
		host_console_contains("tag 6 (memory map) at offset 8: 10 more ranges than the 160 kept, dropped\n"));
}

static void test_prefers_mb2_map(void **state)
{
	static const struct mb2_range efi[] = { { 7, 0, 0x10 }, { 0, 0x10000, 1 } };
	static const struct mb2_range map[] = { { 0x1000, 0x9000, 1 } };
	(void)state;
	mb2_blob_efi_mmap(&blob, 48, efi, 2);
	mb2_blob_mmap(&blob, 24, map, 1);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_false(bi.mmap_from_efi);
	assert_int_equal(bi.efi_mmap_count, 2);
	assert_int_equal(bi.mmap_count, 1);
	expect_range(0, 0x1000, 0x9000, MEM_USABLE);
	assert_int_equal(bi.problems, 0);

	/* An unusable multiboot2 map gives way to the EFI one. */
	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_mmap(&blob, 16, map, 1);
	mb2_blob_efi_mmap(&blob, 40, efi, 2);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_true(bi.mmap_from_efi);
	assert_int_equal(bi.mmap_count, 2);
	expect_range(0, 0, 0x10000, MEM_USABLE);
	expect_range(1, 0x10000, 0x1000, MEM_RESERVED);
	assert_int_equal(bi.problems, 1);
}

static void test_efi_merge(void **state)
{
	static const struct mb2_range efi[] = {
		{ 7, 0x100000, 0x300 }, /* [1 MiB, 4 MiB) */
		{ 7, 0x600000, 0x200 }, /* [6 MiB, 8 MiB): not adjacent yet */
		{ 1, 0x400000, 0x200 }, /* [4 MiB, 6 MiB) joins the first; sorting joins the second */
		{ 9, 0x800000, 0x10 },  { 9, 0x810000, 0x10 },   { 11, 0xfec00000, 1 }, { 8, 0x900000, 1 },
		{ 6, 0x901000, 2 },     { 14, 0xa00000, 0x100 }, /* persistent memory: not ours to use */
	};
	(void)state;
	mb2_blob_efi_mmap(&blob, 48, efi, ARRAY_SIZE(efi));
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 0);
	assert_true(bi.mmap_from_efi);
	assert_int_equal(bi.efi_mmap_count, ARRAY_SIZE(efi));
	assert_int_equal(bi.mmap_count, 6);
	expect_range(0, 0x100000, 0x700000, MEM_USABLE);
	expect_range(1, 0x800000, 0x20000, MEM_ACPI_RECLAIMABLE);
	expect_range(2, 0x900000, 0x1000, MEM_BAD);
	expect_range(3, 0x901000, 0x2000, MEM_FIRMWARE);
	expect_range(4, 0xa00000, 0x100000, MEM_RESERVED);
	expect_range(5, 0xfec00000, 0x1000, MEM_MMIO);
}

static void test_efi_types(void **state)
{
	static const uint32_t want[] = {
		MEM_RESERVED, MEM_USABLE,   MEM_USABLE,   MEM_USABLE,           MEM_USABLE,   MEM_FIRMWARE,
		MEM_FIRMWARE, MEM_USABLE,   MEM_BAD,      MEM_ACPI_RECLAIMABLE, MEM_ACPI_NVS, MEM_MMIO,
		MEM_MMIO,     MEM_RESERVED, MEM_RESERVED, MEM_RESERVED,
	};
	(void)state;
	for (uint32_t t = 0; t < ARRAY_SIZE(want); t++)
		assert_int_equal(boot_mmap_convert_efi_type(t), want[t]);
	assert_int_equal(boot_mmap_convert_efi_type(0x80000000u), MEM_RESERVED);
}

static void test_efi_bad(void **state)
{
	static const struct mb2_range efi[] = {
		{ 7, 0x1000, 0x0010000000000000ULL }, /* 2^52 pages: past 2^64 */
		{ 7, 0x100000, 0x100 },
	};
	(void)state;
	mb2_blob_efi_mmap(&blob, 32, efi, 2);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.efi_mmap_count, 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_false(bi.mmap_from_efi);
	assert_true(host_console_contains("multiboot2: tag 17 (EFI memory map) at offset 8: descriptor_size 32 "
					  "is not a multiple of 8 that is at least 40, map ignored\n"));

	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_efi_mmap(&blob, 40, efi, 2);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.mmap_count, 1);
	expect_range(0, 0x100000, 0x100000, MEM_USABLE);
	assert_int_equal(bi.problems, 1);
	assert_true(host_console_contains("descriptor 0 at 0x1000 has 4503599627370496 pages, beyond 2^64, dropped\n"));
}

static void test_efi_too_many(void **state)
{
	const unsigned n = BOOT_MMAP_MAX + 10;
	(void)state;
	/* Gaps between descriptors, so nothing merges. */
	for (unsigned i = 0; i < n; i++)
		many[i] = (struct mb2_range){ 7, (uint64_t)i * 0x10000, 1 };
	mb2_blob_efi_mmap(&blob, 48, many, n);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.efi_mmap_count, n);
	assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
	expect_range(BOOT_MMAP_MAX - 1, (uint64_t)(BOOT_MMAP_MAX - 1) * 0x10000, 0x1000, MEM_USABLE);
	assert_true(host_console_contains(
		"tag 17 (EFI memory map) at offset 8: 10 more ranges than the 160 kept, dropped\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bad_entry_size, setup),
		cmocka_unit_test_setup(test_entry_checks, setup),
		cmocka_unit_test_setup(test_too_many_entries, setup),
		cmocka_unit_test_setup(test_prefers_mb2_map, setup),
		cmocka_unit_test_setup(test_efi_merge, setup),
		cmocka_unit_test_setup(test_efi_types, setup),
		cmocka_unit_test_setup(test_efi_bad, setup),
		cmocka_unit_test_setup(test_efi_too_many, setup),
	};
	return cmocka_run_group_tests_name("boot_mmap", tests, NULL, NULL);
}

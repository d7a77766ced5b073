/* EPT walker: translations per page size, rights, misconfigurations, guest pointers and copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "ept/ept.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static const struct ept_caps caps_all = { .pages_2m = true, .pages_1g = true, .wb = true };
static struct ept e;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	phys_arena_init(64 * MiB);
	/* Tables come from 1-16 MiB; 16-64 MiB is left for "guest memory" the tests pick by hand. */
	const struct mem_range map[] = { { 1 * MiB, 15 * MiB, MEM_USABLE } };
	frame_init(map, 1, NULL, 0);
	assert_int_equal(ept_init(&e, &caps_all), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ept_destroy(&e);
	phys_arena_free();
	return 0;
}

/* The entry for gpa at `level`, found by reading the tables directly. */
static uint64_t *slot_of(uint64_t gpa, unsigned level)
{
	uint64_t table = e.pml4;

	for (unsigned l = EPT_LEVELS; l > level; l--)
		table = ((uint64_t *)phys_arena_at(table))[EPT_INDEX(gpa, l)] & EPT_E_ADDR;
	return &((uint64_t *)phys_arena_at(table))[EPT_INDEX(gpa, level)];
}

static void test_translate_each_size(void **state)
{
	(void)state;
	struct ept_xlate x;

	assert_int_equal(ept_map(&e, 1 * GiB, 3 * GiB, 1 * GiB, EPT_RWX, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 2 * MiB, 20 * MiB, 2 * MiB, EPT_R | EPT_W, EPT_MT_UC), 0);
	assert_int_equal(ept_map(&e, 0x5000, 0x1234000, PAGE_SIZE, EPT_R | EPT_X, EPT_MT_WT), 0);

	assert_true(ept_translate(&e, 1 * GiB + 0x12345678, &x));
	assert_true(x.present);
	assert_int_equal(x.hpa, 3 * GiB + 0x12345678);
	assert_int_equal(x.perms, EPT_RWX);
	assert_int_equal(x.level, 3);
	assert_int_equal(x.memtype, EPT_MT_WB);
	assert_int_equal(x.entry, 3 * GiB | EPT_RWX | (6 << 3) | EPT_E_PS);

	assert_true(ept_translate(&e, 2 * MiB + 0x1abcd, &x));
	assert_int_equal(x.hpa, 20 * MiB + 0x1abcd);
	assert_int_equal(x.perms, EPT_R | EPT_W);
	assert_int_equal(x.level, 2);
	assert_int_equal(x.memtype, EPT_MT_UC);

	assert_true(ept_translate(&e, 0x5fff, &x));
	assert_int_equal(x.hpa, 0x1234fff);
	assert_int_equal(x.perms, EPT_R | EPT_X);
	assert_int_equal(x.level, 1);
	assert_int_equal(x.memtype, EPT_MT_WT);
	assert_int_equal(x.entry, 0x1234000 | EPT_R | EPT_X | (4 << 3));
}

static void test_not_present(void **state)
{
	(void)state;
	struct ept_xlate x;

	/* Empty PML4: the walk stops at level 4. */
	assert_false(ept_translate(&e, 0x1000, &x));
	assert_false(x.present || x.misconfig);
	assert_int_equal(x.level, 4);
	assert_int_equal(ept_map(&e, 0x5000, 0x9000, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);
	assert_false(ept_translate(&e, 0x6000, &x));
	assert_int_equal(x.level, 1);
	assert_false(ept_translate(&e, 2 * MiB, &x));
	assert_int_equal(x.level, 2);
	assert_false(ept_translate(&e, 1 * GiB, &x));
	assert_int_equal(x.level, 3);
	assert_false(ept_translate(&e, 1ULL << 48, &x));
	assert_int_equal(x.level, 0);
	assert_int_equal(x.hpa, 0);
}

static void test_rights_and_across_levels(void **state)
{
	(void)state;
	struct ept_xlate x;

	assert_int_equal(ept_map(&e, 0, 16 * MiB, PAGE_SIZE, EPT_RWX, EPT_MT_WB), 0);
	/* A PDE allowing only read limits every page under it (SDM 29.3.3.2). */
	uint64_t *pde = slot_of(0, 2);
	*pde &= ~(uint64_t)(EPT_W | EPT_X);
	assert_true(ept_translate(&e, 0, &x));
	assert_int_equal(x.perms, EPT_R);
	*pde |= EPT_W | EPT_X;
	assert_true(ept_translate(&e, 0, &x));
	assert_int_equal(x.perms, EPT_RWX);
}

static void test_misconfigured_entries(void **state)
{
	(void)state;
	struct ept_xlate x;
	const struct ept_caps c = { .pages_2m = true };
	const struct ept_caps c1g = { .pages_1g = true, .exec_only = true };
	const uint64_t a = 0x200000;

	assert_null(ept_entry_problem(a | EPT_R | (6 << 3), 1, &c));
	assert_null(ept_entry_problem(0xfffff000 | (7 << 3), 1, &c)); /* not present: not checked */
	assert_string_equal(ept_entry_problem(a | EPT_W, 1, &c), "write permission without read permission");
	assert_string_equal(ept_entry_problem(a | EPT_X, 1, &c), "execute-only, which the CPU does not support");
	assert_null(ept_entry_problem(a | EPT_X, 1, &c1g));
	assert_string_equal(ept_entry_problem(a | EPT_R | EPT_E_PS, 4, &c), "reserved bit 7 set in a PML4E");
	assert_string_equal(ept_entry_problem(a | EPT_R | EPT_E_PS, 3, &c),
			    "1-GByte page, which the CPU does not support");
	assert_null(ept_entry_problem(0x40000000 | EPT_R | EPT_E_PS, 3, &c1g));
	assert_string_equal(ept_entry_problem(a | EPT_R | EPT_E_PS, 2, &c1g),
			    "2-MByte page, which the CPU does not support");
	assert_string_equal(ept_entry_problem(a | EPT_R | BIT(3), 2, &c), "reserved bits 6:3 set in a non-leaf entry");
	assert_string_equal(ept_entry_problem(a | EPT_R | BIT(6), 4, &c), "reserved bits 6:3 set in a non-leaf entry");
	assert_string_equal(ept_entry_problem(a | BIT(12) | EPT_R | EPT_E_PS, 2, &c),
			    "reserved address bits set in a large-page entry");
	assert_string_equal(ept_entry_problem(0x40000000 | BIT(29) | EPT_R | EPT_E_PS, 3, &c1g),
			    "reserved address bits set in a large-page entry");
	for (unsigned mt = 0; mt < 8; mt++) {
		const char *p = ept_entry_problem(a | EPT_R | (mt << 3), 1, &c);
		if (mt == 2 || mt == 3 || mt == 7)
			assert_string_equal(p, "reserved memory type (2, 3 or 7)");
		else
			assert_null(p);
	}

	/* The walker stops at the bad entry and reports it. */
	assert_int_equal(ept_map(&e, 0x7000, 16 * MiB, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);
	uint64_t *pte = slot_of(0x7000, 1);
	*pte = (*pte & ~EPT_E_PERM) | EPT_W;
	assert_false(ept_translate(&e, 0x7000, &x));
	assert_true(x.misconfig);
	assert_false(x.present);
	assert_int_equal(x.level, 1);
	assert_int_equal(x.entry, 16 * MiB | EPT_W | (6 << 3));
	*pte = 16 * MiB | EPT_R | (3 << 3);
	assert_false(ept_translate(&e, 0x7000, &x));
	assert_true(x.misconfig);
	*pte = 16 * MiB | EPT_R | (6 << 3);
	assert_true(ept_translate(&e, 0x7000, &x));
}

static void test_guest_ptr(void **state)
{
	(void)state;
	/* GPA 0x10000-0x12000 contiguous at HPA 16M; 0x12000 at 20M (not contiguous); 0x13000 read-only. */
	assert_int_equal(ept_map(&e, 0x10000, 16 * MiB, 2 * PAGE_SIZE, EPT_R | EPT_W, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 0x12000, 20 * MiB, PAGE_SIZE, EPT_R | EPT_W, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 0x13000, 20 * MiB + PAGE_SIZE, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);

	assert_ptr_equal(ept_guest_ptr(&e, 0x10ff0, 32, EPT_R | EPT_W), phys_arena_at(16 * MiB + 0xff0));
	assert_ptr_equal(ept_guest_ptr(&e, 0x10000, 2 * PAGE_SIZE, EPT_W), phys_arena_at(16 * MiB));
	assert_null(ept_guest_ptr(&e, 0x11ff0, 32, EPT_R)); /* 0x11000 -> 0x12000 jumps */
	assert_ptr_equal(ept_guest_ptr(&e, 0x12ff0, 32, EPT_R), phys_arena_at(20 * MiB + 0xff0));
	assert_null(ept_guest_ptr(&e, 0x12ff0, 32, EPT_W)); /* 0x13000 is read-only */
	assert_null(ept_guest_ptr(&e, 0x13000, 8, EPT_X));
	assert_null(ept_guest_ptr(&e, 0x13ff8, 16, EPT_R)); /* runs into the hole */
	assert_null(ept_guest_ptr(&e, 0x10000, 0, EPT_R));
	assert_null(ept_guest_ptr(&e, ~0ULL - 3, 8, EPT_R));

	/* Across a 2M page into a contiguous 4K page. */
	assert_int_equal(ept_map(&e, 2 * MiB, 32 * MiB, 2 * MiB, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 4 * MiB, 34 * MiB, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);
	assert_ptr_equal(ept_guest_ptr(&e, 4 * MiB - 8, 16, EPT_R), phys_arena_at(34 * MiB - 8));
	assert_ptr_equal(ept_guest_ptr(&e, 2 * MiB, 2 * MiB + 16, EPT_R), phys_arena_at(32 * MiB));
}

static void test_read_write_helpers(void **state)
{
	(void)state;
	uint8_t src[3 * 4096], dst[3 * 4096];

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	/* Three guest pages at scattered host pages; the third is read-only. */
	assert_int_equal(ept_map(&e, 0x40000, 24 * MiB, PAGE_SIZE, EPT_R | EPT_W, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 0x41000, 22 * MiB, PAGE_SIZE, EPT_R | EPT_W, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 0x42000, 30 * MiB, PAGE_SIZE, EPT_R, EPT_MT_WB), 0);
	memset(phys_arena_at(30 * MiB), 0xAA, PAGE_SIZE);

	/* From 0x40800: half of page 1, all of page 2, then the read-only page stops it. */
	assert_int_equal(ept_write_guest(&e, 0x40800, src, 2 * 4096), 0x800 + 0x1000);
	assert_memory_equal(phys_arena_at(24 * MiB + 0x800), src, 0x800);
	assert_memory_equal(phys_arena_at(22 * MiB), src + 0x800, 0x1000);
	assert_int_equal(*phys_arena_at(30 * MiB), 0xAA);

	memset(dst, 0, sizeof(dst));
	assert_int_equal(ept_read_guest(&e, 0x40800, dst, 0x800 + 0x1000 + 0x10), 0x1810);
	assert_memory_equal(dst, src, 0x1800);
	assert_int_equal(dst[0x1800], 0xAA);
	/* Reading runs out at the unmapped page after the third. */
	assert_int_equal(ept_read_guest(&e, 0x42f00, dst, 0x200), 0x100);
	assert_int_equal(ept_read_guest(&e, 0x43000, dst, 1), 0);
	assert_int_equal(ept_write_guest(&e, 0x42000, src, 1), 0);
	assert_int_equal(ept_read_guest(&e, 0x40000, dst, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate_each_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights_and_across_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misconfigured_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_ptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write_helpers, setup, teardown),
	};
	return cmocka_run_group_tests_name("ept_walk", tests, NULL, NULL);
}

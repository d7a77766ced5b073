/* Guest images that must load: ELF32/ELF64, multiboot1/2, address fields; bytes, bss and entry checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest_image_build.h"

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

/* Loads the checked image into a poisoned guest and checks every byte of both segments and their edges. */
static void load_and_verify_elf(void)
{
	struct guest_mem gm = { malloc(MEM), MEM };
	uint8_t *g = gm.host;

	memset(g, 0xAA, MEM);
	assert_int_equal(guest_image_load("t", tb.b, tb.size, &tb_gi, &gm), 0);
	assert_memory_equal(g + SEG0_PA, tb.b + SEG0_OFF, 0x1000);
	assert_memory_equal(g + SEG1_PA, tb.b + SEG1_OFF, 0x100);
	for (uint32_t a = SEG1_PA + 0x100; a < SEG1_PA + 0x3000; a++)
		assert_int_equal(g[a], 0);
	assert_int_equal(g[SEG0_PA - 1], 0xAA);
	assert_int_equal(g[SEG1_PA + 0x3000], 0xAA);
	assert_int_equal(g[GUEST_INFO_FROM], 0xAA);
	free(g);
}

static void test_elf32_mb1(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, (uint32_t)(MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO));
	expect_ok(MEM);
	assert_int_equal(tb_gi.kind, IMAGE_ELF32);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT1);
	assert_int_equal(tb_gi.entry, ENTRY_PA);
	assert_int_equal(tb_gi.load_lo, SEG0_PA);
	assert_int_equal(tb_gi.load_hi, SEG1_PA + 0x3000 - 1);
	assert_int_equal(tb_gi.nseg, 2);
	assert_int_equal(tb_gi.mbh.offset, HDR_OFF);
	assert_int_equal(tb_gi.mbh.mb1_flags, 3);
	assert_false(tb_gi.mbh.has_addr);
	assert_int_equal(tb_gi.seg[1].memsz, 0x3000);
	assert_false(tb_gi.seg[1].exec);
	assert_true(tb_gi.seg[0].exec);
	load_and_verify_elf();
	assert_string_equal(guest_image_kind_name(tb_gi.kind), "ELF32");
	assert_string_equal(guest_boot_proto_name(tb_gi.proto), "multiboot1");
}

static void test_elf32_mb2(void **state)
{
	static const uint32_t req[] = { 1, 2, 4, 6, 3 }, fb[] = { 1024, 768, 32 };
	(void)state;
	elf_build(false, 0);
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 8 + 4 * 5, req, 5);
	mb2_tag(MB2_HTAG_FRAMEBUFFER, MB2_HTAG_OPTIONAL, 20, fb, 3);
	mb2_tag(MB2_HTAG_MODULE_ALIGN, 0, 8, NULL, 0);
	mb2_tag(MB2_HTAG_EFI_BS, 0, 8, NULL, 0);
	mb2_tag(77, MB2_HTAG_OPTIONAL, 12, req, 1); /* unknown but optional: ignored */
	mb2_end();
	expect_ok(MEM);
	assert_int_equal(tb_gi.kind, IMAGE_ELF32);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT2);
	assert_int_equal(tb_gi.entry, ENTRY_PA);
	assert_int_equal(tb_gi.mbh.mb2_requests, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6));
	load_and_verify_elf();
}

static void test_elf64_mb2_higher_half(void **state)
{
	(void)state;
	elf_build(true, HIGH_HALF);
	mb2_simple(HDR_OFF);
	expect_ok(MEM);
	assert_int_equal(tb_gi.kind, IMAGE_ELF64);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT2);
	assert_int_equal(tb_gi.entry, ENTRY_PA); /* e_entry translated through its segment */
	assert_int_equal(tb_gi.load_lo, SEG0_PA);
	assert_int_equal(tb_gi.load_hi, SEG1_PA + 0x3000 - 1);
	load_and_verify_elf();

	/* An entry address tag gives a physical entry directly. */
	static const uint32_t entry[] = { 0x100200 };
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_ENTRY_ADDRESS, 0, 12, entry, 1);
	mb2_tag(MB2_HTAG_RELOCATABLE, 0, 24, (const uint32_t[]){ 0x100000, 0x800000, 0x1000, 0 }, 4);
	mb2_end();
	expect_ok(MEM);
	assert_int_equal(tb_gi.entry, 0x100200);
	assert_true(tb_gi.mbh.has_entry);
}

static void test_prefers_mb2(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, 0);
	mb2_simple(HDR_OFF + 0x20);
	expect_ok(MEM);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT2);
	assert_int_equal(tb_gi.mbh.offset, HDR_OFF + 0x20);
	/* A broken multiboot2 header next to a good multiboot1 one: multiboot1 is used. */
	w32(HDR_OFF + 0x20 + 12, 0);
	expect_ok(MEM);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT1);
}

/* A flat binary placed by the multiboot1 address fields (a.out kludge), with bss. */
static void test_aout_kludge(void **state)
{
	struct guest_mem gm = { malloc(MEM), MEM };
	uint8_t *g = gm.host;
	(void)state;

	memset(&tb, 0, sizeof(tb));
	tb.size = 0x1800;
	for (size_t i = 0; i < tb.size; i++)
		tb.b[i] = (uint8_t)(i * 3 + 1);
	mb1_put_aout(0x10, 0x200010, 0x200000, 0x201800, 0x203000, 0x200100);
	expect_ok(MEM);
	assert_int_equal(tb_gi.kind, IMAGE_FLAT);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT1);
	assert_int_equal(tb_gi.entry, 0x200100);
	assert_int_equal(tb_gi.load_lo, 0x200000);
	assert_int_equal(tb_gi.load_hi, 0x202fff);
	assert_int_equal(tb_gi.nseg, 1);
	assert_int_equal(tb_gi.seg[0].file_off, 0);
	assert_int_equal(tb_gi.seg[0].filesz, 0x1800);
	assert_int_equal(tb_gi.seg[0].memsz, 0x3000);
	memset(g, 0xAA, MEM);
	assert_int_equal(guest_image_load("t", tb.b, tb.size, &tb_gi, &gm), 0);
	assert_memory_equal(g + 0x200000, tb.b, 0x1800);
	for (uint32_t a = 0x201800; a < 0x203000; a++)
		assert_int_equal(g[a], 0);
	assert_int_equal(g[0x203000], 0xAA);
	assert_int_equal(g[0x1fffff], 0xAA);

	/* Loading starts before the header; load_end_addr 0 means "to the end of the file"; no bss. */
	mb1_put_aout(0x10, 0x300030, 0x300020, 0, 0, 0x300800);
	expect_ok(MEM);
	assert_int_equal(tb_gi.seg[0].file_off, 0);
	assert_int_equal(tb_gi.seg[0].gpa, 0x300020);
	assert_int_equal(tb_gi.seg[0].filesz, 0x1800);
	assert_int_equal(tb_gi.seg[0].memsz, 0x1800);
	assert_int_equal(tb_gi.entry, 0x300800);
	memset(g, 0xAA, MEM);
	assert_int_equal(guest_image_load("t", tb.b, tb.size, &tb_gi, &gm), 0);
	assert_memory_equal(g + 0x300020, tb.b, 0x1800);
	assert_int_equal(g[0x300020 + 0x1800], 0xAA);

	/* A load into memory that is smaller than checked fails cleanly. */
	struct guest_mem small = { g, 0x300000 };
	host_env_reset();
	assert_int_equal(guest_image_load("t", tb.b, tb.size, &tb_gi, &small), -1);
	assert_true(host_console_contains("guest t: load failed: segment 0"));
	free(g);
}

/* The multiboot2 address tag, including load_addr -1 ("from the start of the file"). */
static void test_mb2_address_tag(void **state)
{
	(void)state;
	memset(&tb, 0, sizeof(tb));
	tb.size = 0x2000;
	mb2_begin(0x40);
	mb2_tag(MB2_HTAG_ADDRESS, 0, 24, (const uint32_t[]){ 0x400040, 0xFFFFFFFF, 0, 0x404000 }, 4);
	mb2_tag(MB2_HTAG_ENTRY_ADDRESS, 0, 12, (const uint32_t[]){ 0x400400 }, 1);
	mb2_end();
	expect_ok(MEM);
	assert_int_equal(tb_gi.kind, IMAGE_FLAT);
	assert_int_equal(tb_gi.proto, BOOT_MULTIBOOT2);
	assert_int_equal(tb_gi.seg[0].gpa, 0x400000);
	assert_int_equal(tb_gi.seg[0].file_off, 0);
	assert_int_equal(tb_gi.seg[0].filesz, 0x2000);
	assert_int_equal(tb_gi.seg[0].memsz, 0x4000);
	assert_int_equal(tb_gi.entry, 0x400400);

	/* Without the entry address tag there is no entry at all. */
	memset(&tb, 0, sizeof(tb));
	tb.size = 0x2000;
	mb2_begin(0x40);
	mb2_tag(MB2_HTAG_ADDRESS, 0, 24, (const uint32_t[]){ 0x400040, 0x400000, 0, 0 }, 4);
	mb2_end();
	expect_refused(MEM, "multiboot2 address tag without an entry address tag");
}

/* End to end: a kernel linked at 0x8000 is checked, placed, loaded; the information goes above it. */
static void test_load_then_info(void **state)
{
	struct guest_mem gm = { malloc(2 * MiB), 2 * MiB };
	struct guest_config cfg = { .name = "t", .mem_size = 2 * MiB, .guest_cmdline = "x=1" };
	struct guest_layout lay = { 0 };
	uint8_t *g = gm.host;
	(void)state;

	elf_build(true, 0);
	mb2_simple(HDR_OFF);
	set_ph(0, PH_PADDR, 0x8000); /* text [0x8000, 0x9000) */
	set_ph(0, PH_VADDR, 0x8000);
	set_ph(1, PH_PADDR, 0x9000); /* data + bss [0x9000, 0xc000) */
	set_entry(0x8100);
	expect_ok(2 * MiB);
	assert_int_equal(tb_gi.load_lo, 0x8000);
	assert_int_equal(tb_gi.load_hi, 0xbfff);
	assert_int_equal(guest_layout_place("t", &tb_gi, 2 * MiB, &lay), 0);
	assert_int_equal(lay.info_gpa, 0xc000); /* the first free page from 0x8000 */
	memset(g, 0xAA, 2 * MiB);
	assert_int_equal(guest_image_load("t", tb.b, tb.size, &tb_gi, &gm), 0);
	assert_int_equal(guest_mbinfo_build(&tb_gi, &cfg, &gm, &lay), 0xc000);
	assert_memory_equal(g + 0x8000, tb.b + SEG0_OFF, 0x1000);
	assert_memory_equal(g + 0x9000, tb.b + SEG1_OFF, 0x100);
	assert_int_equal(g[0xbfff], 0);
	assert_int_equal(g[0x7fff], 0xAA);
	assert_int_equal(g[0xc000 + lay.info_size], 0xAA);
	assert_int_equal(guest_mbinfo_magic(&tb_gi), 0x36d76289);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_elf32_mb1, setup),
		cmocka_unit_test_setup(test_elf32_mb2, setup),
		cmocka_unit_test_setup(test_elf64_mb2_higher_half, setup),
		cmocka_unit_test_setup(test_prefers_mb2, setup),
		cmocka_unit_test_setup(test_aout_kludge, setup),
		cmocka_unit_test_setup(test_mb2_address_tag, setup),
		cmocka_unit_test_setup(test_load_then_info, setup),
	};
	return cmocka_run_group_tests_name("guest_image", tests, NULL, NULL);
}

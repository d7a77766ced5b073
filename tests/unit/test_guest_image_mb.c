/* Multiboot headers and address fields refused, each with its exact named reason. */
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

static void test_aout_kludge_refusals(void **state)
{
	(void)state;
	memset(&tb, 0, sizeof(tb));
	tb.size = 0x1800;
	mb1_put_aout(0x10, 0x200010, 0x200020, 0, 0, 0x200100);
	expect_refused(MEM, "multiboot load_addr 0x200020 is above header_addr 0x200010");
	mb1_put_aout(0x10, 0x200010, 0x1f0000, 0, 0, 0x200100);
	expect_refused(MEM, "multiboot header_addr - load_addr (0x10010) exceeds the header's file offset 0x10");
	mb1_put_aout(0x10, 0x200010, 0x200000, 0x200000, 0, 0x200100);
	expect_refused(MEM, "multiboot load_end_addr 0x200000 is not above load_addr 0x200000");
	mb1_put_aout(0x10, 0x200010, 0x200000, 0x202000, 0, 0x200100);
	expect_refused(MEM, "multiboot load range needs 0x2000 bytes from file offset 0x0, image has 0x1800");
	mb1_put_aout(0x10, 0x200010, 0x200000, 0x201000, 0x200800, 0x200100);
	expect_refused(MEM, "multiboot bss_end_addr 0x200800 is below the end of the loaded data 0x201000");
	mb1_put_aout(0x10, 0x200010, 0x200000, 0, 0x1200000, 0x200100);
	expect_refused(MEM,
		       "the multiboot load range [0x200000, 0x1200000) extends past guest memory (0x1000000 bytes)");
	/* A flat image at 0x8000, as some kernels are linked: it loads, the boot information goes elsewhere. */
	mb1_put_aout(0x10, 0x8010, 0x8000, 0, 0, 0x8100);
	expect_ok(MEM);
	assert_int_equal(tb_gi.seg[0].gpa, 0x8000);
	assert_int_equal(tb_gi.entry, 0x8100);
	mb1_put_aout(0x10, 0x9e010, 0x9e000, 0, 0, 0x9e100);
	expect_refused(
		MEM,
		"the multiboot load range [0x9e000, 0x9f800) overlaps the reserved legacy region [0x9f000, 0x100000)");
	mb1_put_aout(0x10, 0x200010, 0x200000, 0, 0, 0x300000);
	expect_refused(MEM, "entry point 0x300000 is not inside a loaded executable segment");
	/* The address fields must be inside the image. */
	tb.size = 0x28;
	mb1_put_aout(0x10, 0x200010, 0x200000, 0, 0, 0x200010);
	expect_refused(
		MEM,
		"multiboot1 header at offset 0x10: its address fields (flags bit 16) extend past the end of the image");
}

static void test_header_search_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	expect_refused(
		MEM,
		"no multiboot header (neither multiboot2 in the first 32768 bytes nor multiboot1 in the first 8192)");
	mb1_put(HDR_OFF, 0);
	w32(HDR_OFF + 8, 0x12345678);
	expect_refused(MEM, "multiboot1 header at offset 0x1000 has a bad checksum (fields sum to 0x2de2067a, not 0)");
	memset(tb.b + HDR_OFF, 0, 12);
	mb2_simple(HDR_OFF);
	w32(HDR_OFF + 12, 0);
	expect_refused(MEM, "multiboot2 header at offset 0x1000 has a bad checksum (fields sum to 0xe85250fe, not 0)");
	/* Misaligned headers are not headers. */
	memset(tb.b + HDR_OFF, 0, 0x40);
	mb2_simple(HDR_OFF + 4);
	expect_refused(
		MEM,
		"no multiboot header (neither multiboot2 in the first 32768 bytes nor multiboot1 in the first 8192)");
	memset(tb.b + HDR_OFF, 0, 0x40);
	mb1_put(HDR_OFF + 2, 0);
	expect_refused(
		MEM,
		"no multiboot header (neither multiboot2 in the first 32768 bytes nor multiboot1 in the first 8192)");
	/* Too far into the file: multiboot1 past 8 KiB. */
	memset(tb.b + HDR_OFF, 0, 0x40);
	mb1_put(SEG1_OFF, 0);
	expect_refused(MEM, "multiboot1 header at offset 0x2000 is not within the first 8192 bytes");

	/* Multiboot2 past 32 KiB, and one that starts inside but runs over the limit. */
	elf_build(false, 0);
	tb.size = 0x9000;
	set_ph(0, PH_FILESZ, 0x7000);
	set_ph(0, PH_MEMSZ, 0x7000);
	set_ph(1, PH_PADDR, 0x110000);
	set_ph(0, PH_OFFSET, 0x2000);
	set_ph(1, PH_OFFSET, 0x1000);
	mb2_simple(0x8000);
	expect_refused(MEM, "multiboot2 header at offset 0x8000 is not within the first 32768 bytes");
	memset(tb.b + 0x8000, 0, 0x40);
	mb2_simple(0x7ff8);
	expect_refused(MEM, "multiboot2 header at offset 0x7ff8 is not within the first 32768 bytes");
	memset(tb.b + 0x7ff8, 0, 0x40);
	mb2_simple(0x7ff0);
	expect_refused(MEM, "multiboot2 header at offset 0x7ff0 (length 0x28) extends past the first 32768 bytes");
	memset(tb.b + 0x7ff0, 0, 0x40);
	mb2_simple(0x7fd8);
	expect_ok(MEM); /* ends exactly at 32 KiB */
	/* ... and one that runs past the end of a short file. */
	elf_build(false, 0);
	mb2_simple(IMG_SIZE - 0x20);
	expect_refused(MEM, "multiboot2 header at offset 0x20e0 (length 0x28) extends past the end of the image");
}

static void test_mb2_tag_refusals(void **state)
{
	static const uint32_t one[] = { 1 }, acpi[] = { 1, 14 }, fb[] = { 800, 600, 32 };
	(void)state;

	elf_build(false, 0);
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 4, one, 0);
	mb2_end();
	expect_refused(MEM, "multiboot2 header tag type 1 at offset 0x1010 has size 4 outside [8, 0x10]");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 0x40, one, 1);
	mb2_seal();
	w32(HDR_OFF + 8, 0x28);
	w32(HDR_OFF + 12, 0u - (MB2_HEADER_MAGIC + 0x28));
	expect_refused(MEM, "multiboot2 header tag type 1 at offset 0x1010 has size 64 outside [8, 0x18]");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 10, one, 1);
	mb2_end();
	expect_refused(MEM,
		       "multiboot2 information request tag at offset 0x1010 has size 10, not 8 plus a multiple of 4");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_ADDRESS, 0, 16, one, 1);
	mb2_end();
	expect_refused(MEM, "multiboot2 header tag type 2 at offset 0x1010 has size 16, needs 24");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 12, one, 1);
	mb2_seal(); /* no end tag */
	tb.b[HDR_OFF + 0x20] = 0xee;
	expect_refused(MEM, "multiboot2 header at offset 0x1000 has no end tag within its length 0x20");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_END, 0, 16, NULL, 0);
	mb2_seal();
	expect_refused(MEM, "multiboot2 header end tag at offset 0x1010 has size 16, not 8");

	mb2_begin(HDR_OFF);
	mb2_end();
	w32(HDR_OFF + 8, 16);
	w32(HDR_OFF + 12, 0u - (MB2_HEADER_MAGIC + 16));
	expect_refused(MEM, "multiboot2 header length 0x10 leaves no room for the end tag");

	mb2_begin(HDR_OFF);
	mb2_end();
	w32(HDR_OFF + 4, 4);
	w32(HDR_OFF + 12, 0u - (MB2_HEADER_MAGIC + 4 + 24));
	expect_refused(MEM, "multiboot2 header architecture 4 is not i386 (0)");

	/* Required things ptvisor cannot give, each named. */
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 16, acpi, 2);
	mb2_end();
	expect_refused(
		MEM,
		"multiboot2 header requires information tag type 14 (ACPI old RSDP), which ptvisor cannot provide");
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_INFO_REQUEST, MB2_HTAG_OPTIONAL, 16, acpi, 2);
	mb2_end();
	expect_ok(MEM);
	assert_int_equal(tb_gi.mbh.mb2_requests, 1u << 1);

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_FRAMEBUFFER, 0, 20, fb, 3);
	mb2_end();
	expect_refused(MEM, "multiboot2 header requires a framebuffer (framebuffer tag), which ptvisor cannot provide");

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_CONSOLE_FLAGS, 0, 12, (const uint32_t[]){ 3 }, 1);
	mb2_end();
	expect_refused(
		MEM,
		"multiboot2 header requires a console described in the boot information (flags tag), which ptvisor cannot provide");
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_CONSOLE_FLAGS, 0, 12, (const uint32_t[]){ 2 }, 1);
	mb2_end();
	expect_ok(MEM);

	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_MODULE_ALIGN, 0, 8, NULL, 0);
	mb2_tag(42, 0, 8, NULL, 0);
	mb2_end();
	expect_refused(MEM, "multiboot2 header requires unsupported tag type 42 (at offset 0x1018)");
}

static void test_mb1_flag_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, (uint32_t)MB1_FLAG_VIDEO_MODE);
	expect_refused(MEM,
		       "multiboot1 header requires video mode information (flags bit 2), which ptvisor cannot provide");
	mb1_put(HDR_OFF, (1u << 5) | (1u << 9));
	expect_refused(MEM, "multiboot1 header requires unsupported feature flags bit 5");
	/* Bits 16-31 are optional: unknown ones are ignored. */
	mb1_put(HDR_OFF, (1u << 20) | 3);
	expect_ok(MEM);
	host_env_reset();
	assert_int_equal(guest_image_check("t", tb.b, 0, MEM, &tb_gi), -1);
	assert_true(host_console_contains("guest t: refused: the image is empty\n"));
	assert_int_equal(guest_image_check(NULL, NULL, 5, MEM, &tb_gi), -1);
	assert_true(host_console_contains("guest ?: refused: the image's memory cannot be mapped\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_aout_kludge_refusals, setup),
		cmocka_unit_test_setup(test_header_search_refusals, setup),
		cmocka_unit_test_setup(test_mb2_tag_refusals, setup),
		cmocka_unit_test_setup(test_mb1_flag_refusals, setup),
	};
	return cmocka_run_group_tests_name("guest_image_mb", tests, NULL, NULL);
}

/* Per-tag checks of the multiboot2 parser: strings, modules, framebuffer, ACPI and EFI tags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "boot_info.h"
#include "host_env.h"
#include "mb2_blob.h"

static struct mb2_blob blob;
static struct boot_info bi;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	mb2_blob_init(&blob);
	return 0;
}

static void test_strings(void **state)
{
	char longname[101];
	(void)state;
	memset(longname, 'L', 100);
	longname[100] = '\0';
	mb2_blob_tag(&blob, 1, "abc", 3); /* no NUL */
	mb2_blob_str(&blob, 2, longname);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_string_equal(bi.cmdline, "abc");
	assert_int_equal(strlen(bi.loader_name), BOOT_LOADER_MAX - 1);
	assert_int_equal(bi.loader_name[0], 'L');
	assert_int_equal(bi.problems, 2);
	assert_true(host_console_contains(
		"multiboot2: tag 1 (cmdline) at offset 8: string is not NUL-terminated within the tag, truncated\n"));
	assert_true(host_console_contains(
		"multiboot2: tag 2 (boot loader name) at offset 24: string of 100 bytes longer than 63, truncated\n"));
}

static void test_modules(void **state)
{
	char name[16];
	(void)state;
	mb2_blob_module(&blob, 0x2000, 0x1000, "backwards");
	mb2_blob_module(&blob, 0x0, 0x1000, "nullpage");
	mb2_blob_module(&blob, 0x0, 0x0, "empty"); /* how GRUB passes an empty file: kept */
	for (int i = 0; i < BOOT_MODULES_MAX; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		mb2_blob_module(&blob, 0x100000 + (uint32_t)i * 0x1000, 0x100800 + (uint32_t)i * 0x1000, name);
	}
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 3);
	assert_int_equal(bi.module_count, BOOT_MODULES_MAX);
	assert_string_equal(bi.modules[0].cmdline, "empty");
	assert_int_equal(bi.modules[0].start, 0);
	assert_int_equal(bi.modules[0].end, 0);
	assert_string_equal(bi.modules[1].cmdline, "m0");
	assert_int_equal(bi.modules[15].start, 0x10e000);
	assert_int_equal(bi.modules[15].end, 0x10e800);
	assert_string_equal(bi.modules[15].cmdline, "m14");
	assert_true(host_console_contains(
		"multiboot2: tag 3 (module) at offset 8: module 'backwards' ends at 0x1000 before it starts at 0x2000, refused\n"));
	assert_true(host_console_contains("module 'nullpage' starts at 0x0 in the null page, refused\n"));
	assert_true(host_console_contains("module 'm15' dropped: only 16 modules are kept\n"));
}

/* Leaves 0xAA in the stack below the caller, where the parser's locals will be. */
static void __attribute__((noinline)) dirty_stack(void)
{
	volatile uint8_t junk[16384];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xaa;
}

/* A module's command line holds the name and zeroes, not the parser's stack bytes (found by fuzz_mb2). */
static void test_module_name_tail(void **state)
{
	(void)state;
	mb2_blob_module(&blob, 0x200000, 0x201000, "a");
	mb2_blob_end(&blob);
	dirty_stack();
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.module_count, 1);
	assert_string_equal(bi.modules[0].cmdline, "a");
	for (size_t i = 2; i < BOOT_MODCMD_MAX; i++)
		if (bi.modules[0].cmdline[i])
			fail_msg("module command line byte %zu is 0x%02x", i, (uint8_t)bi.modules[0].cmdline[i]);
}

static void check_bad_fb(const struct mb2_fb_spec *fb, const char *msg)
{
	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_fb(&blob, fb);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_NONE);
	assert_int_equal(bi.fb.addr, 0);
	assert_int_equal(bi.problems, 1);
	if (!host_console_contains(msg))
		fail_msg("expected '%s' in:\n%s", msg, host_console_text());
}

/* Each case spoils one field of a good 1024x768x32 RGB framebuffer. */
static void test_bad_framebuffer(void **state)
{
	static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 }, wide[6] = { 20, 8, 8, 8, 0, 8 };
	const struct mb2_fb_spec good = { 0xe0000000, 4096, 1024, 768, 32, 1, rgb };
	struct mb2_fb_spec fb;
	(void)state;

	fb = good, fb.bpp = 12;
	check_bad_fb(&fb, "tag 8 (framebuffer) at offset 8: RGB bpp 12 is not 8, 15, 16, 24 or 32, "
			  "framebuffer ignored\n");
	fb = good, fb.pitch = 2048;
	check_bad_fb(&fb, "pitch 2048 below 4096 bytes for width 1024 at 32 bits, framebuffer ignored\n");
	fb = good, fb.addr = 0;
	check_bad_fb(&fb, "address is 0, framebuffer ignored\n");
	fb = good, fb.height = 0;
	check_bad_fb(&fb, "implausible size 1024x0, framebuffer ignored\n");
	fb = good, fb.width = 20000, fb.pitch = 80000;
	check_bad_fb(&fb, "implausible size 20000x768, framebuffer ignored\n");
	fb = good, fb.color = NULL;
	check_bad_fb(&fb, "size 32 too small for RGB color info (38), framebuffer ignored\n");
	fb = good, fb.bpp = 24, fb.pitch = 3072, fb.color = wide;
	check_bad_fb(&fb, "color field 0 (position 20, size 8) outside a 24-bit pixel, framebuffer ignored\n");
	fb = good, fb.type = 5, fb.color = NULL;
	check_bad_fb(&fb, "unknown framebuffer type 5, framebuffer ignored\n");
	fb = good, fb.addr = 0xffffffffffff0000ULL;
	check_bad_fb(&fb, "0x300000 bytes at 0xffffffffffff0000 run past 2^64, framebuffer ignored\n");
	fb = (struct mb2_fb_spec){ 0xb8000, 100, 80, 25, 16, 2, NULL };
	check_bad_fb(&fb, "pitch 100 below 160 bytes for width 80 at 16 bits, framebuffer ignored\n");
	fb = (struct mb2_fb_spec){ 0xa0000, 320, 320, 200, 9, 0, NULL };
	check_bad_fb(&fb, "indexed bpp 9 is not 1-8, framebuffer ignored\n");

	/* An 8-bit indexed mode is kept. */
	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_fb(&blob, &(struct mb2_fb_spec){ 0xa0000, 320, 320, 200, 8, 0, NULL });
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 0);
	assert_int_equal(bi.fb.type, BOOT_FB_INDEXED);
	assert_int_equal(bi.fb.bpp, 8);
}

static void test_acpi(void **state)
{
	(void)state;
	mb2_blob_rsdp(&blob, 14, 2, 20); /* claims v2 in a v1-sized copy */
	mb2_blob_rsdp(&blob, 15, 2, 24);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.problems, 2);
	assert_true(host_console_contains(
		"multiboot2: tag 14 (ACPI old RSDP) at offset 8: RSDP copy of 20 bytes too short for revision 2 (36 needed), dropped\n"));
	assert_true(host_console_contains("tag 15 (ACPI new RSDP) at offset 40: RSDP copy of 24 bytes too short"));

	/* The new copy wins over the old one whichever comes first. */
	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_rsdp(&blob, 15, 2, 36);
	mb2_blob_rsdp(&blob, 14, 0, 20);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_int_equal(bi.rsdp_revision, 2);
	assert_int_equal(bi.problems, 0);
}

static void test_efi32(void **state)
{
	uint8_t st[4];
	(void)state;
	mb2_put32(st, 0x3f8e1018);
	mb2_blob_tag(&blob, 11, st, 4);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_true(bi.efi_booted);
	assert_int_equal(bi.efi_system_table, 0x3f8e1018);
	assert_false(bi.efi_boot_services);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_strings, setup),
		cmocka_unit_test_setup(test_modules, setup),
		cmocka_unit_test_setup(test_bad_framebuffer, setup),
		cmocka_unit_test_setup(test_acpi, setup),
		cmocka_unit_test_setup(test_efi32, setup),
		cmocka_unit_test_setup(test_module_name_tail, setup),
	};
	return cmocka_run_group_tests_name("boot_tags", tests, NULL, NULL);
}

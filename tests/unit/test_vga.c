/* The VGA text console: cells and attributes, newline handling, scrolling, cursor and screen choice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "console/console.h"
#include "console/vga.h"
#include "boot_info.h"
#include "fb_phys.h"
#include "vga_ports.h"
#include "host_env.h"
#include "log.h"

#define GUARD    256
#define SENTINEL 0x5a
#define BLANK    0x0720
/* GRUB's usual Cursor Start value with the cursor hidden (bit 5) and start line 0x0e. */
#define CURSOR_START_HIDDEN 0x2e

static struct boot_info bi;
static unsigned char *mem;
static unsigned char *screen;
static size_t screen_len;
static unsigned stride; /* cells per row */

static void fake_screen(paddr_t addr, size_t len, unsigned cells_per_row)
{
	free(mem);
	screen_len = len;
	mem = malloc(len + 2 * GUARD);
	assert_non_null(mem);
	memset(mem, SENTINEL, len + 2 * GUARD);
	screen = mem + GUARD;
	stride = cells_per_row;
	fb_phys_reset();
	fb_phys_register(addr, screen, len);
}

/* A BIOS boot with no framebuffer tag: the standard 80x25 screen. */
static void bios_screen(void)
{
	memset(&bi, 0, sizeof(bi));
	fake_screen(VGA_TEXT_ADDR, 80 * 25 * 2, 80);
	assert_true(vga_console_init(&bi));
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	fb_phys_reset();
	vga_ports_reset(CURSOR_START_HIDDEN);
	console_register(CONSOLE_VGA, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_register(CONSOLE_VGA, NULL);
	free(mem);
	mem = NULL;
	return 0;
}

static void vga_puts(const char *s)
{
	console_select(1u << CONSOLE_VGA);
	console_write(s, strlen(s));
	console_select((1u << CONSOLE_COUNT) - 1);
}

static uint16_t cell(unsigned x, unsigned y)
{
	const unsigned char *p = screen + ((size_t)y * stride + x) * 2;

	return (uint16_t)(p[0] | p[1] << 8);
}

/* Row y starts with `text` in light grey on black, and is blank after it up to `cols`. */
static void assert_row(unsigned y, const char *text, unsigned cols)
{
	size_t n = strlen(text);

	for (unsigned x = 0; x < cols; x++) {
		uint16_t want = x < n ? (uint16_t)(0x0700 | (unsigned char)text[x]) : BLANK;

		if (cell(x, y) != want)
			fail_msg("row %u col %u: 0x%04x, want 0x%04x", y, x, cell(x, y), want);
	}
}

static unsigned cursor(void)
{
	return (unsigned)vga_ports_crtc(VGA_CRTC_CURSOR_HIGH) << 8 | vga_ports_crtc(VGA_CRTC_CURSOR_LOW);
}

static void assert_guards_intact(void)
{
	for (size_t i = 0; i < GUARD; i++)
		if (mem[i] != SENTINEL || mem[GUARD + screen_len + i] != SENTINEL)
			fail_msg("guard byte %zu around the text screen was written", i);
}

static void test_init_bios_default(void **state)
{
	(void)state;
	bios_screen();
	for (unsigned y = 0; y < 25; y++)
		assert_row(y, "", 80); /* cleared */
	assert_int_equal(fb_phys_max_len(), 4000);
	assert_int_equal(cursor(), 0);
	/* The cursor is shown; its shape bits are kept. */
	assert_int_equal(vga_ports_crtc(VGA_CRTC_CURSOR_START), CURSOR_START_HIDDEN & ~VGA_CURSOR_DISABLE);
	assert_int_equal(vga_ports_stray_writes(), 0);
	assert_true(console_active_mask() & (1u << CONSOLE_VGA));
	assert_true(host_console_contains("vga: 80x25 text console at 0xb8000"));
	assert_guards_intact();
}

static void test_chars_and_attributes(void **state)
{
	(void)state;
	bios_screen();
	vga_puts("Hi");
	assert_int_equal(cell(0, 0), 0x0748);
	assert_int_equal(cell(1, 0), 0x0769);
	assert_int_equal(cell(2, 0), BLANK);
	assert_int_equal(cursor(), 2);
	vga_puts("\x01\x80~");
	assert_int_equal(cell(2, 0), 0x07fe); /* unprintable: a small square */
	assert_int_equal(cell(3, 0), 0x07fe);
	assert_int_equal(cell(4, 0), 0x077e);
}

static void test_newline_and_return(void **state)
{
	(void)state;
	bios_screen();
	vga_puts("ab\ncd\r\nX\rY");
	assert_row(0, "ab", 80);
	assert_row(1, "cd", 80);
	assert_row(2, "Y", 80);
	assert_row(3, "", 80);
	assert_int_equal(cursor(), 2 * 80 + 1);
	vga_puts("\tz");
	assert_row(2, "Y       z", 80);
}

static void test_scrolling(void **state)
{
	char buf[8];
	(void)state;
	bios_screen();
	for (unsigned i = 0; i < 25; i++) {
		snprintf(buf, sizeof(buf), i ? "\n%02u" : "%02u", i);
		vga_puts(buf);
	}
	assert_row(0, "00", 80);
	assert_row(24, "24", 80);
	vga_puts("\n25");
	assert_row(0, "01", 80); /* line 2 moved to line 1 */
	assert_row(22, "23", 80);
	assert_row(23, "24", 80);
	assert_row(24, "25", 80);
	vga_puts("\n");
	assert_row(23, "25", 80);
	assert_row(24, "", 80); /* the last line is cleared */
	assert_int_equal(cursor(), 24 * 80);
	assert_int_equal(vga_ports_crtc(VGA_CRTC_CURSOR_HIGH), 0x07);
	assert_int_equal(vga_ports_crtc(VGA_CRTC_CURSOR_LOW), 0x80);
	assert_guards_intact();
}

static void test_wrap(void **state)
{
	char line[81];
	(void)state;
	bios_screen();
	memset(line, 'x', 80);
	line[80] = '\0';
	vga_puts(line);
	assert_int_equal(cursor(), 79); /* held on the last column */
	vga_puts("\nz");                /* a full line then a newline: one line down */
	assert_row(0, line, 80);
	assert_row(1, "z", 80);
	vga_puts("\n");
	vga_puts(line);
	vga_puts("yy");
	assert_row(2, line, 80);
	assert_row(3, "yy", 80);
}

/* Heavy output with long lines never writes outside the screen. */
static void test_stays_inside(void **state)
{
	char line[300];
	(void)state;
	bios_screen();
	for (unsigned i = 0; i < 100; i++) {
		unsigned n = (i * 41) % (sizeof(line) - 2);

		for (unsigned k = 0; k < n; k++)
			line[k] = (char)(0x20 + (i + k) % 95);
		line[n] = '\n';
		line[n + 1] = '\0';
		vga_puts(line);
	}
	vga_puts("end");
	assert_row(24, "end", 80);
	assert_guards_intact();
}

/* A text tag with its own size and a pitch wider than the row: rows advance by the pitch. */
static void test_text_tag_geometry(void **state)
{
	(void)state;
	memset(&bi, 0, sizeof(bi));
	bi.fb.type = BOOT_FB_EGA_TEXT;
	bi.fb.addr = 0x200000;
	bi.fb.width = 40;
	bi.fb.height = 3;
	bi.fb.pitch = 100;
	bi.fb.bpp = 16;
	bi.efi_booted = true; /* a text tag is honoured even under EFI */
	fake_screen(0x200000, 300, 50);
	assert_true(vga_console_init(&bi));
	vga_puts("ab\ncd");
	assert_row(0, "ab", 40);
	assert_row(1, "cd", 40);
	assert_int_equal(cursor(), 50 + 2);
	vga_puts("\nef\ngh");
	assert_row(0, "cd", 40);
	assert_row(1, "ef", 40);
	assert_row(2, "gh", 40);
	/* The 10 cells past each row's 40 were never touched. */
	for (unsigned y = 0; y < 3; y++)
		for (unsigned b = 80; b < 100; b++)
			assert_int_equal(screen[y * 100 + b], SENTINEL);
	assert_guards_intact();
}

static void expect_not_taken(const char *msg)
{
	unsigned calls = fb_phys_map_calls();

	host_env_reset();
	vga_ports_reset(CURSOR_START_HIDDEN);
	console_register(CONSOLE_VGA, NULL);
	assert_false(vga_console_init(&bi));
	if (msg && !host_console_contains(msg))
		fail_msg("wanted \"%s\" in: %s", msg, host_console_text());
	if (!msg)
		assert_string_equal(host_console_text(), "");
	if (!msg || strstr(msg, "ignoring"))
		assert_int_equal(fb_phys_map_calls(), calls);
	assert_int_equal(vga_ports_writes(), 0);
	assert_false(console_active_mask() & (1u << CONSOLE_VGA));
}

static void test_not_applicable(void **state)
{
	(void)state;
	memset(&bi, 0, sizeof(bi));
	fake_screen(VGA_TEXT_ADDR, 4000, 80);
	bi.efi_booted = true; /* EFI, no tag: there may be no VGA */
	expect_not_taken(NULL);
	bi.efi_booted = false;
	bi.fb.type = BOOT_FB_RGB;
	bi.fb.addr = VGA_TEXT_ADDR;
	bi.fb.width = 80;
	bi.fb.height = 25;
	bi.fb.pitch = 160;
	expect_not_taken(NULL);
	bi.fb.type = BOOT_FB_INDEXED;
	expect_not_taken(NULL);
	for (size_t i = 0; i < screen_len; i++)
		assert_int_equal(screen[i], SENTINEL);
}

static void test_bad_geometry(void **state)
{
	(void)state;
	memset(&bi, 0, sizeof(bi));
	fake_screen(VGA_TEXT_ADDR, 4000, 80);
	bi.fb.type = BOOT_FB_EGA_TEXT;
	bi.fb.addr = VGA_TEXT_ADDR;
	bi.fb.width = 80;
	bi.fb.height = 25;
	bi.fb.pitch = 158; /* shorter than a row */
	expect_not_taken("vga: ignoring text screen 80x25, pitch 158 at 0xb8000");
	bi.fb.pitch = 161;
	expect_not_taken("vga: ignoring");
	bi.fb.pitch = 160;
	bi.fb.width = 0;
	expect_not_taken("vga: ignoring");
	bi.fb.width = 80;
	bi.fb.height = 1000;
	expect_not_taken("vga: ignoring");
	bi.fb.height = 25;
	bi.fb.addr = 0;
	expect_not_taken("vga: ignoring");
	bi.fb.addr = VGA_TEXT_ADDR + 1;
	expect_not_taken("vga: ignoring");
	bi.fb.addr = VGA_TEXT_ADDR;
	bi.fb.height = 26; /* one row more than is backed */
	expect_not_taken("vga: cannot map the text screen at 0xb8000");
	assert_int_equal(fb_phys_max_len(), 160 * 26);
	for (size_t i = 0; i < screen_len; i++)
		assert_int_equal(screen[i], SENTINEL);
}

static void test_log_reaches_screen(void **state)
{
	(void)state;
	bios_screen();
	pr_warn("disk %d\n", 7);
	assert_row(0, "ptvisor: warning: disk 7", 80);
	assert_int_equal(cursor(), 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_bios_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chars_and_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_and_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrolling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_tag_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_applicable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_reaches_screen, setup, teardown),
	};
	return cmocka_run_group_tests_name("vga", tests, NULL, NULL);
}

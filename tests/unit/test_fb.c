/* The framebuffer console: exact pixels per layout, scrolling, wrapping, bounds and bad geometry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "console/console.h"
#include "console/fb.h"
#include "console/font.h"
#include "boot_info.h"
#include "fb_phys.h"
#include "host_env.h"
#include "log.h"

#define FB_BASE  0x80000000ULL
#define GUARD    512
#define SENTINEL 0x5a

struct layout {
	uint8_t bpp, rp, rs, gp, gs, bp, bs;
};

static const struct layout RGB32 = { 32, 16, 8, 8, 8, 0, 8 };
static const struct layout BGR32 = { 32, 0, 8, 8, 8, 16, 8 };
static const struct layout RGB24 = { 24, 16, 8, 8, 8, 0, 8 };
static const struct layout RGB565 = { 16, 11, 5, 5, 6, 0, 5 };
static const struct layout RGB555 = { 15, 10, 5, 5, 5, 0, 5 };

static struct boot_info bi;
static unsigned char *mem; /* GUARD | framebuffer | GUARD */
static unsigned char *fbmem;
static size_t fblen;
static unsigned bytespp;

static void fake_fb(uint32_t w, uint32_t h, uint32_t pitch, const struct layout *l)
{
	memset(&bi, 0, sizeof(bi));
	bi.fb.type = BOOT_FB_RGB;
	bi.fb.addr = FB_BASE;
	bi.fb.width = w;
	bi.fb.height = h;
	bi.fb.pitch = pitch;
	bi.fb.bpp = l->bpp;
	bi.fb.red_pos = l->rp;
	bi.fb.red_size = l->rs;
	bi.fb.green_pos = l->gp;
	bi.fb.green_size = l->gs;
	bi.fb.blue_pos = l->bp;
	bi.fb.blue_size = l->bs;
	bi.efi_booted = true;
	bytespp = (l->bpp + 7) / 8;
	fblen = (size_t)pitch * h;
	free(mem);
	mem = malloc(fblen + 2 * GUARD);
	assert_non_null(mem);
	memset(mem, SENTINEL, fblen + 2 * GUARD);
	fbmem = mem + GUARD;
	fb_phys_reset();
	fb_phys_register(FB_BASE, fbmem, fblen);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	fb_phys_reset();
	console_register(CONSOLE_FB, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_register(CONSOLE_FB, NULL);
	free(mem);
	mem = NULL;
	return 0;
}

/* Writes through the console layer to the framebuffer only. */
static void fb_puts(const char *s)
{
	console_select(1u << CONSOLE_FB);
	console_write(s, strlen(s));
	console_select((1u << CONSOLE_COUNT) - 1);
}

static uint32_t px(unsigned x, unsigned y)
{
	const unsigned char *p = fbmem + (size_t)y * bi.fb.pitch + (size_t)x * bytespp;
	uint32_t v = 0;

	for (unsigned i = 0; i < bytespp; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Cell (cx, cy) shows glyph `c` in fg on bg, each font pixel scale x scale. */
static void assert_cell(unsigned cx, unsigned cy, char c, uint32_t fg, unsigned scale)
{
	const uint8_t *g = font_glyph(c);

	for (unsigned r = 0; r < FONT_HEIGHT * scale; r++) {
		for (unsigned x = 0; x < FONT_WIDTH * scale; x++) {
			uint32_t want = g[r / scale] & (0x80 >> (x / scale)) ? fg : 0;
			uint32_t got = px(cx * FONT_WIDTH * scale + x, cy * FONT_HEIGHT * scale + r);

			if (got != want)
				fail_msg("cell (%u,%u) '%c' pixel (%u,%u): 0x%x, want 0x%x", cx, cy, c, x, r, got,
					 want);
		}
	}
}

/* Every pixel of the rectangle is `v`. */
static void assert_rect(unsigned x0, unsigned y0, unsigned w, unsigned h, uint32_t v)
{
	for (unsigned y = y0; y < y0 + h; y++)
		for (unsigned x = x0; x < x0 + w; x++)
			if (px(x, y) != v)
				fail_msg("pixel (%u,%u): 0x%x, want 0x%x", x, y, px(x, y), v);
}

static void assert_guards_intact(void)
{
	for (size_t i = 0; i < GUARD; i++) {
		if (mem[i] != SENTINEL || mem[GUARD + fblen + i] != SENTINEL)
			fail_msg("guard byte %zu around the framebuffer was written", i);
	}
	/* Bytes between the last visible pixel and the pitch belong to nobody. */
	for (unsigned y = 0; y < bi.fb.height; y++)
		for (size_t b = (size_t)bi.fb.width * bytespp; b < bi.fb.pitch; b++)
			if (fbmem[(size_t)y * bi.fb.pitch + b] != SENTINEL)
				fail_msg("padding byte %zu of line %u was written", b, y);
}

static void test_pack_colour(void **state)
{
	struct boot_fb f = { .type = BOOT_FB_RGB };
	(void)state;
	f.red_pos = 16, f.red_size = 8, f.green_pos = 8, f.green_size = 8, f.blue_pos = 0, f.blue_size = 8;
	assert_int_equal(fb_pack_colour(&f, 0x12, 0x34, 0x56), 0x123456);
	f.red_pos = 0, f.blue_pos = 16;
	assert_int_equal(fb_pack_colour(&f, 0x12, 0x34, 0x56), 0x563412);
	f.red_pos = 11, f.red_size = 5, f.green_pos = 5, f.green_size = 6, f.blue_pos = 0, f.blue_size = 5;
	assert_int_equal(fb_pack_colour(&f, 0xff, 0, 0), 0xf800);
	assert_int_equal(fb_pack_colour(&f, 0, 0xff, 0), 0x07e0);
	assert_int_equal(fb_pack_colour(&f, 0, 0, 0xff), 0x001f);
	assert_int_equal(fb_pack_colour(&f, 0xaa, 0xaa, 0xaa), 0xad55);
	f.red_pos = 10, f.green_size = 5;
	assert_int_equal(fb_pack_colour(&f, 0xff, 0xff, 0xff), 0x7fff);
	assert_int_equal(fb_pack_colour(&f, 0xaa, 0xaa, 0xaa), 0x56b5);
}

static void test_rgb32_glyph(void **state)
{
	(void)state;
	fake_fb(640, 480, 640 * 4, &RGB32);
	assert_true(fb_console_init(&bi));
	assert_true(host_console_contains("fb: 640x480 32 bpp at 0x80000000, 80x30 text"));
	assert_int_equal(fb_phys_max_len(), 640 * 4 * 480);
	assert_rect(0, 0, 640, 480, 0); /* cleared */
	assert_true(console_active_mask() & (1u << CONSOLE_FB));

	fb_puts("A");
	assert_cell(0, 0, 'A', 0x00aaaaaa, 1);
	/* The apex, the crossbar and the spacing column, independent of the font table. */
	assert_int_equal(px(3, 2), 0x00aaaaaa);
	assert_int_equal(px(2, 2), 0);
	assert_rect(0, 7, 7, 1, 0x00aaaaaa);
	assert_rect(7, 0, 1, 16, 0);
	assert_rect(8, 0, 632, 480, 0);
	assert_rect(0, 16, 8, 464, 0);
	assert_guards_intact();
}

static void test_rgb565_glyph(void **state)
{
	(void)state;
	fake_fb(320, 200, 320 * 2, &RGB565);
	assert_true(fb_console_init(&bi));
	fb_puts("xA");
	assert_cell(1, 0, 'A', 0xad55, 1);
	assert_cell(0, 0, 'x', 0xad55, 1);
	assert_int_equal(px(8 + 3, 2), 0xad55);
	assert_int_equal(px(8 + 6, 11), 0xad55);
	assert_rect(16, 0, 304, 200, 0);
	assert_guards_intact();
}

static void test_bgr_and_24bpp_glyph(void **state)
{
	(void)state;
	fake_fb(320, 200, 320 * 4, &BGR32);
	assert_true(fb_console_init(&bi));
	fb_puts("A");
	assert_cell(0, 0, 'A', 0x00aaaaaa, 1);

	fake_fb(320, 200, 320 * 3, &RGB24);
	assert_true(fb_console_init(&bi));
	fb_puts("AA");
	assert_cell(1, 0, 'A', 0xaaaaaa, 1);
	/* Three bytes per pixel: the apex of the second A is bytes 33..35 of line 2. */
	assert_int_equal(fbmem[2 * 960 + 33], 0xaa);
	assert_int_equal(fbmem[2 * 960 + 35], 0xaa);
	assert_int_equal(fbmem[2 * 960 + 36], 0);
	assert_guards_intact();

	fake_fb(320, 200, 320 * 2, &RGB555);
	assert_true(fb_console_init(&bi));
	fb_puts("A");
	assert_cell(0, 0, 'A', 0x56b5, 1);
	assert_guards_intact();
}

/* 64x48 at 32 bpp: 8 columns by 3 rows. */
static void small_screen(void)
{
	fake_fb(64, 48, 64 * 4, &RGB32);
	assert_true(fb_console_init(&bi));
}

static void test_scroll(void **state)
{
	(void)state;
	small_screen();
	fb_puts("1\n2\n3");
	assert_cell(0, 0, '1', 0xaaaaaa, 1);
	assert_cell(0, 2, '3', 0xaaaaaa, 1);
	fb_puts("\n4");
	assert_cell(0, 0, '2', 0xaaaaaa, 1); /* line 2 moved to line 1 */
	assert_cell(0, 1, '3', 0xaaaaaa, 1);
	assert_cell(0, 2, '4', 0xaaaaaa, 1);
	fb_puts("ABCDEFG\n");
	assert_cell(0, 0, '3', 0xaaaaaa, 1);
	assert_cell(0, 1, '4', 0xaaaaaa, 1);
	assert_cell(7, 1, 'G', 0xaaaaaa, 1);
	assert_rect(0, 32, 64, 16, 0); /* the last line is cleared */
	assert_guards_intact();
}

static void test_wrap(void **state)
{
	(void)state;
	small_screen();
	fb_puts("ABCDEFGHIJ");
	assert_cell(7, 0, 'H', 0xaaaaaa, 1);
	assert_cell(0, 1, 'I', 0xaaaaaa, 1);
	assert_cell(1, 1, 'J', 0xaaaaaa, 1);

	/* A full line then a newline moves down once, not twice. */
	small_screen();
	fb_puts("ABCDEFGH\nX");
	assert_cell(0, 1, 'X', 0xaaaaaa, 1);
	assert_rect(0, 32, 64, 16, 0);

	/* Carriage return after a full line returns to its start. */
	small_screen();
	fb_puts("ABCDEFGH\rZ");
	assert_cell(0, 0, 'Z', 0xaaaaaa, 1);
	assert_cell(1, 0, 'B', 0xaaaaaa, 1);
	assert_rect(0, 16, 64, 32, 0);
}

static void test_tab_and_unprintable(void **state)
{
	(void)state;
	fake_fb(320, 200, 320 * 4, &RGB32);
	assert_true(fb_console_init(&bi));
	fb_puts("a\tb\n12345678\tc\n\x01\x7f");
	assert_cell(0, 0, 'a', 0xaaaaaa, 1);
	assert_rect(8, 0, 56, 16, 0);
	assert_cell(8, 0, 'b', 0xaaaaaa, 1);
	assert_cell(16, 1, 'c', 0xaaaaaa, 1);
	assert_cell(0, 2, '\x01', 0xaaaaaa, 1);
	assert_cell(1, 2, '\x7f', 0xaaaaaa, 1);
	assert_int_equal(px(0, 32 + 2), 0xaaaaaa);  /* the box's top edge */
	assert_int_equal(px(6, 32 + 11), 0xaaaaaa); /* and its bottom right corner */
}

static void test_scale2(void **state)
{
	(void)state;
	fake_fb(1600, 900, 1600 * 4, &RGB32);
	assert_true(fb_console_init(&bi));
	assert_true(host_console_contains("100x28 text"));
	fb_puts("Ag");
	assert_cell(0, 0, 'A', 0xaaaaaa, 2);
	assert_cell(1, 0, 'g', 0xaaaaaa, 2);
	assert_int_equal(px(7, 5), 0xaaaaaa); /* apex pixel (3,2) covers 6..7 x 4..5 */
	assert_int_equal(px(8, 5), 0);
	assert_guards_intact();

	fake_fb(1599, 900, 1599 * 4, &RGB32);
	assert_true(fb_console_init(&bi));
	assert_true(host_console_contains("199x56 text"));
}

/* Odd sizes and pitches: lots of wrapped, scrolled text must stay inside the visible area. */
static void stress_text(unsigned lines)
{
	char line[300];

	for (unsigned i = 0; i < lines; i++) {
		unsigned n = (i * 37) % (sizeof(line) - 2);

		for (unsigned k = 0; k < n; k++)
			line[k] = (char)(0x20 + (i + k) % 95);
		line[n] = '\n';
		line[n + 1] = '\0';
		fb_puts(line);
	}
	fb_puts("END");
}

static void test_odd_geometry_stays_inside(void **state)
{
	(void)state;
	fake_fb(803, 605, 803 * 3 + 2, &RGB24); /* 100x37 text, 5 px and 13 lines spare */
	assert_true(fb_console_init(&bi));
	stress_text(200);
	assert_guards_intact();
	assert_rect(800, 0, 3, 605, 0);
	assert_rect(0, 592, 803, 13, 0);
	assert_cell(0, 36, 'E', 0xaaaaaa, 1);
	assert_cell(2, 36, 'D', 0xaaaaaa, 1);

	fake_fb(1601, 999, 1601 * 2 + 6, &RGB565); /* scaled: 100x31 text */
	assert_true(fb_console_init(&bi));
	stress_text(120);
	assert_guards_intact();
	assert_rect(1600, 0, 1, 999, 0);
	assert_rect(0, 992, 1601, 7, 0);
	assert_cell(1, 30, 'N', 0xad55, 2);
}

static void expect_rejected(const char *why)
{
	host_env_reset();
	console_register(CONSOLE_FB, NULL);
	unsigned calls = fb_phys_map_calls();

	assert_false(fb_console_init(&bi));
	if (!host_console_contains(why))
		fail_msg("wanted \"%s\" in: %s", why, host_console_text());
	assert_true(host_console_contains("ptvisor: warning: fb: "));
	assert_int_equal(fb_phys_map_calls(), calls);
	assert_false(console_active_mask() & (1u << CONSOLE_FB));
}

static void test_bad_geometry(void **state)
{
	(void)state;
	fake_fb(640, 480, 640 * 4 - 4, &RGB32);
	expect_rejected("pitch does not fit the width");
	bi.fb.pitch = FB_MAX_PITCH + 4;
	expect_rejected("pitch does not fit the width");
	bi.fb.pitch = 640 * 4;
	bi.fb.bpp = 8;
	expect_rejected("unsupported depth");
	bi.fb.bpp = 32;
	bi.fb.width = 0;
	expect_rejected("implausible size");
	bi.fb.width = 20000;
	expect_rejected("implausible size");
	bi.fb.width = 7;
	expect_rejected("smaller than one character");
	bi.fb.width = 640;
	bi.fb.height = 15;
	expect_rejected("smaller than one character");
	bi.fb.height = 480;
	bi.fb.addr = 0;
	expect_rejected("bad address");
	bi.fb.addr = UINT64_MAX - 4096;
	expect_rejected("bad address");
	bi.fb.addr = FB_BASE;
	bi.fb.green_pos = 12;
	expect_rejected("bad colour layout"); /* green overlaps red */
	bi.fb.green_pos = 8;
	bi.fb.blue_size = 0;
	expect_rejected("bad colour layout");
	bi.fb.blue_size = 9;
	expect_rejected("bad colour layout");
	bi.fb.blue_size = 8;
	bi.fb.red_pos = 28;
	expect_rejected("bad colour layout"); /* past bit 31 */
	bi.fb.red_pos = 16;
	bi.fb.width = bi.fb.height = 16384;
	bi.fb.pitch = 16384 * 4;
	expect_rejected("implausibly large");
	bi.fb.width = 640;
	bi.fb.height = 480;
	bi.fb.pitch = 640 * 4;
	assert_guards_intact();
	for (size_t i = 0; i < fblen; i++)
		if (fbmem[i] != SENTINEL)
			fail_msg("a rejected framebuffer was written at byte %zu", i);
}

static void test_unmapped_and_other_types(void **state)
{
	(void)state;
	fake_fb(640, 480, 640 * 4, &RGB32);
	bi.fb.height = 481; /* one line more than is backed */
	assert_false(fb_console_init(&bi));
	assert_true(host_console_contains("fb: cannot map the framebuffer at 0x80000000"));
	assert_int_equal(fb_phys_max_len(), 640 * 4 * 481);

	static const enum boot_fb_type others[] = { BOOT_FB_NONE, BOOT_FB_EGA_TEXT, BOOT_FB_INDEXED };
	for (unsigned i = 0; i < ARRAY_SIZE(others); i++) {
		host_env_reset();
		bi.fb.type = others[i];
		bi.fb.height = 480;
		assert_false(fb_console_init(&bi));
		assert_string_equal(host_console_text(), "");
	}
	assert_false(console_active_mask() & (1u << CONSOLE_FB));
}

/* Once registered, log lines land on the screen too. */
static void test_log_reaches_screen(void **state)
{
	(void)state;
	small_screen();
	pr_info("ok\n");
	assert_true(host_console_contains("ptvisor: ok"));
	/* "ptvisor:" fills the 8 columns; the space wraps to the next line. */
	assert_cell(0, 0, 'p', 0xaaaaaa, 1);
	assert_cell(7, 0, ':', 0xaaaaaa, 1);
	assert_cell(0, 1, ' ', 0xaaaaaa, 1);
	assert_cell(1, 1, 'o', 0xaaaaaa, 1);
	assert_cell(2, 1, 'k', 0xaaaaaa, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pack_colour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rgb32_glyph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rgb565_glyph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bgr_and_24bpp_glyph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tab_and_unprintable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_geometry_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_and_other_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_reaches_screen, setup, teardown),
	};
	return cmocka_run_group_tests_name("fb", tests, NULL, NULL);
}

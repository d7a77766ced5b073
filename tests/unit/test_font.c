/* The built-in console font: table coverage, the grid every glyph keeps, and exact bitmaps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "console/font.h"

/* Bitmap rows as text, '#' = ink, 8 columns; unlisted rows must be blank. */
static void assert_glyph(char c, unsigned first_row, const char *const *rows, unsigned nrows)
{
	const uint8_t *g = font_glyph(c);

	for (unsigned r = 0; r < FONT_HEIGHT; r++) {
		uint8_t want = 0;

		if (r >= first_row && r < first_row + nrows)
			for (unsigned x = 0; x < FONT_WIDTH; x++)
				if (rows[r - first_row][x] == '#')
					want |= (uint8_t)(0x80 >> x);
		if (g[r] != want)
			fail_msg("glyph '%c' row %u: 0x%02x, want 0x%02x", c, r, g[r], want);
	}
}

/* Lowest and highest row with ink, or -1 for both when the glyph is blank. */
static void ink_rows(char c, int *top, int *bottom)
{
	const uint8_t *g = font_glyph(c);

	*top = *bottom = -1;
	for (int r = 0; r < FONT_HEIGHT; r++) {
		if (!g[r])
			continue;
		if (*top < 0)
			*top = r;
		*bottom = r;
	}
}

static void test_exact_bitmaps(void **state)
{
	static const char *const a[] = {
		"...#....", "..#.#...", ".#...#..", "#.....#.", "#.....#.",
		"#######.", "#.....#.", "#.....#.", "#.....#.", "#.....#.",
	};
	static const char *const g[] = {
		".######.", "#.....#.", "#.....#.", "#.....#.", "#.....#.",
		"#.....#.", ".######.", "......#.", "#.....#.", ".#####..",
	};
	static const char *const box[] = {
		"#######.", "#.....#.", "#.....#.", "#.....#.", "#.....#.",
		"#.....#.", "#.....#.", "#.....#.", "#.....#.", "#######.",
	};
	(void)state;
	assert_glyph('A', 2, a, ARRAY_SIZE(a));
	assert_glyph('g', 5, g, ARRAY_SIZE(g));
	assert_glyph('\x7f', 2, box, ARRAY_SIZE(box));
	assert_glyph(' ', 0, NULL, 0);
}

static void test_out_of_range_is_box(void **state)
{
	const uint8_t *box = font_glyph('\0');
	(void)state;
	assert_non_null(box);
	assert_ptr_equal(font_glyph('\x1f'), box);
	assert_ptr_equal(font_glyph('\x7f'), box);
	assert_ptr_equal(font_glyph((char)0x80), box);
	assert_ptr_equal(font_glyph((char)0xff), box);
	assert_ptr_equal(font_glyph('\n'), box);
	for (int c = FONT_FIRST; c <= FONT_LAST; c++)
		assert_memory_not_equal(font_glyph((char)c), box, FONT_HEIGHT);
}

/* Every printable glyph is distinct, inked (except space), and keeps its spacing column and rows. */
static void test_grid_and_spacing(void **state)
{
	(void)state;
	for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
		const uint8_t *g = font_glyph((char)c);
		int top, bottom;

		for (unsigned r = 0; r < FONT_HEIGHT; r++)
			if (g[r] & 0x01)
				fail_msg("glyph 0x%02x inks the spacing column on row %u", c, r);
		ink_rows((char)c, &top, &bottom);
		if (c == ' ') {
			assert_int_equal(top, -1);
			continue;
		}
		if (top < 0 || top < 2 || bottom > 14)
			fail_msg("glyph 0x%02x has ink on rows %d-%d, outside 2-14", c, top, bottom);
		for (int d = FONT_FIRST; d < c; d++)
			if (!memcmp(font_glyph((char)d), g, FONT_HEIGHT))
				fail_msg("glyphs 0x%02x and 0x%02x are identical", d, c);
	}
}

static void assert_rows(const char *set, int want_top, int want_bottom)
{
	for (const char *p = set; *p; p++) {
		int top, bottom;

		ink_rows(*p, &top, &bottom);
		if (top != want_top || bottom != want_bottom)
			fail_msg("'%c' spans rows %d-%d, want %d-%d", *p, top, bottom, want_top, want_bottom);
	}
}

/* Capitals and digits 10 rows tall, x-height 7, ascenders at cap height, descenders 3 rows. */
static void test_vertical_metrics(void **state)
{
	(void)state;
	assert_rows("ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789", 2, 11);
	assert_rows("acemnorsuvwxz", 5, 11);
	assert_rows("bdfhkl", 2, 11);
	assert_rows("it", 3, 11);
	assert_rows("gpqy", 5, 14);
	assert_rows("j", 3, 14);
}

/* Only g j p q y reach below the baseline. */
static void test_descenders(void **state)
{
	(void)state;
	for (const char *p = "abcdefhiklmnorstuvwxz"; *p; p++) {
		int top, bottom;

		ink_rows(*p, &top, &bottom);
		if (bottom != 11)
			fail_msg("'%c' ends on row %d, not on the baseline", *p, bottom);
	}
}

/* The design is 7 pixels wide: wide letters touch both column 0 and column 6. */
static void test_width(void **state)
{
	(void)state;
	for (const char *p = "ABHMNOUVWXmw#"; *p; p++) {
		const uint8_t *g = font_glyph(*p);
		uint8_t all = 0;

		for (unsigned r = 0; r < FONT_HEIGHT; r++)
			all |= g[r];
		if (all != 0xfe)
			fail_msg("'%c' covers columns 0x%02x, want 0xfe", *p, all);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_bitmaps),    cmocka_unit_test(test_out_of_range_is_box),
		cmocka_unit_test(test_grid_and_spacing), cmocka_unit_test(test_vertical_metrics),
		cmocka_unit_test(test_descenders),       cmocka_unit_test(test_width),
	};
	return cmocka_run_group_tests_name("font", tests, NULL, NULL);
}

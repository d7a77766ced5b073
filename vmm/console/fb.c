/* Framebuffer console: glyphs drawn pixel by pixel, scrolled by moving pixel lines up. */
#include "console/fb.h"
#include "console/console.h"
#include "console/font.h"
#include "lib/string.h"
#include "log.h"
#include "mem/phys.h"

#define FB_TAB_STOP 8

static struct {
	uint8_t *base;
	uint32_t pitch;         /* bytes from one pixel line to the next */
	uint32_t width, height; /* pixels */
	unsigned bytespp;
	unsigned scale; /* screen pixels per font pixel, each way */
	unsigned cell_w, cell_h;
	unsigned cols, rows; /* text cells that fit whole */
	unsigned x, y;       /* x == cols: the row is full, wrap before the next character */
	uint32_t fg, bg;
} fb;

static void fb_write(const char *s, size_t len);

static struct console fb_console = {
	.name = "fb",
	.write = fb_write,
	.enabled = false,
};

static uint32_t fb_channel(uint8_t v, uint8_t pos, uint8_t size)
{
	uint32_t bits;

	if (size == 0 || pos >= 32)
		return 0;
	bits = size <= 8 ? (uint32_t)(v >> (8 - size)) : (uint32_t)v << (size - 8);
	return bits << pos;
}

uint32_t fb_pack_colour(const struct boot_fb *f, uint8_t r, uint8_t g, uint8_t b)
{
	return fb_channel(r, f->red_pos, f->red_size) | fb_channel(g, f->green_pos, f->green_size) |
	       fb_channel(b, f->blue_pos, f->blue_size);
}

/* Pixels are little-endian in memory, whatever their width; byte stores also need no alignment. */
static void fb_store(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < fb.bytespp; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Paints pixel lines [first, first + count), `pixels` wide from the left edge, with the background. */
static void fb_fill_lines(unsigned first, unsigned count, unsigned pixels)
{
	for (unsigned l = first; l < first + count; l++) {
		uint8_t *p = fb.base + (size_t)l * fb.pitch;

		if (fb.bg == 0) {
			memset(p, 0, (size_t)pixels * fb.bytespp);
			continue;
		}
		for (unsigned i = 0; i < pixels; i++, p += fb.bytespp)
			fb_store(p, fb.bg);
	}
}

static void fb_draw_glyph(unsigned cx, unsigned cy, const uint8_t *glyph)
{
	uint8_t *cell = fb.base + (size_t)cy * fb.cell_h * fb.pitch + (size_t)cx * fb.cell_w * fb.bytespp;

	for (unsigned row = 0; row < FONT_HEIGHT; row++) {
		for (unsigned sy = 0; sy < fb.scale; sy++) {
			uint8_t *p = cell + (size_t)(row * fb.scale + sy) * fb.pitch;

			for (unsigned col = 0; col < FONT_WIDTH; col++) {
				uint32_t v = glyph[row] & (0x80u >> col) ? fb.fg : fb.bg;

				for (unsigned sx = 0; sx < fb.scale; sx++, p += fb.bytespp)
					fb_store(p, v);
			}
		}
	}
}

/* Moves every text row up one, line by line (the pitch may exceed the visible width), and blanks the last. */
static void fb_scroll(void)
{
	size_t span = (size_t)fb.cols * fb.cell_w * fb.bytespp;
	unsigned lines = (fb.rows - 1) * fb.cell_h;

	for (unsigned l = 0; l < lines; l++)
		memmove(fb.base + (size_t)l * fb.pitch, fb.base + (size_t)(l + fb.cell_h) * fb.pitch, span);
	fb_fill_lines(lines, fb.cell_h, fb.cols * fb.cell_w);
}

static void fb_newline(void)
{
	fb.x = 0;
	if (fb.y + 1 < fb.rows) {
		fb.y++;
		return;
	}
	fb_scroll();
}

static void fb_put(char c)
{
	if (fb.x >= fb.cols)
		fb_newline();
	fb_draw_glyph(fb.x, fb.y, font_glyph(c));
	fb.x++;
}

static void fb_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '\n':
			fb_newline();
			break;
		case '\r':
			fb.x = 0;
			break;
		case '\t':
			do {
				fb_put(' ');
			} while (fb.x % FB_TAB_STOP && fb.x < fb.cols);
			break;
		default:
			fb_put(s[i]);
			break;
		}
	}
}

static unsigned fb_bytes_per_pixel(uint8_t bpp)
{
	switch (bpp) {
	case 15:
	case 16:
		return 2;
	case 24:
		return 3;
	case 32:
		return 4;
	default:
		return 0;
	}
}

/* Each channel 1-8 bits, inside the pixel, not overlapping another: else colours come out as noise. */
static bool fb_colour_layout_ok(const struct boot_fb *f)
{
	const uint8_t pos[3] = { f->red_pos, f->green_pos, f->blue_pos };
	const uint8_t size[3] = { f->red_size, f->green_size, f->blue_size };
	uint32_t seen = 0;

	for (unsigned i = 0; i < 3; i++) {
		if (size[i] == 0 || size[i] > 8 || pos[i] + size[i] > f->bpp)
			return false;
		uint32_t mask = (uint32_t)GENMASK(pos[i] + size[i] - 1, pos[i]);
		if (seen & mask)
			return false;
		seen |= mask;
	}
	return true;
}

/* NULL when the framebuffer is usable, else why not. */
static const char *fb_check_geometry(const struct boot_fb *f, unsigned bytespp, unsigned scale)
{
	uint64_t size = (uint64_t)f->pitch * f->height;

	if (bytespp == 0)
		return "unsupported depth";
	if (f->width == 0 || f->height == 0 || f->width > FB_MAX_DIM || f->height > FB_MAX_DIM)
		return "implausible size";
	if (f->width < FONT_WIDTH * scale || f->height < FONT_HEIGHT * scale)
		return "smaller than one character";
	if ((uint64_t)f->pitch < (uint64_t)f->width * bytespp || f->pitch > FB_MAX_PITCH)
		return "pitch does not fit the width";
	if (size > FB_MAX_BYTES)
		return "implausibly large";
	if (f->addr == 0 || f->addr > UINT64_MAX - size)
		return "bad address";
	if (!fb_colour_layout_ok(f))
		return "bad colour layout";
	return NULL;
}

bool fb_console_init(const struct boot_info *bi)
{
	const struct boot_fb *f = &bi->fb;

	if (f->type != BOOT_FB_RGB)
		return false;
	unsigned bytespp = fb_bytes_per_pixel(f->bpp);
	unsigned scale = f->width >= FB_SCALE2_MIN_WIDTH ? 2 : 1;
	const char *why = fb_check_geometry(f, bytespp, scale);
	if (why) {
		pr_warn("fb: ignoring %ux%u %u bpp framebuffer at 0x%llx, pitch %u: %s\n", f->width, f->height, f->bpp,
			(unsigned long long)f->addr, f->pitch, why);
		return false;
	}
	uint8_t *base = phys_map(f->addr, (size_t)f->pitch * f->height);
	if (!base) {
		pr_warn("fb: cannot map the framebuffer at 0x%llx\n", (unsigned long long)f->addr);
		return false;
	}

	/* Quiet while the state changes: a second init must not draw its own log line. */
	fb_console.enabled = false;
	fb.base = base;
	fb.pitch = f->pitch;
	fb.width = f->width;
	fb.height = f->height;
	fb.bytespp = bytespp;
	fb.scale = scale;
	fb.cell_w = FONT_WIDTH * scale;
	fb.cell_h = FONT_HEIGHT * scale;
	fb.cols = f->width / fb.cell_w;
	fb.rows = f->height / fb.cell_h;
	fb.x = 0;
	fb.y = 0;
	fb.fg = fb_pack_colour(f, FB_FG_R, FB_FG_G, FB_FG_B);
	fb.bg = fb_pack_colour(f, FB_BG_R, FB_BG_G, FB_BG_B);
	fb_fill_lines(0, fb.height, fb.width);

	pr_info("fb: %ux%u %u bpp at 0x%llx, %ux%u text\n", f->width, f->height, f->bpp, (unsigned long long)f->addr,
		fb.cols, fb.rows);
	fb_console.enabled = true;
	console_register(CONSOLE_FB, &fb_console);
	return true;
}

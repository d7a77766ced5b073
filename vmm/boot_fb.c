/* Decodes and sanity-checks the multiboot2 framebuffer tag. */
#include "boot_fb.h"

/*
 * Multiboot2 Specification 3.6.12 "Framebuffer info": {u64 addr, u32 pitch,
 * u32 width, u32 height, u8 bpp, u8 type, u16 reserved} after the tag header,
 * then color info whose shape depends on the type.
 */
#define MB2_FB_ADDR   8
#define MB2_FB_PITCH  16
#define MB2_FB_WIDTH  20
#define MB2_FB_HEIGHT 24
#define MB2_FB_BPP    28
#define MB2_FB_TYPE   29
#define MB2_FB_COLOR  32
/* Direct RGB color info: red, green, blue field position and mask size, one byte each. */
#define MB2_FB_RGB_END (MB2_FB_COLOR + 6)

enum mb2_fb_type {
	MB2_FB_INDEXED = 0,
	MB2_FB_RGB = 1,
	MB2_FB_EGA_TEXT = 2,
};

static bool rgb_bpp_ok(uint8_t bpp)
{
	switch (bpp) {
	case 8:
	case 15:
	case 16:
	case 24:
	case 32:
		return true;
	default:
		return false;
	}
}

/* Reads the RGB channel layout; each channel must lie inside the pixel. */
static bool fb_read_rgb(struct boot_info *bi, const struct mb2_tag *t, struct boot_fb *fb)
{
	const uint8_t *c = t->p + MB2_FB_COLOR;

	if (t->size < MB2_FB_RGB_END) {
		TAG_PROBLEM(bi, t, "size %u too small for RGB color info (%u), framebuffer ignored\n", t->size,
			    MB2_FB_RGB_END);
		return false;
	}
	fb->red_pos = c[0];
	fb->red_size = c[1];
	fb->green_pos = c[2];
	fb->green_size = c[3];
	fb->blue_pos = c[4];
	fb->blue_size = c[5];
	for (unsigned i = 0; i < 3; i++) {
		unsigned pos = c[2 * i], size = c[2 * i + 1];

		if (size == 0 || pos + size > fb->bpp) {
			TAG_PROBLEM(bi, t,
				    "color field %u (position %u, size %u) outside a %u-bit pixel, "
				    "framebuffer ignored\n",
				    i, pos, size, fb->bpp);
			return false;
		}
	}
	return true;
}

/* Checks what every framebuffer type needs; bits_per_cell is what one column costs in a line. */
static bool fb_geometry_ok(struct boot_info *bi, const struct mb2_tag *t, const struct boot_fb *fb,
			   uint64_t bits_per_cell)
{
	uint64_t min_pitch = ((uint64_t)fb->width * bits_per_cell + 7) / 8;
	uint64_t bytes = (uint64_t)fb->pitch * fb->height;

	if (fb->addr == 0) {
		TAG_PROBLEM(bi, t, "address is 0, framebuffer ignored\n");
		return false;
	}
	if (fb->width == 0 || fb->height == 0 || fb->width > BOOT_FB_MAX_DIM || fb->height > BOOT_FB_MAX_DIM) {
		TAG_PROBLEM(bi, t, "implausible size %ux%u, framebuffer ignored\n", fb->width, fb->height);
		return false;
	}
	if (fb->pitch < min_pitch) {
		TAG_PROBLEM(bi, t, "pitch %u below %lu bytes for width %u at %lu bits, framebuffer ignored\n",
			    fb->pitch, min_pitch, fb->width, bits_per_cell);
		return false;
	}
	if (bytes > UINT64_MAX - fb->addr) {
		TAG_PROBLEM(bi, t, "0x%lx bytes at 0x%lx run past 2^64, framebuffer ignored\n", bytes, fb->addr);
		return false;
	}
	return true;
}

/* Returns the enum boot_fb_type for a plausible tag, BOOT_FB_NONE otherwise. */
static enum boot_fb_type fb_check_type(struct boot_info *bi, const struct mb2_tag *t, struct boot_fb *fb,
				       uint8_t mb2_type)
{
	switch (mb2_type) {
	case MB2_FB_RGB:
		if (!rgb_bpp_ok(fb->bpp)) {
			TAG_PROBLEM(bi, t, "RGB bpp %u is not 8, 15, 16, 24 or 32, framebuffer ignored\n", fb->bpp);
			return BOOT_FB_NONE;
		}
		if (!fb_read_rgb(bi, t, fb) || !fb_geometry_ok(bi, t, fb, fb->bpp))
			return BOOT_FB_NONE;
		return BOOT_FB_RGB;
	case MB2_FB_INDEXED:
		if (fb->bpp == 0 || fb->bpp > 8) {
			TAG_PROBLEM(bi, t, "indexed bpp %u is not 1-8, framebuffer ignored\n", fb->bpp);
			return BOOT_FB_NONE;
		}
		return fb_geometry_ok(bi, t, fb, fb->bpp) ? BOOT_FB_INDEXED : BOOT_FB_NONE;
	case MB2_FB_EGA_TEXT:
		/* Text mode: width and height count cells of a character byte and an attribute byte. */
		return fb_geometry_ok(bi, t, fb, 16) ? BOOT_FB_EGA_TEXT : BOOT_FB_NONE;
	default:
		TAG_PROBLEM(bi, t, "unknown framebuffer type %u, framebuffer ignored\n", mb2_type);
		return BOOT_FB_NONE;
	}
}

void boot_fb_parse(struct boot_info *bi, const struct mb2_tag *t)
{
	struct boot_fb fb;

	memset(&fb, 0, sizeof(fb));
	fb.addr = get_le64(t->p + MB2_FB_ADDR);
	fb.pitch = get_le32(t->p + MB2_FB_PITCH);
	fb.width = get_le32(t->p + MB2_FB_WIDTH);
	fb.height = get_le32(t->p + MB2_FB_HEIGHT);
	fb.bpp = t->p[MB2_FB_BPP];
	fb.type = fb_check_type(bi, t, &fb, t->p[MB2_FB_TYPE]);
	if (fb.type == BOOT_FB_NONE)
		memset(&fb, 0, sizeof(fb));
	bi->fb = fb;
}

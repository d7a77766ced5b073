/* The framebuffer console: text in the built-in font on the linear RGB framebuffer UEFI GOP leaves. */
#ifndef PTV_FB_H
#define PTV_FB_H

#include "boot_info.h"

/* Light grey on black, as in VGA text mode (attribute 0x07). */
#define FB_FG_R 0xaa
#define FB_FG_G 0xaa
#define FB_FG_B 0xaa
#define FB_BG_R 0x00
#define FB_BG_G 0x00
#define FB_BG_B 0x00

/* Screens at least this wide draw each font pixel as 2x2, so text stays readable. */
#define FB_SCALE2_MIN_WIDTH 1600

/* Bounds beyond which the boot info is corrupt rather than a real display. */
#define FB_MAX_DIM   16384
#define FB_MAX_PITCH (FB_MAX_DIM * 4)
#define FB_MAX_BYTES (512ULL << 20)

/*
 * Takes over an RGB framebuffer (15, 16, 24 or 32 bits per pixel), clears it
 * and registers as CONSOLE_FB. Returns false when there is no RGB framebuffer,
 * and (with a warning) when its geometry or colour layout is not plausible or
 * it cannot be mapped.
 */
bool fb_console_init(const struct boot_info *bi);

/*
 * The pixel value of an 8-bit-per-channel colour in the layout `fb` gives:
 * each channel keeps its top `size` bits, shifted to its `pos`.
 */
uint32_t fb_pack_colour(const struct boot_fb *fb, uint8_t r, uint8_t g, uint8_t b);

#endif

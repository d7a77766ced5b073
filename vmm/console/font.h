/* The built-in 8x16 bitmap font of the framebuffer console. */
#ifndef PTV_FONT_H
#define PTV_FONT_H

#include "types.h"

#define FONT_WIDTH  8
#define FONT_HEIGHT 16
/* The table covers printable ASCII; everything else draws as a box. */
#define FONT_FIRST 0x20
#define FONT_LAST  0x7e

/*
 * FONT_HEIGHT bytes, one per pixel row from the top; bit 7 is the leftmost
 * pixel. Never NULL: characters outside FONT_FIRST..FONT_LAST get the box.
 */
const uint8_t *font_glyph(char c);

#endif

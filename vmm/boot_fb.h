/* The multiboot2 framebuffer tag, checked for plausibility before any console draws on it. */
#ifndef PTV_BOOT_FB_H
#define PTV_BOOT_FB_H

#include "boot_parse.h"

/* Largest width or height (pixels or text cells) taken as plausible. */
#define BOOT_FB_MAX_DIM 16384u

/*
 * Fills bi->fb from a framebuffer tag (type 8) of at least its 32-byte
 * common part; an implausible one is reported and leaves fb.type BOOT_FB_NONE.
 */
void boot_fb_parse(struct boot_info *bi, const struct mb2_tag *t);

#endif

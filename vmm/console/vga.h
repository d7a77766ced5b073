/* The VGA text-mode console that BIOS boots leave behind (0xB8000, 80x25). */
#ifndef PTV_VGA_H
#define PTV_VGA_H

#include "boot_info.h"

#define VGA_TEXT_ADDR 0xb8000
#define VGA_TEXT_COLS 80
#define VGA_TEXT_ROWS 25
/* Attribute byte: background in bits 7:4, foreground in bits 3:0; 0x07 is light grey on black. */
#define VGA_ATTR_DEFAULT 0x07

/* CRT controller index and data ports (colour emulation addresses). */
#define VGA_CRTC_INDEX        0x3d4
#define VGA_CRTC_DATA         0x3d5
#define VGA_CRTC_CURSOR_START 0x0a
#define VGA_CRTC_CURSOR_HIGH  0x0e
#define VGA_CRTC_CURSOR_LOW   0x0f
#define VGA_CURSOR_DISABLE    0x20 /* Cursor Start register bit 5 */

/*
 * Takes over the text screen the loader described (an EGA text framebuffer
 * tag), or the standard 80x25 screen at 0xB8000 when a non-EFI boot passed
 * no framebuffer tag; clears it and registers as CONSOLE_VGA. Returns false
 * (registering nothing) for EFI boots without a text tag, for graphics
 * framebuffers, and for geometry that makes no sense (with a warning).
 */
bool vga_console_init(const struct boot_info *bi);

#endif

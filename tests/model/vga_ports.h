/*
 * Minimal port I/O model for the VGA console tests: records the CRT
 * controller's index/data protocol (ports 0x3d4/0x3d5) into a register file.
 * Link it only into tests that do not also link tests/model/cpu_model.c.
 */
#ifndef PTV_VGA_PORTS_H
#define PTV_VGA_PORTS_H

#include <stdint.h>

/* Clears the log; every CRTC register reads as `crtc_fill`. */
void vga_ports_reset(uint8_t crtc_fill);
uint8_t vga_ports_crtc(uint8_t index);
/* Port writes seen since the last reset, and how many went to ports other than 0x3d4/0x3d5. */
unsigned vga_ports_writes(void);
unsigned vga_ports_stray_writes(void);

#endif

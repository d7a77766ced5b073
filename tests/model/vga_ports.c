/* cpu_outb/cpu_inb for the VGA tests: a CRT controller register file behind its index port. */
#include "vga_ports.h"
#include "cpu.h"
#include "console/vga.h"

static uint8_t crtc[256];
static uint8_t crtc_index;
static unsigned writes, stray_writes;

void vga_ports_reset(uint8_t crtc_fill)
{
	for (unsigned i = 0; i < 256; i++)
		crtc[i] = crtc_fill;
	crtc_index = 0;
	writes = 0;
	stray_writes = 0;
}

uint8_t vga_ports_crtc(uint8_t index)
{
	return crtc[index];
}

unsigned vga_ports_writes(void)
{
	return writes;
}

unsigned vga_ports_stray_writes(void)
{
	return stray_writes;
}

void cpu_outb(uint16_t port, uint8_t v)
{
	writes++;
	if (port == VGA_CRTC_INDEX)
		crtc_index = v;
	else if (port == VGA_CRTC_DATA)
		crtc[crtc_index] = v;
	else
		stray_writes++;
}

uint8_t cpu_inb(uint16_t port)
{
	if (port == VGA_CRTC_INDEX)
		return crtc_index;
	if (port == VGA_CRTC_DATA)
		return crtc[crtc_index];
	return 0xff;
}

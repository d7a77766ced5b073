/* VGA text console: character/attribute cells in the text buffer, cursor via the CRT controller. */
#include "console/vga.h"
#include "console/console.h"
#include "cpu.h"
#include "log.h"
#include "mem/phys.h"

/*
 * Real text modes stop at 132x60; a tag far beyond that is corrupt, and
 * trusting it would have us write over whatever memory follows the buffer.
 */
#define VGA_MAX_COLS 256
#define VGA_MAX_ROWS 128
#define VGA_TAB_STOP 8
/* Code page 437 0xFE, a small filled square: marks bytes that are not printable ASCII. */
#define VGA_CHAR_UNPRINTABLE 0xfe

static struct {
	volatile uint16_t *buf;
	unsigned cols, rows;
	unsigned stride; /* cells from one row to the next: pitch / 2 */
	unsigned x, y;   /* x == cols: the row is full, wrap before the next character */
	uint8_t attr;
} vga;

static void vga_write(const char *s, size_t len);

static struct console vga_console = {
	.name = "vga",
	.write = vga_write,
	.enabled = false,
};

static uint16_t vga_cell(uint8_t ch)
{
	return (uint16_t)((uint16_t)vga.attr << 8 | ch);
}

static void vga_clear_row(unsigned row)
{
	volatile uint16_t *line = vga.buf + (size_t)row * vga.stride;

	for (unsigned c = 0; c < vga.cols; c++)
		line[c] = vga_cell(' ');
}

static void vga_scroll(void)
{
	for (unsigned r = 1; r < vga.rows; r++) {
		volatile uint16_t *dst = vga.buf + (size_t)(r - 1) * vga.stride;
		volatile uint16_t *src = vga.buf + (size_t)r * vga.stride;

		for (unsigned c = 0; c < vga.cols; c++)
			dst[c] = src[c];
	}
	vga_clear_row(vga.rows - 1);
}

static void vga_newline(void)
{
	vga.x = 0;
	if (vga.y + 1 < vga.rows) {
		vga.y++;
		return;
	}
	vga_scroll();
}

static void vga_put(uint8_t ch)
{
	if (vga.x >= vga.cols)
		vga_newline();
	vga.buf[(size_t)vga.y * vga.stride + vga.x] = vga_cell(ch);
	vga.x++;
}

/*
 * The CRT controller's Cursor Location High/Low registers (0Eh/0Fh) hold a
 * character offset into display memory, so rows count in stride, not cols.
 */
static void vga_crtc_write(uint8_t index, uint8_t value)
{
	cpu_outb(VGA_CRTC_INDEX, index);
	cpu_outb(VGA_CRTC_DATA, value);
}

static void vga_cursor_update(void)
{
	unsigned x = vga.x < vga.cols ? vga.x : vga.cols - 1;
	unsigned pos = vga.y * vga.stride + x;

	vga_crtc_write(VGA_CRTC_CURSOR_LOW, (uint8_t)pos);
	vga_crtc_write(VGA_CRTC_CURSOR_HIGH, (uint8_t)(pos >> 8));
}

/* GRUB may hide the cursor (Cursor Start register bit 5); show it so the output end is visible. */
static void vga_cursor_show(void)
{
	cpu_outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_START);
	uint8_t start = cpu_inb(VGA_CRTC_DATA);

	vga_crtc_write(VGA_CRTC_CURSOR_START, start & (uint8_t)~VGA_CURSOR_DISABLE);
}

static void vga_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)s[i];

		switch (ch) {
		case '\n':
			vga_newline();
			break;
		case '\r':
			vga.x = 0;
			break;
		case '\t':
			do {
				vga_put(' ');
			} while (vga.x % VGA_TAB_STOP && vga.x < vga.cols);
			break;
		default:
			vga_put(ch >= 0x20 && ch < 0x7f ? ch : VGA_CHAR_UNPRINTABLE);
			break;
		}
	}
	vga_cursor_update();
}

/* Where the text screen is: the loader's text tag, or the BIOS default when there is no tag. */
static bool vga_pick_screen(const struct boot_info *bi, paddr_t *addr, uint32_t *cols, uint32_t *rows, uint32_t *pitch)
{
	switch (bi->fb.type) {
	case BOOT_FB_EGA_TEXT:
		/* Multiboot2 gives text-mode width and height in characters, pitch in bytes. */
		*addr = bi->fb.addr;
		*cols = bi->fb.width;
		*rows = bi->fb.height;
		*pitch = bi->fb.pitch;
		return true;
	case BOOT_FB_NONE:
		/* A BIOS boot without a tag is still in mode 3; EFI machines may have no VGA at all. */
		if (bi->efi_booted)
			return false;
		*addr = VGA_TEXT_ADDR;
		*cols = VGA_TEXT_COLS;
		*rows = VGA_TEXT_ROWS;
		*pitch = VGA_TEXT_COLS * 2;
		return true;
	case BOOT_FB_RGB:
	case BOOT_FB_INDEXED:
	default:
		return false;
	}
}

bool vga_console_init(const struct boot_info *bi)
{
	paddr_t addr;
	uint32_t cols, rows, pitch;

	if (!vga_pick_screen(bi, &addr, &cols, &rows, &pitch))
		return false;
	if (cols == 0 || rows == 0 || cols > VGA_MAX_COLS || rows > VGA_MAX_ROWS || pitch < cols * 2 ||
	    pitch > VGA_MAX_COLS * 2 || pitch % 2 || addr == 0 || addr % 2) {
		pr_warn("vga: ignoring text screen %ux%u, pitch %u at 0x%llx\n", cols, rows, pitch,
			(unsigned long long)addr);
		return false;
	}
	volatile uint16_t *buf = phys_map(addr, (size_t)pitch * rows);
	if (!buf) {
		pr_warn("vga: cannot map the text screen at 0x%llx\n", (unsigned long long)addr);
		return false;
	}

	/* Quiet while the state changes: a second init must not draw its own log line. */
	vga_console.enabled = false;
	vga.buf = buf;
	vga.cols = cols;
	vga.rows = rows;
	vga.stride = pitch / 2;
	vga.x = 0;
	vga.y = 0;
	vga.attr = VGA_ATTR_DEFAULT;
	for (unsigned r = 0; r < rows; r++)
		vga_clear_row(r);
	vga_cursor_show();
	vga_cursor_update();

	pr_dbg("vga: %ux%u text console at 0x%llx\n", cols, rows, (unsigned long long)addr);
	vga_console.enabled = true;
	console_register(CONSOLE_VGA, &vga_console);
	return true;
}

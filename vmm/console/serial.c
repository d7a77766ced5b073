/* COM1 driver. A missing UART reads 0xff everywhere, so the probe checks the scratch register. */
#include "console/serial.h"
#include "console/console.h"
#include "cpu.h"

#define UART_THR 0
#define UART_RBR 0
#define UART_IER 1
#define UART_DLL 0
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define LSR_DR   (1u << 0)
#define LSR_THRE (1u << 5)
#define LSR_TEMT (1u << 6)

/* Bounded waits: a UART that stops answering must not hang the VMM. */
#define UART_SPIN_LIMIT 100000

static void serial_write(const char *s, size_t len);

static struct console serial_console = {
	.name = "serial",
	.write = serial_write,
	.enabled = false,
};

static void serial_putc(char c)
{
	for (unsigned i = 0; i < UART_SPIN_LIMIT; i++) {
		if (cpu_inb(COM1_BASE + UART_LSR) & LSR_THRE)
			break;
		cpu_pause();
	}
	cpu_outb(COM1_BASE + UART_THR, (uint8_t)c);
}

static void serial_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void serial_flush(void)
{
	if (!serial_console.enabled)
		return;
	for (unsigned i = 0; i < UART_SPIN_LIMIT; i++) {
		if (cpu_inb(COM1_BASE + UART_LSR) & LSR_TEMT)
			return;
		cpu_pause();
	}
}

int serial_getc(void)
{
	if (!serial_console.enabled || !(cpu_inb(COM1_BASE + UART_LSR) & LSR_DR))
		return -1;
	return cpu_inb(COM1_BASE + UART_RBR);
}

bool serial_init(void)
{
	cpu_outb(COM1_BASE + UART_SCR, 0x5a);
	if (cpu_inb(COM1_BASE + UART_SCR) != 0x5a)
		return false;
	cpu_outb(COM1_BASE + UART_SCR, 0xa5);
	if (cpu_inb(COM1_BASE + UART_SCR) != 0xa5)
		return false;

	cpu_outb(COM1_BASE + UART_IER, 0x00);
	cpu_outb(COM1_BASE + UART_LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
	cpu_outb(COM1_BASE + UART_DLL, 0x01);
	cpu_outb(COM1_BASE + UART_DLM, 0x00);
	cpu_outb(COM1_BASE + UART_LCR, 0x03); /* 8N1 */
	cpu_outb(COM1_BASE + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	cpu_outb(COM1_BASE + UART_MCR, 0x0b); /* DTR, RTS, OUT2 */

	serial_console.enabled = true;
	console_register(CONSOLE_SERIAL, &serial_console);
	return true;
}

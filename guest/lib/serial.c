/* A polled 16550 driver: enough to print test results, bounded so a broken UART cannot hang the guest. */
#include <stdarg.h>
#include "serial.h"
#include "cpu.h"
#include "lib/format.h"

/* 16550 registers and bits (PC16550D data sheet, "Register Description"). */
#define UART_THR         0 /* transmit holding, DLAB = 0 */
#define UART_DLL         0 /* divisor latch low, DLAB = 1 */
#define UART_IER         1
#define UART_DLM         1
#define UART_FCR         2
#define UART_LCR         3
#define UART_MCR         4
#define UART_LSR         5
#define LCR_8N1          0x03
#define LCR_DLAB         0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS      0x03
#define LSR_THRE         0x20
#define DIVISOR_115200   1

#define THRE_POLLS 100000
#define LINE_MAX   256

static uint32_t timeouts;

void serial_init(void)
{
	cpu_outb(COM1_BASE + UART_IER, 0);
	cpu_outb(COM1_BASE + UART_LCR, LCR_DLAB);
	cpu_outb(COM1_BASE + UART_DLL, DIVISOR_115200);
	cpu_outb(COM1_BASE + UART_DLM, 0);
	cpu_outb(COM1_BASE + UART_LCR, LCR_8N1);
	cpu_outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	cpu_outb(COM1_BASE + UART_MCR, MCR_DTR_RTS);
}

void serial_putc(char c)
{
	unsigned n = 0;

	while (!(cpu_inb(COM1_BASE + UART_LSR) & LSR_THRE)) {
		if (++n == THRE_POLLS) {
			timeouts++;
			break;
		}
	}
	cpu_outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_printf(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	serial_puts(line);
}

uint32_t serial_timeouts(void)
{
	return timeouts;
}

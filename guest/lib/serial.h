/* Polled output on the COM1 16550 UART (I/O base 0x3f8). */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include "types.h"

#define COM1_BASE    0x3f8
#define UART_SCRATCH 7 /* scratch register offset: 0x3ff on COM1 */

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_printf(const char *fmt, ...) __printf(1, 2);
/* Characters written after LSR.THRE never came (the bounded wait gave up). */
uint32_t serial_timeouts(void);

#endif

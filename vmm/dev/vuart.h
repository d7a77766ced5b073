/*
 * A 16550A-compatible UART (COM1): output lines go to the VMM console with the guest's name; input comes
 * from the host's serial line (vuart_receive) into a 16-byte receive FIFO; interrupts on one IRQ line.
 */
#ifndef PTV_VUART_H
#define PTV_VUART_H

#include "types.h"

#define VUART_LINE_MAX 160
#define VUART_FIFO     16u /* the 16550A's receive FIFO */
#define VUART_IRQ      4u  /* COM1's ISA IRQ, I/O APIC pin 4 */

struct vuart {
	const char *name; /* prefix for output lines */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t rx[VUART_FIFO]; /* receive FIFO (one byte deep with FIFOs off) */
	unsigned rx_head, rx_count;
	bool overrun;      /* LSR.OE: a byte arrived to a full FIFO; cleared by reading LSR */
	bool thre_pending; /* the THRE interrupt: THR emptied or ETBEI set; cleared by IIR read or THR write */
	char line[VUART_LINE_MAX + 1];
	unsigned line_len;
	uint64_t bytes_out, bytes_in;
	void (*emit)(const char *name, const char *line); /* defaults to the VMM console */
	/* Interactive (the guest takes input): each byte goes out at once, the name before each line's first. */
	bool interactive;
	void (*emit_part)(const char *name, const char *text, bool line_start); /* defaults to the VMM console */
};

void vuart_init(struct vuart *u, const char *name);
/* offset 0-7 from the base port; values are 8-bit registers. */
void vuart_write(struct vuart *u, unsigned offset, uint8_t val);
uint8_t vuart_read(struct vuart *u, unsigned offset);
/* Emits a partial line (at guest stop) so no output is lost. */
void vuart_flush(struct vuart *u);
/* A byte arrives on the serial input; false (not taken) when the FIFO is full or in loopback mode. */
bool vuart_receive(struct vuart *u, uint8_t c);
/* Room for vuart_receive(): the FIFO is not full and the input is connected (no loopback). */
bool vuart_can_receive(const struct vuart *u);
/* The level of the IRQ line: an enabled interrupt is pending and MCR.OUT2 gates it through (PC wiring). */
bool vuart_irq_line(const struct vuart *u);

#endif

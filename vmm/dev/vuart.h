/* A 16550-compatible UART for polled guest use; output lines go to the VMM console with the guest's name. */
#ifndef PTV_VUART_H
#define PTV_VUART_H

#include "types.h"

#define VUART_LINE_MAX 160

struct vuart {
	const char *name; /* prefix for output lines */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t rbr; /* loopback receive holding register */
	bool rbr_full;
	char line[VUART_LINE_MAX + 1];
	unsigned line_len;
	uint64_t bytes_out;
	void (*emit)(const char *name, const char *line); /* defaults to the VMM console */
};

void vuart_init(struct vuart *u, const char *name);
/* offset 0-7 from the base port; values are 8-bit registers. */
void vuart_write(struct vuart *u, unsigned offset, uint8_t val);
uint8_t vuart_read(struct vuart *u, unsigned offset);
/* Emits a partial line (at guest stop) so no output is lost. */
void vuart_flush(struct vuart *u);

#endif

/* 16550 register model (PC16550D datasheet register map): enough for polled drivers and loopback probes. */
#include "dev/vuart.h"
#include "lib/string.h"
#include "log.h"

#define LCR_DLAB        0x80
#define MCR_LOOP        0x10
#define LSR_DR          0x01
#define LSR_THRE        0x20
#define LSR_TEMT        0x40
#define IIR_NONE        0x01
#define IIR_FIFO        0xc0
#define FCR_FIFO_ENABLE 0x01

static void vuart_emit_console(const char *name, const char *line)
{
	log_raw(LOG_ERR, "[%s] %s\n", name, line);
}

void vuart_init(struct vuart *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->emit = vuart_emit_console;
	u->dll = 0x0c; /* 9600 baud, the reset divisor */
}

void vuart_flush(struct vuart *u)
{
	if (!u->line_len)
		return;
	u->line[u->line_len] = '\0';
	u->emit(u->name, u->line);
	u->line_len = 0;
}

static void vuart_transmit(struct vuart *u, uint8_t c)
{
	u->bytes_out++;
	if (u->mcr & MCR_LOOP) {
		u->rbr = c;
		u->rbr_full = true;
		return;
	}
	if (c == '\r')
		return;
	if (c == '\n') {
		u->line[u->line_len] = '\0';
		u->emit(u->name, u->line);
		u->line_len = 0;
		return;
	}
	/* Control characters would let a guest forge VMM log lines or terminal state. */
	u->line[u->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	if (u->line_len == VUART_LINE_MAX)
		vuart_flush(u);
}

void vuart_write(struct vuart *u, unsigned offset, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset & 7) {
	case 0:
		if (dlab)
			u->dll = val;
		else
			vuart_transmit(u, val);
		break;
	case 1:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val & 0x0f;
		break;
	case 2:
		u->fcr = val & 0xc9; /* RCVR/XMIT reset bits (1, 2) self-clear */
		break;
	case 3:
		u->lcr = val;
		break;
	case 4:
		u->mcr = val & 0x1f;
		break;
	case 7:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only: writes ignored */
		break;
	}
}

static uint8_t vuart_msr(const struct vuart *u)
{
	if (u->mcr & MCR_LOOP) {
		/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (16550 datasheet). */
		return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) | ((u->mcr & 0x04) << 4) |
				 ((u->mcr & 0x08) << 4));
	}
	return 0xb0; /* DCD, DSR, CTS: a terminal is attached */
}

uint8_t vuart_read(struct vuart *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset & 7) {
	case 0:
		if (dlab)
			return u->dll;
		if (u->rbr_full) {
			u->rbr_full = false;
			return u->rbr;
		}
		return 0;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		return IIR_NONE | ((u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO : 0);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return LSR_THRE | LSR_TEMT | (u->rbr_full ? LSR_DR : 0);
	case 6:
		return vuart_msr(u);
	case 7:
		return u->scr;
	default:
		return 0xff;
	}
}

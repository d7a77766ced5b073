/*
 * 16550A register model (PC16550D datasheet: register map, Table 4 "Interrupt Control Functions", FIFO
 * control). Transmission is instant: THR is always empty, so LSR.THRE and TEMT always read 1 and the
 * THRE interrupt comes again after every THR write. A receive FIFO below its trigger level reports the
 * character timeout at once rather than after four character times. No modem-status changes ever occur
 * (MSR deltas read 0), so the modem-status interrupt never fires.
 */
#include "dev/vuart.h"
#include "lib/string.h"
#include "log.h"

#define IER_ERBFI       0x01 /* received data available */
#define IER_ETBEI       0x02 /* transmitter holding register empty */
#define IER_ELSI        0x04 /* receiver line status */
#define IIR_NONE        0x01
#define IIR_RLS         0x06
#define IIR_RDA         0x04
#define IIR_CTI         0x0c /* character timeout */
#define IIR_THRE        0x02
#define IIR_FIFO        0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_RX_RESET    0x02
#define LCR_DLAB        0x80
#define MCR_OUT2        0x08
#define MCR_LOOP        0x10
#define LSR_DR          0x01
#define LSR_OE          0x02
#define LSR_THRE        0x20
#define LSR_TEMT        0x40

static void vuart_emit_console(const char *name, const char *line)
{
	log_raw(LOG_ERR, "[%s] %s\n", name, line);
}

static void vuart_emit_part_console(const char *name, const char *text, bool line_start)
{
	if (line_start)
		log_raw(LOG_ERR, "[%s] %s", name, text);
	else
		log_raw(LOG_ERR, "%s", text);
}

void vuart_init(struct vuart *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->emit = vuart_emit_console;
	u->emit_part = vuart_emit_part_console;
	u->dll = 0x0c; /* 9600 baud, the reset divisor */
}

void vuart_flush(struct vuart *u)
{
	if (!u->line_len)
		return;
	if (u->interactive) { /* end the guest's partial line so what follows starts on its own */
		u->emit_part(u->name, "\n", false);
		u->line_len = 0;
		return;
	}
	u->line[u->line_len] = '\0';
	u->emit(u->name, u->line);
	u->line_len = 0;
}

static unsigned fifo_depth(const struct vuart *u)
{
	return (u->fcr & FCR_FIFO_ENABLE) ? VUART_FIFO : 1;
}

/* FCR[7:6]: the receive FIFO's trigger level, 1, 4, 8 or 14 bytes. */
static unsigned rx_trigger(const struct vuart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return (u->fcr & FCR_FIFO_ENABLE) ? level[u->fcr >> 6] : 1;
}

static void rx_push(struct vuart *u, uint8_t c)
{
	if (u->rx_count >= fifo_depth(u)) {
		u->overrun = true; /* the FIFO keeps its bytes; the new one is lost */
		return;
	}
	u->rx[(u->rx_head + u->rx_count++) % VUART_FIFO] = c;
}

bool vuart_can_receive(const struct vuart *u)
{
	return !(u->mcr & MCR_LOOP) && u->rx_count < fifo_depth(u);
}

bool vuart_receive(struct vuart *u, uint8_t c)
{
	if (!vuart_can_receive(u))
		return false;
	rx_push(u, c);
	u->bytes_in++;
	return true;
}

static void vuart_transmit(struct vuart *u, uint8_t c)
{
	u->bytes_out++;
	u->thre_pending = true; /* THR is empty again at once */
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
		return;
	}
	if (c == '\r')
		return;
	if (u->interactive) {
		/* A prompt or an echoed key must show before the line ends. */
		char text[2] = { (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' ? (char)c : '?', '\0' };
		u->emit_part(u->name, text, u->line_len == 0);
		u->line_len = c == '\n' ? 0 : 1;
		return;
	}
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

/* The highest-priority enabled interrupt pending (datasheet Table 4): line status, data, THRE. */
static uint8_t vuart_iid(const struct vuart *u)
{
	if ((u->ier & IER_ELSI) && u->overrun)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return u->rx_count >= rx_trigger(u) ? IIR_RDA : IIR_CTI;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	return IIR_NONE;
}

/* On the PC, OUT2 enables the IRQ driver; in loopback OUT2 is cut off from its pin (datasheet, MCR bit 4). */
bool vuart_irq_line(const struct vuart *u)
{
	return (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2 && vuart_iid(u) != IIR_NONE;
}

static void fcr_write(struct vuart *u, uint8_t val)
{
	/* Changing the FIFO enable clears both FIFOs; RCVR reset clears the receive FIFO. */
	if (((val ^ u->fcr) & FCR_FIFO_ENABLE) || (val & FCR_RX_RESET)) {
		u->rx_count = 0;
		u->rx_head = 0;
	}
	u->fcr = val & 0xc9; /* RCVR/XMIT reset bits (1, 2) self-clear */
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
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling ETBEI with THR empty raises the THRE interrupt (Linux's THRE test relies on it). */
		if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case 2:
		fcr_write(u, val);
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

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_FIFO;
	u->rx_count--;
	return c;
}

/* Reading IIR while it shows THRE clears that interrupt (datasheet Table 4). */
static uint8_t iir_read(struct vuart *u)
{
	uint8_t iid = vuart_iid(u);

	if (iid == IIR_THRE)
		u->thre_pending = false;
	return iid | ((u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO : 0);
}

static uint8_t lsr_read(struct vuart *u)
{
	uint8_t lsr = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);

	u->overrun = false;
	return lsr;
}

uint8_t vuart_read(struct vuart *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset & 7) {
	case 0:
		return dlab ? u->dll : rx_pop(u);
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		return iir_read(u);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return lsr_read(u);
	case 6:
		return vuart_msr(u);
	case 7:
		return u->scr;
	default:
		return 0xff;
	}
}

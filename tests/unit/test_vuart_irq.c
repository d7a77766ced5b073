/* The virtual 16550A's interrupts: IER sources, IIR priority and FIFO bits, THRE semantics, OUT2 gating, receive FIFO. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "dev/vuart.h"

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5

static void quiet(const char *name, const char *line)
{
	(void)name, (void)line;
}

static void uart(struct vuart *u)
{
	host_env_reset();
	vuart_init(u, "g");
	u->emit = quiet;
	vuart_write(u, MCR, 0x0b); /* DTR, RTS, OUT2: the IRQ reaches the PIC/I/O APIC */
}

/* Linux's THRE test (serial8250_do_startup): enabling ETBEI raises THRE each time, an IIR read clears it. */
static void test_thre_enable_and_iir_clear(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	assert_false(vuart_irq_line(&u));
	vuart_write(&u, IER, 0x02);
	assert_true(vuart_irq_line(&u));
	assert_int_equal(vuart_read(&u, IIR), 0x02);
	assert_false(vuart_irq_line(&u));
	assert_int_equal(vuart_read(&u, IIR), 0x01);
	vuart_write(&u, IER, 0x00);
	vuart_write(&u, IER, 0x02);
	assert_int_equal(vuart_read(&u, IIR), 0x02); /* re-asserted: not a UART_BUG_THRE part */
	/* Rewriting IER with ETBEI already set is no new transition. */
	vuart_write(&u, IER, 0x02);
	assert_int_equal(vuart_read(&u, IIR), 0x01);
}

/* A THR write clears THRE, and the instant transmission empties THR again: the line falls and rises. */
static void test_thre_after_write(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	vuart_write(&u, IER, 0x02);
	assert_int_equal(vuart_read(&u, IIR), 0x02);
	assert_false(vuart_irq_line(&u));
	vuart_write(&u, RBR, 'x');
	assert_true(vuart_irq_line(&u));
	assert_int_equal(vuart_read(&u, LSR) & 0x60, 0x60);
	assert_int_equal(u.bytes_out, 1);
}

static void test_out2_and_loop_gate_the_line(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	vuart_write(&u, IER, 0x02);
	vuart_write(&u, MCR, 0x03); /* OUT2 off */
	assert_false(vuart_irq_line(&u));
	assert_int_equal(vuart_read(&u, IIR) & 0x0f, 0x02); /* still pending inside the UART */
	vuart_write(&u, IER, 0x00);
	vuart_write(&u, IER, 0x02);
	vuart_write(&u, MCR, 0x1b); /* loopback cuts OUT2 off */
	assert_false(vuart_irq_line(&u));
	vuart_write(&u, MCR, 0x0b);
	assert_true(vuart_irq_line(&u));
}

/* Received data outranks THRE; below the FIFO trigger it shows as character timeout. */
static void test_rx_priority_fifo_trigger(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	vuart_write(&u, FCR, 0x81); /* FIFO on, trigger 8 */
	vuart_write(&u, IER, 0x03);
	assert_true(vuart_receive(&u, 'a'));
	assert_int_equal(vuart_read(&u, IIR), 0xcc); /* FIFO bits, character timeout */
	for (int i = 0; i < 7; i++)
		assert_true(vuart_receive(&u, (uint8_t)('b' + i)));
	assert_int_equal(vuart_read(&u, IIR), 0xc4); /* trigger level reached: RDA */
	assert_int_equal(vuart_read(&u, LSR) & 1, 1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(vuart_read(&u, RBR), 'a' + i);
	assert_int_equal(vuart_read(&u, LSR) & 1, 0);
	assert_int_equal(vuart_read(&u, IIR), 0xc2); /* then THRE */
	assert_int_equal(vuart_read(&u, IIR), 0xc1);
	assert_int_equal(u.bytes_in, 8);
}

static void test_rx_fifo_full_and_overrun(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	/* FIFOs off: one byte deep. */
	assert_true(vuart_receive(&u, '1'));
	assert_false(vuart_can_receive(&u));
	assert_false(vuart_receive(&u, '2'));
	assert_int_equal(vuart_read(&u, RBR), '1');
	vuart_write(&u, FCR, 0x01);
	for (unsigned i = 0; i < VUART_FIFO; i++)
		assert_true(vuart_receive(&u, (uint8_t)i));
	assert_false(vuart_receive(&u, 0xee));
	/* A loopback byte to a full FIFO is an overrun: LSR.OE and, with ELSI, the line status interrupt. */
	vuart_write(&u, MCR, 0x1b);
	vuart_write(&u, RBR, 0x55);
	vuart_write(&u, MCR, 0x0b);
	vuart_write(&u, IER, 0x05);
	assert_int_equal(vuart_read(&u, IIR), 0xc6);
	assert_int_equal(vuart_read(&u, LSR) & 0x03, 0x03);
	assert_int_equal(vuart_read(&u, LSR) & 0x02, 0); /* OE cleared by the read */
	assert_int_equal(vuart_read(&u, IIR), 0xc4);     /* 16 bytes >= trigger 1 */
	vuart_write(&u, FCR, 0x03);                      /* receive FIFO reset */
	assert_int_equal(vuart_read(&u, LSR) & 1, 0);
	assert_false(vuart_irq_line(&u));
}

static void test_loopback_refuses_input_disable_fifo_clears(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	vuart_write(&u, FCR, 0x01);
	vuart_write(&u, MCR, 0x1b);
	assert_false(vuart_can_receive(&u));
	assert_false(vuart_receive(&u, 'z'));
	vuart_write(&u, MCR, 0x0b);
	assert_true(vuart_receive(&u, 'z'));
	vuart_write(&u, FCR, 0x00); /* FIFO enable changed: both FIFOs cleared */
	assert_int_equal(vuart_read(&u, LSR) & 1, 0);
	assert_int_equal(vuart_read(&u, IIR), 0x01);
}

static char parts[256];

static void part(const char *name, const char *text, bool line_start)
{
	size_t n = strlen(parts);
	if (line_start)
		snprintf(parts + n, sizeof(parts) - n, "[%s]%s", name, text);
	else
		snprintf(parts + n, sizeof(parts) - n, "%s", text);
}

/* The input guest's output is not held for a newline: a prompt shows at once, prefixed once per line. */
static void test_interactive_output(void **state)
{
	struct vuart u;
	(void)state;
	uart(&u);
	u.interactive = true;
	u.emit_part = part;
	parts[0] = '\0';
	for (const char *s = "~ # "; *s; s++)
		vuart_write(&u, RBR, (uint8_t)*s);
	assert_string_equal(parts, "[g]~ # ");
	vuart_write(&u, RBR, 'l');
	vuart_write(&u, RBR, '\r');
	vuart_write(&u, RBR, '\n');
	vuart_write(&u, RBR, 0x1b);
	assert_string_equal(parts, "[g]~ # l\n[g]?");
	vuart_flush(&u);
	assert_string_equal(parts, "[g]~ # l\n[g]?\n");
	vuart_flush(&u); /* nothing partial left */
	assert_string_equal(parts, "[g]~ # l\n[g]?\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thre_enable_and_iir_clear),
		cmocka_unit_test(test_thre_after_write),
		cmocka_unit_test(test_out2_and_loop_gate_the_line),
		cmocka_unit_test(test_rx_priority_fifo_trigger),
		cmocka_unit_test(test_rx_fifo_full_and_overrun),
		cmocka_unit_test(test_loopback_refuses_input_disable_fifo_clears),
		cmocka_unit_test(test_interactive_output),
	};
	return cmocka_run_group_tests_name("vuart_irq", tests, NULL, NULL);
}

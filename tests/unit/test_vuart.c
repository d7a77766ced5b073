/* The guest's virtual 16550: registers, lines to the console, loopback, sanitised output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "dev/vuart.h"

static char lines[8][256];
static int nlines;

static void record(const char *name, const char *line)
{
	snprintf(lines[nlines++ % 8], sizeof(lines[0]), "%s|%s", name, line);
}

static void put(struct vuart *u, const char *s)
{
	while (*s)
		vuart_write(u, 0, (uint8_t)*s++);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	nlines = 0;
	return 0;
}

static void test_lines(void **state)
{
	struct vuart u;
	(void)state;
	vuart_init(&u, "g1");
	u.emit = record;
	put(&u, "hello\r\nworld\n");
	assert_int_equal(nlines, 2);
	assert_string_equal(lines[0], "g1|hello");
	assert_string_equal(lines[1], "g1|world");
	put(&u, "tail");
	vuart_flush(&u);
	assert_string_equal(lines[2], "g1|tail");
	put(&u, "\x1b[2Jx\n");
	assert_string_equal(lines[3], "g1|?[2Jx");
}

static void test_long_line_split(void **state)
{
	struct vuart u;
	char buf[VUART_LINE_MAX + 11];
	(void)state;
	vuart_init(&u, "g");
	u.emit = record;
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	put(&u, buf);
	assert_int_equal(nlines, 1);
	assert_int_equal(strlen(lines[0]), 2 + VUART_LINE_MAX);
}

static void test_registers(void **state)
{
	struct vuart u;
	(void)state;
	vuart_init(&u, "g");
	u.emit = record;
	assert_int_equal(vuart_read(&u, 5), 0x60); /* THRE | TEMT */
	vuart_write(&u, 7, 0x5a);
	assert_int_equal(vuart_read(&u, 7), 0x5a);
	vuart_write(&u, 3, 0x80); /* DLAB */
	vuart_write(&u, 0, 0x01);
	vuart_write(&u, 1, 0x00);
	assert_int_equal(vuart_read(&u, 0), 0x01);
	assert_int_equal(nlines, 0); /* divisor writes are not output */
	vuart_write(&u, 3, 0x03);
	assert_int_equal(vuart_read(&u, 3), 0x03);
	vuart_write(&u, 1, 0xff);
	assert_int_equal(vuart_read(&u, 1), 0x0f);
	assert_int_equal(vuart_read(&u, 2), 0x02); /* ETBEI set with THR empty: THRE, no FIFO */
	assert_int_equal(vuart_read(&u, 2), 0x01); /* the IIR read cleared it */
	vuart_write(&u, 2, 0xc7);
	assert_int_equal(vuart_read(&u, 2), 0xc1);
	assert_int_equal(vuart_read(&u, 6), 0xb0);
	vuart_write(&u, 5, 0x00); /* LSR read-only */
	assert_int_equal(vuart_read(&u, 5), 0x60);
}

static void test_loopback(void **state)
{
	struct vuart u;
	(void)state;
	vuart_init(&u, "g");
	u.emit = record;
	vuart_write(&u, 4, 0x1e);                  /* loop, OUT2, OUT1, RTS */
	assert_int_equal(vuart_read(&u, 6), 0xd0); /* DCD, RI, CTS */
	vuart_write(&u, 0, 0xae);
	assert_int_equal(vuart_read(&u, 5) & 1, 1);
	assert_int_equal(vuart_read(&u, 0), 0xae);
	assert_int_equal(vuart_read(&u, 5) & 1, 0);
	assert_int_equal(nlines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lines, setup),
		cmocka_unit_test_setup(test_long_line_split, setup),
		cmocka_unit_test_setup(test_registers, setup),
		cmocka_unit_test_setup(test_loopback, setup),
	};
	return cmocka_run_group_tests_name("vuart", tests, NULL, NULL);
}

/* The guest's PTV-TRACE frame writer (guest/lib/trace_dump.c) built for the host, checked byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../guest/lib/trace_dump.h"
#include "../../guest/lib/serial.h"
#include "dev/vuart.h"
#include "host_env.h"

/* The frame writer only needs serial_puts(); this one records what the guest would send. */
static char *out;
static size_t out_len, out_cap;

void serial_puts(const char *s)
{
	size_t n = strlen(s);

	if (out_len + n + 1 > out_cap) {
		out_cap = (out_len + n + 1) * 2;
		out = realloc(out, out_cap);
		assert_non_null(out);
	}
	memcpy(out + out_len, s, n + 1);
	out_len += n;
}

static void out_reset(void)
{
	out_len = 0;
	if (out)
		out[0] = '\0';
}

/* The same deterministic pattern tests/integration/test_ptextract.sh regenerates in Python. */
static uint8_t *pattern(uint32_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7u + 3u + (i >> 8));
	return b;
}

/* An independent bit-at-a-time CRC-32 to check the nibble-table one against. */
static uint32_t ref_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
	}
	return ~crc;
}

static int b64_value(char c)
{
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alpha, c) : NULL;

	return p ? (int)(p - alpha) : -1;
}

/* Decodes one D line's base64 into dst; returns the byte count (fails the test on bad input). */
static size_t b64_decode(const char *s, size_t n, uint8_t *dst)
{
	size_t len = 0;

	assert_int_equal(n % 4, 0);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' ? 0 : b64_value(s[i + k]);
		for (int k = 0; k < 4; k++)
			assert_true(v[k] >= 0);
		uint32_t w = (uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		dst[len++] = (uint8_t)(w >> 16);
		if (s[i + 2] != '=')
			dst[len++] = (uint8_t)(w >> 8);
		if (s[i + 3] != '=')
			dst[len++] = (uint8_t)w;
	}
	return len;
}

/* Parses the captured frame as tools/ptextract.py does and checks every rule of docs/trace-format.md. */
static void check_frame(const char *name, const uint8_t *want, uint32_t len)
{
	char head[160];
	uint8_t *got = malloc(len + 80);
	const char *p = out;
	size_t got_len = 0;
	uint32_t lines = (len + 71) / 72;

	assert_non_null(got);
	snprintf(head, sizeof(head), "PTV-TRACE-BEGIN v1 name=%s bytes=%u crc32=%08x\n", name, len,
		 ref_crc32(want, len));
	assert_memory_equal(p, head, strlen(head));
	p += strlen(head);
	for (uint32_t seq = 0; seq < lines; seq++) {
		char pre[24];
		const char *nl = strchr(p, '\n');
		size_t n;

		snprintf(pre, sizeof(pre), "D %u ", seq);
		assert_non_null(nl);
		assert_memory_equal(p, pre, strlen(pre));
		p += strlen(pre);
		n = (size_t)(nl - p);
		/* Every line but the last is exactly 96 characters (72 bytes). */
		if (seq + 1 < lines)
			assert_int_equal(n, 96);
		else
			assert_true(n >= 4 && n <= 96);
		got_len += b64_decode(p, n, got + got_len);
		p = nl + 1;
	}
	assert_int_equal(got_len, len);
	if (len)
		assert_memory_equal(got, want, len);
	snprintf(head, sizeof(head), "PTV-TRACE-END name=%s lines=%u\n", name, lines);
	assert_string_equal(p, head);
	free(got);
}

/* What the VMM's console shows, as vuart_emit_console() writes it: "[name] line". */
static char *shown;
static size_t shown_len, shown_cap;

static void shown_emit(const char *name, const char *line)
{
	size_t n = strlen(name) + strlen(line) + 4;

	if (shown_len + n + 1 > shown_cap) {
		shown_cap = (shown_len + n + 1) * 2;
		shown = realloc(shown, shown_cap);
		assert_non_null(shown);
	}
	shown_len += (size_t)sprintf(shown + shown_len, "[%s] %s\n", name, line);
}

/* Sends the captured guest output through ptvisor's virtual 16550 (THR writes, offset 0). */
static void through_vuart(bool real_console)
{
	struct vuart u;

	vuart_init(&u, "ptguest");
	if (!real_console)
		u.emit = shown_emit;
	shown_len = 0;
	for (size_t i = 0; i < out_len; i++)
		vuart_write(&u, 0, (uint8_t)out[i]);
	vuart_flush(&u);
}

/* With PTV_TRACE_DUMP_OUT set, the frames as the console shows them are appended there for
 * tests/integration/test_ptextract.sh to extract. */
static void save_frame(void)
{
	const char *path = getenv("PTV_TRACE_DUMP_OUT");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (!f)
		return;
	through_vuart(false);
	fwrite(shown, 1, shown_len, f);
	fclose(f);
}

static void dump_and_check(uint32_t len)
{
	char name[32];
	uint8_t *b = pattern(len);

	snprintf(name, sizeof(name), "len%u", len);
	out_reset();
	trace_dump(name, b, len);
	check_frame(name, b, len);
	save_frame();
	free(b);
}

static void test_crc32(void **state)
{
	(void)state;
	/* The CRC-32 check value (the "123456789" test vector). */
	assert_int_equal(trace_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(trace_crc32(0, "", 0), 0);
	assert_int_equal(trace_crc32(0, "\0", 1), 0xd202ef8du);
	/* Chaining over pieces gives the CRC of the whole. */
	assert_int_equal(trace_crc32(trace_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	uint8_t *b = pattern(4099);
	assert_int_equal(trace_crc32(0, b, 4099), ref_crc32(b, 4099));
	free(b);
}

static void test_base64(void **state)
{
	char buf[16];
	(void)state;
	/* RFC 4648 section 10 test vectors. */
	assert_int_equal(trace_base64(buf, (const uint8_t *)"", 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(trace_base64(buf, (const uint8_t *)"f", 1), 4);
	assert_string_equal(buf, "Zg==");
	trace_base64(buf, (const uint8_t *)"fo", 2);
	assert_string_equal(buf, "Zm8=");
	trace_base64(buf, (const uint8_t *)"foo", 3);
	assert_string_equal(buf, "Zm9v");
	assert_int_equal(trace_base64(buf, (const uint8_t *)"foobar", 6), 8);
	assert_string_equal(buf, "Zm9vYmFy");
	trace_base64(buf, (const uint8_t *)"\xff\xfe\x00", 3);
	assert_string_equal(buf, "//4A");
}

static void test_names(void **state)
{
	char id[TRACE_DUMP_NAME_MAX + 1];
	(void)state;
	trace_dump_name(id, "pt-guest_1.v2");
	assert_string_equal(id, "pt-guest_1.v2");
	trace_dump_name(id, "my trace/../x");
	assert_string_equal(id, "my_trace_.._x");
	trace_dump_name(id, ".hidden");
	assert_string_equal(id, "_hidden");
	trace_dump_name(id, "");
	assert_string_equal(id, "trace");
	trace_dump_name(id, NULL);
	assert_string_equal(id, "trace");
	trace_dump_name(id, "0123456789abcdef0123456789ABCDEFtoolong");
	assert_string_equal(id, "0123456789abcdef0123456789ABCDEF");
}

static void test_exact_small(void **state)
{
	(void)state;
	out_reset();
	trace_dump("e", NULL, 0);
	assert_string_equal(out, "PTV-TRACE-BEGIN v1 name=e bytes=0 crc32=00000000\n"
				 "PTV-TRACE-END name=e lines=0\n");
	out_reset();
	trace_dump("one", "\0", 1);
	assert_string_equal(out, "PTV-TRACE-BEGIN v1 name=one bytes=1 crc32=d202ef8d\n"
				 "D 0 AA==\n"
				 "PTV-TRACE-END name=one lines=1\n");
	out_reset();
	trace_dump("a b", "foobar", 6);
	assert_string_equal(out, "PTV-TRACE-BEGIN v1 name=a_b bytes=6 crc32=9ef61f95\n"
				 "D 0 Zm9vYmFy\n"
				 "PTV-TRACE-END name=a_b lines=1\n");
}

static void test_sizes(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 71, 72, 73, 95, 96, 97, 144, 65536 };
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		dump_and_check(sizes[i]);
}

static void test_line_lengths(void **state)
{
	uint8_t *b = pattern(65536);
	(void)state;
	out_reset();
	trace_dump("0123456789abcdef0123456789ABCDEF", b, 65536);
	/* 65536 bytes: 910 full lines and one of 16 bytes; every line far below the 160-char cut. */
	size_t lines = 0, longest = 0;
	for (const char *p = out; *p; lines++) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
		for (const char *c = p; c < nl; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
		p = nl + 1;
	}
	assert_int_equal(lines, 911 + 2);
	assert_int_equal(longest, 102); /* "D 910 " and 96 characters */
	assert_non_null(strstr(out, "\nD 910 "));
	assert_non_null(strstr(out, "\nPTV-TRACE-END name=0123456789abcdef0123456789ABCDEF lines=911\n"));
	free(b);
}

/* The frame passes the VMM console unchanged but for the prefix: no '?', no line cut. */
static void test_through_vuart(void **state)
{
	uint8_t *b = pattern(300);
	(void)state;
	out_reset();
	trace_dump("via-uart", b, 300);
	host_env_reset();
	through_vuart(true);
	through_vuart(false);
	assert_string_equal(host_console_text(), shown);
	assert_non_null(strstr(shown, "[ptguest] PTV-TRACE-BEGIN v1 name=via-uart bytes=300 crc32="));
	assert_non_null(strstr(shown, "\n[ptguest] D 4 "));
	assert_non_null(strstr(shown, "\n[ptguest] PTV-TRACE-END name=via-uart lines=5\n"));
	assert_null(strchr(shown, '?'));
	/* Stripping the prefix gives back exactly what the guest wrote. */
	char *p = shown, *q = out;
	while (*p) {
		assert_memory_equal(p, "[ptguest] ", 10);
		p += 10;
		char *nl = strchr(p, '\n');
		assert_memory_equal(p, q, (size_t)(nl - p) + 1);
		q += nl - p + 1;
		p = nl + 1;
	}
	assert_int_equal(*q, '\0');
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),         cmocka_unit_test(test_base64),
		cmocka_unit_test(test_names),         cmocka_unit_test(test_exact_small),
		cmocka_unit_test(test_sizes),         cmocka_unit_test(test_line_lengths),
		cmocka_unit_test(test_through_vuart),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(out);
	free(shown);
	return rc;
}

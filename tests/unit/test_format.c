/* The VMM's vsnprintf and number parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "lib/format.h"
#include "lib/string.h"

static void check(const char *expect, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_string_equal(buf, expect);
}

static void test_integers(void **state)
{
	(void)state;
	check("42 -7 0", "%d %d %u", 42, -7, 0u);
	check("0000abcd", "%08x", 0xabcdu);
	check("FFFFFFFFFFFFFFFF", "%llX", ~0ULL);
	check("-9223372036854775808", "%ld", (long)INT64_MIN);
	check("  -5|", "%4d|", -5);
	check("-0005", "%05d", -5);
	check("7   |", "%-4u|", 7u);
	check("0x1000", "%p", (void *)0x1000);
}

static void test_strings(void **state)
{
	(void)state;
	check("a b (null)", "%s %c %s", "a", 'b', (char *)NULL);
	check("  ab|ab  |", "%4s|%-4s|", "ab", "ab");
	check("100%", "100%%");
}

static void test_truncation(void **state)
{
	char buf[5];
	(void)state;
	int n = ptv_snprintf(buf, sizeof(buf), "%s", "abcdefgh");
	assert_int_equal(n, 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(ptv_snprintf(NULL, 0, "%d", 12345), 5);
}

static void test_parse_u64(void **state)
{
	uint64_t v;
	(void)state;
	assert_true(ptv_parse_u64("123", 3, false, &v));
	assert_int_equal(v, 123);
	assert_true(ptv_parse_u64("0x1F", 4, false, &v));
	assert_int_equal(v, 31);
	assert_true(ptv_parse_u64("64M", 3, true, &v));
	assert_int_equal(v, 64ULL << 20);
	assert_false(ptv_parse_u64("64M", 3, false, &v));
	assert_false(ptv_parse_u64("", 0, true, &v));
	assert_false(ptv_parse_u64("0x", 2, false, &v));
	assert_false(ptv_parse_u64("12a", 3, false, &v));
	assert_false(ptv_parse_u64("99999999999999999999", 20, false, &v));
	assert_false(ptv_parse_u64("17179869184G", 12, true, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_parse_u64),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}

/* The VMM command line: defaults, each option, the messages for bad words, and garbage input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cmdline.h"
#include "console/console.h"
#include "host_env.h"

#define ALL_CONSOLES ((1u << CONSOLE_COUNT) - 1)

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static struct vmm_options parse(const char *s)
{
	struct vmm_options o;

	vmm_options_default(&o);
	cmdline_parse(s, &o);
	return o;
}

static void test_defaults(void **state)
{
	struct vmm_options o = parse("");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_HOST_GUEST);
	assert_int_equal(o.pt_backend, PT_BACKEND_AUTO);
	assert_int_equal(o.console_mask, ALL_CONSOLES);
	assert_int_equal(o.loglevel, LOG_INFO);
	assert_false(o.pt_dump);
	assert_int_equal(o.problems, 0);
	assert_string_equal(host_console_text(), "");
}

static void test_every_option(void **state)
{
	struct vmm_options o = parse("/boot/ptvisor.elf pt_mode=system pt_backend=emulated "
				     "console=serial,fb loglevel=debug pt_dump=on");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_SYSTEM);
	assert_int_equal(o.pt_backend, PT_BACKEND_EMULATED);
	assert_int_equal(o.console_mask, (1u << CONSOLE_SERIAL) | (1u << CONSOLE_FB));
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_true(o.pt_dump);
	assert_int_equal(o.problems, 0);

	o = parse("pt_mode=host pt_backend=hw console=none loglevel=0 pt_dump=yes");
	assert_int_equal(o.pt_mode, PT_MODE_HOST);
	assert_int_equal(o.pt_backend, PT_BACKEND_HW);
	assert_int_equal(o.console_mask, 0);
	assert_int_equal(o.loglevel, LOG_ERR);
	assert_true(o.pt_dump);
	o = parse("pt_backend=off pt_dump=1 pt_dump=no");
	assert_int_equal(o.pt_backend, PT_BACKEND_OFF);
	assert_false(o.pt_dump);
	assert_int_equal(o.problems, 0);
}

static void test_duplicate_overrides(void **state)
{
	struct vmm_options o = parse("pt_mode=system pt_mode=host loglevel=warn loglevel=error");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_HOST);
	assert_int_equal(o.loglevel, LOG_ERR);
	assert_int_equal(o.problems, 0);
}

static void test_whitespace(void **state)
{
	struct vmm_options o = parse("  \t/kernel\n\npt_mode=system\r\v\fpt_dump=1   ");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_SYSTEM);
	assert_true(o.pt_dump);
	assert_int_equal(o.problems, 0);
}

static void test_path_only_first(void **state)
{
	struct vmm_options o = parse("pt_mode=host /boot/other");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_HOST);
	assert_int_equal(o.problems, 1);
	assert_true(host_console_contains("cmdline: unknown option '/boot/other' ignored\n"));
}

static void test_unknown_option(void **state)
{
	struct vmm_options o = parse("frobnicate=3 pt_mode=system verbose");
	(void)state;
	assert_int_equal(o.pt_mode, PT_MODE_SYSTEM);
	assert_int_equal(o.problems, 2);
	assert_true(host_console_contains("ptvisor: warning: cmdline: unknown option 'frobnicate' ignored\n"));
	assert_true(host_console_contains("cmdline: unknown option 'verbose' ignored\n"));
}

static void test_idle(void **state)
{
	struct vmm_options o = parse("");
	(void)state;
	assert_int_equal(o.idle, IDLE_HLT);
	o = parse("idle=spin");
	assert_int_equal(o.idle, IDLE_SPIN);
	assert_int_equal(o.problems, 0);
	o = parse("idle=spin idle=hlt");
	assert_int_equal(o.idle, IDLE_HLT);
	o = parse("idle=mwait");
	assert_int_equal(o.problems, 1);
	assert_int_equal(o.idle, IDLE_HLT);
	assert_true(host_console_contains("cmdline: bad value 'mwait' for idle (expected hlt|spin) ignored\n"));
}

static void test_bad_values(void **state)
{
	struct vmm_options o = parse("pt_mode=guest pt_backend= console=serial,tty loglevel=9 pt_dump=maybe");
	(void)state;
	assert_int_equal(o.problems, 5);
	assert_int_equal(o.pt_mode, PT_MODE_HOST_GUEST);
	assert_int_equal(o.pt_backend, PT_BACKEND_AUTO);
	assert_int_equal(o.console_mask, ALL_CONSOLES);
	assert_int_equal(o.loglevel, LOG_INFO);
	assert_false(o.pt_dump);
	assert_true(host_console_contains(
		"cmdline: bad value 'guest' for pt_mode (expected system|host|host-guest) ignored\n"));
	assert_true(host_console_contains(
		"cmdline: bad value '' for pt_backend (expected auto|hw|emulated|off) ignored\n"));
	assert_true(host_console_contains("cmdline: bad value 'serial,tty' for console"));
	assert_true(host_console_contains(
		"cmdline: bad value '9' for loglevel (expected error|warn|info|debug or 0-3) ignored\n"));
	assert_true(
		host_console_contains("cmdline: bad value 'maybe' for pt_dump (expected 0|1|on|off|yes|no) ignored\n"));
}

static void test_missing_equals(void **state)
{
	struct vmm_options o = parse("pt_dump pt_mode");
	(void)state;
	assert_int_equal(o.problems, 2);
	assert_false(o.pt_dump);
	assert_true(host_console_contains(
		"cmdline: option 'pt_dump' has no value (expected pt_dump=0|1|on|off|yes|no) ignored\n"));
	assert_true(host_console_contains("cmdline: option 'pt_mode' has no value"));
}

static void test_long_and_control_words(void **state)
{
	char line[300];
	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "pt_mode=", 8);
	line[sizeof(line) - 1] = '\0';
	struct vmm_options o = parse(line);
	assert_int_equal(o.problems, 1);
	/* 48 bytes of the value are quoted, then "...". */
	char expect[128];
	memset(expect, 0, sizeof(expect));
	strcpy(expect, "bad value '");
	memset(expect + strlen(expect), 'x', 48);
	strcat(expect, "...' for pt_mode");
	assert_true(host_console_contains(expect));

	host_env_reset();
	o = parse("a\x01\x1b[2J\xff=1");
	assert_int_equal(o.problems, 1);
	assert_true(host_console_contains("cmdline: unknown option 'a??[2J?' ignored\n"));
}

static void test_null_and_empty(void **state)
{
	struct vmm_options o;
	(void)state;
	vmm_options_default(&o);
	cmdline_parse(NULL, &o);
	assert_int_equal(o.problems, 0);
	assert_int_equal(o.pt_mode, PT_MODE_HOST_GUEST);
	cmdline_parse("pt_mode=host", NULL);
	o = parse("   ");
	assert_int_equal(o.problems, 0);
	o = parse("=");
	assert_int_equal(o.problems, 1);
	assert_true(host_console_contains("cmdline: unknown option '' ignored\n"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pt_mode_name(PT_MODE_SYSTEM), "system");
	assert_string_equal(pt_mode_name(PT_MODE_HOST), "host");
	assert_string_equal(pt_mode_name(PT_MODE_HOST_GUEST), "host-guest");
	assert_string_equal(pt_mode_name((enum pt_mode)7), "?");
	assert_string_equal(pt_backend_name(PT_BACKEND_AUTO), "auto");
	assert_string_equal(pt_backend_name(PT_BACKEND_HW), "hw");
	assert_string_equal(pt_backend_name(PT_BACKEND_EMULATED), "emulated");
	assert_string_equal(pt_backend_name(PT_BACKEND_OFF), "off");
	assert_string_equal(pt_backend_name((enum pt_backend) - 1), "?");
}

/* Random bytes, a 4 KiB garbage line and mutated good lines: each parse must end cleanly. */
static void test_garbage(void **state)
{
	static const char good[] = "/boot/ptvisor.elf pt_mode=host console=serial,vga pt_dump=1";
	char buf[4097];
	uint32_t x = 12345;
	(void)state;

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = iter == 0 ? sizeof(buf) - 1 : (size_t)(x % 200);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			buf[i] = iter & 1 ? (char)((x % 255) + 1) : good[(i + x % 3) % (sizeof(good) - 1)];
		}
		buf[len] = '\0';
		struct vmm_options o = parse(buf);
		assert_true(o.pt_mode <= PT_MODE_HOST_GUEST);
		assert_true(o.pt_backend <= PT_BACKEND_OFF);
		assert_true(o.loglevel <= LOG_DEBUG);
		assert_true(o.console_mask <= ALL_CONSOLES);
		if (iter % 64 == 0)
			host_env_reset();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_every_option, setup),
		cmocka_unit_test_setup(test_duplicate_overrides, setup),
		cmocka_unit_test_setup(test_whitespace, setup),
		cmocka_unit_test_setup(test_path_only_first, setup),
		cmocka_unit_test_setup(test_unknown_option, setup),
		cmocka_unit_test_setup(test_bad_values, setup),
		cmocka_unit_test_setup(test_missing_equals, setup),
		cmocka_unit_test_setup(test_long_and_control_words, setup),
		cmocka_unit_test_setup(test_null_and_empty, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_garbage, setup),
		cmocka_unit_test_setup(test_idle, setup),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}

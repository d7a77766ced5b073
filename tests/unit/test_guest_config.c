/* Guest configuration from GRUB module command lines: defaults, every option, bad input reported by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/config.h"

#define MiB (1ULL << 20)

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static void assert_defaults_except_name(const struct guest_config *c)
{
	assert_int_equal(c->mem_size, 16 * MiB);
	assert_int_equal(c->cpu, -1);
	assert_true(c->pt);
	assert_false(c->privileged);
	assert_string_equal(c->guest_cmdline, "");
}

static void test_defaults(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse(NULL, 3, &c);
	assert_string_equal(c.name, "guest3");
	assert_defaults_except_name(&c);
	assert_int_equal(c.problems, 0);

	guest_config_parse("", 0, &c);
	assert_string_equal(c.name, "guest0");
	assert_int_equal(c.problems, 0);

	guest_config_parse("   \t ", 1, &c);
	assert_string_equal(c.name, "guest1");
	assert_int_equal(c.problems, 0);
	assert_string_equal(host_console_text(), "");
	guest_config_parse("x", 0, NULL); /* no crash */
}

static void test_name_from_path(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/boot/hello.elf", 0, &c);
	assert_string_equal(c.name, "hello");
	assert_defaults_except_name(&c);
	guest_config_parse("/boot/my.kernel.bin mem=4M", 1, &c);
	assert_string_equal(c.name, "my_kernel");
	assert_int_equal(c.mem_size, 4 * MiB);
	guest_config_parse("/boot/", 2, &c);
	assert_string_equal(c.name, "guest2");
	guest_config_parse("/.hidden", 2, &c);
	assert_string_equal(c.name, "_hidden");
	guest_config_parse("kernel", 2, &c);
	assert_string_equal(c.name, "kernel");
	guest_config_parse("/boot/a+b$c", 2, &c);
	assert_string_equal(c.name, "a_b_c");
	guest_config_parse("/boot/0123456789012345678901234567890123456789", 2, &c);
	assert_string_equal(c.name, "0123456789012345678901234567890");
	/* An explicit name wins wherever it is. */
	guest_config_parse("/boot/hello.elf name=web-1_a", 0, &c);
	assert_string_equal(c.name, "web-1_a");
	assert_int_equal(c.problems, 0);
	/* Without a path the first word is an option. */
	guest_config_parse("mem=32M", 5, &c);
	assert_string_equal(c.name, "guest5");
	assert_int_equal(c.mem_size, 32 * MiB);
}

static void test_all_options(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/boot/k.elf name=alpha mem=64M cpu=3 pt=off privileged=yes", 1, &c);
	assert_string_equal(c.name, "alpha");
	assert_int_equal(c.mem_size, 64 * MiB);
	assert_int_equal(c.cpu, 3);
	assert_false(c.pt);
	assert_true(c.privileged);
	assert_int_equal(c.problems, 0);

	guest_config_parse("/k pt=on privileged=no cpu=any", 1, &c);
	assert_true(c.pt);
	assert_false(c.privileged);
	assert_int_equal(c.cpu, -1);
	guest_config_parse("/k cpu=0 cpu=7", 1, &c); /* later wins */
	assert_int_equal(c.cpu, 7);
	assert_int_equal(c.problems, 0);
}

static void test_input(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/k", 0, &c);
	assert_false(c.input_serial);
	guest_config_parse("/k input=serial", 0, &c);
	assert_true(c.input_serial);
	assert_int_equal(c.problems, 0);
	guest_config_parse("/k input=serial input=none", 0, &c);
	assert_false(c.input_serial);
	guest_config_parse("/k input=keyboard", 2, &c);
	assert_false(c.input_serial);
	assert_int_equal(c.problems, 1);
	assert_true(host_console_contains("guest 2: bad value 'keyboard' for input (expected serial|none) ignored\n"));
}

static void test_mem(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/k mem=2M", 0, &c);
	assert_int_equal(c.mem_size, 2 * MiB);
	guest_config_parse("/k mem=1G", 0, &c);
	assert_int_equal(c.mem_size, 1024 * MiB);
	guest_config_parse("/k mem=3M", 0, &c);
	assert_int_equal(c.mem_size, 4 * MiB);
	guest_config_parse("/k mem=0x300001", 0, &c);
	assert_int_equal(c.mem_size, 4 * MiB);
	guest_config_parse("/k mem=5000K", 0, &c);
	assert_int_equal(c.mem_size, 6 * MiB);
	assert_int_equal(c.problems, 0);

	const char *bad[] = { "/k mem=1M",  "/k mem=2G", "/k mem=1025M",
			      "/k mem=abc", "/k mem=",   "/k mem=99999999999999999999",
			      "/k mem=-4M", "/k mem=4T" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		host_env_reset();
		guest_config_parse(bad[i], 2, &c);
		assert_int_equal(c.mem_size, 16 * MiB);
		assert_int_equal(c.problems, 1);
		assert_true(host_console_contains("warning: guest 2: bad value '"));
		assert_true(host_console_contains("' for mem (expected a size from 2M to 1G) ignored"));
	}
}

static void test_bad_words_named(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/boot/x.elf foo=1 cpu=8 pt=maybe privileged name=bad.name bar", 4, &c);
	assert_int_equal(c.problems, 6);
	assert_string_equal(c.name, "x");
	assert_int_equal(c.cpu, -1);
	assert_true(c.pt);
	assert_false(c.privileged);
	assert_true(host_console_contains("ptvisor: warning: guest 4: unknown option 'foo' ignored\n"));
	assert_true(host_console_contains("guest 4: bad value '8' for cpu (expected 0-7 or any) ignored\n"));
	assert_true(host_console_contains("guest 4: bad value 'maybe' for pt (expected on|off) ignored\n"));
	assert_true(host_console_contains(
		"guest 4: option 'privileged' has no value (expected privileged=yes|no) ignored\n"));
	assert_true(host_console_contains(
		"guest 4: bad value 'bad.name' for name (expected 1-31 of A-Z a-z 0-9 _ -) ignored\n"));
	assert_true(host_console_contains("guest 4: unknown option 'bar' ignored\n"));

	host_env_reset();
	guest_config_parse("/k name= name=01234567890123456789012345678901 cpu=-2", 0, &c);
	assert_int_equal(c.problems, 3);
	assert_string_equal(c.name, "k");
	assert_true(host_console_contains("bad value '' for name"));
	assert_true(host_console_contains("bad value '-2' for cpu"));

	/* Long and unprintable words are quoted bounded and safe. */
	host_env_reset();
	guest_config_parse("/k \x01\x7f=1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, &c);
	assert_int_equal(c.problems, 2);
	assert_true(host_console_contains("unknown option '?"
					  "?' ignored"));
	assert_true(
		host_console_contains("unknown option 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' ignored"));
}

static void test_guest_cmdline(void **state)
{
	struct guest_config c;
	(void)state;

	guest_config_parse("/boot/k.elf mem=4M -- console=ttyS0  root=/dev/x -- mem=8M", 0, &c);
	assert_int_equal(c.mem_size, 4 * MiB);
	assert_string_equal(c.guest_cmdline, "console=ttyS0  root=/dev/x -- mem=8M");
	assert_int_equal(c.problems, 0);

	guest_config_parse("/boot/k.elf --", 0, &c);
	assert_string_equal(c.guest_cmdline, "");
	guest_config_parse("-- a b", 0, &c);
	assert_string_equal(c.guest_cmdline, "a b");
	assert_string_equal(c.name, "guest0");
	/* "--x" is not the separator: it is an unknown option. */
	guest_config_parse("/k --x", 0, &c);
	assert_string_equal(c.guest_cmdline, "");
	assert_int_equal(c.problems, 1);

	char longline[600];
	memcpy(longline, "/k -- ", 6);
	memset(longline + 6, 'z', sizeof(longline) - 7);
	longline[sizeof(longline) - 1] = '\0';
	host_env_reset();
	guest_config_parse(longline, 1, &c);
	assert_int_equal(strlen(c.guest_cmdline), 255);
	assert_int_equal(c.problems, 1);
	assert_true(host_console_contains("guest 1: guest command line truncated to 255 bytes"));
}

/* Random bytes never crash the parser and always leave a sane configuration. */
static void test_random_input(void **state)
{
	struct guest_config c;
	char buf[300];
	(void)state;

	srand(1234);
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = (size_t)rand() % (sizeof(buf) - 1);
		for (size_t i = 0; i < len; i++) {
			static const char alphabet[] = "=-/ .\tmemcpuptnameprivileged0123456789MGKxyes";
			buf[i] = rand() % 4 ? alphabet[rand() % (sizeof(alphabet) - 1)] : (char)(rand() % 255 + 1);
		}
		buf[len] = '\0';
		host_env_reset();
		guest_config_parse(buf, (unsigned)iter, &c);
		assert_true(c.mem_size >= 2 * MiB && c.mem_size <= 1024 * MiB && c.mem_size % (2 * MiB) == 0);
		assert_true(c.cpu >= -1 && c.cpu <= 7);
		assert_true(strlen(c.name) > 0 && strlen(c.name) < sizeof(c.name));
		for (const char *p = c.name; *p; p++)
			assert_true(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p));
		assert_true(strlen(c.guest_cmdline) < sizeof(c.guest_cmdline));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),      cmocka_unit_test_setup(test_name_from_path, setup),
		cmocka_unit_test_setup(test_all_options, setup),   cmocka_unit_test_setup(test_input, setup),
		cmocka_unit_test_setup(test_mem, setup),           cmocka_unit_test_setup(test_bad_words_named, setup),
		cmocka_unit_test_setup(test_guest_cmdline, setup), cmocka_unit_test_setup(test_random_input, setup),
	};
	return cmocka_run_group_tests_name("guest_config", tests, NULL, NULL);
}

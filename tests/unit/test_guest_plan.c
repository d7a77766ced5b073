/* Module lines: guests versus modules attached to them (module-of=), matched by name, errors named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/attach.h"
#include "guest/plan.h"

static struct guest_attach a;
static struct guest_plan plan;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static void assert_console(const char *expect)
{
	if (strcmp(host_console_text(), expect))
		fail_msg("expected: %sgot:      %s", expect, host_console_text());
}

/* A line without an attaching option is a guest line, and nothing about it is reported here. */
static void test_guest_lines(void **state)
{
	(void)state;
	assert_int_equal(guest_attach_parse(NULL, 0, &a), GUEST_LINE_KERNEL);
	assert_int_equal(guest_attach_parse("", 0, &a), GUEST_LINE_KERNEL);
	assert_int_equal(guest_attach_parse("name=x mem=banana colour=blue", 0, &a), GUEST_LINE_KERNEL);
	/* After "--" the words are the guest's own, whatever they look like. */
	assert_int_equal(guest_attach_parse("name=x -- module-of=y", 0, &a), GUEST_LINE_KERNEL);
	/* A path word is not an option, even one that looks like it. */
	assert_int_equal(guest_attach_parse("/boot/module-of=x", 0, &a), GUEST_LINE_KERNEL);
	/* An option whose name only begins like the attaching one. */
	assert_int_equal(guest_attach_parse("module-of-x=y module=y", 0, &a), GUEST_LINE_KERNEL);
	assert_console("");
	assert_int_equal(guest_attach_parse("x", 0, NULL), GUEST_LINE_REFUSED);
}

static void test_module_lines(void **state)
{
	(void)state;
	assert_int_equal(guest_attach_parse("module-of=conf", 2, &a), GUEST_LINE_MODULE);
	assert_string_equal(a.target, "conf");
	assert_string_equal(a.option, "module-of");
	assert_string_equal(a.string, "");
	assert_int_equal(a.problems, 0);
	/* The string is the text after "--", inner spacing kept, leading blanks dropped. */
	assert_int_equal(guest_attach_parse("  module-of=web-1_a\t--   key=v  x  y", 2, &a), GUEST_LINE_MODULE);
	assert_string_equal(a.target, "web-1_a");
	assert_string_equal(a.string, "key=v  x  y");
	/* With a loader that keeps the path first; an attaching option after "--" is string. */
	assert_int_equal(guest_attach_parse("/boot/data.bin module-of=g -- module-of=h", 2, &a), GUEST_LINE_MODULE);
	assert_string_equal(a.target, "g");
	assert_string_equal(a.string, "module-of=h");
	assert_console("");
}

/* initrd-of= attaches like module-of=, as a Linux guest's initrd; the two on one line are refused. */
static void test_initrd_lines(void **state)
{
	(void)state;
	assert_int_equal(guest_attach_parse("initrd-of=lx -- initrd", 3, &a), GUEST_LINE_INITRD);
	assert_string_equal(a.target, "lx");
	assert_string_equal(a.option, "initrd-of");
	assert_string_equal(a.string, "initrd");
	assert_console("");
	assert_int_equal(guest_attach_parse("initrd-of=lx module-of=lx", 3, &a), GUEST_LINE_REFUSED);
	assert_console("ptvisor: error: module 3: attached more than once ('initrd-of=lx', then 'module-of=lx'); not "
		       "loaded\n");
	host_env_reset();
	assert_int_equal(guest_attach_parse("initrd-of=", 4, &a), GUEST_LINE_REFUSED);
	assert_true(host_console_contains("expected initrd-of=NAME"));
}

/* Guest options on a module's line mean nothing there: reported, ignored; the module stays attached. */
static void test_module_line_other_options(void **state)
{
	(void)state;
	assert_int_equal(guest_attach_parse("mem=4M module-of=conf colour=blue -- s", 5, &a), GUEST_LINE_MODULE);
	assert_int_equal(a.problems, 2);
	assert_string_equal(a.string, "s");
	assert_console("ptvisor: warning: module 5: option 'mem' does not apply to a module of guest 'conf'; ignored\n"
		       "ptvisor: warning: module 5: option 'colour' does not apply to a module of guest 'conf'; "
		       "ignored\n");
}

/* Malformed attachments: not loaded for anyone, and never taken for a guest kernel. */
static void test_bad_attachments(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "module-of", "'module-of' does not name a guest" },
		{ "module-of=", "'module-of=' does not name a guest" },
		{ "module-of=a/b", "'module-of=a/b' does not name a guest" },
		{ "module-of=\x01x", "'module-of=?x' does not name a guest" },
		{ "module-of=0123456789012345678901234567890123", "'module-of=0123456789012345678901234567890123' "
								  "does not name a guest" },
		{ "module-of=a module-of=b", "attached more than once ('module-of=a', then 'module-of=b')" },
		{ "module-of=a module-of=a module-of=a",
		  "attached more than once ('module-of=a', then 'module-of=a')" },
		{ "module-of=a name=x module-of", "attached more than once ('module-of=a', then 'module-of')" },
	};
	char expect[512];
	(void)state;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		host_env_reset();
		assert_int_equal(guest_attach_parse(cases[i].line, 9, &a), GUEST_LINE_REFUSED);
		snprintf(expect, sizeof(expect), "ptvisor: error: module 9: %s", cases[i].msg);
		if (strncmp(host_console_text(), expect, strlen(expect)) || !host_console_contains("; not loaded\n"))
			fail_msg("case %u: expected: %s...; not loaded\ngot:      %s", i, expect, host_console_text());
	}
	/* The longest valid name is 31 characters. */
	assert_int_equal(guest_attach_parse("module-of=0123456789012345678901234567890", 9, &a), GUEST_LINE_MODULE);
}

static void test_long_string(void **state)
{
	char line[600];
	(void)state;

	strcpy(line, "module-of=g -- ");
	memset(line + strlen(line), 'z', 400);
	line[15 + 400] = '\0';
	assert_int_equal(guest_attach_parse(line, 1, &a), GUEST_LINE_MODULE);
	assert_int_equal(strlen(a.string), GUEST_MOD_STRING_SIZE - 1);
	assert_int_equal(a.problems, 1);
	assert_console("ptvisor: warning: module 1: its string for guest 'g' truncated to 255 bytes\n");
}

/* Modules before and after their guest's line, default names, line order kept. */
static void test_plan_order(void **state)
{
	const char *lines[] = {
		"module-of=b -- first", /* before its guest */
		"name=a",
		"module-of=a -- for a",
		"mem=4M -- x", /* the second guest line: default name guest1, not guest3 */
		"name=b",
		"module-of=b -- second",
		"module-of=guest3",
		"module-of=guest1",
	};
	(void)state;

	guest_plan_build(lines, 8, &plan);
	assert_int_equal(plan.nlines, 8);
	assert_int_equal(plan.guest_lines, 3);
	assert_int_equal(plan.nguests, 3);
	assert_int_equal(plan.refused, 1);
	assert_string_equal(plan.guest[0].cfg.name, "a");
	assert_int_equal(plan.guest[0].module, 1);
	assert_int_equal(plan.guest[0].nmods, 1);
	assert_int_equal(plan.guest[0].mods[0], 2);
	assert_string_equal(plan.guest[1].cfg.name, "guest1");
	assert_int_equal(plan.guest[1].module, 3);
	assert_int_equal(plan.guest[1].cfg.mem_size, 4ULL << 20);
	assert_string_equal(plan.guest[1].cfg.guest_cmdline, "x");
	assert_int_equal(plan.guest[1].nmods, 1);
	assert_int_equal(plan.guest[1].mods[0], 7);
	assert_string_equal(plan.guest[2].cfg.name, "b");
	assert_int_equal(plan.guest[2].nmods, 2);
	assert_int_equal(plan.guest[2].mods[0], 0);
	assert_int_equal(plan.guest[2].mods[1], 5);
	assert_string_equal(plan.line[0].string, "first");
	assert_string_equal(plan.line[5].string, "second");
	assert_int_equal(plan.line[6].kind, GUEST_LINE_REFUSED);
	assert_console("ptvisor: error: module 6 (module-of=guest3): no guest is named 'guest3'; not loaded\n");
}

/* Unknown and ambiguous names, malformed attachments: each module named, the guests untouched. */
static void test_plan_errors(void **state)
{
	const char *lines[] = {
		"name=web",   "module-of=db",  "name=dup", "name=dup", "module-of=dup", "module-of=web module-of=db",
		"module-of=", "module-of=web",
	};
	(void)state;

	guest_plan_build(lines, 8, &plan);
	assert_int_equal(plan.nguests, 3);
	assert_int_equal(plan.refused, 4);
	assert_int_equal(plan.guest[0].nmods, 1);
	assert_int_equal(plan.guest[0].mods[0], 7);
	assert_int_equal(plan.guest[1].nmods, 0);
	assert_int_equal(plan.guest[2].nmods, 0);
	for (unsigned i = 1; i < 7; i++)
		assert_int_equal(plan.line[i].kind, i == 2 || i == 3 ? GUEST_LINE_KERNEL : GUEST_LINE_REFUSED);
	assert_true(host_console_contains("module 1 (module-of=db): no guest is named 'db'; not loaded\n"));
	assert_true(host_console_contains("module 4 (module-of=dup): 2 guests are named 'dup'; not loaded\n"));
	assert_true(host_console_contains("module 5: attached more than once"));
	assert_true(host_console_contains("module 6: 'module-of=' does not name a guest"));
	/* No line at all, or none given. */
	guest_plan_build(NULL, 3, &plan);
	assert_int_equal(plan.nguests, 0);
	guest_plan_build(lines, 0, &plan);
	assert_int_equal(plan.nlines, 0);
	guest_plan_build(lines, 1, NULL);
}

/* Only GUEST_MAX guests start; a module for a later guest is not loaded, and says why. */
static void test_plan_too_many(void **state)
{
	const char *lines[BOOT_MODULES_MAX + 2];
	char names[BOOT_MODULES_MAX + 2][16];
	(void)state;

	for (unsigned i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "name=g%u", i);
		lines[i] = names[i];
	}
	lines[10] = "module-of=g9";
	lines[11] = "module-of=g7";
	for (unsigned i = 12; i < BOOT_MODULES_MAX + 2; i++)
		lines[i] = "module-of=g0";
	guest_plan_build(lines, BOOT_MODULES_MAX + 2, &plan);
	assert_int_equal(plan.nlines, BOOT_MODULES_MAX);
	assert_int_equal(plan.guest_lines, 10);
	assert_int_equal(plan.nguests, GUEST_MAX);
	assert_int_equal(plan.refused, 1);
	assert_int_equal(plan.guest[7].nmods, 1);
	assert_int_equal(plan.guest[0].nmods, BOOT_MODULES_MAX - 12);
	assert_true(host_console_contains("module 8 is guest line 9; only the first 8 guests are started\n"));
	assert_true(host_console_contains("module 9 is guest line 10; only the first 8 guests are started\n"));
	assert_true(host_console_contains(
		"module 10 (module-of=g9): no guest is named 'g9' among the guests started; not loaded\n"));
}

/* One guest can take every other line as a module. */
static void test_plan_most_modules(void **state)
{
	const char *lines[BOOT_MODULES_MAX];
	(void)state;

	for (unsigned i = 0; i < BOOT_MODULES_MAX; i++)
		lines[i] = i == 8 ? "name=k" : "module-of=k -- m";
	guest_plan_build(lines, BOOT_MODULES_MAX, &plan);
	assert_int_equal(plan.nguests, 1);
	assert_int_equal(plan.guest[0].nmods, GUEST_MODS_MAX);
	assert_int_equal(plan.guest[0].mods[0], 0);
	assert_int_equal(plan.guest[0].mods[8], 9);
	assert_int_equal(plan.refused, 0);
	assert_console("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_guest_lines, setup),
		cmocka_unit_test_setup(test_module_lines, setup),
		cmocka_unit_test_setup(test_module_line_other_options, setup),
		cmocka_unit_test_setup(test_initrd_lines, setup),
		cmocka_unit_test_setup(test_bad_attachments, setup),
		cmocka_unit_test_setup(test_long_string, setup),
		cmocka_unit_test_setup(test_plan_order, setup),
		cmocka_unit_test_setup(test_plan_errors, setup),
		cmocka_unit_test_setup(test_plan_too_many, setup),
		cmocka_unit_test_setup(test_plan_most_modules, setup),
	};
	return cmocka_run_group_tests_name("guest_plan", tests, NULL, NULL);
}

/*
 * conf: the differential conformance kernel. It runs the areas named by "area=a,b,..." on its command line
 * (all of them without one; "part=p" runs one part of an area), each printing its verdict lines, then
 * powers off through the Bochs shutdown port. It uses no ptvisor interface: the same image boots from GRUB
 * on bare Bochs and as a ptvisor guest.
 */
#include "conf.h"
#include "multiboot.h"
#include "serial.h"
#include "test.h"
#include "lib/string.h"

#define AREA_ARG_MAX 128

struct conf_area {
	const char *name;
	void (*run)(void);
};

/* "apicbase" comes last: it disables the APIC globally, which Bochs cannot undo (conf_apicbase.c). */
static const struct conf_area areas[] = {
	{ "exceptions", conf_area_exceptions },
	{ "apic", conf_area_apic },
	{ "msr", conf_area_msr },
	{ "cr", conf_area_cr },
	{ "strio", conf_area_strio },
	{ "mem", conf_area_mem },
	{ "tsc", conf_area_tsc },
	{ "apicbase", conf_area_apicbase },
};

static void *area_jmp[5];

void conf_abandon_area(void)
{
	__builtin_longjmp(area_jmp, 1);
}

/* Whether `name` is one of the comma-separated words of `list`. */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = list; *s;) {
		const char *end = s;

		while (*end && *end != ',')
			end++;
		if ((size_t)(end - s) == n && strncmp(s, name, n) == 0)
			return true;
		s = *end ? end + 1 : end;
	}
	return false;
}

int guest_main(uint32_t magic, uint32_t info)
{
	char want[AREA_ARG_MAX] = "", part[AREA_ARG_MAX] = "";
	const char *cmdline = magic == MB2_BOOT_MAGIC ? mb2_cmdline(info) : NULL;
	bool all = !cmdline || !cmdline_get_arg(cmdline, "area", want, sizeof(want));
	bool one_part = cmdline && cmdline_get_arg(cmdline, "part", part, sizeof(part));
	unsigned ran = 0;

	serial_init();
	conf_init();
	for (unsigned i = 0; i < ARRAY_SIZE(areas); i++) {
		if (!all && !listed(want, areas[i].name))
			continue;
		ran++;
		if (__builtin_setjmp(area_jmp) == 0) {
			conf_begin_area(areas[i].name, one_part ? part : NULL);
			areas[i].run();
		}
		conf_reset_cpu();
	}
	serial_printf("conf-done: %u areas, %u checks\n", ran, conf_checks());
	conf_poweroff();
}

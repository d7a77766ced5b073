/* Shared helpers of the capability tests (see caps_env.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "caps_env.h"
#include "cpu_model.h"
#include "host_env.h"

int caps_env_setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

struct vmx_caps caps_env_read(const struct cpu_fixture *f)
{
	struct vmx_caps c;

	cpu_model_load(f);
	vmx_caps_read(&c);
	return c;
}

const char *caps_env_line(const char *needle)
{
	static char line[256];
	const char *text = host_console_text();
	const char *hit = strstr(text, needle);
	const char *start, *end;

	if (!hit)
		fail_msg("no console line contains \"%s\"", needle);
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	while (*start == ' ')
		start++;
	end = strchr(hit, '\n');
	if (!end)
		end = hit + strlen(hit);
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	return line;
}

/* Captures the VMM's console output in host tests; panic() fails the running test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "console/console.h"
#include "log.h"

static char captured[1 << 16];
static size_t captured_len;
int host_panic_count;

static void capture_write(const char *s, size_t len)
{
	size_t room = sizeof(captured) - 1 - captured_len;
	size_t n = len < room ? len : room;

	memcpy(captured + captured_len, s, n);
	captured_len += n;
	captured[captured_len] = '\0';
	if (getenv("PTV_TEST_VERBOSE"))
		fwrite(s, 1, len, stderr);
}

static struct console capture_console = {
	.name = "capture",
	.write = capture_write,
	.enabled = true,
};

void host_env_reset(void)
{
	captured_len = 0;
	captured[0] = '\0';
	host_panic_count = 0;
	log_threshold = LOG_DEBUG;
	console_register(CONSOLE_SERIAL, &capture_console);
	console_select((1u << CONSOLE_COUNT) - 1);
}

const char *host_console_text(void)
{
	return captured;
}

bool host_console_contains(const char *needle)
{
	return strstr(captured, needle) != NULL;
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	host_panic_count++;
	fail_msg("panic at %s:%d: %s", file, line, buf);
	abort();
}

/* Host-fuzzer environment: console sink, panic() as abort, and the input byte reader. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "env.h"
#include "console/console.h"
#include "log.h"

static bool verbose;

static void sink_write(const char *s, size_t len)
{
	if (verbose)
		fwrite(s, 1, len, stderr);
}

static struct console sink_console = {
	.name = "fuzz",
	.write = sink_write,
	.enabled = true,
};

void fuzz_env_init(void)
{
	verbose = getenv("PTV_FUZZ_VERBOSE") != NULL;
	log_threshold = LOG_DEBUG; /* the message formatting runs on every input, shown or not */
	console_register(CONSOLE_SERIAL, &sink_console);
	console_select((1u << CONSOLE_COUNT) - 1);
}

static void __attribute__((noreturn)) vfail(const char *what, const char *file, int line, const char *fmt, va_list ap)
{
	fprintf(stderr, "fuzz: %s at %s:%d: ", what, file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	abort();
}

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail("invariant broken", file, line, fmt, ap);
}

/* A VMM panic is a bug whatever the input: libFuzzer keeps the input that caused it. */
void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail("VMM panic", file, line, fmt, ap);
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->at < in->n ? in->p[in->at++] : 0;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)(fuzz_u8(in) | (fuzz_u8(in) << 8));
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	return fuzz_u16(in) | ((uint32_t)fuzz_u16(in) << 16);
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_u32(in) | ((uint64_t)fuzz_u32(in) << 32);
}

unsigned fuzz_below(struct fuzz_in *in, unsigned n)
{
	return fuzz_u16(in) % n;
}

size_t fuzz_left(const struct fuzz_in *in)
{
	return in->n - in->at;
}

/* Counts checks and prints their PASS/FAIL lines (kept under 100 characters by the callers' wording). */
#include <stdarg.h>
#include "test.h"
#include "serial.h"
#include "cpu.h"
#include "hypercall.h"
#include "lib/format.h"

#define WHAT_MAX 112

static uint32_t passes, failures;

static void report(bool ok, const char *what, const char *detail)
{
	if (ok)
		passes++;
	else
		failures++;
	serial_printf("%s: %s%s\n", ok ? "PASS" : "FAIL", what, ok ? "" : detail);
}

bool check(bool cond, const char *fmt, ...)
{
	char what[WHAT_MAX];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	report(cond, what, "");
	return cond;
}

bool check_eq(uint64_t got, uint64_t want, const char *fmt, ...)
{
	char what[WHAT_MAX], detail[64];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ptv_snprintf(detail, sizeof(detail), " (got 0x%llx, expected 0x%llx)", (unsigned long long)got,
		     (unsigned long long)want);
	report(got == want, what, detail);
	return got == want;
}

bool check_eq_dec(uint64_t got, uint64_t want, const char *fmt, ...)
{
	char what[WHAT_MAX], detail[64];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ptv_snprintf(detail, sizeof(detail), " (got %llu, expected %llu)", (unsigned long long)got,
		     (unsigned long long)want);
	report(got == want, what, detail);
	return got == want;
}

static const char *vector_name(int v, char *buf, size_t len)
{
	static const char *const names[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
		"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
	};

	if (v == FAULT_NONE)
		return "none";
	if (v >= 0 && (size_t)v < ARRAY_SIZE(names))
		return names[v];
	ptv_snprintf(buf, len, "vector %d", v);
	return buf;
}

bool check_fault(int got, int want, const char *fmt, ...)
{
	char what[WHAT_MAX], detail[64], g[16], w[16];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ptv_snprintf(detail, sizeof(detail), " (got %s, expected %s)", vector_name(got, g, sizeof(g)),
		     vector_name(want, w, sizeof(w)));
	report(got == want, what, detail);
	return got == want;
}

uint32_t test_passes(void)
{
	return passes;
}

uint32_t test_failures(void)
{
	return failures;
}

int test_finish(void)
{
	serial_printf("done: %u passed, %u failed\n", passes, failures);
	return failures ? 1 : 0;
}

void guest_exit(uint32_t status)
{
	static bool exiting;

	/* A fault inside the exit path must not come back here and loop. */
	if (!exiting) {
		exiting = true;
		cpu_outl(GUEST_EXIT_PORT, status);
		if (hc_ptvisor_present())
			hc_shutdown(status);
	}
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}

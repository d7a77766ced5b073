/* panic(): our own invariant broke; report where and stop every CPU we own. */
#include <stdarg.h>
#include "log.h"
#include "lib/format.h"
#include "power.h"
#include "status.h"

void panic_at(const char *file, int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("PANIC at %s:%d: %s\n", file, line, buf);
	power_off(PTV_STATUS_PANIC);
}

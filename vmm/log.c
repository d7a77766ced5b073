/* Levelled logging over the console layer; the level prefix makes logs greppable. */
#include <stdarg.h>
#include "log.h"
#include "console/console.h"
#include "lib/format.h"
#include "lib/string.h"

enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < ARRAY_SIZE(level_names) ? level_names[level] : "?";
}

bool log_level_parse(const char *s, size_t len, enum log_level *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strlen(level_names[i]) == len && !strncmp(s, level_names[i], len)) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (len == 1 && s[0] >= '0' && s[0] <= '3') {
		*out = (enum log_level)(s[0] - '0');
		return true;
	}
	return false;
}

static void log_emit(enum log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n = 0;

	if (level > log_threshold)
		return;
	if (prefix)
		n = ptv_strlcpy(buf, prefix, sizeof(buf));
	ptv_vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	console_write(buf, strlen(buf));
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	static const char *const prefixes[] = {
		[LOG_ERR] = "ptvisor: error: ",
		[LOG_WARN] = "ptvisor: warning: ",
		[LOG_INFO] = "ptvisor: ",
		[LOG_DEBUG] = "ptvisor: debug: ",
	};
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, prefixes[level <= LOG_DEBUG ? level : LOG_DEBUG], fmt, ap);
	va_end(ap);
}

void log_raw(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, NULL, fmt, ap);
	va_end(ap);
}

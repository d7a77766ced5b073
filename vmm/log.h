/* The one logging API: levelled messages to every console, and panic(). */
#ifndef PTV_LOG_H
#define PTV_LOG_H

#include "types.h"

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

extern enum log_level log_threshold;

void log_printf(enum log_level level, const char *fmt, ...) __printf(2, 3);
/* Unprefixed output at a level, for tables that continue a line. */
void log_raw(enum log_level level, const char *fmt, ...) __printf(2, 3);
const char *log_level_name(enum log_level level);
bool log_level_parse(const char *s, size_t len, enum log_level *out);

#define pr_err(...)  log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define pr_dbg(...)  log_printf(LOG_DEBUG, __VA_ARGS__)

void panic_at(const char *file, int line, const char *fmt, ...) __printf(3, 4) __noreturn;
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

#endif

/* A small vsnprintf: %d %i %u %x %X %p %s %c %%, with l/ll/z, width, '0', '-'. */
#ifndef PTV_FORMAT_H
#define PTV_FORMAT_H

#include <stdarg.h>
#include "types.h"

int ptv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ptv_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif

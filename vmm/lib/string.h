/* The few C library string routines the freestanding VMM needs. */
#ifndef PTV_STRING_H
#define PTV_STRING_H

#include "types.h"

#ifdef PTV_HOST_TEST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t ptv_strlcpy(char *dst, const char *src, size_t size);
/* Parses an unsigned number (decimal, 0x hex, optional K/M/G suffix when allow_suffix). */
bool ptv_parse_u64(const char *s, size_t len, bool allow_suffix, uint64_t *out);

#endif

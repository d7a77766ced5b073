/* Freestanding string routines; GCC may emit calls to memcpy/memset itself. */
#include "lib/string.h"

#ifndef PTV_HOST_TEST
/*
 * REP MOVS/STOS: general registers only (no SSE state touched), fast strings on every CPU we run on.
 * Words first, then the odd bytes: an emulator (Bochs) executes each iteration as an instruction.
 * This file is also built for the 32-bit test guests, where the word is 4 bytes.
 */
#ifdef __x86_64__
#define REP_MOVS_WORD "rep movsq"
#define REP_STOS_WORD "rep stosq"
typedef uint64_t word_t;
#else
#define REP_MOVS_WORD "rep movsl"
#define REP_STOS_WORD "rep stosl"
typedef uint32_t word_t;
#endif

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t q = n / sizeof(word_t), b = n % sizeof(word_t);

	asm volatile(REP_MOVS_WORD : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(b) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t q = n / sizeof(word_t), b = n % sizeof(word_t);
	word_t pattern = (word_t)((uint8_t)c * 0x0101010101010101ull);

	asm volatile(REP_STOS_WORD : "+D"(d), "+c"(q) : "a"(pattern) : "memory");
	asm volatile("rep stosb" : "+D"(d), "+c"(b) : "a"(pattern) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
#endif

size_t ptv_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool ptv_parse_u64(const char *s, size_t len, bool allow_suffix, uint64_t *out)
{
	uint64_t v = 0, base = 10, shift = 0;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (allow_suffix && len > i) {
		switch (s[len - 1]) {
		case 'K':
		case 'k':
			shift = 10;
			len--;
			break;
		case 'M':
		case 'm':
			shift = 20;
			len--;
			break;
		case 'G':
		case 'g':
			shift = 30;
			len--;
			break;
		default:
			break;
		}
	}
	if (i >= len)
		return false;
	for (; i < len; i++) {
		int d = digit_value(s[i]);
		if (d >= (int)base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

/* Formatted output into a bounded buffer; never writes past size, always terminates. */
#include "lib/format.h"

struct out {
	char *buf;
	size_t size;
	size_t pos;
};

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_padded(struct out *o, const char *s, size_t len, int width, bool left, char pad)
{
	int fill = width > (int)len ? width - (int)len : 0;

	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (len--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static void put_number(struct out *o, uint64_t v, bool neg, unsigned base, bool upper, int width, bool left, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (pad == '0') {
			put(o, '-');
			width--;
		} else {
			tmp[n++] = '-';
		}
	}
	char rev[24];
	for (size_t i = 0; i < n; i++)
		rev[i] = tmp[n - 1 - i];
	put_padded(o, rev, n, width, left, left ? ' ' : pad);
}

int ptv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		int width = 0, lng = 0;

		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		if (*fmt == 'z') {
			lng = 2;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			put_number(&o, mag, v < 0, 10, false, width, left, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			put_number(&o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, pad);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, left, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t len = 0;
			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			put_padded(&o, s, len, width, left, ' ');
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.pos < size ? o.pos : size - 1] = '\0';
	return (int)o.pos;
}

int ptv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = ptv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

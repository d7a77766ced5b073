/* Word scanning of module command lines: one walker for guest lines and attached-module lines. */
#include "guest/modline.h"
#include "lib/string.h"

bool modline_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

bool modline_word_is(const char *s, size_t len, const char *name)
{
	/* The word is not NUL-terminated where it ends, so compare lengths too. */
	return strlen(name) == len && !strncmp(s, name, len);
}

size_t modline_key_len(const char *w, size_t len)
{
	size_t k = 0;

	while (k < len && w[k] != '=')
		k++;
	return k;
}

bool modline_name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '-';
}

bool modline_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= GUEST_NAME_SIZE)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!modline_name_char_ok(s[i]))
			return false;
	return true;
}

void modline_show(char *dst, size_t size, const char *s, size_t len)
{
	size_t n = MIN(MIN(len, (size_t)MODLINE_SHOW_MAX), size - 4), i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (n < len) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

const char *modline_walk(const char *line, modline_word_fn fn, void *ctx)
{
	const char *p = line;
	bool first = true;

	if (!p)
		return NULL;
	for (;;) {
		while (*p && modline_is_space(*p))
			p++;
		if (!*p)
			return NULL;
		const char *w = p;
		while (*p && !modline_is_space(*p))
			p++;
		size_t len = (size_t)(p - w);

		if (modline_word_is(w, len, "--")) {
			while (*p && modline_is_space(*p))
				p++;
			return p;
		}
		fn(w, len, first && (w[0] == '/' || modline_key_len(w, len) == len), ctx);
		first = false;
	}
}

/* The words of a GRUB module command line, as guest lines and attached-module lines both read them. */
#ifndef PTV_GUEST_MODLINE_H
#define PTV_GUEST_MODLINE_H

#include "types.h"

/* Guest names: 1-31 of [A-Za-z0-9_-]; a 32-byte buffer holds one with its NUL. */
#define GUEST_NAME_SIZE 32
/* At most this many bytes of a word are quoted back in a message. */
#define MODLINE_SHOW_MAX 48
/* A buffer for modline_show(): the quoted bytes, "..." and the NUL. */
#define MODLINE_SHOW_SIZE (MODLINE_SHOW_MAX + 4)

/* Called for each word before "--"; `path` is set for a leading path word, which is no option. */
typedef void (*modline_word_fn)(const char *w, size_t len, bool path, void *ctx);

/*
 * Walks "[PATH] word... [-- rest]": GRUB 2 leaves the module's path out of a
 * module2 line's string, but a first word that starts with '/' or has no '='
 * is taken as one for other loaders. Returns the text after a standalone "--"
 * with its leading blanks skipped, or NULL when there is none. NULL line: no words.
 */
const char *modline_walk(const char *line, modline_word_fn fn, void *ctx);

bool modline_is_space(char ch);
/* The word [s, s+len) (not NUL-terminated) equals name. */
bool modline_word_is(const char *s, size_t len, const char *name);
/* Length of the key of "key=value" (the whole word when it has no '='). */
size_t modline_key_len(const char *w, size_t len);
bool modline_name_char_ok(char ch);
/* A valid guest name: 1 to GUEST_NAME_SIZE-1 name characters. */
bool modline_name_ok(const char *s, size_t len);
/* Quotes a word for a message: bounded, with control and non-ASCII bytes shown as '?'. */
void modline_show(char *dst, size_t size, const char *s, size_t len);

#endif

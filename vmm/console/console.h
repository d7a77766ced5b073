/* Console sinks (serial, VGA text, framebuffer): every log line goes to each enabled one. */
#ifndef PTV_CONSOLE_H
#define PTV_CONSOLE_H

#include "types.h"

struct console {
	const char *name;
	void (*write)(const char *s, size_t len);
	bool enabled;
};

/* Bit per console for the console= option. */
enum console_id {
	CONSOLE_SERIAL = 0,
	CONSOLE_VGA = 1,
	CONSOLE_FB = 2,
	CONSOLE_COUNT,
};

void console_register(enum console_id id, const struct console *con);
/* Mask of consoles the user wants; default all. Takes effect for registered ones. */
void console_select(unsigned mask);
unsigned console_active_mask(void);
void console_write(const char *s, size_t len);
bool console_parse_list(const char *s, size_t len, unsigned *mask);
const char *console_name(enum console_id id);

#endif

/* Fan-out of console output to the registered sinks the user selected. */
#include "console/console.h"
#include "lib/string.h"

static const struct console *consoles[CONSOLE_COUNT];
static unsigned selected_mask = (1u << CONSOLE_COUNT) - 1;

static const char *const console_names[CONSOLE_COUNT] = {
	[CONSOLE_SERIAL] = "serial",
	[CONSOLE_VGA] = "vga",
	[CONSOLE_FB] = "fb",
};

const char *console_name(enum console_id id)
{
	return id < CONSOLE_COUNT ? console_names[id] : "?";
}

void console_register(enum console_id id, const struct console *con)
{
	if (id < CONSOLE_COUNT)
		consoles[id] = con;
}

void console_select(unsigned mask)
{
	selected_mask = mask;
}

unsigned console_active_mask(void)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < CONSOLE_COUNT; i++)
		if (consoles[i] && consoles[i]->enabled && (selected_mask & (1u << i)))
			mask |= 1u << i;
	return mask;
}

void console_write(const char *s, size_t len)
{
	for (unsigned i = 0; i < CONSOLE_COUNT; i++) {
		const struct console *c = consoles[i];
		if (c && c->enabled && (selected_mask & (1u << i)))
			c->write(s, len);
	}
}

/* "serial,fb", "all" or "none". */
bool console_parse_list(const char *s, size_t len, unsigned *mask)
{
	unsigned m = 0;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		size_t n = j - i;
		bool found = false;
		if (n == 3 && !strncmp(s + i, "all", 3)) {
			m |= (1u << CONSOLE_COUNT) - 1;
			found = true;
		} else if (n == 4 && !strncmp(s + i, "none", 4)) {
			found = true;
		}
		for (unsigned k = 0; k < CONSOLE_COUNT && !found; k++) {
			if (strlen(console_names[k]) == n && !strncmp(s + i, console_names[k], n)) {
				m |= 1u << k;
				found = true;
			}
		}
		if (!found)
			return false;
		i = j + 1;
	}
	if (len == 0)
		return false;
	*mask = m;
	return true;
}

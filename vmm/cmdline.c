/* Parses the VMM command line through one table of options; bad words are reported, never fatal. */
#include "cmdline.h"
#include "console/console.h"
#include "lib/string.h"

/* At most this many bytes of a word are quoted back in a message. */
#define CMDLINE_SHOW_MAX 48

struct cmdline_option {
	const char *name;
	const char *expected; /* what a refused value should have looked like */
	bool (*parse)(const char *val, size_t len, struct vmm_options *o);
};

static const char *const pt_mode_names[] = {
	[PT_MODE_SYSTEM] = "system",
	[PT_MODE_HOST] = "host",
	[PT_MODE_HOST_GUEST] = "host-guest",
};

static const char *const pt_backend_names[] = {
	[PT_BACKEND_AUTO] = "auto",
	[PT_BACKEND_HW] = "hw",
	[PT_BACKEND_EMULATED] = "emulated",
	[PT_BACKEND_OFF] = "off",
};

const char *pt_mode_name(enum pt_mode m)
{
	return (unsigned)m < ARRAY_SIZE(pt_mode_names) ? pt_mode_names[m] : "?";
}

const char *pt_backend_name(enum pt_backend b)
{
	return (unsigned)b < ARRAY_SIZE(pt_backend_names) ? pt_backend_names[b] : "?";
}

void vmm_options_default(struct vmm_options *o)
{
	memset(o, 0, sizeof(*o));
	o->pt_mode = PT_MODE_HOST_GUEST;
	o->pt_backend = PT_BACKEND_AUTO;
	o->console_mask = (1u << CONSOLE_COUNT) - 1;
	o->loglevel = LOG_INFO;
	o->pt_dump = false;
	o->idle = IDLE_HLT;
}

/* The value is not NUL-terminated where it ends, so compare lengths too. */
static bool word_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(s, name, len);
}

static bool match_name(const char *const *names, unsigned count, const char *s, size_t len, unsigned *idx)
{
	for (unsigned i = 0; i < count; i++) {
		if (word_is(s, len, names[i])) {
			*idx = i;
			return true;
		}
	}
	return false;
}

static bool parse_pt_mode(const char *val, size_t len, struct vmm_options *o)
{
	unsigned i;

	if (!match_name(pt_mode_names, ARRAY_SIZE(pt_mode_names), val, len, &i))
		return false;
	o->pt_mode = (enum pt_mode)i;
	return true;
}

static bool parse_pt_backend(const char *val, size_t len, struct vmm_options *o)
{
	unsigned i;

	if (!match_name(pt_backend_names, ARRAY_SIZE(pt_backend_names), val, len, &i))
		return false;
	o->pt_backend = (enum pt_backend)i;
	return true;
}

static bool parse_console(const char *val, size_t len, struct vmm_options *o)
{
	return console_parse_list(val, len, &o->console_mask);
}

static bool parse_loglevel(const char *val, size_t len, struct vmm_options *o)
{
	return log_level_parse(val, len, &o->loglevel);
}

static bool parse_pt_dump(const char *val, size_t len, struct vmm_options *o)
{
	if (word_is(val, len, "1") || word_is(val, len, "on") || word_is(val, len, "yes")) {
		o->pt_dump = true;
		return true;
	}
	if (word_is(val, len, "0") || word_is(val, len, "off") || word_is(val, len, "no")) {
		o->pt_dump = false;
		return true;
	}
	return false;
}

/*
 * selftest=trap: check the exception path at boot (an #GP fixed up, then a #UD that must be reported);
 * selftest=pt: check the hardware Intel PT path on this CPU (pt_selftest.c).
 */
static bool parse_selftest(const char *val, size_t len, struct vmm_options *o)
{
	if (word_is(val, len, "trap")) {
		o->selftest_trap = true;
		return true;
	}
	if (word_is(val, len, "pt")) {
		o->selftest_pt = true;
		return true;
	}
	if (word_is(val, len, "none")) {
		o->selftest_trap = o->selftest_pt = false;
		return true;
	}
	return false;
}

/* idle=hlt|spin: how the CPU waits while every guest sleeps in HLT (time/idle.c). */
static bool parse_idle(const char *val, size_t len, struct vmm_options *o)
{
	if (word_is(val, len, "spin")) {
		o->idle = IDLE_SPIN;
		return true;
	}
	if (word_is(val, len, "hlt")) {
		o->idle = IDLE_HLT;
		return true;
	}
	return false;
}

/* Later options are added as rows here. */
static const struct cmdline_option cmdline_options[] = {
	{ "pt_mode", "system|host|host-guest", parse_pt_mode },
	{ "pt_backend", "auto|hw|emulated|off", parse_pt_backend },
	{ "console", "a list of serial,vga,fb or all or none", parse_console },
	{ "loglevel", "error|warn|info|debug or 0-3", parse_loglevel },
	{ "pt_dump", "0|1|on|off|yes|no", parse_pt_dump },
	{ "selftest", "trap|pt|none", parse_selftest },
	{ "idle", "hlt|spin", parse_idle },
};

/* Quotes a word for a message: bounded, with control and non-ASCII bytes shown as '?'. */
static void cmdline_show(char *dst, size_t size, const char *s, size_t len)
{
	size_t n = len < CMDLINE_SHOW_MAX ? len : CMDLINE_SHOW_MAX, i;

	if (n > size - 4)
		n = size - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

static void cmdline_apply_word(const char *w, size_t len, struct vmm_options *o)
{
	char shown_name[CMDLINE_SHOW_MAX + 4], shown_val[CMDLINE_SHOW_MAX + 4];
	size_t klen = 0;

	while (klen < len && w[klen] != '=')
		klen++;
	cmdline_show(shown_name, sizeof(shown_name), w, klen);
	for (unsigned i = 0; i < ARRAY_SIZE(cmdline_options); i++) {
		const struct cmdline_option *opt = &cmdline_options[i];

		if (!word_is(w, klen, opt->name))
			continue;
		if (klen == len) {
			pr_warn("cmdline: option '%s' has no value (expected %s=%s) ignored\n", opt->name, opt->name,
				opt->expected);
			o->problems++;
		} else if (!opt->parse(w + klen + 1, len - klen - 1, o)) {
			cmdline_show(shown_val, sizeof(shown_val), w + klen + 1, len - klen - 1);
			pr_warn("cmdline: bad value '%s' for %s (expected %s) ignored\n", shown_val, opt->name,
				opt->expected);
			o->problems++;
		}
		return;
	}
	pr_warn("cmdline: unknown option '%s' ignored\n", shown_name);
	o->problems++;
}

static bool cmdline_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void cmdline_parse(const char *cmdline, struct vmm_options *o)
{
	const char *p = cmdline;
	bool first = true;

	if (!o || !cmdline)
		return;
	for (;;) {
		while (*p && cmdline_is_space(*p))
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && !cmdline_is_space(*p))
			p++;
		/* GRUB passes the kernel's own path as the first word. */
		if (first && w[0] == '/') {
			first = false;
			continue;
		}
		first = false;
		cmdline_apply_word(w, (size_t)(p - w), o);
	}
}

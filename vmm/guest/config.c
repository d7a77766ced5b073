/* Parses a guest module's command line through one table of options; bad words are reported, never fatal. */
#include "guest/config.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"

/* At most this many bytes of a word are quoted back in a message. */
#define CONFIG_SHOW_MAX 48

struct guest_option {
	const char *name;
	const char *expected; /* what a refused value should have looked like */
	bool (*parse)(const char *val, size_t len, struct guest_config *c);
};

/* The value is not NUL-terminated where it ends, so compare lengths too. */
static bool word_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(s, name, len);
}

static bool name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '-';
}

static bool parse_name(const char *val, size_t len, struct guest_config *c)
{
	if (len == 0 || len >= sizeof(c->name))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(val[i]))
			return false;
	memcpy(c->name, val, len);
	c->name[len] = '\0';
	return true;
}

static bool parse_mem(const char *val, size_t len, struct guest_config *c)
{
	uint64_t v;

	if (!ptv_parse_u64(val, len, true, &v) || v < GUEST_MEM_MIN || v > GUEST_MEM_MAX)
		return false;
	c->mem_size = ALIGN_UP(v, GUEST_MEM_ALIGN);
	return true;
}

static bool parse_cpu(const char *val, size_t len, struct guest_config *c)
{
	uint64_t v;

	if (word_is(val, len, "any") || word_is(val, len, "-1")) {
		c->cpu = -1;
		return true;
	}
	if (!ptv_parse_u64(val, len, false, &v) || v > GUEST_CPU_MAX)
		return false;
	c->cpu = (int)v;
	return true;
}

static bool parse_switch(const char *val, size_t len, bool *out)
{
	if (word_is(val, len, "on") || word_is(val, len, "yes") || word_is(val, len, "1")) {
		*out = true;
		return true;
	}
	if (word_is(val, len, "off") || word_is(val, len, "no") || word_is(val, len, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_pt(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt);
}

static bool parse_privileged(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->privileged);
}

/* limit=: stop the guest after this many TSC ticks of its own run time (0 = no limit). */
static bool parse_limit(const char *val, size_t len, struct guest_config *c)
{
	return ptv_parse_u64(val, len, true, &c->run_limit);
}

/* pt_caps=: a pt_vcaps_from_host() spec, checked against the host when the guest first runs. */
static bool parse_pt_caps(const char *val, size_t len, struct guest_config *c)
{
	if (len == 0 || len >= sizeof(c->pt_caps))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((val[i] >= 'a' && val[i] <= 'z') || (val[i] >= '0' && val[i] <= '9') || val[i] == ',' ||
		      val[i] == '='))
			return false;
	memcpy(c->pt_caps, val, len);
	c->pt_caps[len] = '\0';
	return true;
}

/* pt_riplog=on: count and hash every instruction the emulated PT backend traces (test ground truth). */
static bool parse_riplog(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt_riplog);
}

/* Later options are added as rows here. */
static const struct guest_option guest_options[] = {
	{ "name", "1-31 of A-Z a-z 0-9 _ -", parse_name },
	{ "mem", "a size from 2M to 1G", parse_mem },
	{ "cpu", "0-7 or any", parse_cpu },
	{ "pt", "on|off", parse_pt },
	{ "privileged", "yes|no", parse_privileged },
	{ "limit", "a TSC tick count, K/M/G suffixes allowed", parse_limit },
	{ "pt_riplog", "on|off", parse_riplog },
	{ "pt_caps", "all, none or features: cr3,psb,ip,mtc,ptwrite,power,topa,multi,single,fabric,ranges=N",
	  parse_pt_caps },
};

/* Quotes a word for a message: bounded, with control and non-ASCII bytes shown as '?'. */
static void config_show(char *dst, size_t size, const char *s, size_t len)
{
	size_t n = MIN(MIN(len, (size_t)CONFIG_SHOW_MAX), size - 4), i;

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

static void config_apply_word(const char *w, size_t len, unsigned index, struct guest_config *c)
{
	char shown_name[CONFIG_SHOW_MAX + 4], shown_val[CONFIG_SHOW_MAX + 4];
	size_t klen = 0;

	while (klen < len && w[klen] != '=')
		klen++;
	config_show(shown_name, sizeof(shown_name), w, klen);
	for (unsigned i = 0; i < ARRAY_SIZE(guest_options); i++) {
		const struct guest_option *opt = &guest_options[i];

		if (!word_is(w, klen, opt->name))
			continue;
		if (klen == len) {
			pr_warn("guest %u: option '%s' has no value (expected %s=%s) ignored\n", index, opt->name,
				opt->name, opt->expected);
			c->problems++;
		} else if (!opt->parse(w + klen + 1, len - klen - 1, c)) {
			config_show(shown_val, sizeof(shown_val), w + klen + 1, len - klen - 1);
			pr_warn("guest %u: bad value '%s' for %s (expected %s) ignored\n", index, shown_val, opt->name,
				opt->expected);
			c->problems++;
		}
		return;
	}
	pr_warn("guest %u: unknown option '%s' ignored\n", index, shown_name);
	c->problems++;
}

/* The default name: the module file's basename without its extension, made safe. */
static void config_name_from_path(const char *path, size_t len, struct guest_config *c)
{
	size_t start = len, end = len, n = 0;

	while (start > 0 && path[start - 1] != '/')
		start--;
	for (size_t i = end; i > start + 1; i--) {
		if (path[i - 1] == '.') {
			end = i - 1;
			break;
		}
	}
	for (size_t i = start; i < end && n < sizeof(c->name) - 1; i++)
		c->name[n++] = name_char_ok(path[i]) ? path[i] : '_';
	if (n)
		c->name[n] = '\0';
}

static bool word_has_value(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (w[i] == '=')
			return true;
	return false;
}

static bool config_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Everything after "--" belongs to the guest kernel, spacing included, less the leading blanks. */
static void config_take_guest_cmdline(const char *p, unsigned index, struct guest_config *c)
{
	while (*p && config_is_space(*p))
		p++;
	if (ptv_strlcpy(c->guest_cmdline, p, sizeof(c->guest_cmdline)) >= sizeof(c->guest_cmdline)) {
		pr_warn("guest %u: guest command line truncated to %zu bytes\n", index, sizeof(c->guest_cmdline) - 1);
		c->problems++;
	}
}

void guest_config_parse(const char *module_cmdline, unsigned index, struct guest_config *c)
{
	const char *p = module_cmdline;
	bool first = true;

	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	ptv_snprintf(c->name, sizeof(c->name), "guest%u", index);
	c->mem_size = GUEST_MEM_DEFAULT;
	c->cpu = -1;
	c->pt = true;
	c->privileged = false;
	c->pt_caps[0] = '\0';
	if (!p)
		return;
	for (;;) {
		while (*p && config_is_space(*p))
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && !config_is_space(*p))
			p++;
		size_t len = (size_t)(p - w);

		if (word_is(w, len, "--")) {
			config_take_guest_cmdline(p, index, c);
			break;
		}
		/* GRUB passes the module's path as the first word; an option there is taken as one. */
		if (first && (w[0] == '/' || !word_has_value(w, len))) {
			first = false;
			config_name_from_path(w, len, c);
			continue;
		}
		first = false;
		config_apply_word(w, len, index, c);
	}
}

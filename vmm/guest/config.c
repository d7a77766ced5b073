/* Parses a guest module's command line through one table of options; bad words are reported, never fatal. */
#include "guest/config.h"
#include "guest/modline.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"

struct guest_option {
	const char *name;
	const char *expected; /* what a refused value should have looked like */
	bool (*parse)(const char *val, size_t len, struct guest_config *c);
};

static bool parse_name(const char *val, size_t len, struct guest_config *c)
{
	if (!modline_name_ok(val, len))
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

	if (modline_word_is(val, len, "any") || modline_word_is(val, len, "-1")) {
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
	if (modline_word_is(val, len, "on") || modline_word_is(val, len, "yes") || modline_word_is(val, len, "1")) {
		*out = true;
		return true;
	}
	if (modline_word_is(val, len, "off") || modline_word_is(val, len, "no") || modline_word_is(val, len, "0")) {
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

/* pt_outside=off: keep stepping where nothing can be traced (the reference the native runs are checked against). */
static bool parse_outside(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt_outside);
}

/* pt_cpl=off: keep stepping at a privilege level the CPL filter excludes (the reference for the outside view). */
static bool parse_cpl(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt_cpl);
}

/* pt_fork=off: the block engine stops at every Jcc instead of running on along both successors. */
static bool parse_fork(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt_fork);
}

/* pt_riplog=on: count and hash every instruction the emulated PT backend traces (test ground truth). */
static bool parse_riplog(const char *val, size_t len, struct guest_config *c)
{
	return parse_switch(val, len, &c->pt_riplog);
}

/* pt_engine=block|step: how the emulated PT backend runs traced code (block by default; step is the reference). */
static bool parse_engine(const char *val, size_t len, struct guest_config *c)
{
	if (!modline_word_is(val, len, "block") && !modline_word_is(val, len, "step"))
		return false;
	c->pt_step_engine = modline_word_is(val, len, "step");
	return true;
}

/* input=serial: what is typed on the host's COM1 goes to this guest's UART (one guest at most). */
static bool parse_input(const char *val, size_t len, struct guest_config *c)
{
	if (modline_word_is(val, len, "serial") || modline_word_is(val, len, "none")) {
		c->input_serial = modline_word_is(val, len, "serial");
		return true;
	}
	return false;
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
	{ "pt_engine", "block|step", parse_engine },
	{ "pt_outside", "on|off", parse_outside },
	{ "pt_cpl", "on|off", parse_cpl },
	{ "pt_fork", "on|off", parse_fork },
	{ "input", "serial|none", parse_input },
	{ "pt_caps", "all, none or features: cr3,psb,ip,mtc,ptwrite,power,topa,multi,single,ranges=N", parse_pt_caps },
};

static void config_apply_word(const char *w, size_t len, unsigned index, struct guest_config *c)
{
	char shown_name[MODLINE_SHOW_SIZE], shown_val[MODLINE_SHOW_SIZE];
	size_t klen = modline_key_len(w, len);

	modline_show(shown_name, sizeof(shown_name), w, klen);
	for (unsigned i = 0; i < ARRAY_SIZE(guest_options); i++) {
		const struct guest_option *opt = &guest_options[i];

		if (!modline_word_is(w, klen, opt->name))
			continue;
		if (klen == len) {
			pr_warn("guest %u: option '%s' has no value (expected %s=%s) ignored\n", index, opt->name,
				opt->name, opt->expected);
			c->problems++;
		} else if (!opt->parse(w + klen + 1, len - klen - 1, c)) {
			modline_show(shown_val, sizeof(shown_val), w + klen + 1, len - klen - 1);
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
		c->name[n++] = modline_name_char_ok(path[i]) ? path[i] : '_';
	if (n)
		c->name[n] = '\0';
}

struct config_walk {
	unsigned index;
	struct guest_config *c;
};

static void config_word(const char *w, size_t len, bool path, void *ctx)
{
	struct config_walk *cw = ctx;

	if (path)
		config_name_from_path(w, len, cw->c);
	else
		config_apply_word(w, len, cw->index, cw->c);
}

void guest_config_parse(const char *module_cmdline, unsigned index, struct guest_config *c)
{
	struct config_walk cw = { index, c };
	const char *rest;

	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	ptv_snprintf(c->name, sizeof(c->name), "guest%u", index);
	c->mem_size = GUEST_MEM_DEFAULT;
	c->cpu = -1;
	c->pt = true;
	c->pt_outside = true;
	c->pt_cpl = true;
	c->pt_fork = true;
	c->privileged = false;
	c->pt_caps[0] = '\0';
	rest = modline_walk(module_cmdline, config_word, &cw);
	/* Everything after "--" belongs to the guest kernel, spacing included, less the leading blanks. */
	if (rest && ptv_strlcpy(c->guest_cmdline, rest, sizeof(c->guest_cmdline)) >= sizeof(c->guest_cmdline)) {
		pr_warn("guest %u: guest command line truncated to %zu bytes\n", index, sizeof(c->guest_cmdline) - 1);
		c->problems++;
	}
}

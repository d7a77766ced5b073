/* Attached-module lines: which option attaches the module, to which guest, and the string it carries. */
#include "guest/attach.h"
#include "lib/string.h"
#include "log.h"

struct attach_option {
	const char *name;
	enum guest_line_kind kind;
};

/* One row per way of attaching a module to a guest. */
static const struct attach_option attach_options[] = {
	{ "module-of", GUEST_LINE_MODULE },
	{ "initrd-of", GUEST_LINE_INITRD },
};

/* What the first walk over the line found: the attaching words, at most the first two. */
struct attach_scan {
	unsigned module;
	unsigned found;
	const char *w[2];
	size_t len[2];
	const struct attach_option *opt;
	struct guest_attach *a;
};

static const struct attach_option *attach_option_of(const char *w, size_t len)
{
	size_t klen = modline_key_len(w, len);

	for (unsigned i = 0; i < ARRAY_SIZE(attach_options); i++)
		if (modline_word_is(w, klen, attach_options[i].name))
			return &attach_options[i];
	return NULL;
}

static void attach_find(const char *w, size_t len, bool path, void *ctx)
{
	struct attach_scan *s = ctx;
	/* A bare "module-of" (or "initrd-of") first would pass for a path; it is a malformed attachment all the same. */
	const struct attach_option *opt = path && w[0] == '/' ? NULL : attach_option_of(w, len);

	if (!opt)
		return;
	if (s->found < 2) {
		s->w[s->found] = w;
		s->len[s->found] = len;
	}
	if (!s->found)
		s->opt = opt;
	s->found++;
}

/* Options of guest lines mean nothing on an attached module's line. */
static void attach_report_other(const char *w, size_t len, bool path, void *ctx)
{
	struct attach_scan *s = ctx;
	char shown[MODLINE_SHOW_SIZE];

	if (path || attach_option_of(w, len))
		return;
	modline_show(shown, sizeof(shown), w, modline_key_len(w, len));
	pr_warn("module %u: option '%s' does not apply to a module of guest '%s'; ignored\n", s->module, shown,
		s->a->target);
	s->a->problems++;
}

static enum guest_line_kind attach_refuse(struct guest_attach *a)
{
	a->kind = GUEST_LINE_REFUSED;
	return a->kind;
}

enum guest_line_kind guest_attach_parse(const char *line, unsigned module, struct guest_attach *a)
{
	struct attach_scan s = { .module = module, .a = a };
	char first[MODLINE_SHOW_SIZE], second[MODLINE_SHOW_SIZE];
	const char *rest;
	size_t klen, vlen;

	if (!a)
		return GUEST_LINE_REFUSED;
	memset(a, 0, sizeof(*a));
	a->kind = GUEST_LINE_KERNEL;
	rest = modline_walk(line, attach_find, &s);
	if (!s.found)
		return a->kind;
	a->option = s.opt->name;
	modline_show(first, sizeof(first), s.w[0], s.len[0]);
	if (s.found > 1) {
		modline_show(second, sizeof(second), s.w[1], s.len[1]);
		pr_err("module %u: attached more than once ('%s', then '%s'); not loaded\n", module, first, second);
		return attach_refuse(a);
	}
	klen = modline_key_len(s.w[0], s.len[0]);
	vlen = klen < s.len[0] ? s.len[0] - klen - 1 : 0;
	if (klen == s.len[0] || !modline_name_ok(s.w[0] + klen + 1, vlen)) {
		pr_err("module %u: '%s' does not name a guest (expected %s=NAME, NAME 1-31 of A-Z a-z 0-9 _ -); "
		       "not loaded\n",
		       module, first, a->option);
		return attach_refuse(a);
	}
	memcpy(a->target, s.w[0] + klen + 1, vlen);
	a->target[vlen] = '\0';
	a->kind = s.opt->kind;
	modline_walk(line, attach_report_other, &s);
	if (rest && ptv_strlcpy(a->string, rest, sizeof(a->string)) >= sizeof(a->string)) {
		pr_warn("module %u: its string for guest '%s' truncated to %zu bytes\n", module, a->target,
			sizeof(a->string) - 1);
		a->problems++;
	}
	return a->kind;
}

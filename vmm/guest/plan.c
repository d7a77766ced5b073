/* The boot's module lines sorted into guests and their attached modules; misattachments named. */
#include "guest/plan.h"
#include "lib/string.h"
#include "log.h"

static void plan_add_guest(struct guest_plan *p, const char *line, unsigned module)
{
	p->guest_lines++;
	if (p->nguests == GUEST_MAX) {
		pr_warn("guests: module %u is guest line %u; only the first %u guests are started\n", module,
			p->guest_lines, GUEST_MAX);
		return;
	}
	struct guest_plan_entry *e = &p->guest[p->nguests];

	e->module = module;
	guest_config_parse(line, p->nguests, &e->cfg);
	p->nguests++;
}

static void plan_refuse(struct guest_plan *p, unsigned module)
{
	p->line[module].kind = GUEST_LINE_REFUSED;
	p->refused++;
}

/* Gives attached module `module` to the guest it names, or reports why none gets it. */
static void plan_attach(struct guest_plan *p, unsigned module)
{
	const struct guest_attach *a = &p->line[module];
	struct guest_plan_entry *owner = NULL;
	unsigned matches = 0;

	for (unsigned g = 0; g < p->nguests; g++) {
		if (!strcmp(p->guest[g].cfg.name, a->target)) {
			owner = &p->guest[g];
			matches++;
		}
	}
	if (matches > 1) {
		pr_err("module %u (%s=%s): %u guests are named '%s'; not loaded\n", module, a->option, a->target,
		       matches, a->target);
		plan_refuse(p, module);
	} else if (!owner) {
		pr_err("module %u (%s=%s): no guest is named '%s'%s; not loaded\n", module, a->option, a->target,
		       a->target, p->guest_lines > p->nguests ? " among the guests started" : "");
		plan_refuse(p, module);
	} else if (owner->nmods == GUEST_MODS_MAX) {
		pr_err("module %u (%s=%s): guest '%s' already has %u modules; not loaded\n", module, a->option,
		       a->target, a->target, GUEST_MODS_MAX);
		plan_refuse(p, module);
	} else {
		owner->mods[owner->nmods++] = module;
	}
}

void guest_plan_build(const char *const *lines, unsigned n, struct guest_plan *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	if (!lines)
		return;
	p->nlines = MIN(n, (unsigned)BOOT_MODULES_MAX);
	for (unsigned i = 0; i < p->nlines; i++) {
		switch (guest_attach_parse(lines[i], i, &p->line[i])) {
		case GUEST_LINE_KERNEL:
			plan_add_guest(p, lines[i], i);
			break;
		case GUEST_LINE_REFUSED:
			p->refused++;
			break;
		default:
			break;
		}
	}
	/* Only now are all guest names known: a module's line may come before its guest's. */
	for (unsigned i = 0; i < p->nlines; i++)
		if (p->line[i].kind != GUEST_LINE_KERNEL && p->line[i].kind != GUEST_LINE_REFUSED)
			plan_attach(p, i);
}

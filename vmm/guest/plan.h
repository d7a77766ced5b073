/* Which module lines are guests and which are modules attached to them, matched by guest name. */
#ifndef PTV_GUEST_PLAN_H
#define PTV_GUEST_PLAN_H

#include "types.h"
#include "guest/attach.h"
#include "guest/config.h"

struct guest_plan_entry {
	unsigned module;               /* the boot module holding its kernel image */
	struct guest_config cfg;       /* parsed from that module's line */
	unsigned nmods;                /* modules attached to it */
	unsigned mods[GUEST_MODS_MAX]; /* their boot module numbers, in line order */
};

struct guest_plan {
	unsigned nguests;     /* guests to start: the first GUEST_MAX guest lines */
	unsigned guest_lines; /* guest lines given */
	struct guest_plan_entry guest[GUEST_MAX];
	unsigned nlines;
	struct guest_attach line[BOOT_MODULES_MAX]; /* each line as classified; a refused one says so */
	unsigned refused;                           /* module lines loaded for no guest, each reported */
};

/*
 * Classifies module lines 0..n-1 (lines beyond BOOT_MODULES_MAX are not
 * looked at), parses the guest lines' configurations and gives each attached
 * module to the one guest that bears the name it gives, wherever that guest's
 * line is. A module naming no guest, or a name two guests bear, is reported
 * ("module N: ... not loaded") and counted in p->refused.
 */
void guest_plan_build(const char *const *lines, unsigned n, struct guest_plan *p);

#endif

/* Where a guest's boot information and attached modules go in its RAM: free pages, clear of its image. */
#ifndef PTV_GUEST_LAYOUT_H
#define PTV_GUEST_LAYOUT_H

#include "types.h"
#include "guest/attach.h"
#include "guest/image.h"

/*
 * The placement rule: each item takes the lowest free page-aligned range at
 * or above its preferred address that holds it (widened to whole pages), and
 * when none is left there, the lowest free one at or above GUEST_LOAD_MIN.
 * Free is guest RAM outside page 0, the legacy hole [GUEST_LEGACY_LO,
 * GUEST_LEGACY_HI), the image's segments and the items placed before. The
 * boot information is placed first, then the modules in line order.
 */
#define GUEST_INFO_FROM 0x8000u   /* the boot information: low memory, where it has always been */
#define GUEST_MODS_FROM 0x100000u /* modules: from 1 MiB, where room for large ones is */

/* A module attached to the guest: its bytes, its string, and where it goes. */
struct guest_module {
	const void *data;   /* the module's bytes as the loader left them */
	uint64_t size;      /* bytes; 0 is allowed (an empty file) */
	const char *string; /* the string the guest sees with it */
	unsigned line;      /* its boot module number, for messages */
	bool initrd;        /* attached by initrd-of=: a Linux guest's initrd, not a multiboot module */
	uint64_t gpa;       /* set by guest_layout_place() */
};

struct guest_layout {
	uint64_t info_gpa;  /* set by guest_layout_place() */
	uint64_t info_size; /* bytes reserved for the boot information: whole pages */
	unsigned nmods;
	struct guest_module mod[GUEST_MODS_MAX];
};

/*
 * Places the boot information (info_size is set from what the modules'
 * strings may need) and the modules for a checked image in mem_size bytes
 * of RAM. 0, or -1 after one "guest NAME: refused: ..." line naming what
 * did not fit.
 */
int guest_layout_place(const char *guest, const struct guest_image *img, uint64_t mem_size, struct guest_layout *l);
/* Copies the placed modules into guest memory; 0, or -1 (reported) when one is not inside it. */
int guest_layout_load(const char *guest, const struct guest_layout *l, const struct guest_mem *gm);

#endif

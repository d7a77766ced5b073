/* Module lines that belong to a guest instead of being one: module-of=NAME attaches a data module. */
#ifndef PTV_GUEST_ATTACH_H
#define PTV_GUEST_ATTACH_H

#include "types.h"
#include "boot_info.h"
#include "guest/modline.h"

/* What one module line is. */
enum guest_line_kind {
	GUEST_LINE_KERNEL,  /* a guest: its kernel image, configured by guest_config_parse() */
	GUEST_LINE_MODULE,  /* module-of=NAME: a multiboot module in guest NAME's RAM and boot information */
	GUEST_LINE_INITRD,  /* initrd-of=NAME: the initrd of Linux guest NAME (zero page ramdisk fields) */
	GUEST_LINE_REFUSED, /* meant as an attachment but malformed: loaded for no guest */
};

/* Every module line but its guest's own may be attached to one guest. */
#define GUEST_MODS_MAX (BOOT_MODULES_MAX - 1)
/* An attached module's string: the rest of a GRUB module string at most. */
#define GUEST_MOD_STRING_SIZE 256

struct guest_attach {
	enum guest_line_kind kind;
	const char *option;                 /* the attaching option, e.g. "module-of" */
	char target[GUEST_NAME_SIZE];       /* the guest it belongs to */
	char string[GUEST_MOD_STRING_SIZE]; /* its string for the guest: the text after "--", else "" */
	unsigned problems;                  /* words reported and ignored */
};

/*
 * Classifies boot module `module` by its command line. A line without an
 * attaching option is a guest line; nothing is reported for it here. A line
 * with one belongs to the guest it names, its other options reported and
 * ignored; a malformed name or a second attaching option refuses the module
 * ("module N: ... not loaded"). A NULL line is a guest line.
 */
enum guest_line_kind guest_attach_parse(const char *line, unsigned module, struct guest_attach *a);

#endif

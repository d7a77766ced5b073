/* The multiboot information a guest finds in EBX: synthesized in its own memory where the layout put it. */
#ifndef PTV_GUEST_MBINFO_H
#define PTV_GUEST_MBINFO_H

#include "types.h"
#include "guest/config.h"
#include "guest/guest_mem.h"
#include "guest/image.h"
#include "guest/layout.h"

#define GUEST_LOADER_NAME "ptvisor"

/* Bytes the information for these modules (their strings included) may take in either protocol. */
uint64_t guest_mbinfo_size_max(const struct guest_layout *l);
/*
 * Writes the information, the modules listed at their placed addresses, into
 * [l->info_gpa, +l->info_size) of guest memory, which it clears first, and
 * returns its GPA (EBX); 0 when it does not fit or the area is not guest RAM.
 */
uint32_t guest_mbinfo_build(const struct guest_image *img, const struct guest_config *c, const struct guest_mem *gm,
			    const struct guest_layout *l);
/* The EAX value the guest is entered with: 0x2BADB002 (multiboot1) or 0x36d76289 (multiboot2). */
uint32_t guest_mbinfo_magic(const struct guest_image *img);

#endif

/* The multiboot information a guest finds in EBX: synthesized in its own memory below 64 KiB. */
#ifndef PTV_GUEST_MBINFO_H
#define PTV_GUEST_MBINFO_H

#include "types.h"
#include "guest/config.h"
#include "guest/guest_mem.h"
#include "guest/image.h"

#define GUEST_INFO_GPA    0x8000 /* info structure, strings, mmap in [0x8000, 0x10000) */
#define GUEST_INFO_END    0x10000
#define GUEST_LOADER_NAME "ptvisor"

/* Writes the info structure into guest memory and returns its GPA (EBX), or 0 when it does not fit. */
uint32_t guest_mbinfo_build(const struct guest_image *img, const struct guest_config *c, const struct guest_mem *gm);
/* The EAX value the guest is entered with: 0x2BADB002 (multiboot1) or 0x36d76289 (multiboot2). */
uint32_t guest_mbinfo_magic(const struct guest_image *img);

#endif

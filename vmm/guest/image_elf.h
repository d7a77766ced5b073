/* The ELF half of guest image validation: headers and PT_LOAD segments. */
#ifndef PTV_GUEST_IMAGE_ELF_H
#define PTV_GUEST_IMAGE_ELF_H

#include "guest/image.h"

/*
 * Checks the ELF file and program headers and records every PT_LOAD in
 * img->seg (kind, nseg too); *entry gets e_entry, a link (virtual) address.
 * Placement in guest memory is checked by the caller. 0, or -1 (reported).
 */
int guest_elf_parse(const char *guest, const uint8_t *data, size_t size, struct guest_image *img, uint64_t *entry);

#endif

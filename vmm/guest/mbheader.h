/* Finding and checking the multiboot1/multiboot2 header of a guest image. */
#ifndef PTV_GUEST_MBHEADER_H
#define PTV_GUEST_MBHEADER_H

#include "guest/image.h"

/*
 * Finds the image's multiboot header (a valid multiboot2 header wins over a
 * multiboot1 one), checks it, and fills img->proto and img->mbh.
 * Refuses what ptvisor cannot honour. 0, or -1 (reported).
 */
int guest_mbh_find(const char *guest, const uint8_t *data, size_t size, struct guest_image *img);
/* Name of a multiboot2 boot information tag type, for messages. */
const char *guest_mb2_info_name(uint32_t type);

#endif

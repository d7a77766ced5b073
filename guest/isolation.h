/* The isolation guest: markers in its own RAM, scans for a peer's markers and for VMM memory. */
#ifndef GUEST_ISOLATION_H
#define GUEST_ISOLATION_H

#include "types.h"

#define ISO_MARKER_MAX  48
#define ISO_IMAGE_START 0x100000u

/* This image, [ISO_IMAGE_START, _end): its stack and buffers hold the patterns we search for. */
extern char _end[];

/* "ptv-isolation-marker:<name>;": the ';' keeps "iso-b" from matching inside "iso-bb". */
size_t iso_make_marker(char *buf, size_t size, const char *name);
/* Scans [0, mem) but this image for the peer's marker and for VMM signatures; checks none is found. */
void iso_check_scans(uint64_t mem, const char *peer);

#endif

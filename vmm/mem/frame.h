/* Physical frame allocator built from the boot memory map minus everything that is in use. */
#ifndef PTV_FRAME_H
#define PTV_FRAME_H

#include "types.h"
#include "boot_info.h"

/* Frames above this are not managed (the bitmap is static). */
#define FRAME_MAX_PHYS ((uint64_t)16 << 30)
/* The first MiB holds the BIOS data area, EBDA and real-mode code; only frame_alloc_low() hands it out. */
#define FRAME_LOW_LIMIT ((uint64_t)1 << 20)

struct frame_stats {
	uint64_t usable_frames; /* usable in the memory map, below FRAME_MAX_PHYS */
	uint64_t free_frames;
	uint64_t reserved_frames; /* usable but taken by the image, boot info, modules, ... */
	uint64_t unmanaged_bytes; /* usable memory above FRAME_MAX_PHYS */
};

/*
 * map: the boot memory map; reserved: ranges in use (image, info, modules,
 * ACPI tables, framebuffer). Returns the number of free frames.
 */
uint64_t frame_init(const struct mem_range *map, unsigned n, const struct mem_range *reserved, unsigned nres);
/* 0 when none is left; frame 0 is never handed out. */
paddr_t frame_alloc(void);
paddr_t frame_alloc_contig(uint64_t pages, uint64_t align_pages);
/* A free frame below 1 MiB (AP start-up code), or 0. */
paddr_t frame_alloc_low(void);
void frame_free(paddr_t pa);
void frame_free_contig(paddr_t pa, uint64_t pages);
bool frame_is_free(paddr_t pa);
void frame_get_stats(struct frame_stats *s);

#endif

/* Host model of physical memory: phys_map() over a malloc'd arena that stands for [0, size). */
#ifndef PTV_PHYS_ARENA_H
#define PTV_PHYS_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Allocates a zeroed arena of `size` bytes (a multiple of 4 KiB); replaces any earlier one. */
void phys_arena_init(size_t size);
void phys_arena_free(void);
size_t phys_arena_size(void);
/* Host address of physical address pa, with no bounds check beyond the arena (for assertions). */
uint8_t *phys_arena_at(uint64_t pa);

#endif

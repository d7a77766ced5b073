/* phys_map() for host tests: every physical address in [0, size) is backed by one host buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "phys_arena.h"
#include "mem/phys.h"

static uint8_t *arena;
static size_t arena_size;

void phys_arena_init(size_t size)
{
	phys_arena_free();
	/* Page alignment keeps host pointers congruent with physical addresses, as in the VMM. */
	arena = aligned_alloc(4096, size);
	if (!arena) {
		fprintf(stderr, "phys_arena: cannot allocate %zu bytes\n", size);
		abort();
	}
	memset(arena, 0, size);
	arena_size = size;
}

void phys_arena_free(void)
{
	free(arena);
	arena = NULL;
	arena_size = 0;
}

size_t phys_arena_size(void)
{
	return arena_size;
}

uint8_t *phys_arena_at(uint64_t pa)
{
	if (!arena || pa >= arena_size)
		return NULL;
	return arena + pa;
}

void *phys_map(paddr_t pa, size_t len)
{
	if (!arena || pa + len < pa || pa + len > arena_size)
		return NULL;
	return arena + pa;
}

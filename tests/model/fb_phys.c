/* phys_map() for host tests: a few registered buffers stand in for physical memory. */
#include <stdlib.h>
#include "fb_phys.h"
#include "mem/phys.h"

static struct {
	paddr_t base;
	unsigned char *buf;
	size_t len;
} regions[FB_PHYS_MAX_REGIONS];
static unsigned region_count;
static unsigned map_calls;
static size_t max_len;

void fb_phys_register(paddr_t base, void *buf, size_t len)
{
	if (region_count >= FB_PHYS_MAX_REGIONS)
		abort();
	regions[region_count].base = base;
	regions[region_count].buf = buf;
	regions[region_count].len = len;
	region_count++;
}

void fb_phys_reset(void)
{
	region_count = 0;
	map_calls = 0;
	max_len = 0;
}

unsigned fb_phys_map_calls(void)
{
	return map_calls;
}

size_t fb_phys_max_len(void)
{
	return max_len;
}

void *phys_map(paddr_t pa, size_t len)
{
	map_calls++;
	if (len > max_len)
		max_len = len;
	for (unsigned i = 0; i < region_count; i++) {
		paddr_t base = regions[i].base;

		if (pa >= base && pa - base <= regions[i].len && len <= regions[i].len - (pa - base))
			return regions[i].buf + (pa - base);
	}
	return NULL;
}

/* Host model of phys_map() for console tests: physical ranges backed by test-owned buffers. */
#ifndef PTV_FB_PHYS_H
#define PTV_FB_PHYS_H

#include <stddef.h>
#include "types.h"

#define FB_PHYS_MAX_REGIONS 8

/* Backs [base, base + len) with buf; phys_map() answers for ranges wholly inside one region. */
void fb_phys_register(paddr_t base, void *buf, size_t len);
/* Forgets every region (call from test setup). */
void fb_phys_reset(void);
/* Calls to phys_map() since the last reset, and the largest length asked for. */
unsigned fb_phys_map_calls(void);
size_t fb_phys_max_len(void);

#endif

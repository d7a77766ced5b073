/* Access to physical memory: identity-mapped in the VMM, a model's buffer in host tests. */
#ifndef PTV_PHYS_H
#define PTV_PHYS_H

#include "types.h"

#ifdef PTV_HOST_TEST
/* Provided by the test model: NULL where [pa, pa+len) is not backed. */
void *phys_map(paddr_t pa, size_t len);
#else
/* Extends the identity map as needed; NULL for addresses above the supported physical width. */
void *phys_map(paddr_t pa, size_t len);
#endif

#endif

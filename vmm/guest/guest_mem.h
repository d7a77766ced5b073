/* Guest RAM as the VMM sees it: one contiguous host buffer backing guest-physical [0, size). */
#ifndef PTV_GUEST_MEM_H
#define PTV_GUEST_MEM_H

#include "types.h"

struct guest_mem {
	void *host;    /* host address of guest-physical 0 */
	uint64_t size; /* bytes of guest RAM */
};

/* Host pointer to guest-physical [gpa, gpa+len), or NULL unless the whole span is guest RAM. */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

#endif

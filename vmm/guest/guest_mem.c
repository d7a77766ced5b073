/* Bounds-checked translation of guest-physical spans into the guest RAM buffer. */
#include "guest/guest_mem.h"

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (!gm || !gm->host)
		return NULL;
	/* Written as two comparisons so that gpa + len can never wrap. */
	if (gpa > gm->size || len > gm->size - gpa)
		return NULL;
	return (uint8_t *)gm->host + gpa;
}

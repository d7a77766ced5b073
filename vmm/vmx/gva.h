/* Guest-linear to guest-physical translation by walking the guest's own page tables. */
#ifndef PTV_GVA_H
#define PTV_GVA_H

#include "types.h"

struct guest;

/* Current paging mode from the VMCS; false where the address is not mapped for a read. */
bool guest_linear_to_phys(struct guest *g, uint64_t la, uint64_t *gpa);
/* Copies up to len bytes of guest code at linear address la; returns bytes copied. */
size_t guest_fetch(struct guest *g, uint64_t la, void *buf, size_t len);

#endif

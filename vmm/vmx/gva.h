/* Guest-linear to guest-physical translation by walking the guest's own page tables. */
#ifndef PTV_GVA_H
#define PTV_GVA_H

#include "types.h"
#include "vmx/vcpu.h"

/* Current paging mode from the VMCS (v's, current); false where the address is not mapped for a read. */
bool vcpu_linear_to_phys(const struct vcpu *v, uint64_t la, uint64_t *gpa);
/* Copies up to len bytes of guest memory at linear address la; returns bytes copied. */
size_t vcpu_fetch(const struct vcpu *v, uint64_t la, void *buf, size_t len);

#endif

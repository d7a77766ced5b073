/* Guest-linear to guest-physical translation by walking the guest's own page tables. */
#ifndef PTV_GVA_H
#define PTV_GVA_H

#include "types.h"
#include "vmx/vcpu.h"
#include "x86/paging.h"

/* The current VMCS's guest paging registers, CPL and RFLAGS, for paging_translate(), with the CPU's
   physical-address width (CPUID.80000008H:EAX[7:0]). */
void vcpu_paging_regs(struct paging_regs *r, unsigned maxphyaddr);
/* Current paging mode from the VMCS (v's, current); false where the address is not mapped for a read. */
bool vcpu_linear_to_phys(const struct vcpu *v, uint64_t la, uint64_t *gpa);
/*
 * Copies up to len bytes of guest memory at linear address la, out of it (fetch) or into it (store),
 * each page through its own translation. The one rule for an access that crosses into a page that is not
 * mapped or not RAM: the bytes before it are copied, as hardware's in-RAM part would be, and the count
 * says how many (README "Limits").
 */
size_t vcpu_fetch(const struct vcpu *v, uint64_t la, void *buf, size_t len);
size_t vcpu_store(const struct vcpu *v, uint64_t la, const void *buf, size_t len);

#endif

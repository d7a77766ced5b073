/*
 * Guest-linear addresses: the guest's paging registers from the VMCS, and the VMM's own look through
 * its page tables (x86/paging.c), reading each entry through the EPT walker so a guest can never point
 * ptvisor at memory outside itself.
 */
#include "vmx/gva.h"
#include "ept/ept_walk.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vmcs_ops.h"

void vcpu_paging_regs(struct paging_regs *r, unsigned maxphyaddr)
{
	static const unsigned pdpte_field[4] = { GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3 };

	*r = (struct paging_regs){ .cr0 = vmcs_readnat(GUEST_CR0), .maxphyaddr = maxphyaddr };
	if (!(r->cr0 & CR0_PG))
		return; /* linear is physical: nothing else is looked at */
	r->cr3 = vmcs_readnat(GUEST_CR3);
	r->cr4 = vmcs_readnat(GUEST_CR4);
	r->efer = vmcs_read64(GUEST_IA32_EFER);
	r->rflags = vmcs_readnat(GUEST_RFLAGS);
	r->cpl = vcpu_cpl();
	for (unsigned i = 0; i < 4; i++)
		r->pdpte[i] = (r->cr4 & CR4_PAE) && !(r->efer & EFER_LMA) ? vmcs_read_raw(pdpte_field[i]) : 0;
}

/* Entries in the guest's RAM only: a table anywhere else ends the VMM's look. */
static int ram_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	return ept_read_guest(ctx, gpa, val, size) == size ? 0 : -1;
}

bool vcpu_linear_to_phys(const struct vcpu *v, uint64_t la, uint64_t *gpa)
{
	const struct paging_bus bus = { .read = ram_read, .ctx = v->mem.ept };
	struct paging_regs r;
	struct paging_walk w;

	/* The CPU has used these translations: reserved address bits are not the VMM's look's concern. */
	vcpu_paging_regs(&r, 52);
	if (paging_translate(&r, &bus, la, PAGING_PEEK, &w) != PAGING_OK)
		return false;
	*gpa = w.gpa;
	return true;
}

/* Page by page: each linear page through the guest's page tables, then the EPT walker. */
static size_t linear_copy(const struct vcpu *v, uint64_t la, uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa;
		size_t chunk = MIN(len - done, PAGE_SIZE - ((la + done) & (PAGE_SIZE - 1)));
		if (!vcpu_linear_to_phys(v, la + done, &gpa))
			break;
		size_t moved = dst ? ept_read_guest(v->mem.ept, gpa, dst + done, chunk)
				   : ept_write_guest(v->mem.ept, gpa, src + done, chunk);
		done += moved;
		if (moved != chunk)
			break;
	}
	return done;
}

size_t vcpu_fetch(const struct vcpu *v, uint64_t la, void *buf, size_t len)
{
	return linear_copy(v, la, buf, NULL, len);
}

size_t vcpu_store(const struct vcpu *v, uint64_t la, const void *buf, size_t len)
{
	return linear_copy(v, la, NULL, buf, len);
}

/*
 * Software walk of the guest's paging structures (SDM 4.3 32-bit paging, 4.4
 * PAE, 4.5 4-level), reading each entry through the EPT walker so a guest
 * can never point ptvisor at memory outside itself.
 */
#include "vmx/gva.h"
#include "ept/ept_walk.h"
#include "vmx/vmcs_ops.h"

#define PG_P      BIT(0)
#define PG_PS     BIT(7)
#define ADDR_MASK GENMASK(51, 12)

static bool read_entry(const struct ept *ept, uint64_t gpa, unsigned size, uint64_t *e)
{
	*e = 0;
	return ept_read_guest(ept, gpa, e, size) == size;
}

static bool walk_long(const struct ept *ept, uint64_t table, uint64_t la, unsigned levels, uint64_t *gpa)
{
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e;
		if (!read_entry(ept, (table & ADDR_MASK) + ((la >> shift) & 511) * 8, 8, &e) || !(e & PG_P))
			return false;
		if (level == 1 || (level <= 3 && (e & PG_PS))) {
			uint64_t page = (uint64_t)1 << shift;
			*gpa = (e & ADDR_MASK & ~(page - 1)) | (la & (page - 1));
			return true;
		}
		table = e;
	}
	return false;
}

bool vcpu_linear_to_phys(const struct vcpu *v, uint64_t la, uint64_t *gpa)
{
	const struct ept *ept = v->mem.ept;
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr4 = vmcs_readnat(GUEST_CR4), cr3 = vmcs_readnat(GUEST_CR3);

	if (!(cr0 & CR0_PG)) {
		*gpa = (uint32_t)la;
		return true;
	}
	if (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA)
		return walk_long(ept, cr3, la, 4, gpa);
	if (cr4 & CR4_PAE) {
		static const unsigned pdpte_field[4] = { GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3 };
		uint64_t pdpte = vmcs_read_raw(pdpte_field[(la >> 30) & 3]);
		return (pdpte & PG_P) && walk_long(ept, pdpte, (uint32_t)la, 2, gpa);
	}
	uint64_t pde, pte;
	if (!read_entry(ept, (cr3 & 0xfffff000) + ((la >> 22) & 1023) * 4, 4, &pde) || !(pde & PG_P))
		return false;
	if ((pde & PG_PS) && (cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000) | ((pde & 0x1fe000) << 19) | (la & 0x3fffff);
		return true;
	}
	if (!read_entry(ept, (pde & 0xfffff000) + ((la >> 12) & 1023) * 4, 4, &pte) || !(pte & PG_P))
		return false;
	*gpa = (pte & 0xfffff000) | (la & 0xfff);
	return true;
}

size_t vcpu_fetch(const struct vcpu *v, uint64_t la, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa;
		size_t chunk = MIN(len - done, PAGE_SIZE - ((la + done) & (PAGE_SIZE - 1)));
		if (!vcpu_linear_to_phys(v, la + done, &gpa) ||
		    ept_read_guest(v->mem.ept, gpa, (uint8_t *)buf + done, chunk) != chunk)
			break;
		done += chunk;
	}
	return done;
}

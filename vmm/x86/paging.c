/*
 * Guest paging for emulated accesses: SDM Vol. 3A 4.3 "32-Bit Paging", 4.4 "PAE Paging", 4.5 "4-Level
 * Paging" (entry formats, reserved bits), 4.6 "Access Rights", 4.7 "Page-Fault Exceptions" and 4.8
 * "Accessed and Dirty Flags".
 */
#include "x86/paging.h"
#include "x86/arch.h"

#define PG_P    BIT(0)
#define PG_RW   BIT(1)
#define PG_US   BIT(2)
#define PG_A    BIT(5)
#define PG_D    BIT(6)
#define PG_PS   BIT(7)
#define PG_XD   BIT(63)
#define PG_ADDR GENMASK(51, 12)

#define MAX_LEVELS 4

struct walk {
	const struct paging_regs *r;
	const struct paging_bus *bus;
	unsigned size; /* entry bytes: 4 or 8 */
	unsigned n;    /* entries used so far */
	uint64_t at[MAX_LEVELS], val[MAX_LEVELS];
	uint64_t rights; /* R/W and U/S ANDed over the levels */
};

/* Reserved bits of a PAE or 4-level entry at `level` (1 = PTE) with PS as given. */
static uint64_t reserved_64(const struct paging_regs *r, unsigned level, bool ps, bool pae)
{
	unsigned m = r->maxphyaddr;
	uint64_t rsvd = m < (pae ? 63u : 52u) ? GENMASK(pae ? 62 : 51, m) : 0;

	if (!(r->efer & EFER_NXE))
		rsvd |= PG_XD;
	if (level == 4)
		rsvd |= PG_PS; /* PML4E bit 7 */
	else if (level == 3 && ps)
		rsvd |= GENMASK(29, 13); /* 1-GByte page */
	else if (level == 2 && ps)
		rsvd |= GENMASK(20, 13); /* 2-MByte page */
	return rsvd;
}

/* Reads the entry `index` of the table at `table`, remembering it for the A/D update. */
static enum paging_result read_entry(struct walk *w, uint64_t table, uint64_t index, uint64_t *e,
				     struct paging_walk *out)
{
	uint64_t gpa = table + index * w->size;

	*e = 0;
	if (w->bus->read(w->bus->ctx, gpa, w->size, e)) {
		out->entry_gpa = gpa;
		return PAGING_UNREADABLE;
	}
	if (w->size == 4)
		*e = (uint32_t)*e;
	w->at[w->n] = gpa;
	w->val[w->n++] = *e;
	w->rights &= *e;
	return PAGING_OK;
}

/* PAE (levels 2-1 under a PDPTE) and 4-level (4-1) walks. */
static enum paging_result walk_64(struct walk *w, uint64_t table, uint64_t la, unsigned top, bool pae,
				  struct paging_walk *out)
{
	for (unsigned level = top; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e;
		enum paging_result rc = read_entry(w, table & PG_ADDR, (la >> shift) & 511, &e, out);
		if (rc != PAGING_OK)
			return rc;
		bool ps = (level == 2 || level == 3) && (e & PG_PS);
		if (!(e & PG_P))
			return PAGING_FAULT;
		if (e & reserved_64(w->r, level, ps, pae)) {
			out->error_code = PF_ERR_P | PF_ERR_RSVD;
			return PAGING_FAULT;
		}
		if (level == 1 || ps) {
			out->gpa = (e & PG_ADDR & ~(BIT(shift) - 1)) | (la & (BIT(shift) - 1));
			return PAGING_OK;
		}
		table = e;
	}
	return PAGING_FAULT;
}

/* 32-bit paging: PDE then PTE, or a 4-MByte page under CR4.PSE (Table 4-4 for the PSE-36 bits). */
static enum paging_result walk_32(struct walk *w, uint64_t la, struct paging_walk *out)
{
	unsigned m = w->r->maxphyaddr < 40 ? w->r->maxphyaddr : 40;
	uint64_t pde, pte;
	enum paging_result rc = read_entry(w, w->r->cr3 & 0xfffff000, (la >> 22) & 1023, &pde, out);

	if (rc != PAGING_OK)
		return rc;
	if (!(pde & PG_P))
		return PAGING_FAULT;
	if ((pde & PG_PS) && (w->r->cr4 & CR4_PSE)) {
		/* Bits (M-20):13 are physical-address bits (M-1):32, bits 21:(M-19) reserved, M at most 40. */
		if (pde & GENMASK(21, m - 19)) {
			out->error_code = PF_ERR_P | PF_ERR_RSVD;
			return PAGING_FAULT;
		}
		out->gpa = (pde & 0xffc00000) | (m > 32 ? (pde & GENMASK(m - 20, 13)) << 19 : 0) | (la & 0x3fffff);
		return PAGING_OK;
	}
	rc = read_entry(w, pde & 0xfffff000, (la >> 12) & 1023, &pte, out);
	if (rc != PAGING_OK)
		return rc;
	if (!(pte & PG_P))
		return PAGING_FAULT;
	out->gpa = (pte & 0xfffff000) | (la & 0xfff);
	return PAGING_OK;
}

/* SDM 4.6.1 "Determination of Access Rights" for a data access, once every entry is present. */
static bool rights_allow(const struct paging_regs *r, uint64_t rights, bool write)
{
	bool user = r->cpl == 3, user_page = rights & PG_US, writable = rights & PG_RW;

	if (user)
		return user_page && (!write || writable);
	if (user_page && (r->cr4 & CR4_SMAP) && !(r->rflags & RFLAGS_AC))
		return false;
	return !write || writable || !(r->cr0 & CR0_WP);
}

/* SDM 4.8: A in every entry used, D in the one that maps the page, on a write. */
static void set_accessed_dirty(struct walk *w, bool write)
{
	for (unsigned i = 0; i < w->n; i++) {
		uint64_t e = w->val[i] | PG_A;
		if (write && i == w->n - 1)
			e |= PG_D;
		if (e != w->val[i])
			w->bus->write(w->bus->ctx, w->at[i], w->size, e);
	}
}

enum paging_result paging_translate(const struct paging_regs *r, const struct paging_bus *bus, uint64_t la,
				    unsigned flags, struct paging_walk *out)
{
	struct walk w;
	bool write = flags & PAGING_WRITE;
	enum paging_result rc;

	out->gpa = 0;
	out->error_code = 0;
	out->entry_gpa = 0;
	if (!(r->cr0 & CR0_PG)) {
		out->gpa = (uint32_t)la;
		return PAGING_OK;
	}
	w = (struct walk){ .r = r, .bus = bus, .size = 8, .rights = ~(uint64_t)0 };
	if (r->efer & EFER_LMA) {
		if (r->cr4 & CR4_LA57)
			return PAGING_UNSUPPORTED;
		rc = walk_64(&w, r->cr3, la, 4, false, out);
	} else if (r->cr4 & CR4_PAE) {
		/* The PDPTEs were checked when loaded and carry no R/W or U/S (Table 4-8). */
		uint64_t pdpte = r->pdpte[(la >> 30) & 3];
		rc = (pdpte & PG_P) ? walk_64(&w, pdpte, (uint32_t)la, 2, true, out) : PAGING_FAULT;
	} else {
		w.size = 4;
		rc = walk_32(&w, (uint32_t)la, out);
	}
	if (rc == PAGING_OK && !(flags & PAGING_PEEK)) {
		if (rights_allow(r, w.rights, write)) {
			set_accessed_dirty(&w, write);
		} else {
			out->error_code = PF_ERR_P;
			rc = PAGING_FAULT;
		}
	}
	if (rc == PAGING_FAULT)
		out->error_code |= (write ? PF_ERR_W : 0) | (r->cpl == 3 ? PF_ERR_U : 0);
	return rc;
}

/*
 * Where an emulated instruction's operand lies: its segment (limits, types, canonical form), the guest's
 * paging (rights, #PF, accessed/dirty flags), split into pieces at page boundaries; then its bytes,
 * through the bus (emul_bus.c). Paging-structure entries are read through the same bus, so a table in
 * unbacked memory reads as all ones, as it would on hardware.
 */
#include "vmx/emul.h"
#include "ept/ept_walk.h"
#include "vmx/caps.h"
#include "vmx/gva.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vmcs_ops.h"
#include "x86/arch.h"
#include "lib/string.h"

static int walk_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	return emul_bus_read(ctx, gpa, size, val);
}

static void walk_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	(void)emul_bus_write(ctx, gpa, size, val); /* a refused A/D update is not the instruction's fault */
}

void emul_ctx_init(struct emul_ctx *c, struct vcpu *v, const struct mem_insn *mi, enum insn_mode mode)
{
	/* Field by field: the segment and TLB arrays are only read once marked valid. */
	c->seg_loaded = 0;
	c->tlb[0].valid = c->tlb[1].valid = false;
	c->tlb_next = 0;
	c->ram.host = NULL;
	c->v = v;
	c->mi = mi;
	c->mode = mode;
	if (mode == INSN_MODE64)
		c->seg_mode = SEG_LONG64;
	else if (!(vmcs_readnat(GUEST_CR0) & CR0_PE) || (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_VM))
		c->seg_mode = SEG_REAL;
	else
		c->seg_mode = SEG_PROTECTED;
	/* Without leaf 80000008H the SDM's default physical-address width is 36 bits (caps.c). */
	vcpu_paging_regs(&c->pg, boot_caps.maxphyaddr ? boot_caps.maxphyaddr : 36);
	c->bus = (struct paging_bus){ .read = walk_read, .write = walk_write, .ctx = v };
}

/* Stops the guest naming the instruction being emulated. */
static enum emul_rc stop(struct emul_ctx *c, const char *what, uint64_t addr)
{
	vcpu_stop(c->v, -1, "%s at RIP 0x%lx: %s 0x%lx", mem_insn_name(c->mi), vmcs_readnat(GUEST_RIP), what, addr);
	return EMUL_STOP;
}

/* One page through the exit's small TLB, else the guest's page tables. */
static enum paging_result translate_page(struct emul_ctx *c, uint64_t la, bool write, struct paging_walk *w)
{
	uint64_t page = la & ~(PAGE_SIZE - 1);
	enum paging_result rc;

	for (unsigned i = 0; i < ARRAY_SIZE(c->tlb); i++)
		if (c->tlb[i].valid && c->tlb[i].la_page == page && (c->tlb[i].write || !write)) {
			w->gpa = c->tlb[i].gpa_page | (la & (PAGE_SIZE - 1));
			return PAGING_OK;
		}
	rc = paging_translate(&c->pg, &c->bus, la, write ? PAGING_WRITE : 0, w);
	if (rc == PAGING_OK) {
		struct emul_tlb *t = &c->tlb[c->tlb_next++ % ARRAY_SIZE(c->tlb)];
		*t = (struct emul_tlb){
			.la_page = page, .gpa_page = w->gpa & ~(PAGE_SIZE - 1), .valid = true, .write = write
		};
	}
	return rc;
}

enum emul_rc emul_translate(struct emul_ctx *c, uint64_t la, unsigned size, bool write, struct emul_span *sp,
			    struct emul_fault *fault)
{
	unsigned first = (unsigned)MIN((uint64_t)size, PAGE_SIZE - (la & (PAGE_SIZE - 1)));

	sp->la = la;
	sp->n = first < size ? 2 : 1;
	sp->len[0] = first;
	sp->len[1] = size - first;
	for (unsigned i = 0; i < sp->n; i++) {
		/* The second piece starts the next page; outside 64-bit mode linear addresses wrap at 4 GiB. */
		uint64_t at = i ? la + first : la;
		struct paging_walk w;
		if (c->mode != INSN_MODE64)
			at = (uint32_t)at;
		switch (translate_page(c, at, write, &w)) {
		case PAGING_OK:
			sp->gpa[i] = w.gpa;
			break;
		case PAGING_FAULT:
			*fault = (struct emul_fault){ .vector = X86_VEC_PF, .error = w.error_code, .cr2 = at };
			return EMUL_FAULT;
		case PAGING_UNREADABLE:
			return stop(c, "guest paging entry not readable at GPA", w.entry_gpa);
		case PAGING_UNSUPPORTED:
		default:
			return stop(c, "5-level paging not emulated, linear address", at);
		}
	}
	return EMUL_OK;
}

enum emul_rc emul_locate(struct emul_ctx *c, enum insn_seg seg, uint64_t offset, unsigned size, bool write,
			 struct emul_span *sp, struct emul_fault *fault)
{
	uint64_t la;
	int vec;

	if (!(c->seg_loaded & BIT(seg))) {
		c->seg[seg].base = vmcs_readnat(GUEST_ES_BASE + 2 * seg);
		c->seg[seg].limit = vmcs_read32(GUEST_ES_LIMIT + 2 * seg);
		c->seg[seg].ar = vmcs_read32(GUEST_ES_AR_BYTES + 2 * seg);
		c->seg_loaded |= (unsigned)BIT(seg);
	}
	vec = seg_linear(&c->seg[seg], seg, c->seg_mode, offset, size, write, &la);

	if (vec) {
		*fault = (struct emul_fault){ .vector = (unsigned)vec };
		return EMUL_FAULT;
	}
	return emul_translate(c, la, size, write, sp, fault);
}

/*
 * The host bytes of `len` bytes of RAM at gpa (within one page) with the EPT rights `need`, or NULL for
 * the bus to decide (not RAM, or refused). The page's walk is kept for the exit: a REP's elements reuse it.
 */
static uint8_t *ram_bytes(struct emul_ctx *c, uint64_t gpa, unsigned len, unsigned need)
{
	uint64_t page = gpa & ~(PAGE_SIZE - 1);

	if (gpa >= c->v->mem.size || len > c->v->mem.size - gpa)
		return NULL;
	if (!c->ram.host || c->ram.gpa_page != page || (c->ram.perms & need) != need) {
		uint8_t *p = ept_guest_ptr(c->v->mem.ept, page, PAGE_SIZE, need);
		if (!p && (need & EPT_W)) {
			vcpu_pt_vmm_write(c->v, page);
			p = ept_guest_ptr(c->v->mem.ept, page, PAGE_SIZE, need);
		}
		if (!p)
			return NULL;
		unsigned had = c->ram.host && c->ram.gpa_page == page ? c->ram.perms : 0;
		c->ram = (struct emul_ram_page){ .gpa_page = page, .host = p, .perms = had | need };
	}
	return c->ram.host + (gpa - page);
}

enum emul_rc emul_read(struct emul_ctx *c, const struct emul_span *sp, uint64_t *val)
{
	*val = 0;
	for (unsigned i = 0, shift = 0; i < sp->n; shift += 8 * sp->len[i], i++) {
		uint64_t part = 0;
		const uint8_t *ram = ram_bytes(c, sp->gpa[i], sp->len[i], EPT_R);
		if (ram)
			memcpy(&part, ram, sp->len[i]);
		else if (emul_bus_read(c->v, sp->gpa[i], sp->len[i], &part))
			return stop(c, "read refused by ptvisor's EPT at GPA", sp->gpa[i]);
		*val |= part << shift;
	}
	return EMUL_OK;
}

enum emul_rc emul_write(struct emul_ctx *c, const struct emul_span *sp, uint64_t val)
{
	for (unsigned i = 0; i < sp->n; i++) {
		uint8_t *ram = ram_bytes(c, sp->gpa[i], sp->len[i], EPT_W);
		if (ram)
			memcpy(ram, &val, sp->len[i]);
		else if (emul_bus_write(c->v, sp->gpa[i], sp->len[i], val))
			return stop(c, "write refused by ptvisor's EPT at GPA", sp->gpa[i]);
		if (i + 1 < sp->n)
			val >>= 8 * sp->len[i]; /* a first piece is shorter than 8 bytes */
	}
	return EMUL_OK;
}

bool emul_span_needs_vmm(const struct emul_ctx *c, const struct emul_span *sp)
{
	for (unsigned i = 0; i < sp->n; i++)
		if (sp->gpa[i] >= c->v->mem.size)
			return true;
	return false;
}

void emul_inject(struct vcpu *v, const struct emul_fault *fault)
{
	if (fault->vector == X86_VEC_PF)
		v->regs.cr2 = fault->cr2;
	/* #GP, #SS and #PF all push an error code in protected mode (SDM Vol. 3A 6.15). */
	vcpu_inject_exception(v, fault->vector, true, fault->error);
}

enum exit_action emul_fault_or_stop(struct emul_ctx *c, enum emul_rc rc, const struct emul_fault *f)
{
	if (rc == EMUL_STOP)
		return EXIT_STOPPED;
	emul_inject(c->v, f);
	return EXIT_RESUME;
}

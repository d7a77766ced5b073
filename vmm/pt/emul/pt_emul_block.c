/*
 * The block engine of the emulated PT backend (pt_engine=block). Instead of
 * a #DB after every instruction, the code ahead is decoded through straight
 * lines and direct JMP/CALL (they need no packet) to the first instruction
 * whose outcome must be seen: a conditional branch, an indirect one, a RET,
 * or anything that changes mode, privilege, TF or the interrupt shadow. An
 * execute breakpoint in DR0 sits there and the guest runs natively, TF clear.
 * At the breakpoint a Jcc's outcome is read from RFLAGS (SDM Vol. 2 "Jcc")
 * and the next block starts at once; everything else goes to the step engine
 * for that one instruction. Any exit that lands inside a block (an exception,
 * an interrupt to inject, an emulated instruction, a TraceEn write) accounts
 * exactly the block's instructions before the current IP first, so the packets
 * are those the step engine makes, in the same order.
 *
 * Blocks run only where the step engine's timing could not show: no IP filter
 * or TraceStop range, in context, the guest's TF clear and no breakpoint of
 * its own enabled in DR7, and not within PT_BLK_ROOM bytes of the end of a
 * ToPA region (its INT or STOP acts after the same instruction as when stepping).
 * Code pages that blocks were decoded from are write-protected in the EPT while
 * tracing: a write to one ends the block at the writing instruction (the step
 * engine takes it) and the page is decoded afresh later.
 */
#include "pt/emul/pt_emul_int.h"
#include "pt/rtit.h"
#include "vmx/gva.h"
#include "ept/ept_walk.h"
#include "ept/ept_violation.h"
#include "x86/insn_ea.h"
#include "lib/string.h"
#include "log.h"

/* The guest has no breakpoint enabled while blocks run: DR0 and DR1 are free. */
#define BLK_SLOT   0 /* the terminator, or a fork's taken side */
#define BLK_SLOT_F 1 /* a fork's not-taken side */

_Static_assert(PT_BLK_ROOM <= PT_EMUL_STAGE, "a block's packets fit the staging buffer");

/* A conditional jump decided by the flags alone (LOOP and JCXZ read RCX: stepped). */
static bool jcc_by_flags(const struct insn *in)
{
	return in->cls == INSN_JCC && ((in->map == INSN_MAP_1BYTE && (in->opcode & 0xf0) == 0x70) ||
				       (in->map == INSN_MAP_0F && (in->opcode & 0xf0) == 0x80));
}

/* The condition tttn of Jcc (SDM Vol. 2 Appendix B.1.4.7 "Condition Test (tttn) Field"). */
static bool cc_holds(unsigned cc, uint64_t f)
{
	bool sf_ne_of = !(f & RFLAGS_SF) != !(f & RFLAGS_OF);
	bool r;

	/* clang-format off */
	switch (cc >> 1) {
	case 0:  r = f & RFLAGS_OF; break;
	case 1:  r = f & RFLAGS_CF; break;
	case 2:  r = f & RFLAGS_ZF; break;
	case 3:  r = f & (RFLAGS_CF | RFLAGS_ZF); break;
	case 4:  r = f & RFLAGS_SF; break;
	case 5:  r = f & RFLAGS_PF; break;
	case 6:  r = sf_ne_of; break;
	default: r = (f & RFLAGS_ZF) || sf_ne_of; break;
	}
	/* clang-format on */
	return r != (cc & 1);
}

/* REP/REPNE string instructions: stepped, so both engines see their iterations alike. */
static bool rep_string(const struct insn *in)
{
	uint8_t op = in->opcode;

	return (in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)) &&
	       ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0x6c && op <= 0x6f));
}

/*
 * Runs natively inside a block with its successor known from its bytes: no branch but direct JMP/CALL,
 * and nothing that loads TF (POPF), opens an interrupt shadow (MOV SS, POP SS, STI), reads or writes
 * debug registers, or changes descriptor tables, paging or mode (0F 00, 0F 01, MOV CR, far transfers).
 * An execute breakpoint on the instruction in STI's shadow is not reliably reported (Bochs 2.7 let
 * `sti; hlt` run past one on the HLT): STI and its successor are stepped.
 */
static bool runs_in_block(const struct insn *in)
{
	if (in->cls == INSN_JMP_REL || in->cls == INSN_CALL_REL)
		return true;
	if (in->cls != INSN_OTHER || rep_string(in))
		return false;
	if (in->map == INSN_MAP_1BYTE)
		return in->opcode != 0x9d && in->opcode != 0x17 && in->opcode != 0xfb &&
		       !(in->opcode == 0x8e && (in->modrm_reg & 7) == 2);
	if (in->map == INSN_MAP_0F)
		return in->opcode != 0x00 && in->opcode != 0x01 && in->opcode != 0x21 && in->opcode != 0x23 &&
		       in->opcode != 0xaa;
	return true;
}

/*
 * May change what linear code addresses map to: MOV CR, INVLPG and the rest of 0F 01, INVPCID. Once
 * one has run, paths decoded before are decoded again. (How code decodes is in the cache key.)
 */
static bool remaps(const struct insn *in)
{
	if (in->cls == INSN_MOV_CR || in->cls == INSN_MOV_CR3)
		return true;
	return in->cls == INSN_OTHER &&
	       ((in->map == INSN_MAP_0F && in->opcode == 0x01) || (in->map == INSN_MAP_0F38 && in->opcode == 0x82));
}

/*
 * The EPT's generation without the block engine's own write protections: paths and mappings cached
 * under it stay good while only those changed (a page given back ends its paths by a new epoch).
 */
static uint64_t ept_gen(const struct vcpu *v)
{
	return v->mem.ept->gen - v->pt->emul.blk.own_gen;
}

/*
 * The guest's translation of the linear page `page`, remembered under the rules decoded paths follow
 * (same paging registers and epoch) and only until the guest's kernel runs natively again (visit): it
 * may have changed its page tables then without an exit.
 */
static bool lin_to_gpa(struct vcpu *v, struct pt_emul_blk *b, uint64_t page, uint64_t *gpa)
{
	struct pt_blk_xlat *x = &b->xlat[(page >> PAGE_SHIFT) % PT_BLK_XLAT];
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr3 = vmcs_readnat(GUEST_CR3), cr4 = vmcs_readnat(GUEST_CR4);

	if (x->valid && x->lin == page && x->cr0 == cr0 && x->cr3 == cr3 && x->cr4 == cr4 && x->epoch == b->epoch &&
	    x->visit == b->visit) {
		*gpa = x->gpa;
		return true;
	}
	if (!vcpu_linear_to_phys(v, page, gpa))
		return false;
	*gpa &= ~(PAGE_SIZE - 1);
	*x = (struct pt_blk_xlat){ .valid = true,
				   .lin = page,
				   .gpa = *gpa,
				   .cr0 = cr0,
				   .cr3 = cr3,
				   .cr4 = cr4,
				   .epoch = b->epoch,
				   .visit = b->visit };
	return true;
}

static bool decode_at(struct vcpu *v, struct pt_emul *e, uint64_t ip, struct insn *in)
{
	struct pt_emul_blk *b = &e->blk;
	uint64_t page = ip & ~(PAGE_SIZE - 1), off = ip & (PAGE_SIZE - 1), gpa;
	uint8_t code[INSN_MAX_LEN];
	size_t n;

	/* One guest page walk per code page while a path is decoded (no guest instruction runs meanwhile). */
	if (b->walk_host && b->walk_page != page)
		b->walk_host = NULL;
	if (!b->walk_host && lin_to_gpa(v, b, page, &gpa)) {
		b->walk_host = ept_guest_ptr(v->mem.ept, gpa, PAGE_SIZE, EPT_R);
		b->walk_page = page;
	}
	if (b->walk_host && off + INSN_MAX_LEN <= PAGE_SIZE) {
		memcpy(code, b->walk_host + off, INSN_MAX_LEN);
		n = INSN_MAX_LEN;
	} else {
		n = pt_emul_fetch_code(v, e, ip, code);
	}
	return n && insn_decode(code, n, vcpu_insn_mode(v), in) == 0;
}

/* The linear target of a direct branch at linear ip. */
static uint64_t direct_target(const struct vcpu *v, const struct insn *in, uint64_t ip)
{
	uint64_t cs = vmcs_readnat(GUEST_CS_BASE);
	uint64_t lin = cs + insn_branch_target(in, ip - cs);

	return vcpu_long_mode(v) && vcpu_insn_mode(v) == INSN_MODE64 ? lin : (uint32_t)lin;
}

/* A near branch's target offset (opsize bits) as a linear IP. */
static uint64_t near_linear(const struct vcpu *v, const struct insn *in, uint64_t off)
{
	uint64_t lin = vmcs_readnat(GUEST_CS_BASE) + (off & insn_addr_mask(in->opsize));

	return vcpu_insn_mode(v) == INSN_MODE64 ? lin : (uint32_t)lin;
}

/*
 * Guest memory the guest is about to read (a return address, an indirect operand). The pages last read
 * stay mapped under the rules decoded paths follow: same paging registers, EPT, epoch and visit.
 */
static bool read_lin(struct vcpu *v, uint64_t lin, unsigned bytes, uint64_t *val)
{
	struct pt_emul_blk *b = &v->pt->emul.blk;
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr3 = vmcs_readnat(GUEST_CR3), cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t page, off, gpa;
	struct pt_blk_data *d;

	*val = 0;
	lin = v->efer_lma ? lin : (uint32_t)lin;
	page = lin & ~(PAGE_SIZE - 1);
	off = lin & (PAGE_SIZE - 1);
	if (off + bytes > PAGE_SIZE)
		return vcpu_fetch(v, lin, val, bytes) == bytes;
	d = &b->data[(page >> PAGE_SHIFT) % PT_BLK_DATA];
	if (!(d->host && d->page == page && d->cr0 == cr0 && d->cr3 == cr3 && d->cr4 == cr4 &&
	      d->ept_gen == ept_gen(v) && d->epoch == b->epoch && d->visit == b->visit)) {
		d->host = NULL;
		if (!lin_to_gpa(v, b, page, &gpa) || !(d->host = ept_guest_ptr(v->mem.ept, gpa, PAGE_SIZE, EPT_R)))
			return vcpu_fetch(v, lin, val, bytes) == bytes;
		d->page = page;
		d->cr0 = cr0;
		d->cr3 = cr3;
		d->cr4 = cr4;
		d->ept_gen = ept_gen(v);
		d->epoch = b->epoch;
		d->visit = b->visit;
	}
	memcpy(val, d->host + off, bytes);
	return true;
}

/* Where an indirect near JMP/CALL goes: its register, or the memory operand read now (SDM Vol. 2 "JMP"). */
static bool indirect_target(struct vcpu *v, const struct insn *in, uint64_t ip, uint64_t *next)
{
	const struct guest_regs *r = &v->regs;
	const uint64_t gpr[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, vmcs_readnat(GUEST_RSP),
		r->rbp, r->rsi, r->rdi, r->r8,  r->r9,
		r->r10, r->r11, r->r12, r->r13, r->r14,
		r->r15,
	};
	enum insn_mode mode = vcpu_insn_mode(v);
	uint64_t off;

	if (!in->has_mem) {
		off = gpr[in->modrm_rm & 15];
	} else {
		enum insn_seg seg = insn_ea_seg(in);
		uint64_t base = mode != INSN_MODE64 || seg == INSN_SEG_FS || seg == INSN_SEG_GS
					? vmcs_readnat(GUEST_ES_BASE + 2 * (unsigned)seg)
					: 0;
		uint64_t cs = vmcs_readnat(GUEST_CS_BASE);
		if (!read_lin(v, base + insn_ea(in, mode, gpr, ip - cs + in->len), in->opsize / 8, &off))
			return false;
	}
	*next = near_linear(v, in, off);
	return true;
}

/*
 * Where the instruction at ip goes, from the guest's state before it runs: a Jcc by the flags, a
 * near RET by the return address on the stack, an indirect JMP/CALL by its operand. False for
 * anything else (the step engine takes it).
 */
static bool successor(struct vcpu *v, const struct insn *in, uint64_t ip, uint64_t *next)
{
	uint64_t ret;

	if (jcc_by_flags(in)) {
		*next = cc_holds(in->opcode & 0xf, vmcs_readnat(GUEST_RFLAGS)) ? direct_target(v, in, ip)
									       : ip + in->len;
		return true;
	}
	if (runs_in_block(in)) {
		*next = in->cls == INSN_OTHER ? ip + in->len : direct_target(v, in, ip);
		return true;
	}
	if (in->cls == INSN_RET) {
		if (!read_lin(v, vmcs_readnat(GUEST_SS_BASE) + vmcs_readnat(GUEST_RSP), in->opsize / 8, &ret))
			return false;
		*next = near_linear(v, in, ret);
		return true;
	}
	if (in->cls == INSN_JMP_INDIRECT || in->cls == INSN_CALL_INDIRECT)
		return indirect_target(v, in, ip, next);
	return false;
}

/* The path being decoded runs from the linear page `lin`, mapped to gpa (checked again after the kernel ran). */
static void note_page(struct pt_emul_blk *b, uint64_t lin, uint64_t gpa)
{
	for (unsigned i = 0; i < b->npages && i < PT_BLK_PAGES; i++)
		if (b->page[i].lin == lin)
			return;
	if (b->npages < PT_BLK_PAGES) {
		b->page[b->npages].lin = lin;
		b->page[b->npages].gpa = gpa;
	}
	b->npages++;
}

/* Keeps the code page of lin write-protected (guest writes to it exit); false if it cannot be. */
static bool protect_code(struct vcpu *v, struct pt_emul_blk *b, uint64_t lin)
{
	struct ept_xlate x;
	uint64_t gpa;

	if (!lin_to_gpa(v, b, lin & ~(PAGE_SIZE - 1), &gpa))
		return false;
	note_page(b, lin & ~(PAGE_SIZE - 1), gpa);
	for (unsigned i = 0; i < b->wp_n; i++)
		if (b->wp[i].gpa == gpa)
			return true;
	if (!ept_translate(v->mem.ept, gpa, &x) || !x.present || !(x.perms & EPT_X))
		return false;
	if (!(x.perms & EPT_W))
		return true; /* the guest cannot write it */
	uint64_t gen = v->mem.ept->gen;
	if (b->wp_n == PT_BLK_WP_MAX || ept_protect(v->mem.ept, gpa, PAGE_SIZE, x.perms & ~EPT_W) < 0)
		return false;
	b->own_gen += v->mem.ept->gen - gen;
	ept_invalidate(v->mem.ept);
	b->wp[b->wp_n].gpa = gpa;
	b->wp[b->wp_n].perms = x.perms;
	b->wp_n++;
	return true;
}

static void unprotect_at(struct vcpu *v, struct pt_emul_blk *b, unsigned i)
{
	uint64_t gen = v->mem.ept->gen;

	b->epoch++;
	ept_protect(v->mem.ept, b->wp[i].gpa, PAGE_SIZE, b->wp[i].perms);
	b->own_gen += v->mem.ept->gen - gen;
	b->wp[i] = b->wp[--b->wp_n];
}

static void unprotect_all(struct vcpu *v, struct pt_emul_blk *b)
{
	if (!b->wp_n)
		return;
	while (b->wp_n)
		unprotect_at(v, b, b->wp_n - 1);
	ept_invalidate(v->mem.ept);
}

/* An instruction that may produce a packet (TNT or TIP) in a block: any but a plain one and a direct JMP. */
static unsigned has_packet(unsigned cls)
{
	return cls != INSN_OTHER && cls != INSN_JMP_REL;
}

/* Appends the instruction at ip, its bytes' pages protected first; false if it cannot be. */
static bool add_insn(struct vcpu *v, struct pt_emul_blk *b, uint64_t ip, const struct insn *in)
{
	uint64_t first = ip & ~(PAGE_SIZE - 1), last = (ip + in->len - 1) & ~(PAGE_SIZE - 1);

	if (first != b->prot_page && !protect_code(v, b, ip))
		return false;
	if (last != first && !protect_code(v, b, ip + in->len - 1))
		return false;
	b->prot_page = last;
	b->seq[b->n].ip = ip;
	b->seq[b->n].len = (uint8_t)in->len;
	b->seq[b->n].cofi = (uint8_t)pt_emul_cofi(in->cls);
	b->packets += has_packet(in->cls);
	b->term = *in;
	b->n++;
	return true;
}

static bool in_seq(const struct pt_emul_blk *b, uint64_t ip, unsigned from)
{
	for (unsigned i = from; i < b->n; i++)
		if (b->seq[i].ip == ip)
			return true;
	return false;
}

/* The stack's address size in bytes for the stack model: 8 in 64-bit mode, 4 with a 32-bit SS (B flag). */
static unsigned stack_width(const struct vcpu *v)
{
	enum insn_mode mode = vcpu_insn_mode(v);

	if (mode == INSN_MODE64)
		return 8;
	return mode == INSN_MODE32 && (vmcs_read32(GUEST_SS_AR_BYTES) & (1u << 14)) ? 4 : 0;
}

/* The linear address of the stack at the decode-time RSP + off. */
static uint64_t stack_lin(unsigned width, int64_t off)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP) + (uint64_t)off;

	return width == 8 ? rsp : vmcs_readnat(GUEST_SS_BASE) + (uint32_t)rsp;
}

/* What a CALL at linear ip pushes: the offset in CS of the instruction after it, at its operand size. */
static uint64_t return_offset(const struct insn *in, uint64_t ip)
{
	return (ip + in->len - vmcs_readnat(GUEST_CS_BASE)) & insn_addr_mask(in->opsize);
}

/*
 * Where the RET `in` goes if the stack model knows before the path runs: pushed on the path, or read
 * from guest memory now (remembered, so that a cached copy of the path is checked against it).
 */
static bool ret_ahead(struct vcpu *v, struct pt_emul_blk *b, const struct insn *in, uint64_t *next)
{
	int64_t off = 0;
	uint64_t val = 0;

	switch (pt_stk_ret(&b->stk, in, &off, &val)) {
	case PT_STK_RET_PUSHED:
		break;
	case PT_STK_RET_MEMORY:
		if (b->nread == PT_BLK_READS || !read_lin(v, stack_lin(b->stk.width, off), in->opsize / 8, &val))
			return false;
		b->read[b->nread].off = off;
		b->read[b->nread].size = (uint8_t)(in->opsize / 8);
		b->read[b->nread].val = val;
		b->nread++;
		break;
	default:
		return false;
	}
	*next = near_linear(v, in, val);
	b->st.rets++;
	return true;
}

/*
 * Decodes from ip, after seq[0..n-1], to a terminator. No IP may repeat one in seq[from..], except that
 * a pending seq[0] may come back as the terminator (a loop of one block). False if nothing was added or
 * no terminator could be placed (undecodable or unprotectable bytes); when the path meets an IP it
 * already holds or `limit` instructions, the last one added becomes the terminator.
 */
static bool decode_run(struct vcpu *v, struct pt_emul *e, uint64_t ip, unsigned from, unsigned limit)
{
	struct pt_emul_blk *b = &e->blk;
	enum insn_mode mode = vcpu_insn_mode(v);
	unsigned start = b->n;
	struct insn in;
	uint64_t next;

	while (b->n < limit) {
		if (in_seq(b, ip, from) || !decode_at(v, e, ip, &in))
			return b->n > start;
		if (in.cls == INSN_RET && ret_ahead(v, b, &in, &next)) {
			if (!add_insn(v, b, ip, &in))
				return b->n > start;
			pt_stk_insn(&b->stk, &in, mode, 0);
			ip = next;
			continue;
		}
		if (!runs_in_block(&in))
			return add_insn(v, b, ip, &in);
		if (b->pending && ip == b->seq[0].ip)
			return b->n > start;
		if (!add_insn(v, b, ip, &in))
			return b->n > start;
		pt_stk_insn(&b->stk, &in, mode, in.cls == INSN_CALL_REL ? return_offset(&in, ip) : 0);
		ip = in.cls == INSN_OTHER ? ip + in.len : direct_target(v, &in, ip);
	}
	return b->n > start;
}

/*
 * A path that ends at a Jcc decided by the flags goes on along both of its successors, each to a
 * terminator of its own (DR0 for the taken side, DR1 for the other): the breakpoint that fires tells
 * the outcome, one exit for two branches. No IP repeats in seq, so any IP the guest stops at also says
 * which side it took. Left as it was when a side is empty (it would begin at an IP already on the path).
 */
static void fork_jcc(struct vcpu *v, struct pt_emul *e)
{
	struct pt_emul_blk *b = &e->blk;
	unsigned j = b->n - 1, nread = b->nread, npages = b->npages, packets = b->packets;
	struct insn jcc = b->term;
	struct pt_stk stk = b->stk;
	uint64_t ip = b->seq[j].ip;

	if (!b->fork_on || !jcc_by_flags(&jcc) || (b->pending && ip == b->seq[0].ip))
		return;
	/* The taken side may fill half the room left, the other side the rest. */
	if (decode_run(v, e, direct_target(v, &jcc, ip), 0, b->n + (PT_BLK_MAX - b->n) / 2)) {
		struct insn taken_term = b->term;
		unsigned t_end = b->n;

		b->stk = stk;
		if (decode_run(v, e, ip + jcc.len, 0, PT_BLK_MAX)) {
			b->forked = true;
			b->fork = j;
			b->t_end = t_end;
			b->term_f = b->term;
			b->term = taken_term;
			b->st.forks++;
			return;
		}
	}
	b->n = j + 1;
	b->term = jcc;
	b->nread = nread;
	b->npages = npages;
	b->packets = packets;
}

/* Decodes the path from ip (after a pending seq[0], decoded into pend) to its terminator or terminators. */
static bool decode_path(struct vcpu *v, struct pt_emul *e, uint64_t ip, const struct insn *pend)
{
	struct pt_emul_blk *b = &e->blk;

	b->walk_host = NULL;
	b->prot_page = 1; /* no page: linear pages are aligned */
	b->npages = 0;
	b->nread = 0;
	pt_stk_start(&b->stk, stack_width(v));
	if (pend)
		pt_stk_insn(&b->stk, pend, vcpu_insn_mode(v), return_offset(pend, b->seq[0].ip));
	if (!decode_run(v, e, ip, b->pending ? 1 : 0, PT_BLK_MAX))
		return false;
	fork_jcc(v, e);
	return true;
}

/*
 * A cached path from before the guest's kernel last ran natively is still good if its code pages
 * translate as they did (their bytes cannot have changed: they are write-protected).
 */
static bool pages_hold(struct vcpu *v, struct pt_emul_blk *b, struct pt_blk_cached *c)
{
	uint64_t gpa;

	if (c->visit == b->visit)
		return true;
	if (c->npages > PT_BLK_PAGES)
		return false;
	for (unsigned i = 0; i < c->npages; i++)
		if (!lin_to_gpa(v, b, c->page[i].lin, &gpa) || gpa != c->page[i].gpa)
			return false;
	c->visit = b->visit;
	return true;
}

/* The return addresses a cached path was predicted from are still on the stack. */
static bool reads_hold(struct vcpu *v, const struct pt_blk_cached *c)
{
	uint64_t val;

	for (unsigned i = 0; i < c->nread; i++)
		if (!read_lin(v, stack_lin(c->stack_width, c->read[i].off), c->read[i].size, &val) ||
		    val != c->read[i].val)
			return false;
	return true;
}

static bool decode_block(struct vcpu *v, struct pt_emul *e, uint64_t ip, const struct insn *pend_insn)
{
	struct pt_emul_blk *b = &e->blk;
	uint64_t pend = b->pending ? b->seq[0].ip : 0;
	/* Set-associative: one start IP may go on through RETs to different callers. */
	struct pt_blk_cached *set = &b->cache[((ip ^ (ip >> 7) ^ pend) % (PT_BLK_CACHE / PT_BLK_WAYS)) * PT_BLK_WAYS];
	struct pt_blk_cached *c;
	unsigned first = b->n, packets = b->packets;

	b->forked = false;
	uint64_t cr3 = vmcs_readnat(GUEST_CR3);
	enum insn_mode mode = vcpu_insn_mode(v);
	unsigned width = stack_width(v);

	for (c = set; c < set + PT_BLK_WAYS; c++) {
		if (c->epoch == b->epoch && c->start == ip && c->pend == pend && c->ept_gen == ept_gen(v) &&
		    c->cr3 == cr3 && c->mode == mode && c->stack_width == width && pages_hold(v, b, c) &&
		    reads_hold(v, c)) {
			memcpy(&b->seq[first], c->seq, c->n * sizeof(c->seq[0]));
			b->n += c->n;
			b->packets += c->packets;
			b->term = c->term;
			b->forked = c->forked;
			if (c->forked) {
				b->fork = first + c->fork;
				b->t_end = first + c->t_end;
				b->term_f = c->term_f;
			}
			return true;
		}
	}
	bool r = decode_path(v, e, ip, pend_insn);
	b->st.decoded++;
	if (!r)
		return false;
	c = &set[b->victim++ % PT_BLK_WAYS];
	c->epoch = b->epoch;
	c->start = ip;
	c->pend = pend;
	c->ept_gen = ept_gen(v);
	c->cr3 = cr3;
	c->mode = mode;
	c->stack_width = width;
	c->n = b->n - first;
	c->packets = b->packets - packets;
	memcpy(c->seq, &b->seq[first], c->n * sizeof(c->seq[0]));
	c->visit = b->visit;
	c->npages = b->npages;
	memcpy(c->page, b->page, MIN(b->npages, (unsigned)PT_BLK_PAGES) * sizeof(b->page[0]));
	c->nread = b->nread;
	memcpy(c->read, b->read, b->nread * sizeof(b->read[0]));
	c->term = b->term;
	c->forked = b->forked;
	if (b->forked) {
		c->fork = b->fork - first;
		c->t_end = b->t_end - first;
		c->term_f = b->term_f;
	}
	return true;
}

/* Execute breakpoints (RW and LEN 0) on the terminator, or on both of a fork's. */
static void arm(struct pt_emul *e)
{
	struct pt_emul_blk *b = &e->blk;
	uint64_t dr7 = (b->saved_dr7 & ~(DR7_RW_LEN(BLK_SLOT) | DR7_G(BLK_SLOT) | DR7_RW_LEN(BLK_SLOT_F) |
					 DR7_G(BLK_SLOT_F) | DR7_L(BLK_SLOT_F))) |
		       DR7_L(BLK_SLOT) | DR7_FIXED1;

	cpu_write_dr(BLK_SLOT, b->seq[(b->forked ? b->t_end : b->n) - 1].ip);
	if (b->forked) {
		cpu_write_dr(BLK_SLOT_F, b->seq[b->n - 1].ip);
		dr7 |= DR7_L(BLK_SLOT_F);
	}
	vmcs_writenat(GUEST_DR7, dr7);
}

static void disarm(struct pt_emul *e)
{
	cpu_write_dr(BLK_SLOT, e->blk.saved_dr0);
	cpu_write_dr(BLK_SLOT_F, e->blk.saved_dr1);
	vmcs_writenat(GUEST_DR7, e->blk.saved_dr7);
	e->blk.on = false;
}

/* The block engine may take over here (the step engine's state is quiet: nothing pending). */
static bool may_run(const struct vcpu *v, const struct pt_emul *e)
{
	uint64_t dr7 = e->blk.on ? e->blk.saved_dr7 : vmcs_readnat(GUEST_DR7);

	if (!e->blk.enabled || !e->active || !e->in_ctx || e->vtf || e->bp.armed || v->pt_step_mtf ||
	    e->filter_ranges || e->stop_ranges || (dr7 & (0xffu | DR7_GD)))
		return false;
	if (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_MOV_SS)
		return false;
	if (vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) || (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID))
		return false;
	return true;
}

/*
 * The decoded block's packets cannot fill a ToPA region with INT or STOP (nor fail): at most a TIP
 * (9 bytes) per instruction with a packet, the TNT bits pending, and a PSB+ if one may fall due.
 */
static bool room_for(struct pt_guest *pg, struct pt_emul *e)
{
	const struct pt_emul_blk *b = &e->blk;
	uint64_t bound = 8 + 64 + 9 * (uint64_t)b->packets;

	if (e->out.st.bytes + bound < e->blk.room_end)
		return true;
	uint64_t room = pt_out_room(&e->out, &pg->ctx, PT_BLK_ROOM_AHEAD);
	e->blk.room_end = room == UINT64_MAX ? UINT64_MAX : e->out.st.bytes + room;
	return bound < room;
}

void pt_emul_block_try(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip)
{
	struct pt_emul_blk *b = &e->blk;

	if (!b->enabled || !e->have_prev)
		return;
	if (remaps(&e->prev))
		b->epoch++;
	if (!runs_in_block(&e->prev) || !may_run(v, e))
		return;
	b->n = 0;
	b->packets = 0;
	b->pending = false;
	if (!decode_block(v, e, ip, NULL) || !room_for(pg, e))
		return;
	b->cursor = 0;
	b->saved_dr7 = vmcs_readnat(GUEST_DR7);
	b->saved_dr0 = cpu_read_dr(BLK_SLOT);
	b->saved_dr1 = cpu_read_dr(BLK_SLOT_F);
	b->on = true;
	b->st.blocks++;
	arm(e);
	e->have_prev = false;
	vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) & ~RFLAGS_TF);
}

/*
 * seq[from..to-1] retired: what pt_emul_account() makes of each, for code that runs in a block: in
 * context and staying there (no IP ranges; CPL, CR3 and mode change only at instructions the step
 * engine takes), TF clear, and every IP after a plain instruction its fall-through.
 */
static void account(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, unsigned from, unsigned to)
{
	const struct pt_blk_insn *seq = e->blk.seq;
	struct pt_step st;
	bool have_state = false;

	e->st.steps += to - from;
	e->st.traced += to - from;
	for (unsigned i = from; i < to; i++) {
		pt_emul_riplog_add(e, seq[i].ip);
		st.cofi = (enum pt_cofi)seq[i].cofi;
		/* An instruction without a packet changes only the generator's time: skipped while no PSB is due. */
		if ((st.cofi == PT_COFI_NONE || st.cofi == PT_COFI_JMP_DIRECT) && pt_gen_quiet(&e->gen))
			continue;
		if (!have_state) {
			st.mode = pt_emul_cpu_mode(v);
			st.cr3 = vmcs_readnat(GUEST_CR3);
			st.tsc = vcpu_guest_tsc(v);
			have_state = true;
		}
		st.ip = seq[i].ip;
		st.len = seq[i].len;
		st.next_ip = seq[i + 1].ip;
		st.taken = st.next_ip != st.ip + st.len;
		pt_gen_insn(&e->gen, &st);
	}
	/* At most PT_BLK_ROOM bytes, inside one ToPA region (may_run): written at once, they fill
	   nothing earlier than they would one by one. */
	pt_emul_flush(v, pg, e);
}

/*
 * The guest is at seq[k], past a fork's Jcc: the side it took becomes the path (seq[fork + 1] on) and
 * k its index there.
 */
static unsigned fork_resolve(struct pt_emul_blk *b, unsigned k)
{
	unsigned nf = b->n - b->t_end;

	b->forked = false;
	if (k < b->t_end) {
		b->n = b->t_end;
		return k;
	}
	memmove(&b->seq[b->fork + 1], &b->seq[b->t_end], nf * sizeof(b->seq[0]));
	b->n = b->fork + 1 + nf;
	b->term = b->term_f;
	return k - b->t_end + b->fork + 1;
}

/*
 * Accounts the instructions that retired before the current IP; `at_term`: the terminator's breakpoint
 * fired. False if the IP is not on the block's path (then nothing is accounted).
 */
static bool sync(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, bool at_term)
{
	struct pt_emul_blk *b = &e->blk;
	uint64_t ip = vcpu_lip();
	unsigned k = b->cursor;

	if (at_term && ip == b->seq[b->n - 1].ip) {
		k = b->n - 1;
	} else if (at_term && b->forked && ip == b->seq[b->t_end - 1].ip) {
		k = b->t_end - 1;
	} else if (b->pending && k == 0 && ip == b->seq[0].ip) {
		/* The one-block loop: RF is still set until seq[0] retires (SDM 17.3.1.1). */
		if (ip == b->seq[b->n - 1].ip && !(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_RF))
			k = b->n - 1;
	} else {
		while (k < b->n && b->seq[k].ip != ip)
			k++;
		if (k == b->n) {
			if (!b->warned)
				pr_warn("guest %s: PT block engine: IP 0x%lx is off the decoded path; stepping on\n",
					v->name, ip);
			b->warned = true;
			return false;
		}
	}
	if (b->forked && k > b->fork)
		k = fork_resolve(b, k);
	account(v, pg, e, b->cursor, k);
	b->cursor = k;
	return true;
}

/* To the step engine at the current IP, as if it had stepped to here. */
static void hand_over(struct vcpu *v, struct pt_emul *e)
{
	disarm(e);
	vmcs_writenat(GUEST_RFLAGS, (vmcs_readnat(GUEST_RFLAGS) & ~RFLAGS_RF) | RFLAGS_TF);
	vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	if (!pt_emul_decode_next(v, e, vcpu_lip()))
		e->have_prev = false;
	else if (remaps(&e->prev))
		e->blk.epoch++;
}

void pt_emul_block_leave(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e)
{
	if (!e->blk.on)
		return;
	(void)sync(v, pg, e, false);
	if (e->active)
		hand_over(v, e);
}

/* At the terminator, already accounted up to it: the next block after a decided Jcc, else the step engine. */
static void at_terminator(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e)
{
	struct pt_emul_blk *b = &e->blk;
	uint64_t ip = vcpu_lip();
	struct insn in = b->term;
	uint64_t next;

	if (may_run(v, e) && successor(v, &in, ip, &next)) {
		b->pending = true;
		b->seq[0].ip = ip;
		b->seq[0].len = (uint8_t)in.len;
		b->seq[0].cofi = (uint8_t)pt_emul_cofi(in.cls);
		b->n = 1;
		b->packets = has_packet(in.cls);
		if (decode_block(v, e, next, &in) && room_for(pg, e)) {
			b->cursor = 0;
			b->st.blocks++;
			b->st.continued++;
			arm(e);
			vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
			return;
		}
	}
	b->st.handed++;
	hand_over(v, e);
}

bool pt_emul_block_db(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t dr6)
{
	struct pt_emul_blk *b = &e->blk;
	bool bp = dr6 & (DR6_B(BLK_SLOT) | DR6_B(BLK_SLOT_F));

	if (!b->on || !(bp || (dr6 & DR6_BS)))
		return false;
	e->st.step_exits++;
	if (!bp)
		b->epoch++; /* an instruction was emulated: it may have changed mode or translation */
	if (!sync(v, pg, e, bp)) {
		hand_over(v, e);
		return true;
	}
	if (!e->active)
		return true;
	if (b->cursor == b->n - 1)
		at_terminator(v, pg, e);
	return true;
}

void pt_emul_block_kernel_ran(struct pt_emul *e)
{
	e->blk.visit++;
}

void pt_emul_block_off(struct vcpu *v, struct pt_emul *e)
{
	e->blk.room_end = 0; /* the output may be set up anew before the next enable */
	if (e->blk.on)
		disarm(e);
	unprotect_all(v, &e->blk);
}

void pt_emul_block_writable(struct vcpu *v, uint64_t gpa)
{
	struct pt_emul_blk *b = &v->pt->emul.blk;

	for (unsigned i = 0; i < b->wp_n; i++) {
		if (b->wp[i].gpa == (gpa & ~(PAGE_SIZE - 1))) {
			unprotect_at(v, b, i);
			ept_invalidate(v->mem.ept);
			return;
		}
	}
}

int pt_emul_block_ept(struct vcpu *v, const struct ept_violation *ev)
{
	struct pt_guest *pg = v->pt;
	struct pt_emul *e = &pg->emul;
	struct pt_emul_blk *b = &e->blk;
	uint64_t gpa = ev->gpa & ~(PAGE_SIZE - 1);

	if (!ev->write)
		return EPT_FAULT_UNHANDLED;
	for (unsigned i = 0; i < b->wp_n; i++) {
		if (b->wp[i].gpa != gpa)
			continue;
		/* Code the block was decoded from is being written: the writer is stepped, and what it
		   wrote is decoded when the guest gets there. */
		b->st.smc++;
		pt_emul_block_leave(v, pg, e);
		unprotect_at(v, b, i);
		ept_invalidate(v->mem.ept);
		return EPT_FAULT_RETRY;
	}
	return EPT_FAULT_UNHANDLED;
}

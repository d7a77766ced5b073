/*
 * One step of the emulated PT engine: the instruction about to run is decoded
 * (x86/insn.c) from guest memory, and once it retired the next step exit shows
 * where execution went; that becomes TNT/TIP/FUP/PIP/MODE packets (pt_gen.c)
 * under the guest's filters. The guest's own TF is virtual here: POPF/IRET
 * load it, PUSHF and event frames show it.
 */
#include "pt/emul/pt_emul_int.h"
#include "pt/rtit.h"
#include "vmx/gva.h"
#include "ept/ept_walk.h"
#include "lib/string.h"
#include "log.h"

enum pt_cpu_mode pt_emul_cpu_mode(const struct vcpu *v)
{
	enum insn_mode m = vcpu_insn_mode(v);

	return m == INSN_MODE64 ? PT_MODE_64 : m == INSN_MODE32 ? PT_MODE_32 : PT_MODE_16;
}

void pt_emul_ranges_init(struct pt_guest *pg)
{
	struct pt_emul *e = &pg->emul;

	e->filter_ranges = e->stop_ranges = 0;
	for (unsigned n = 0; n < PT_ADDR_RANGES_MAX; n++) {
		uint64_t cfg = (pg->ctx.ctl >> RTIT_CTL_ADDR_CFG_SHIFT(n)) & 0xf;
		if (cfg == 1)
			e->filter_ranges |= (uint8_t)BIT(n);
		else if (cfg == 2)
			e->stop_ranges |= (uint8_t)BIT(n);
	}
}

static bool in_ranges(const struct pt_guest *pg, unsigned ranges, uint64_t ip)
{
	for (unsigned n = 0; ranges; n++, ranges >>= 1)
		if ((ranges & 1) && ip >= pg->ctx.addr_a[n] && ip <= pg->ctx.addr_b[n])
			return true;
	return false;
}

bool pt_emul_filters_pass(const struct pt_guest *pg, uint64_t ip)
{
	return pt_emul_filters_pass_at(pg, ip, vcpu_cpl());
}

bool pt_emul_filters_pass_at(const struct pt_guest *pg, uint64_t ip, unsigned cpl)
{
	uint64_t ctl = pg->ctx.ctl;

	if (cpl == 0 ? !(ctl & RTIT_CTL_OS) : !(ctl & RTIT_CTL_USER))
		return false;
	if ((ctl & RTIT_CTL_CR3FILTER) && ((vmcs_readnat(GUEST_CR3) ^ pg->ctx.cr3_match) & ~(uint64_t)0x1f))
		return false;
	return !pg->emul.filter_ranges || in_ranges(pg, pg->emul.filter_ranges, ip);
}

bool pt_emul_trace_stop_hit(const struct pt_guest *pg, uint64_t ip)
{
	return pg->emul.stop_ranges && in_ranges(pg, pg->emul.stop_ranges, ip);
}

bool pt_emul_idt_handler(struct vcpu *v, unsigned vector, uint64_t *ip)
{
	unsigned cpl;

	return pt_emul_idt_gate(v, vector, ip, &cpl);
}

/* The handler of `vector` from the guest IDT (SDM 6.10-6.14): 8-byte gates, 16 in IA-32e mode. */
bool pt_emul_idt_gate(struct vcpu *v, unsigned vector, uint64_t *ip, unsigned *cpl)
{
	uint64_t base = vmcs_readnat(GUEST_IDTR_BASE);
	uint32_t limit = vmcs_read32(GUEST_IDTR_LIMIT);
	unsigned size = v->efer_lma ? 16 : 8;
	uint32_t gate[4] = { 0 };

	if ((vector + 1) * size - 1 > limit || vcpu_fetch(v, base + vector * size, gate, size) != size)
		return false;
	if (!(vmcs_readnat(GUEST_CR0) & CR0_PE)) {
		/* Real mode: IVT entries are segment:offset (SDM 20.1.4). */
		uint32_t ent;
		if (vcpu_fetch(v, vector * 4, &ent, 4) != 4)
			return false;
		*ip = ((ent >> 16) << 4) + (ent & 0xffff);
		*cpl = 0;
		return true;
	}
	/* A gate to a more privileged code segment moves to its DPL (SDM 6.12.1); taken here from the
	   selector's RPL, which equals the DPL for every OS's kernel code selector. */
	*cpl = MIN(vcpu_cpl(), (gate[0] >> 16) & 3);
	*ip = (gate[0] & 0xffff) | (gate[1] & 0xffff0000u);
	if (size == 16)
		*ip |= (uint64_t)gate[2] << 32;
	return true;
}

enum pt_cofi pt_emul_cofi(enum insn_class c)
{
	/* clang-format off */
	switch (c) {
	case INSN_JCC:           return PT_COFI_JCC;
	case INSN_JMP_REL:       return PT_COFI_JMP_DIRECT;
	case INSN_JMP_INDIRECT:  return PT_COFI_JMP_INDIRECT;
	case INSN_CALL_REL:      return PT_COFI_CALL_DIRECT;
	case INSN_CALL_INDIRECT: return PT_COFI_CALL_INDIRECT;
	case INSN_RET:           return PT_COFI_RET;
	case INSN_FAR_JMP:
	case INSN_FAR_CALL:
	case INSN_FAR_RET:
	case INSN_IRET:
	case INSN_INT:
	case INSN_SYSCALL:
	case INSN_SYSRET:
	case INSN_SYSENTER:
	case INSN_SYSEXIT:       return PT_COFI_FAR;
	case INSN_MOV_CR3:       return PT_COFI_MOV_CR3;
	default:                 return PT_COFI_NONE;
	}
	/* clang-format on */
}

/* The guest's stack at byte offset `off` (SS base + RSP, wrapping at 4 GiB outside 64-bit mode). */
static uint64_t stack_lin(const struct vcpu *v, uint64_t off)
{
	uint64_t lin = vmcs_readnat(GUEST_SS_BASE) + vmcs_readnat(GUEST_RSP) + off;

	return v->efer_lma ? lin : (uint32_t)lin;
}

static bool stack_read32(struct vcpu *v, uint64_t off, uint32_t *val)
{
	return vcpu_fetch(v, stack_lin(v, off), val, 4) == 4;
}

/* Rewrites the TF bit of a flags image on the guest's stack. */
static void stack_fix_tf(struct vcpu *v, uint64_t off, bool tf)
{
	uint32_t flags;

	if (!stack_read32(v, off, &flags))
		return;
	flags = (flags & ~(uint32_t)RFLAGS_TF) | (tf ? (uint32_t)RFLAGS_TF : 0);
	/* The image may cross a page: each part goes where the guest's page tables put it, and a code page
	   the block engine write-protected is given back first. */
	for (uint64_t off_b = 0; off_b < 4; off_b += 3) {
		uint64_t gpa;
		if (vcpu_linear_to_phys(v, stack_lin(v, off) + off_b, &gpa))
			pt_emul_block_writable(v, gpa);
	}
	(void)vcpu_store(v, stack_lin(v, off), &flags, 4);
}

/* Before the instruction runs: does it load TF (POPF, IRET) or push the flags (PUSHF)? */
static void note_tf_effects(struct vcpu *v, struct pt_emul *e)
{
	uint32_t flags;

	e->prev_sets_tf = e->prev_pushes_flags = e->prev_syscall = e->prev_sysret = false;
	if (v->pt_step_mtf || !e->have_prev)
		return;
	if (e->prev.cls == INSN_SYSCALL) {
		e->prev_syscall = true;
	} else if (e->prev.cls == INSN_SYSRET) {
		/* SYSRET loads RFLAGS from R11: with the guest's TF there, our stepping TF would be lost. */
		e->prev_sysret = e->prev_sets_tf = true;
		e->prev_new_tf = v->regs.r11 & RFLAGS_TF;
		v->regs.r11 |= RFLAGS_TF;
	}
	if (e->prev.map != INSN_MAP_1BYTE)
		return;
	if (e->prev.opcode == 0x9d && stack_read32(v, 0, &flags)) {
		e->prev_sets_tf = true;
		e->prev_new_tf = flags & RFLAGS_TF;
	} else if (e->prev.cls == INSN_IRET && stack_read32(v, 2 * (e->prev.opsize / 8), &flags)) {
		e->prev_sets_tf = true;
		e->prev_new_tf = flags & RFLAGS_TF;
	} else if (e->prev.opcode == 0x9c) {
		e->prev_pushes_flags = true;
	}
}

/* After it retired: the guest sees its own TF; true when its single-step trap is due (TF was set). */
static bool apply_tf_effects(struct vcpu *v, struct pt_emul *e)
{
	bool due = !v->pt_step_mtf && e->vtf && e->prev.cls != INSN_INT;

	if (e->prev_pushes_flags)
		stack_fix_tf(v, 0, e->vtf);
	if (e->prev_syscall) {
		/* SYSCALL saved RFLAGS in R11 and cleared the bits IA32_FMASK sets (Linux's include TF). */
		v->regs.r11 = (v->regs.r11 & ~(uint64_t)RFLAGS_TF) | (e->vtf ? RFLAGS_TF : 0);
		e->vtf = e->vtf && !(v->msrs.fmask & RFLAGS_TF);
	}
	if (e->prev_sysret)
		v->regs.r11 = (v->regs.r11 & ~(uint64_t)RFLAGS_TF) | (e->prev_new_tf ? RFLAGS_TF : 0);
	if (e->prev_sets_tf)
		e->vtf = e->prev_new_tf;
	e->prev_sets_tf = e->prev_pushes_flags = e->prev_syscall = e->prev_sysret = false;
	return due;
}

/*
 * Instruction bytes at `ip`: straight from the cached code page when paging is off and the EPT is the
 * one it was translated under (the bytes themselves are read afresh, so code the guest rewrites is
 * seen), else through the full walk. With paging on every fetch walks the guest's tables: a guest may
 * change a PTE and INVLPG without an exit, and this cache has no way to hear of it.
 */
size_t pt_emul_fetch_code(struct vcpu *v, struct pt_emul *e, uint64_t ip, uint8_t *buf)
{
	const struct ept *ept = v->mem.ept;
	uint64_t page = ip & ~(PAGE_SIZE - 1), off = ip & (PAGE_SIZE - 1);
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr3 = vmcs_readnat(GUEST_CR3), cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t gpa;

	if (!(e->code.valid && e->code.lin_page == page && e->code.cr0 == cr0 && e->code.cr3 == cr3 &&
	      e->code.cr4 == cr4 && e->code.ept_gen == ept->gen)) {
		e->code.valid = false;
		if (!(cr0 & CR0_PG) && vcpu_linear_to_phys(v, page, &gpa) &&
		    (e->code.host = ept_guest_ptr(ept, gpa, PAGE_SIZE, EPT_R)) != NULL) {
			e->code.valid = true;
			e->code.lin_page = page;
			e->code.cr0 = cr0;
			e->code.cr3 = cr3;
			e->code.cr4 = cr4;
			e->code.ept_gen = ept->gen;
		}
	}
	if (e->code.valid && off + INSN_MAX_LEN <= PAGE_SIZE) {
		memcpy(buf, e->code.host + off, INSN_MAX_LEN);
		return INSN_MAX_LEN;
	}
	return vcpu_fetch(v, ip, buf, INSN_MAX_LEN);
}

/* Where SYSCALL goes: IA32_LSTAR from 64-bit code, IA32_CSTAR from compatibility mode, else STAR's EIP. */
static uint64_t syscall_target(const struct vcpu *v)
{
	if (!v->efer_lma)
		return (uint32_t)v->msrs.star;
	return vcpu_insn_mode(v) == INSN_MODE64 ? v->msrs.lstar : v->msrs.cstar;
}

bool pt_emul_decode_next(struct vcpu *v, struct pt_emul *e, uint64_t ip)
{
	uint8_t code[INSN_MAX_LEN];
	size_t n = pt_emul_fetch_code(v, e, ip, code);

	e->have_prev = n && insn_decode(code, n, vcpu_insn_mode(v), &e->prev) == 0;
	e->prev_ip = ip;
	note_tf_effects(v, e);
	/* INT n delivers through the IDT with TF cleared: catch its handler (unless a guest breakpoint on
	   the INT itself, in the register we would borrow, must fire first). */
	if (!v->pt_step_mtf && e->have_prev && e->prev.cls == INSN_INT && e->prev.has_imm &&
	    !pt_emul_bp_would_hide(e, ip)) {
		uint64_t h;
		if (pt_emul_idt_handler(v, (unsigned)e->prev.imm, &h))
			pt_emul_bp_arm(e, h, false);
	}
	/* IA32_FMASK may clear TF at SYSCALL (Linux's does): its target is caught like a handler. */
	if (!v->pt_step_mtf && e->prev_syscall && !pt_emul_bp_would_hide(e, ip)) {
		pt_emul_bp_arm(e, syscall_target(v), false);
		e->bp_frame = false; /* SYSCALL pushes nothing */
	}
	/* Bytes the guest cannot fetch yet (a code page not mapped, as for a program's first run of a page)
	   fault when it runs: its #PF is traced as an event and the instruction is decoded again after it. */
	return e->have_prev || n < INSN_MAX_LEN;
}

void pt_emul_update_context(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip)
{
	bool ctx = pt_emul_filters_pass(pg, ip);

	if (ctx == e->in_ctx)
		return;
	e->in_ctx = ctx;
	if (ctx)
		pt_gen_resume(&e->gen, ip, pt_emul_cpu_mode(v));
	else
		pt_gen_stop(&e->gen, ip);
}

bool pt_emul_account(struct vcpu *v, struct pt_emul *e, uint64_t next_ip)
{
	bool due = apply_tf_effects(v, e);
	struct pt_step s = {
		.ip = e->prev_ip,
		.next_ip = next_ip,
		.cofi = pt_emul_cofi(e->prev.cls),
		.len = (uint8_t)e->prev.len,
		.mode = pt_emul_cpu_mode(v),
		.cr3 = vmcs_readnat(GUEST_CR3),
		.tsc = vcpu_guest_tsc(v),
	};

	e->st.steps++;
	if (!e->in_ctx)
		return due;
	e->st.traced++;
	pt_emul_riplog_add(e, e->prev_ip);
	if (s.cofi == PT_COFI_JCC)
		s.taken = next_ip != e->prev_ip + e->prev.len;
	/* The instruction left the traced context (SYSCALL into CPL 0 under User-only, a jump out of
	   the ranges): TIP.PGD instead of its branch packet (SDM 33.4.2 "Packet Generation Disable"). */
	bool leaves = !pt_emul_filters_pass(v->pt, next_ip);
	if (s.cofi == PT_COFI_NONE && next_ip != e->prev_ip + e->prev.len && e->prev.cls != INSN_HLT) {
		/* Flow changed without a branch: an event we did not intercept (SDM 33.4.2.4). */
		pt_gen_insn(&e->gen, &s);
		if (leaves)
			pt_gen_stop(&e->gen, e->prev_ip + e->prev.len);
		else
			pt_gen_event(&e->gen, e->prev_ip + e->prev.len, next_ip, s.mode);
		e->in_ctx = !leaves;
		e->st.events++;
		return due;
	}
	if (leaves) {
		pt_gen_insn_exit(&e->gen, &s);
		e->in_ctx = false;
	} else {
		pt_gen_insn(&e->gen, &s);
	}
	return due;
}

void pt_emul_event_packets(struct vcpu *v, struct pt_emul *e, uint64_t ip, uint64_t handler, unsigned cpl)
{
	if (!e->in_ctx)
		return;
	if (pt_emul_filters_pass_at(v->pt, handler, cpl)) {
		pt_gen_event(&e->gen, ip, handler, pt_emul_cpu_mode(v));
		return;
	}
	/* An interrupt or exception into code not traced (user-only tracing, a kernel handler): FUP of
	   the interrupted IP, TIP.PGD without IP (SDM 33.7 "Packet Generation Scenarios"). */
	pt_gen_stop(&e->gen, ip);
	e->in_ctx = false;
}

void pt_emul_fix_event_frame(struct vcpu *v, struct pt_emul *e)
{
	unsigned slot = v->efer_lma ? 8 : 4;

	if (e->bp_frame) {
		stack_fix_tf(v, (e->bp_frame_err ? slot : 0) + 2 * slot, e->vtf);
		e->vtf = false; /* delivery cleared the guest's TF; its IRET restores it from the frame */
	}
	e->bp_frame = false;
}

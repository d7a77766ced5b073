/*
 * String instructions on unbacked memory or the APIC page (SDM Vol. 2 "MOVS", "STOS", "LODS", "CMPS",
 * "SCAS", "REP/REPE/REPZ/REPNE/REPNZ"): element by element, each operand's address checked on its own
 * (segment, paging), the source DS:rSI (or its override) and the destination ES:rDI, rSI/rDI/rCX of the
 * address size, stepping down with DF. At most EMUL_STRING_MAX elements per exit, and none past the first
 * that touches only RAM: the guest then re-enters at the same RIP with the registers advanced and the
 * CPU carries on, just as it resumes a REP after an interrupt between iterations. A fault stops at its
 * element, registers naming it, as on hardware.
 */
#include "vmx/emul.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vmcs_ops.h"
#include "x86/arch.h"
#include "x86/insn_ea.h"

#define R_AX 0
#define R_CX 1
#define R_SI 6
#define R_DI 7

struct str_state {
	uint64_t si, di, cx, rflags;
	unsigned done;
};

/* One element; EMUL_OK with the registers stepped, else nothing of it written. */
static enum emul_rc element(struct emul_ctx *c, struct str_state *s, bool *needs_vmm, struct emul_fault *f)
{
	const struct mem_insn *mi = c->mi;
	enum mem_string k = mi->str;
	enum insn_seg src_seg = mi->in.seg != INSN_SEG_NONE ? mi->in.seg : INSN_SEG_DS;
	uint64_t amask = insn_addr_mask(mi->in.addrsize),
		 step = (s->rflags & RFLAGS_DF) ? 0 - (uint64_t)mi->size : mi->size;
	bool src = k == STR_MOVS || k == STR_LODS || k == STR_CMPS, dst = k != STR_LODS;
	struct emul_span ssp = { 0 }, dsp = { 0 };
	uint64_t a = 0, b = 0;
	enum emul_rc rc = EMUL_OK;

	if (src)
		rc = emul_locate(c, src_seg, s->si & amask, mi->size, false, &ssp, f);
	if (rc == EMUL_OK && dst) /* ES cannot be overridden for the destination */
		rc = emul_locate(c, INSN_SEG_ES, s->di & amask, mi->size, k == STR_MOVS || k == STR_STOS, &dsp, f);
	if (rc != EMUL_OK)
		return rc;
	*needs_vmm = (src && emul_span_needs_vmm(c, &ssp)) || (dst && emul_span_needs_vmm(c, &dsp));
	if (s->done && !*needs_vmm)
		return EMUL_OK; /* the CPU can take it from here */
	if (src)
		rc = emul_read(c, &ssp, &a);
	else
		a = emul_reg_read(c->v, R_AX, false, mi->size);
	if (rc == EMUL_OK && (k == STR_CMPS || k == STR_SCAS))
		rc = emul_read(c, &dsp, &b);
	if (rc != EMUL_OK)
		return rc;
	if (k == STR_MOVS || k == STR_STOS)
		rc = emul_write(c, &dsp, a);
	else if (k == STR_LODS)
		emul_reg_write(c->v, R_AX, false, mi->size, a);
	else
		(void)alu_exec(ALU_CMP, mi->size, a, b, &s->rflags); /* CMPS: [rSI] - [rDI]; SCAS: rAX - [rDI] */
	if (rc != EMUL_OK)
		return rc;
	if (src)
		s->si += step;
	if (dst)
		s->di += step;
	s->done++;
	return EMUL_OK;
}

/* REPE/REPNE end on ZF as well as on rCX = 0 (SDM Vol. 2 "REP", Table 4-18). */
static bool rep_ends(const struct mem_insn *mi, const struct str_state *s, uint64_t amask)
{
	bool zf = s->rflags & RFLAGS_ZF;

	if (mi->rep == REP_NONE || !(s->cx & amask))
		return true;
	if (mi->str != STR_CMPS && mi->str != STR_SCAS)
		return false;
	return mi->rep == REP_E ? !zf : zf;
}

enum exit_action emul_string(struct emul_ctx *c)
{
	const struct mem_insn *mi = c->mi;
	struct vcpu *v = c->v;
	unsigned asz = mi->in.addrsize / 8;
	uint64_t amask = insn_addr_mask(mi->in.addrsize);
	struct str_state s = {
		.si = emul_reg_read(v, R_SI, false, 8),
		.di = emul_reg_read(v, R_DI, false, 8),
		.cx = emul_reg_read(v, R_CX, false, 8),
		.rflags = vmcs_readnat(GUEST_RFLAGS),
	};
	struct emul_fault f;
	enum emul_rc rc = EMUL_OK;
	bool finished = mi->rep != REP_NONE && !(s.cx & amask), needs_vmm = true;

	unsigned max = vcpu_rep_single_step(v) ? 1 : EMUL_STRING_MAX;

	while (!finished && s.done < max) {
		unsigned before = s.done;
		rc = element(c, &s, &needs_vmm, &f);
		if (rc != EMUL_OK || s.done == before)
			break;
		if (mi->rep != REP_NONE)
			s.cx = (s.cx & ~amask) | ((s.cx - 1) & amask);
		finished = rep_ends(mi, &s, amask);
	}
	if (rc == EMUL_STOP)
		return EXIT_STOPPED;
	if (s.done) {
		/* SI/DI/CX keep the bits above them, ESI/EDI/ECX zero-extend (SDM Vol. 1 3.4.1.1). */
		emul_reg_write(v, R_SI, false, asz, s.si);
		emul_reg_write(v, R_DI, false, asz, s.di);
		if (mi->rep != REP_NONE)
			emul_reg_write(v, R_CX, false, asz, s.cx);
		if (mi->str == STR_CMPS || mi->str == STR_SCAS)
			emul_set_flags(s.rflags);
	}
	if (rc == EMUL_FAULT) {
		emul_inject(v, &f);
		return EXIT_RESUME;
	}
	if (finished)
		return emul_retire(c);
	if (s.done)
		vcpu_rep_pause(v);
	return EXIT_RESUME;
}

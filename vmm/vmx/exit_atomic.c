/*
 * XADD, CMPXCHG and CMPXCHG8B/16B whose operand has no RAM behind it or is the local APIC page (SDM Vol. 2
 * "XADD", "CMPXCHG", "CMPXCHG8B/CMPXCHG16B"). The exit handler runs alone on the guest's only vCPU and
 * unbacked memory and the virtual APIC have no other agent, so LOCK asks for nothing more here. Like the
 * CPU, they write the destination whether or not the comparison succeeds (the old value back when not).
 */
#include "vmx/emul.h"
#include "vmx/vmcs_ops.h"
#include "x86/arch.h"
#include "x86/insn_ea.h"

static enum exit_action xadd_or_cmpxchg(struct emul_ctx *c, const struct emul_span *sp)
{
	const struct mem_insn *mi = c->mi;
	struct vcpu *v = c->v;
	uint64_t mem, flags = vmcs_readnat(GUEST_RFLAGS), res, acc;
	uint64_t src = emul_reg_read(v, mi->reg, mi->high8, mi->size);
	bool equal;

	if (emul_read(c, sp, &mem) != EMUL_OK)
		return EXIT_STOPPED;
	if (mi->kind == MEM_XADD) {
		/* TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP, with ADD's flags. */
		res = alu_exec(ALU_ADD, mi->size, mem, src, &flags);
		if (emul_write(c, sp, res) != EMUL_OK)
			return EXIT_STOPPED;
		emul_reg_write(v, mi->reg, mi->high8, mi->size, mem);
	} else {
		/* The flags of CMP accumulator, DEST; the accumulator is loaded only when they differ. */
		acc = emul_reg_read(v, 0, false, mi->size);
		alu_exec(ALU_CMP, mi->size, acc, mem, &flags);
		equal = flags & RFLAGS_ZF;
		if (emul_write(c, sp, equal ? src : mem) != EMUL_OK)
			return EXIT_STOPPED;
		if (!equal)
			emul_reg_write(v, 0, false, mi->size, mem);
	}
	emul_set_flags(flags);
	return emul_retire(c);
}

/* EDX:EAX (RDX:RAX) against the operand; ECX:EBX (RCX:RBX) stored when equal. Only ZF changes. */
static enum exit_action cmpxchg8b(struct emul_ctx *c, const struct emul_span sp[2])
{
	unsigned half = c->mi->size / 2;
	struct vcpu *v = c->v;
	uint64_t lo, hi, flags = vmcs_readnat(GUEST_RFLAGS);
	bool equal;

	if (emul_read(c, &sp[0], &lo) != EMUL_OK || emul_read(c, &sp[1], &hi) != EMUL_OK)
		return EXIT_STOPPED;
	equal = lo == emul_reg_read(v, 0, false, half) && hi == emul_reg_read(v, 2, false, half);
	if (equal) {
		if (emul_write(c, &sp[0], emul_reg_read(v, 3, false, half)) != EMUL_OK ||
		    emul_write(c, &sp[1], emul_reg_read(v, 1, false, half)) != EMUL_OK)
			return EXIT_STOPPED;
	} else {
		if (emul_write(c, &sp[0], lo) != EMUL_OK || emul_write(c, &sp[1], hi) != EMUL_OK)
			return EXIT_STOPPED;
		emul_reg_write(v, 0, false, half, lo);
		emul_reg_write(v, 2, false, half, hi);
	}
	vmcs_writenat(GUEST_RFLAGS, (flags & ~RFLAGS_ZF) | (equal ? RFLAGS_ZF : 0));
	return emul_retire(c);
}

enum exit_action emul_atomic(struct emul_ctx *c, const struct ept_violation *ev)
{
	const struct mem_insn *mi = c->mi;
	enum insn_seg seg = insn_ea_seg(&mi->in);
	uint64_t offset = emul_operand_offset(c, NULL, vmcs_readnat(GUEST_RSP));
	unsigned half = mi->kind == MEM_CMPXCHG8B ? mi->size / 2 : mi->size;
	struct emul_span sp[2];
	struct emul_fault f = { 0 };
	enum emul_rc rc;

	/* CMPXCHG16B: #GP(0) unless the operand is 16-byte aligned (SDM Vol. 2 "CMPXCHG16B"). */
	if (mi->size == 16 && (offset & 15)) {
		f.vector = X86_VEC_GP;
		return emul_fault_or_stop(c, EMUL_FAULT, &f);
	}
	rc = emul_locate(c, seg, offset, half, true, &sp[0], &f);
	if (rc == EMUL_OK && mi->kind == MEM_CMPXCHG8B)
		rc = emul_locate(c, seg, (offset + half) & insn_addr_mask(mi->in.addrsize), half, true, &sp[1], &f);
	if (rc != EMUL_OK)
		return emul_fault_or_stop(c, rc, &f);
	if (!emul_covers(c, &sp[0], mi->size, ev))
		return emul_mismatch(c, &sp[0], ev);
	return mi->kind == MEM_CMPXCHG8B ? cmpxchg8b(c, sp) : xadd_or_cmpxchg(c, &sp[0]);
}

/*
 * PUSH r/m and POP r/m with one operand where no RAM is (or the APIC page): the other side is the
 * stack at SS:RSP, through the guest's segmentation and paging like any operand, and may be unbacked
 * itself. RSP moves only once both accesses are known to succeed (SDM Vol. 2 "PUSH", "POP").
 */
#include "vmx/emul.h"
#include "vmx/vmcs_ops.h"
#include "x86/insn_ea.h"

/* The stack's address size: 64 bits in 64-bit mode, else SS.B (SDM Vol. 3A 3.4.5 "D/B flag"). */
static uint64_t stack_mask(const struct emul_ctx *c)
{
	if (c->mode == INSN_MODE64)
		return ~(uint64_t)0;
	return (vmcs_read32(GUEST_SS_AR_BYTES) & SEG_AR_DB) ? 0xffffffff : 0xffff;
}

enum exit_action emul_stack(struct emul_ctx *c, const struct ept_violation *ev)
{
	const struct mem_insn *mi = c->mi;
	uint64_t rsp = vmcs_readnat(GUEST_RSP), mask = stack_mask(c), sp_new, val;
	enum insn_seg seg = insn_ea_seg(&mi->in);
	struct emul_span from, to;
	struct emul_fault f;
	enum emul_rc rc;

	if (mi->kind == MEM_PUSH) {
		/* The source's address uses RSP before the decrement. */
		sp_new = (rsp & ~mask) | ((rsp - mi->size) & mask);
		rc = emul_locate(c, seg, emul_operand_offset(c, NULL, rsp), mi->size, false, &from, &f);
		if (rc == EMUL_OK)
			rc = emul_locate(c, INSN_SEG_SS, sp_new & mask, mi->size, true, &to, &f);
	} else {
		/* POP m: "If the ESP register is used as a base register ... computed after ... increments". */
		sp_new = (rsp & ~mask) | ((rsp + mi->size) & mask);
		rc = emul_locate(c, INSN_SEG_SS, rsp & mask, mi->size, false, &from, &f);
		if (rc == EMUL_OK)
			rc = emul_locate(c, seg, emul_operand_offset(c, NULL, sp_new), mi->size, true, &to, &f);
	}
	if (rc != EMUL_OK)
		return emul_fault_or_stop(c, rc, &f);
	if (!emul_covers(c, &from, mi->size, ev) && !emul_covers(c, &to, mi->size, ev))
		return emul_mismatch(c, mi->kind == MEM_PUSH ? &from : &to, ev);
	if (emul_read(c, &from, &val) != EMUL_OK || emul_write(c, &to, val) != EMUL_OK)
		return EXIT_STOPPED;
	vmcs_writenat(GUEST_RSP, sp_new);
	return emul_retire(c);
}

/*
 * The MOV forms of unbacked-GPA emulation, read off the VMM's x86 decoder (x86/insn.h): which way
 * the data goes, how many bytes, and which register or immediate (SDM Vol. 2 "MOV", "MOVZX", "MOVSX").
 */
#include "x86/mmio_decode.h"
#include "lib/string.h"

/*
 * The register of a byte operand: without any REX prefix, numbers 4-7 are AH, CH, DH and BH; with
 * one they are SPL, BPL, SIL and DIL (SDM Vol. 2 3.1.1.1, Table 3-1 "Register Codes").
 */
static void set_reg(const struct insn *in, struct mmio_insn *o)
{
	o->reg = in->modrm_reg;
	o->high8 = o->size == 1 && !in->rex && o->reg >= 4 && o->reg < 8;
	if (o->high8)
		o->reg -= 4;
}

/* One-byte map: MOV r/m,r (88/89), MOV r,r/m (8A/8B), MOV r/m,imm (C6/C7 /0), MOV with moffs (A0-A3). */
static int classify_1byte(const struct insn *in, struct mmio_insn *o)
{
	uint8_t op = in->opcode;
	unsigned opsize = in->opsize / 8;

	switch (op) {
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b:
		o->store = op <= 0x89;
		o->size = (op & 1) ? opsize : 1;
		set_reg(in, o);
		return 0;
	case 0xc6:
	case 0xc7:
		/* The decoder lets only /0 through with a memory operand (C6/C7 F8 are XABORT/XBEGIN). */
		o->store = true;
		o->size = op == 0xc6 ? 1 : opsize;
		o->reg = -1;
		/* With REX.W the imm32 is sign-extended to 64 bits; callers truncate to the size. */
		o->imm = (uint64_t)insn_imm_signed(in);
		return 0;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		o->store = op >= 0xa2;
		o->size = (op & 1) ? opsize : 1;
		o->reg = 0; /* AL, AX, EAX or RAX: never AH */
		return 0;
	default:
		return -1;
	}
}

/* 0F B6/B7 MOVZX and 0F BE/BF MOVSX: a byte or word in memory, widened to the operand size. */
static int classify_0f(const struct insn *in, struct mmio_insn *o)
{
	uint8_t op = in->opcode;

	if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
		return -1;
	o->size = (op & 1) ? 2 : 1;
	o->sign_extend = op >= 0xbe;
	o->reg = in->modrm_reg; /* a 16/32/64-bit destination has no high-byte form */
	o->dst_size = in->opsize / 8;
	return 0;
}

int mmio_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct mmio_insn *out)
{
	struct insn in;
	struct mmio_insn o;
	int rc;

	if (insn_decode(code, avail, mode, &in))
		return -1;
	/*
	 * A register-only MOV never touches memory. F2/F3 on these opcodes are XACQUIRE/XRELEASE hints
	 * or reserved (SDM Vol. 2 2.1.1 "Instruction Prefixes"): not emulated. VEX/EVEX/XOP opcodes reuse
	 * the legacy map numbers for other instructions. LOCK MOV is #UD and insn_decode already refuses
	 * it (SDM Vol. 2 "LOCK").
	 */
	if (!in.has_mem ||
	    (in.prefixes & (INSN_PFX_REP | INSN_PFX_REPNE | INSN_PFX_VEX | INSN_PFX_EVEX | INSN_PFX_XOP)))
		return -1;
	memset(&o, 0, sizeof(o));
	if (in.map == INSN_MAP_1BYTE)
		rc = classify_1byte(&in, &o);
	else if (in.map == INSN_MAP_0F)
		rc = classify_0f(&in, &o);
	else
		rc = -1;
	if (rc)
		return -1;
	if (!o.dst_size)
		o.dst_size = o.size;
	o.len = in.len;
	*out = o;
	return 0;
}

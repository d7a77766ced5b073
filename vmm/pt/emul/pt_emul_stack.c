/*
 * The stack model of the block engine's decoder. A near RET is a branch the
 * trace must show (TIP), but where it goes is often known before the path
 * runs: the CALL that pushed the return address is on the same path, or the
 * address is in memory already and nothing on the path can write it. Then the
 * RET needs no breakpoint of its own and the block goes on through it.
 *
 * Everything is conservative: an instruction the model does not know may
 * write memory anywhere (no RET after it is predicted) or RSP (likewise).
 * Known are the pushes and pops, CALL, RET, ADD/SUB/LEA on RSP with
 * constants, the common ALU/MOV forms and the SSE loads, and RSP-based memory
 * writes (an unknown value at a known place). An 8-byte span is assumed for
 * every such write, the widest of the forms accepted.
 */
#include "pt/emul/pt_emul_stack.h"

#define R_SP 4

enum dest {
	D_NONE = 0, /* writes no general register and no memory operand */
	D_REG = 1,  /* the ModRM.reg register */
	D_RM = 2,   /* the ModRM.rm operand: a register or memory */
	D_BOTH = 3,
	D_VEC = 4,     /* a vector register only: reads its memory operand */
	D_UNKNOWN = 5, /* not modelled */
};

void pt_stk_start(struct pt_stk *s, unsigned width)
{
	s->width = width;
	s->rsp_known = s->mem_known = width != 0;
	s->off = 0;
	s->n = 0;
}

static bool overlaps(const struct pt_stk_slot *o, int64_t off, unsigned size)
{
	return o->off < off + (int64_t)size && off < o->off + (int64_t)o->size;
}

static void write_slot(struct pt_stk *s, int64_t off, unsigned size, bool known, uint64_t val)
{
	struct pt_stk_slot *exact = NULL;

	/* A slot the write covers in part holds bytes of two writes: no longer a known value. */
	for (unsigned i = 0; i < s->n; i++) {
		if (!overlaps(&s->slot[i], off, size))
			continue;
		if (s->slot[i].off == off && s->slot[i].size == size)
			exact = &s->slot[i];
		else
			s->slot[i].known = false;
	}
	if (!exact) {
		if (s->n == PT_STK_SLOTS) {
			s->mem_known = false;
			return;
		}
		exact = &s->slot[s->n++];
		exact->off = off;
		exact->size = (uint8_t)size;
	}
	exact->known = known;
	exact->val = val;
}

static void push(struct pt_stk *s, unsigned size, bool known, uint64_t val)
{
	if (!s->rsp_known) {
		s->mem_known = false;
		return;
	}
	s->off -= size;
	write_slot(s, s->off, size, known, val);
}

/* PUSH/POP move RSP by 8 in 64-bit mode (2 with 66), else by the operand size (SDM Vol. 2 "PUSH"). */
static unsigned stack_op_size(const struct insn *in, enum insn_mode mode)
{
	if (mode == INSN_MODE64)
		return (in->prefixes & INSN_PFX_OPSZ) ? 2 : 8;
	return in->opsize / 8;
}

/* The register an opcode names in its low 3 bits (50+r, B8+r, ...), with REX.B. */
static unsigned opcode_reg(const struct insn *in)
{
	return (in->opcode & 7u) | ((in->rex & 1u) << 3);
}

/* Legacy SSE forms whose destination is an XMM/MMX register (the memory operand is read). */
static bool sse_load(uint8_t op)
{
	return op == 0x10 || op == 0x12 || op == 0x14 || op == 0x15 || op == 0x16 || op == 0x28 || op == 0x2a ||
	       op == 0x2e || op == 0x2f || (op >= 0x51 && op <= 0x70) || (op >= 0x74 && op <= 0x76) || op == 0xc2 ||
	       op == 0xc6 || (op >= 0xd1 && op <= 0xd5) || (op >= 0xd8 && op <= 0xe6) || (op >= 0xe8 && op <= 0xef) ||
	       (op >= 0xf1 && op <= 0xf6) || (op >= 0xf8 && op <= 0xfe);
}

/* Which operand of a legacy ModRM instruction it writes (SDM Vol. 2, each instruction's operand encoding). */
static enum dest modrm_dest(const struct insn *in, enum insn_mode mode)
{
	uint8_t op = in->opcode, r = in->modrm_reg & 7;

	if (in->map == INSN_MAP_1BYTE) {
		if (op < 0x40 && (op & 7) < 4) /* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP r/m and r */
			return op >= 0x38 ? D_NONE : (op & 2) ? D_REG : D_RM;
		switch (op) {
		case 0x63:
			return mode == INSN_MODE64 ? D_REG : D_RM; /* MOVSXD; ARPL outside 64-bit mode */
		case 0x69:
		case 0x6b:
		case 0x8a:
		case 0x8b:
		case 0x8d:
			return D_REG;
		case 0x80:
		case 0x81:
		case 0x82:
		case 0x83:
			return r == 7 ? D_NONE : D_RM;
		case 0x84:
		case 0x85:
			return D_NONE;
		case 0x86:
		case 0x87:
			return D_BOTH;
		case 0x88:
		case 0x89:
		case 0x8c:
		case 0xc0:
		case 0xc1:
		case 0xd0:
		case 0xd1:
		case 0xd2:
		case 0xd3:
			return D_RM;
		case 0xc6:
		case 0xc7:
			return r == 0 ? D_RM : D_UNKNOWN; /* /7 is XABORT/XBEGIN */
		case 0xf6:
		case 0xf7:
			return r == 2 || r == 3 ? D_RM : D_NONE; /* TEST, MUL/DIV (rAX, rDX) */
		case 0xfe:
		case 0xff:
			return r < 2 ? D_RM : D_UNKNOWN;
		}
		return D_UNKNOWN;
	}
	if (in->map != INSN_MAP_0F)
		return D_UNKNOWN;
	if ((op & 0xf0) == 0x40 || op == 0xaf || op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf || op == 0xbc ||
	    op == 0xbd || op == 0xb8)
		return D_REG;
	/* SETcc, SHLD/SHRD, CMPXCHG (BTS/BTR/BTC with a register may write far from the operand: unknown). */
	if ((op & 0xf0) == 0x90 || op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad || op == 0xb0 || op == 0xb1)
		return D_RM;
	if (op == 0xc0 || op == 0xc1)
		return D_BOTH;
	if (op == 0xa3 || op == 0x18 || op == 0x1f)
		return D_NONE;
	if (op == 0xba)
		return r == 4 ? D_NONE : r > 4 ? D_RM : D_UNKNOWN;
	if (op == 0x1e && in->modrm_mod == 3)
		return D_RM; /* ENDBR, RDSSP */
	return sse_load(op) ? D_VEC : D_UNKNOWN;
}

/* A constant change of RSP: ADD/SUB RSP, imm or LEA RSP, [RSP + disp] at the stack's width. */
static bool rsp_delta(const struct pt_stk *s, const struct insn *in, int64_t *d)
{
	unsigned bits = s->width * 8;

	if (in->map != INSN_MAP_1BYTE || in->opsize != bits)
		return false;
	if ((in->opcode == 0x81 || in->opcode == 0x83) && in->modrm_mod == 3 && in->modrm_rm == R_SP &&
	    ((in->modrm_reg & 7) == 0 || (in->modrm_reg & 7) == 5)) {
		*d = (in->modrm_reg & 7) == 0 ? insn_imm_signed(in) : -insn_imm_signed(in);
		return true;
	}
	if (in->opcode == 0x8d && in->modrm_reg == R_SP && in->has_sib && in->sib_base == R_SP &&
	    in->sib_index == R_SP && in->addrsize == bits) {
		*d = in->disp;
		return true;
	}
	return false;
}

/* A memory operand addressed [RSP + disp] in SS at the stack's width: its offset from the model's origin. */
static bool stack_operand(const struct pt_stk *s, const struct insn *in, enum insn_mode mode, int64_t *off)
{
	bool ss = in->seg == INSN_SEG_NONE || in->seg == INSN_SEG_SS ||
		  (mode == INSN_MODE64 && in->seg != INSN_SEG_FS && in->seg != INSN_SEG_GS);

	if (!s->rsp_known || !in->has_modrm || !in->has_sib || in->sib_base != R_SP || in->sib_index != R_SP ||
	    in->addrsize != s->width * 8 || !ss)
		return false;
	*off = s->off + in->disp;
	return true;
}

static void modrm_insn(struct pt_stk *s, const struct insn *in, enum insn_mode mode)
{
	bool wide = in->prefixes & (INSN_PFX_VEX | INSN_PFX_EVEX | INSN_PFX_XOP);
	enum dest d = wide ? D_UNKNOWN : modrm_dest(in, mode);
	int64_t off;

	if (d == D_VEC)
		return;
	if (d == D_UNKNOWN) {
		if (!wide && in->map == INSN_MAP_1BYTE && in->opcode == 0xff && (in->modrm_reg & 7) == 6) {
			push(s, stack_op_size(in, mode), false, 0); /* PUSH r/m */
			return;
		}
		if (!wide && in->map == INSN_MAP_1BYTE && in->opcode >= 0xd8 && in->opcode <= 0xdf &&
		    in->modrm_mod == 3)
			return; /* x87 register forms (FNSTSW AX writes AX only) */
		if (in->has_mem)
			s->mem_known = false;
		/* Any register the ModRM names may be written; VEX.vvvv names a general one in BMI and TBM. */
		if (in->modrm_reg == R_SP || (in->modrm_mod == 3 && in->modrm_rm == R_SP) ||
		    (in->prefixes & INSN_PFX_XOP) || (wide && in->map == INSN_MAP_0F38 && in->opcode >= 0xf0) ||
		    (wide && in->map == INSN_MAP_0F3A && in->opcode == 0xf0) ||
		    (!wide && in->map == INSN_MAP_1BYTE && in->opcode == 0x8f))
			s->rsp_known = false;
		return;
	}
	if (((d & D_REG) && in->modrm_reg == R_SP) || ((d & D_RM) && in->modrm_mod == 3 && in->modrm_rm == R_SP)) {
		int64_t delta;
		if (s->rsp_known && rsp_delta(s, in, &delta))
			s->off += delta;
		else
			s->rsp_known = false;
	}
	if (!(d & D_RM) || !in->has_mem)
		return;
	if (stack_operand(s, in, mode, &off))
		write_slot(s, off, 8, false, 0);
	else
		s->mem_known = false;
}

/* Neither RSP nor memory: ALU on rAX with an immediate, flags, string reads, port I/O (exits), moffs loads. */
static bool quiet_1byte(uint8_t op, enum insn_mode mode)
{
	if (op < 0x40 && ((op & 7) == 4 || (op & 7) == 5))
		return true;
	if (mode != INSN_MODE64 && (op == 0x27 || op == 0x2f || op == 0x37 || op == 0x3f))
		return true;
	switch (op) {
	case 0x6e:
	case 0x6f:
	case 0x98:
	case 0x99:
	case 0x9b:
	case 0x9e:
	case 0x9f:
	case 0xa0:
	case 0xa1:
	case 0xa6:
	case 0xa7:
	case 0xa8:
	case 0xa9:
	case 0xac:
	case 0xad:
	case 0xae:
	case 0xaf:
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7:
	case 0xec:
	case 0xed:
	case 0xee:
	case 0xef:
	case 0xf5:
	case 0xf8:
	case 0xf9:
	case 0xfa:
	case 0xfb:
	case 0xfc:
	case 0xfd:
		return true;
	}
	return false;
}

static void plain_insn(struct pt_stk *s, const struct insn *in, enum insn_mode mode)
{
	uint8_t op = in->opcode;
	unsigned size = stack_op_size(in, mode);

	if (in->map == INSN_MAP_1BYTE) {
		if ((op >= 0x50 && op <= 0x57) || op == 0x68 || op == 0x6a || op == 0x9c ||
		    (mode != INSN_MODE64 && (op == 0x06 || op == 0x0e || op == 0x16 || op == 0x1e))) {
			push(s, size, false, 0);
			return;
		}
		if (op >= 0x58 && op <= 0x5f) {
			if (opcode_reg(in) == R_SP)
				s->rsp_known = false;
			else
				s->off += size;
			return;
		}
		/* XCHG rAX, r; MOV r, imm; INC/DEC r outside 64-bit mode: RSP when the register is 4. */
		if ((op >= 0x90 && op <= 0x97) || (op >= 0xb0 && op <= 0xbf) ||
		    (mode != INSN_MODE64 && op >= 0x40 && op <= 0x4f)) {
			if (opcode_reg(in) == R_SP)
				s->rsp_known = false;
			return;
		}
		if (quiet_1byte(op, mode))
			return;
	} else if (in->map == INSN_MAP_0F) {
		if (op == 0xa0 || op == 0xa8) {
			push(s, size, false, 0);
			return;
		}
		if (op >= 0xc8 && op <= 0xcf) { /* BSWAP */
			if (opcode_reg(in) == R_SP)
				s->rsp_known = false;
			return;
		}
		if (op == 0x31 || op == 0x77 || op == 0xa2 || op == 0x30 || op == 0x32 || op == 0x33)
			return;
	}
	/* Anything else (MOVS, STOS, INS, PUSHA, ENTER, LEAVE, POP Sreg, ...): neither is followed past it. */
	s->rsp_known = s->mem_known = false;
}

void pt_stk_insn(struct pt_stk *s, const struct insn *in, enum insn_mode mode, uint64_t ret_off)
{
	if (!s->width)
		return;
	switch (in->cls) {
	case INSN_CALL_REL:
	case INSN_CALL_INDIRECT:
		push(s, in->opsize / 8, true, ret_off);
		return;
	case INSN_RET:
		s->off += in->opsize / 8 + (in->has_imm ? (int64_t)in->imm : 0);
		return;
	case INSN_JMP_REL:
	case INSN_JCC:
	case INSN_JMP_INDIRECT:
		return;
	case INSN_OTHER:
		break;
	default:
		s->rsp_known = s->mem_known = false;
		return;
	}
	if (in->has_modrm)
		modrm_insn(s, in, mode);
	else
		plain_insn(s, in, mode);
}

enum pt_stk_ret pt_stk_ret(const struct pt_stk *s, const struct insn *in, int64_t *off, uint64_t *val)
{
	unsigned size = in->opsize / 8;

	if (!s->width || !s->rsp_known || !s->mem_known)
		return PT_STK_RET_UNKNOWN;
	for (unsigned i = 0; i < s->n; i++) {
		const struct pt_stk_slot *o = &s->slot[i];
		if (!overlaps(o, s->off, size))
			continue;
		if (o->off != s->off || o->size != size || !o->known)
			return PT_STK_RET_UNKNOWN;
		*val = o->val;
		return PT_STK_RET_PUSHED;
	}
	*off = s->off;
	return PT_STK_RET_MEMORY;
}

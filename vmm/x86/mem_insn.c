/*
 * The memory-operand forms of unbacked-GPA emulation, read off the VMM's x86 decoder: which way the data
 * goes, how many bytes, which register or immediate, and which ALU operation (SDM Vol. 2 Appendix A
 * "Opcode Map" and each instruction's page).
 */
#include "x86/mem_insn.h"
#include "lib/string.h"

#define REX_W_BIT       0x08                     /* REX.W (SDM Vol. 2 2.2.1.2) */
#define MODRM_OPEXT(in) (((in)->modrm >> 3) & 7) /* ModRM.reg as an opcode extension: REX.R plays no part */

/*
 * The register operand (ModRM.reg) of `size` bytes: without any REX prefix, byte registers 4-7 are AH, CH,
 * DH and BH; with one they are SPL, BPL, SIL and DIL (SDM Vol. 2 3.1.1.1, Table 3-1 "Register Codes").
 */
static void set_reg(const struct insn *in, struct mem_insn *o, int reg, unsigned size)
{
	o->reg = reg;
	o->reg_size = size;
	o->high8 = size == 1 && !in->rex && reg >= 4 && reg < 8;
	if (o->high8)
		o->reg -= 4;
}

static void set_imm(const struct insn *in, struct mem_insn *o)
{
	o->has_imm = true;
	o->imm = (uint64_t)insn_imm_signed(in); /* ib/iz sign-extended to the operand size (SDM Vol. 2 3.1.1.3) */
}

/* 00-3B: op r/m,r (bit 1 clear) or op r,r/m, on bytes (bit 0 clear) or the operand size. */
static int classify_alu_modrm(const struct insn *in, struct mem_insn *o, unsigned opsize)
{
	uint8_t op = in->opcode;

	o->kind = MEM_ALU;
	o->op = (enum alu_op)(op >> 3);
	o->size = (op & 1) ? opsize : 1;
	o->mem_is_dst = !(op & 2);
	set_reg(in, o, in->modrm_reg, o->size);
	return 0;
}

/* The string instructions (SDM Vol. 2 "MOVS", "CMPS", "STOS", "LODS", "SCAS"): element size by bit 0. */
static int classify_string(const struct insn *in, struct mem_insn *o, unsigned opsize)
{
	static const enum mem_string kinds[] = { STR_MOVS, STR_CMPS, 0, STR_STOS, STR_LODS, STR_SCAS };
	unsigned pair = (unsigned)(in->opcode - 0xa4) / 2;
	bool f2 = in->prefixes & INSN_PFX_REPNE, f3 = in->prefixes & INSN_PFX_REP;

	if (pair == 2 || pair >= ARRAY_SIZE(kinds) || (f2 && f3))
		return -1; /* A8/A9 is TEST; both F2 and F3: which one counts is not worth guessing */
	o->kind = MEM_STRING;
	o->str = kinds[pair];
	o->size = (in->opcode & 1) ? opsize : 1;
	o->op = ALU_CMP;
	o->reg = 0; /* AL/AX/EAX/RAX for STOS, LODS, SCAS */
	o->reg_size = o->size;
	o->rep = f3 ? REP_E : f2 ? REP_NE : REP_NONE;
	if (o->str != STR_CMPS && o->str != STR_SCAS && o->rep == REP_NE)
		o->rep = REP_E; /* F2 on MOVS/STOS/LODS repeats like F3 */
	return 0;
}

/*
 * PUSH r/m and POP r/m: the operand size is the stack's, 64 bits by default in 64-bit mode where 66
 * selects 16 and 32 cannot be encoded (SDM Vol. 1 3.6.1, Vol. 2 "PUSH", "POP").
 */
static int classify_stack(const struct insn *in, struct mem_insn *o, enum mem_kind kind, enum insn_mode mode)
{
	o->kind = kind;
	o->reg = -1;
	o->size = in->opsize / 8;
	if (mode == INSN_MODE64)
		o->size = (in->prefixes & INSN_PFX_OPSZ) && !(in->rex & REX_W_BIT) ? 2 : 8;
	return 0;
}

/* Group 2 (C0/C1 by imm8, D0/D1 by 1, D2/D3 by CL): the count is the source. */
static int classify_shift(const struct insn *in, struct mem_insn *o, unsigned opsize)
{
	uint8_t op = in->opcode;

	o->kind = MEM_ALU;
	o->op = (enum alu_op)(ALU_ROL + MODRM_OPEXT(in));
	o->size = (op & 1) ? opsize : 1;
	o->mem_is_dst = true;
	o->reg = -1;
	if (op >= 0xd2) {
		o->reg = 1; /* CL */
		o->reg_size = 1;
	} else {
		o->has_imm = true;
		o->imm = op >= 0xd0 ? 1 : in->imm; /* an unsigned count, masked by the ALU */
	}
	return 0;
}

/* Group 3 (F6/F7), group 4/5 (FE/FF): the forms with one memory operand and no other register. */
static int classify_group(const struct insn *in, struct mem_insn *o, unsigned size, enum insn_mode mode)
{
	static const enum alu_op grp3[4] = { ALU_TEST, ALU_TEST, ALU_NOT, ALU_NEG }; /* /1 is an alias of /0 */
	unsigned ext = MODRM_OPEXT(in);

	o->kind = MEM_ALU;
	o->mem_is_dst = true;
	o->reg = -1;
	o->size = size;
	if (in->opcode == 0xf6 || in->opcode == 0xf7) {
		if (ext > 3)
			return -1; /* MUL, IMUL, DIV, IDIV */
		o->op = grp3[ext];
		if (ext <= 1)
			set_imm(in, o);
		return 0;
	}
	if (in->opcode == 0xff && ext == 6)
		return classify_stack(in, o, MEM_PUSH, mode);
	if (ext > 1)
		return -1; /* CALL, JMP */
	o->op = ext ? ALU_DEC : ALU_INC;
	return 0;
}

static int classify_1byte(const struct insn *in, struct mem_insn *o, enum insn_mode mode)
{
	uint8_t op = in->opcode;
	unsigned opsize = in->opsize / 8;

	if (op < 0x40 && (op & 7) <= 3)
		return classify_alu_modrm(in, o, opsize);
	switch (op) {
	case 0x80:
	case 0x81:
	case 0x82: /* 82 is 80 outside 64-bit mode, where the decoder refuses it */
	case 0x83:
		o->kind = MEM_ALU;
		o->op = (enum alu_op)MODRM_OPEXT(in);
		o->size = (op & 1) ? opsize : 1;
		o->mem_is_dst = true;
		o->reg = -1;
		set_imm(in, o);
		return 0;
	case 0x84:
	case 0x85:
	case 0x86:
	case 0x87:
		o->kind = op <= 0x85 ? MEM_ALU : MEM_XCHG;
		o->op = ALU_TEST;
		o->size = (op & 1) ? opsize : 1;
		o->mem_is_dst = true;
		set_reg(in, o, in->modrm_reg, o->size);
		return 0;
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b:
		o->kind = op <= 0x89 ? MEM_STORE : MEM_LOAD;
		o->size = (op & 1) ? opsize : 1;
		set_reg(in, o, in->modrm_reg, o->size);
		return 0;
	case 0x63: /* MOVSXD; ARPL outside 64-bit mode */
		if (mode != INSN_MODE64)
			return -1;
		o->kind = MEM_LOAD;
		o->size = opsize == 8 ? 4 : opsize;
		o->sign_extend = true;
		set_reg(in, o, in->modrm_reg, opsize);
		return 0;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		o->kind = op >= 0xa2 ? MEM_STORE : MEM_LOAD;
		o->size = (op & 1) ? opsize : 1;
		o->reg = 0; /* AL, AX, EAX or RAX: never AH */
		o->reg_size = o->size;
		return 0;
	case 0xc6:
	case 0xc7:
		/* The decoder lets only /0 through with a memory operand (C6/C7 F8 are XABORT/XBEGIN). */
		o->kind = MEM_STORE;
		o->size = op == 0xc6 ? 1 : opsize;
		o->reg = -1;
		set_imm(in, o);
		return 0;
	case 0xc0:
	case 0xc1:
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		return classify_shift(in, o, opsize);
	case 0x8f: /* the decoder lets only /0 through */
		return classify_stack(in, o, MEM_POP, mode);
	case 0xf6:
	case 0xfe:
		return classify_group(in, o, 1, mode);
	case 0xf7:
	case 0xff:
		return classify_group(in, o, opsize, mode);
	default:
		return -1;
	}
}

static int classify_0f(const struct insn *in, struct mem_insn *o)
{
	static const enum alu_op bt[4] = { ALU_BT, ALU_BTS, ALU_BTR, ALU_BTC };
	uint8_t op = in->opcode;
	unsigned opsize = in->opsize / 8;

	switch (op) {
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf: /* MOVZX, MOVSX: a byte or word widened to the operand size; no high-byte destination */
		o->kind = MEM_LOAD;
		o->size = (op & 1) ? 2 : 1;
		o->sign_extend = op >= 0xbe;
		o->reg = in->modrm_reg;
		o->reg_size = opsize;
		return 0;
	case 0xa3:
	case 0xab:
	case 0xb3:
	case 0xbb: /* BT, BTS, BTR, BTC r/m, r */
		o->kind = MEM_ALU;
		o->op = bt[(op >> 3) & 3];
		o->size = opsize;
		o->mem_is_dst = true;
		o->bit_offset_reg = true;
		set_reg(in, o, in->modrm_reg, opsize);
		return 0;
	case 0xb0:
	case 0xb1: /* CMPXCHG r/m, r */
	case 0xc0:
	case 0xc1: /* XADD r/m, r */
		o->kind = op >= 0xc0 ? MEM_XADD : MEM_CMPXCHG;
		o->op = op >= 0xc0 ? ALU_ADD : ALU_CMP;
		o->size = (op & 1) ? opsize : 1;
		o->mem_is_dst = true;
		set_reg(in, o, in->modrm_reg, o->size);
		return 0;
	case 0xc7: /* CMPXCHG8B m64, CMPXCHG16B m128 (REX.W) are /1; the decoder refuses /0 and /2 */
		if (MODRM_OPEXT(in) != 1)
			return -1;
		o->kind = MEM_CMPXCHG8B;
		o->size = (in->rex & REX_W_BIT) ? 16 : 8;
		o->mem_is_dst = true;
		o->reg = -1;
		return 0;
	case 0xba: /* BT, BTS, BTR, BTC r/m, imm8 (/4-/7) */
		if (MODRM_OPEXT(in) < 4)
			return -1;
		o->kind = MEM_ALU;
		o->op = bt[MODRM_OPEXT(in) - 4];
		o->size = opsize;
		o->mem_is_dst = true;
		o->reg = -1;
		o->has_imm = true;
		o->imm = in->imm; /* an unsigned offset, taken modulo the operand width */
		return 0;
	default:
		return -1;
	}
}

/*
 * F2/F3 outside the string instructions are only XACQUIRE/XRELEASE hints, which CPUs without HLE ignore
 * (SDM Vol. 2 2.1.1): on a LOCKed instruction, on XCHG, and F3 on a MOV store. Elsewhere they are
 * reserved or select another instruction, and are refused.
 */
static bool hle_hint_ok(const struct insn *in)
{
	uint8_t op = in->opcode;

	if (!(in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)))
		return true;
	if (in->map != INSN_MAP_1BYTE && !(in->prefixes & INSN_PFX_LOCK))
		return false;
	if ((in->prefixes & INSN_PFX_LOCK) || op == 0x86 || op == 0x87)
		return true;
	return !(in->prefixes & INSN_PFX_REPNE) && (op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7);
}

int mem_insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct mem_insn *out)
{
	struct mem_insn o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (insn_decode(code, avail, mode, &o.in))
		return -1;
	/* VEX/EVEX/XOP reuse the legacy opcode numbers for other instructions. */
	if (o.in.prefixes & (INSN_PFX_VEX | INSN_PFX_EVEX | INSN_PFX_XOP))
		return -1;
	if (o.in.map == INSN_MAP_1BYTE && o.in.opcode >= 0xa4 && o.in.opcode <= 0xaf)
		rc = classify_string(&o.in, &o, o.in.opsize / 8);
	else if (!o.in.has_mem || !hle_hint_ok(&o.in))
		rc = -1; /* a register-only form never touches memory */
	else if (o.in.map == INSN_MAP_1BYTE)
		rc = classify_1byte(&o.in, &o, mode);
	else if (o.in.map == INSN_MAP_0F)
		rc = classify_0f(&o.in, &o);
	else
		rc = -1;
	if (rc)
		return -1;
	*out = o;
	return 0;
}

const char *mem_insn_name(const struct mem_insn *m)
{
	static const char *const strings[5][3] = {
		[STR_MOVS] = { "movs", "rep movs", "rep movs" },    [STR_CMPS] = { "cmps", "repe cmps", "repne cmps" },
		[STR_STOS] = { "stos", "rep stos", "rep stos" },    [STR_LODS] = { "lods", "rep lods", "rep lods" },
		[STR_SCAS] = { "scas", "repe scas", "repne scas" },
	};

	switch (m->kind) {
	case MEM_LOAD:
		if (m->in.map == INSN_MAP_0F)
			return m->sign_extend ? "movsx" : "movzx";
		return m->in.opcode == 0x63 ? "movsxd" : "mov";
	case MEM_STORE:
		return "mov";
	case MEM_ALU:
		return alu_op_name(m->op);
	case MEM_XCHG:
		return "xchg";
	case MEM_STRING:
		return strings[m->str][m->rep];
	case MEM_XADD:
		return "xadd";
	case MEM_CMPXCHG:
		return "cmpxchg";
	case MEM_CMPXCHG8B:
		return m->size == 16 ? "cmpxchg16b" : "cmpxchg8b";
	case MEM_PUSH:
		return "push";
	case MEM_POP:
		return "pop";
	case MEM_STRIO:
		return "ins/outs";
	default:
		return "?";
	}
}

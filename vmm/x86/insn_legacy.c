/* Legacy-encoded instructions (one-byte, 0F, 0F38, 0F3A maps): length, validity, operands, branch class. */
#include "x86/insn_dec.h"
#include "x86/insn_tables.h"

#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_MOD(m) ((m) >> 6)

/*
 * 64-bit mode operand-size rules that change lengths or IP width (SDM Vol. 1 3.6.1 "Operand Size
 * and Address Size in 64-Bit Mode"): near branches are fixed at 64 bits (Intel ignores 66 on them,
 * so their displacement stays 32-bit); stack operations default to 64 bits, 66 selecting 16.
 */
static void dec_size_64(struct insn *out, uint8_t op)
{
	bool one = out->map == INSN_MAP_1BYTE, two = out->map == INSN_MAP_0F;

	if ((one &&
	     ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op == 0xe8 || op == 0xe9 || op == 0xeb)) ||
	    (two && op >= 0x80 && op <= 0x8f))
		out->opsize = 64;
	else if ((one && ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x8f || op == 0x9c ||
			  op == 0x9d || op == 0xc2 || op == 0xc3 || op == 0xc8 || op == 0xc9)) ||
		 (two && (op == 0xa0 || op == 0xa1 || op == 0xa8 || op == 0xa9)))
		out->opsize = (out->prefixes & INSN_PFX_OPSZ) && !(out->rex & REX_W) ? 16 : 64;
}

/* Opcode-extension groups whose undefined /reg or register forms are #UD (SDM Vol. 2 Table A-6). */
static bool dec_group_valid_1byte(const struct insn *out)
{
	unsigned reg = MODRM_REG(out->modrm), mod = MODRM_MOD(out->modrm);

	switch (out->opcode) {
	case 0x8c: /* ES CS SS DS FS GS; MOV to CS is #UD */
		return reg <= 5;
	case 0x8e:
		return reg <= 5 && reg != 1;
	case 0x8d: /* LEA needs a memory operand */
		return mod != 3;
	case 0x8f: /* POP r/m is /0; the rest is AMD XOP space, refused */
		return reg == 0;
	case 0xc6:
	case 0xc7: /* MOV r/m, imm is /0; C6 F8 XABORT, C7 F8 XBEGIN */
		return reg == 0 || out->modrm == 0xf8;
	case 0xfe: /* INC/DEC r/m8 */
		return reg <= 1;
	case 0xff: /* far CALL/JMP take m16:xx only */
		if (reg == 3 || reg == 5)
			return mod != 3;
		return reg != 7;
	default:
		return true;
	}
}

static bool dec_group_valid_0f(const struct insn_dec *d, const struct insn *out)
{
	unsigned reg = MODRM_REG(out->modrm), mod = MODRM_MOD(out->modrm);
	unsigned cr = reg | ((out->rex & REX_R) ? 8 : 0);

	switch (out->opcode) {
	case 0x00:
		return reg <= 5;
	case 0x20:
	case 0x22: /* CR0, CR2-CR4, CR8 exist (SDM Vol. 3 2.5 "Control Registers") */
		return cr == 0 || (cr >= 2 && cr <= 4) || cr == 8;
	case 0x21:
	case 0x23: /* DR8-DR15 do not */
		return !(out->rex & REX_R);
	case 0x78:
	case 0x79: /* VMREAD/VMWRITE; with 66/F2/F3 it is AMD SSE4a, refused */
		return !(out->prefixes & (INSN_PFX_OPSZ | INSN_PFX_REP | INSN_PFX_REPNE));
	case 0xb8: /* POPCNT needs F3; bare 0F B8 is JMPE (IA-64) */
		return d->rep == 0xf3;
	case 0xb2:
	case 0xb4:
	case 0xb5: /* LSS/LFS/LGS need m16:xx */
		return mod != 3;
	case 0xc7:
		return reg != 0 && reg != 2 && (reg >= 6 || mod != 3);
	default:
		return true;
	}
}

/*
 * SDM Vol. 2 "LOCK": only the read-modify-write forms with a memory destination may be locked;
 * anything else raises #UD.
 */
static bool dec_lock_valid(const struct insn *out)
{
	unsigned reg = MODRM_REG(out->modrm);
	uint8_t op = out->opcode;

	if (!out->has_modrm || MODRM_MOD(out->modrm) == 3)
		return false;
	if (out->map == INSN_MAP_1BYTE) {
		if (op < 0x38 && (op & 7) <= 1) /* ADD OR ADC SBB AND SUB XOR r/m, r */
			return true;
		switch (op) {
		case 0x80:
		case 0x81:
		case 0x82:
		case 0x83:
			return reg != 7; /* not CMP */
		case 0x86:
		case 0x87:
			return true; /* XCHG */
		case 0xf6:
		case 0xf7:
			return reg == 2 || reg == 3; /* NOT, NEG */
		case 0xfe:
		case 0xff:
			return reg <= 1; /* INC, DEC */
		default:
			return false;
		}
	}
	switch (out->map == INSN_MAP_0F ? op : 0) {
	case 0xab:
	case 0xb3:
	case 0xbb: /* BTS, BTR, BTC */
	case 0xb0:
	case 0xb1:
	case 0xc0:
	case 0xc1: /* CMPXCHG, XADD */
		return true;
	case 0xba:
		return reg >= 5;
	case 0xc7:
		return reg == 1; /* CMPXCHG8B/16B */
	default:
		return false;
	}
}

static void dec_classify_1byte(const struct insn_dec *d, struct insn *out)
{
	switch (out->opcode) {
	case 0x70 ... 0x7f:
	case 0xe0 ... 0xe3:
		insn_dec_set_rel(out, INSN_JCC);
		break;
	case 0xe9:
	case 0xeb:
		insn_dec_set_rel(out, INSN_JMP_REL);
		break;
	case 0xe8:
		insn_dec_set_rel(out, INSN_CALL_REL);
		break;
	case 0xc2:
	case 0xc3:
		out->cls = INSN_RET;
		break;
	case 0xca:
	case 0xcb:
		out->cls = INSN_FAR_RET;
		break;
	case 0xcf:
		out->cls = INSN_IRET;
		break;
	case 0x9a:
		out->cls = INSN_FAR_CALL;
		break;
	case 0xea:
		out->cls = INSN_FAR_JMP;
		break;
	case 0xf4:
		out->cls = INSN_HLT;
		break;
	case 0xcd:
		out->cls = INSN_INT;
		break;
	case 0xcc:
	case 0xce:
	case 0xf1: /* INT3 is vector 3, INTO 4, INT1 1 */
		out->cls = INSN_INT;
		out->imm = out->opcode == 0xcc ? 3 : out->opcode == 0xce ? 4 : 1;
		out->has_imm = true;
		break;
	case 0xff:
		switch (MODRM_REG(out->modrm)) {
		case 2:
			out->cls = INSN_CALL_INDIRECT;
			break;
		case 3:
			out->cls = INSN_FAR_CALL;
			break;
		case 4:
			out->cls = INSN_JMP_INDIRECT;
			break;
		case 5:
			out->cls = INSN_FAR_JMP;
			break;
		default:
			break;
		}
		if (d->mode == INSN_MODE64 && (out->cls == INSN_CALL_INDIRECT || out->cls == INSN_JMP_INDIRECT))
			out->opsize = 64; /* forced, like near direct branches */
		else if (d->mode == INSN_MODE64 && MODRM_REG(out->modrm) == 6)
			out->opsize = (out->prefixes & INSN_PFX_OPSZ) ? 16 : 64; /* PUSH r/m: d64 */
		break;
	default:
		break;
	}
}

static void dec_classify_0f(const struct insn_dec *d, struct insn *out)
{
	unsigned reg = MODRM_REG(out->modrm);

	switch (out->opcode) {
	case 0x80 ... 0x8f:
		insn_dec_set_rel(out, INSN_JCC);
		break;
	case 0x05:
		out->cls = INSN_SYSCALL;
		break;
	case 0x07:
		out->cls = INSN_SYSRET;
		break;
	case 0x34:
		out->cls = INSN_SYSENTER;
		break;
	case 0x35:
		out->cls = INSN_SYSEXIT;
		break;
	case 0x0b:
	case 0xb9:
	case 0xff:
		out->cls = INSN_UD;
		break;
	case 0x01:
		if (out->modrm == 0xc1)
			out->cls = INSN_VMCALL;
		break;
	case 0x22:
		if (reg == 3 && !(out->rex & REX_R))
			out->cls = INSN_MOV_CR3;
		else if ((reg == 0 || reg == 4) && !(out->rex & REX_R))
			out->cls = INSN_MOV_CR;
		break;
	case 0xae: /* PTWRITE is F3 0F AE /4 (SDM Vol. 2 "PTWRITE") */
		if (d->rep == 0xf3 && reg == 4 && !(out->prefixes & INSN_PFX_OPSZ))
			out->cls = INSN_PTWRITE;
		break;
	default:
		break;
	}
}

/* Everything after the opcode byte of a legacy map: size rules, ModRM, group checks, immediate. */
static int dec_body(struct insn_dec *d, struct insn *out, uint8_t flags)
{
	unsigned imm = OPF_IMM(flags);
	bool mov_crdr = out->map == INSN_MAP_0F && out->opcode >= 0x20 && out->opcode <= 0x23;

	if ((flags & OPF_INV) || ((flags & OPF_N64) && d->mode == INSN_MODE64))
		return -1;
	if (d->mode == INSN_MODE64)
		dec_size_64(out, out->opcode);
	if (flags & OPF_M) {
		if (insn_dec_modrm(d, out, mov_crdr))
			return -1;
		if (out->map == INSN_MAP_1BYTE && !dec_group_valid_1byte(out))
			return -1;
		if (out->map == INSN_MAP_0F && !dec_group_valid_0f(d, out))
			return -1;
	}
	if ((out->prefixes & INSN_PFX_LOCK) && !dec_lock_valid(out))
		return -1;
	if ((flags & OPF_GRP3) && MODRM_REG(out->modrm) > 1)
		imm = IMM_NONE;
	if ((flags & OPF_GRP3) && MODRM_REG(out->modrm) <= 1)
		imm = out->opcode == 0xf6 ? IMM_B : IMM_Z;
	if (imm == IMM_MOFFS)
		out->has_mem = true; /* MOV A0-A3: the address is the moffs, kept in imm */
	return insn_dec_imm(d, out, imm);
}

int insn_dec_legacy(struct insn_dec *d, struct insn *out, uint8_t op)
{
	out->map = INSN_MAP_1BYTE;
	out->opcode = op;
	if (dec_body(d, out, insn_map_1byte[op]))
		return -1;
	dec_classify_1byte(d, out);
	return 0;
}

int insn_dec_escape_0f(struct insn_dec *d, struct insn *out)
{
	uint8_t op;

	if (!insn_dec_need(d, 1))
		return -1;
	op = d->code[d->pos++];
	if (op == 0x38 || op == 0x3a) {
		out->map = op == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
		if (!insn_dec_need(d, 1))
			return -1;
		out->opcode = d->code[d->pos++];
		if (op == 0x38)
			return insn_range_has(insn_valid_0f38, insn_valid_0f38_n, out->opcode) ? dec_body(d, out, OPF_M)
											       : -1;
		return insn_range_has(insn_valid_0f3a, insn_valid_0f3a_n, out->opcode)
			       ? dec_body(d, out, OPF_M | (IMM_B << 1))
			       : -1;
	}
	out->map = INSN_MAP_0F;
	out->opcode = op;
	if (dec_body(d, out, insn_map_0f[op]))
		return -1;
	dec_classify_0f(d, out);
	return 0;
}

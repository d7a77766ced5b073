/* Compact x86 decoder: lengths and change-of-flow classes (SDM Vol. 2 Chapter 2 "Instruction Format"). */
#include "pt/insn.h"
#include "pt/insn_tables.h"
#include "lib/string.h"

#define REX_W 0x08
#define REX_R 0x04

struct dec {
	const uint8_t *code;
	size_t limit;        /* MIN(avail, INSN_MAX_LEN): no byte at or past it is read */
	size_t pos;
	enum insn_mode mode;
	uint8_t rep;         /* the last of F2/F3: it selects the SSE mandatory prefix */
	unsigned imm_len;    /* bytes of the last immediate read, to sign-extend rel */
};

static bool dec_need(const struct dec *d, size_t n)
{
	return d->pos + n <= d->limit;
}

/* Little-endian read of n bytes; the caller has checked dec_need(). */
static uint64_t dec_read(struct dec *d, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)d->code[d->pos + i] << (8 * i);
	d->pos += n;
	return v;
}

/*
 * Legacy prefixes (SDM Vol. 2 2.1.1 "Instruction Prefixes") and REX (2.2.1 "REX Prefixes"):
 * a REX byte only counts when it immediately precedes the opcode, so a later legacy prefix drops it.
 */
static int dec_prefixes(struct dec *d, struct insn *out)
{
	for (;;) {
		uint8_t flag;

		if (!dec_need(d, 1))
			return -1;
		switch (d->code[d->pos]) {
		case 0xf0: flag = INSN_PFX_LOCK; break;
		case 0xf2: flag = INSN_PFX_REPNE; d->rep = 0xf2; break;
		case 0xf3: flag = INSN_PFX_REP; d->rep = 0xf3; break;
		case 0x66: flag = INSN_PFX_OPSZ; break;
		case 0x67: flag = INSN_PFX_ADSZ; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			flag = INSN_PFX_SEG;
			break;
		default:
			if (d->mode == INSN_MODE64 && (d->code[d->pos] & 0xf0) == 0x40) {
				out->rex = d->code[d->pos++];
				continue;
			}
			return 0;
		}
		out->prefixes |= flag;
		out->rex = 0;
		d->pos++;
	}
}

/* Effective operand and address size (SDM Vol. 1 3.6 "Operand-size and Address-size Attributes"). */
static void dec_sizes(const struct dec *d, struct insn *out)
{
	bool o = out->prefixes & INSN_PFX_OPSZ, a = out->prefixes & INSN_PFX_ADSZ;

	switch (d->mode) {
	case INSN_MODE16:
		out->opsize = o ? 32 : 16;
		out->addrsize = a ? 32 : 16;
		break;
	case INSN_MODE32:
		out->opsize = o ? 16 : 32;
		out->addrsize = a ? 16 : 32;
		break;
	case INSN_MODE64:
	default:
		out->opsize = (out->rex & REX_W) ? 64 : o ? 16 : 32;
		out->addrsize = a ? 32 : 64;
		break;
	}
}

/*
 * ModRM, SIB and displacement (SDM Vol. 2 2.1.5 "Addressing-Mode Encoding of ModR/M and SIB Bytes",
 * Tables 2-1 and 2-2 for 16-bit and 32/64-bit addressing). 'reg_only' is MOV CR/DR, whose mod
 * field is ignored and always treated as 11B.
 */
static int dec_modrm(struct dec *d, struct insn *out, bool reg_only)
{
	unsigned mod, rm, disp = 0;

	if (!dec_need(d, 1))
		return -1;
	out->has_modrm = true;
	out->modrm = d->code[d->pos++];
	mod = out->modrm >> 6;
	rm = out->modrm & 7;
	if (reg_only || mod == 3)
		return 0;
	if (out->addrsize == 16) {
		disp = mod == 1 ? 1 : (mod == 2 || rm == 6) ? 2 : 0;
	} else {
		if (rm == 4) {
			if (!dec_need(d, 1))
				return -1;
			if (mod == 0 && (d->code[d->pos] & 7) == 5)
				disp = 4;
			d->pos++;
		} else if (mod == 0 && rm == 5) {
			disp = 4;   /* disp32, RIP-relative in 64-bit mode */
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2)
			disp = 4;
	}
	if (!dec_need(d, disp))
		return -1;
	d->pos += disp;
	return 0;
}

static int dec_imm(struct dec *d, struct insn *out, unsigned kind)
{
	unsigned n;

	switch (kind) {
	case IMM_NONE:
		return 0;
	case IMM_B: n = 1; break;
	case IMM_W: n = 2; break;
	case IMM_Z: n = out->opsize == 16 ? 2 : 4; break;
	case IMM_V: n = out->opsize / 8; break;
	case IMM_MOFFS: n = out->addrsize / 8; break;
	case IMM_ENTER:
		if (!dec_need(d, 3))
			return -1;
		out->imm = dec_read(d, 2);
		out->imm |= dec_read(d, 1) << 16;   /* nesting level in bits 23:16 */
		out->has_imm = true;
		return 0;
	case IMM_PTR:
		n = out->opsize == 16 ? 2 : 4;
		if (!dec_need(d, n + 2))
			return -1;
		out->imm = dec_read(d, n);
		out->far_sel = (uint16_t)dec_read(d, 2);
		out->has_imm = true;
		return 0;
	default:
		return -1;
	}
	if (!dec_need(d, n))
		return -1;
	out->imm = dec_read(d, n);
	out->has_imm = true;
	d->imm_len = n;
	return 0;
}

/* The immediate of a direct branch is a signed displacement from the next instruction. */
static void dec_set_rel(const struct dec *d, struct insn *out, enum insn_class cls)
{
	unsigned bits = d->imm_len * 8;

	out->cls = cls;
	out->has_rel = true;
	out->rel = (int64_t)(out->imm << (64 - bits)) >> (64 - bits);
}

/*
 * 64-bit mode operand-size rules that change lengths or IP width (SDM Vol. 1 3.6.1 "Operand Size and
 * Address Size in 64-Bit Mode"): near branches are fixed at 64 bits (Intel ignores 66 on them, so
 * rel stays 32-bit), stack operations default to 64 bits with 66 selecting 16.
 */
static void dec_size_64(struct insn *out, enum insn_map map, uint8_t op)
{
	bool one = map == INSN_MAP_1BYTE;

	if ((one && ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) ||
		     op == 0xe8 || op == 0xe9 || op == 0xeb)) ||
	    (map == INSN_MAP_0F && op >= 0x80 && op <= 0x8f))
		out->opsize = 64;
	else if ((one && ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x8f ||
			  op == 0x9c || op == 0x9d || op == 0xc2 || op == 0xc3 || op == 0xc8 ||
			  op == 0xc9)) ||
		 (map == INSN_MAP_0F && (op == 0xa0 || op == 0xa1 || op == 0xa8 || op == 0xa9)))
		out->opsize = (out->prefixes & INSN_PFX_OPSZ) && !(out->rex & REX_W) ? 16 : 64;
}

#include "pt/insn_legacy.inc"
#include "pt/insn_vex.inc"

int insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct insn *out)
{
	struct dec d = { .code = code, .limit = MIN(avail, (size_t)INSN_MAX_LEN), .mode = mode };
	uint8_t b;
	int rc;

	memset(out, 0, sizeof(*out));
	if (mode != INSN_MODE16 && mode != INSN_MODE32 && mode != INSN_MODE64)
		return -1;
	if (dec_prefixes(&d, out))
		return -1;
	dec_sizes(&d, out);
	b = code[d.pos++];
	if (b == 0x0f)
		rc = dec_escape_0f(&d, out);
	else if ((b == 0xc4 || b == 0xc5 || b == 0x62) && dec_is_vex(&d))
		rc = b == 0x62 ? dec_evex(&d, out) : dec_vex(&d, out, b);
	else
		rc = dec_legacy(&d, out, INSN_MAP_1BYTE, b);
	if (rc)
		return -1;
	out->len = (unsigned)d.pos;
	return 0;
}

uint64_t insn_branch_target(const struct insn *in, uint64_t ip)
{
	uint64_t t = ip + in->len + (uint64_t)in->rel;

	/* SDM Vol. 2 "JMP": with a 16-bit operand size EIP is cleared above bit 15, 32 above bit 31. */
	if (in->opsize == 16)
		return t & 0xffff;
	if (in->opsize == 32)
		return t & 0xffffffff;
	return t;
}

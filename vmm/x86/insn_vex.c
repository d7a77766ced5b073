/* VEX- and EVEX-encoded instructions (AVX, AVX2, FMA, BMI, AVX-512): length and validity. */
#include "x86/insn_dec.h"
#include "x86/insn_tables.h"

/*
 * SDM Vol. 2 2.3.5 "The VEX Prefix": outside 64-bit mode C4/C5 are LES/LDS unless the next byte
 * would be a register-form ModRM (bits 7:6 = 11B); 2.7.1 "Instruction Format and EVEX" applies the
 * same rule to 62 (BOUND).
 */
bool insn_dec_is_vex(const struct insn_dec *d)
{
	if (d->mode == INSN_MODE64)
		return true;
	return insn_dec_need(d, 1) && (d->code[d->pos] & 0xc0) == 0xc0;
}

/*
 * VEX, EVEX and XOP carry R, X and B inverted in bits 7:5 of their first payload byte (2-byte VEX:
 * R only). Outside 64-bit mode they are 1 (or ignored: 2.3.5 "The VEX Prefix") and select nothing.
 */
static void dec_vex_rxb(struct insn_dec *d, uint8_t payload, uint8_t present)
{
	d->rxb = d->mode == INSN_MODE64 ? (uint8_t)(((uint8_t)~payload >> 5) & present) : 0;
}

/* 2.3.2 "VEX and the LOCK prefix" and 2.3.3 "VEX and the 66H, F2H, and F3H prefixes": #UD. */
static bool dec_vex_prefixes_ok(const struct insn *out)
{
	return !(out->prefixes & (INSN_PFX_LOCK | INSN_PFX_REP | INSN_PFX_REPNE | INSN_PFX_OPSZ)) && !out->rex;
}

/*
 * The body after a VEX/EVEX prefix: opcode, ModRM (all but VZEROUPPER/VZEROALL, VEX 0F 77) and an
 * ib for map 3 and the map-1 shuffles/compares (0F 70-73, C2, C4-C6), as in the legacy maps.
 */
static int dec_vex_body(struct insn_dec *d, struct insn *out, const struct insn_range *valid, size_t nvalid)
{
	uint8_t op;
	bool ib;

	if (!insn_dec_need(d, 1))
		return -1;
	op = d->code[d->pos++];
	out->opcode = op;
	if (!insn_range_has(valid, nvalid, op))
		return -1;
	if (out->map == INSN_MAP_0F3A)
		ib = true;
	else if (out->map == INSN_MAP_0F)
		ib = (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
	else
		ib = false;
	if (!(out->map == INSN_MAP_0F && op == 0x77) && insn_dec_modrm(d, out, false))
		return -1;
	return insn_dec_imm(d, out, ib ? IMM_B : IMM_NONE);
}

int insn_dec_vex(struct insn_dec *d, struct insn *out, uint8_t esc)
{
	unsigned mmmmm = 1;

	if (!dec_vex_prefixes_ok(out))
		return -1;
	out->prefixes |= INSN_PFX_VEX;
	if (esc == 0xc4) {
		if (!insn_dec_need(d, 2))
			return -1;
		mmmmm = d->code[d->pos] & 0x1f;
		dec_vex_rxb(d, d->code[d->pos], REX_R | REX_X | REX_B);
		if (d->mode == INSN_MODE64 && (d->code[d->pos + 1] & 0x80))
			out->opsize = 64; /* VEX.W: 64-bit GPR operands (BMI) */
		d->pos += 2;
	} else {
		if (!insn_dec_need(d, 1))
			return -1;
		dec_vex_rxb(d, d->code[d->pos], REX_R);
		d->pos++;
	}
	switch (mmmmm) {
	case 1:
		out->map = INSN_MAP_0F;
		return dec_vex_body(d, out, insn_valid_vex1, insn_valid_vex1_n);
	case 2:
		out->map = INSN_MAP_0F38;
		return dec_vex_body(d, out, insn_valid_vex2, insn_valid_vex2_n);
	case 3:
		out->map = INSN_MAP_0F3A;
		return dec_vex_body(d, out, insn_valid_vex3, insn_valid_vex3_n);
	default:
		return -1; /* reserved maps */
	}
}

/*
 * SDM Vol. 2 2.7.1: 62 P0 P1 P2. P0 bits 2:0 select the map (1-3, and 5-6 for AVX512-FP16), bit 3
 * must be 0 (APX's extended registers are not decoded); P1 bit 2 must be 1. Displacements are
 * disp8*N compressed, which changes their meaning but not their length.
 */
int insn_dec_evex(struct insn_dec *d, struct insn *out)
{
	uint8_t p0, p1;

	if (!dec_vex_prefixes_ok(out) || !insn_dec_need(d, 3))
		return -1;
	p0 = d->code[d->pos];
	p1 = d->code[d->pos + 1];
	dec_vex_rxb(d, p0, REX_R | REX_X | REX_B);
	d->pos += 3;
	if ((p0 & 0x08) || !(p1 & 0x04))
		return -1;
	out->prefixes |= INSN_PFX_EVEX;
	if (d->mode == INSN_MODE64 && (p1 & 0x80))
		out->opsize = 64; /* EVEX.W */
	switch (p0 & 7) {
	case 1:
		out->map = INSN_MAP_0F;
		return dec_vex_body(d, out, insn_valid_evex1, insn_valid_evex1_n);
	case 2:
		out->map = INSN_MAP_0F38;
		return dec_vex_body(d, out, insn_valid_evex2, insn_valid_evex2_n);
	case 3:
		out->map = INSN_MAP_0F3A;
		return dec_vex_body(d, out, insn_valid_evex3, insn_valid_evex3_n);
	case 5:
		out->map = INSN_MAP_EVEX5;
		return dec_vex_body(d, out, insn_valid_evex5, insn_valid_evex5_n);
	case 6:
		out->map = INSN_MAP_EVEX6;
		return dec_vex_body(d, out, insn_valid_evex6, insn_valid_evex6_n);
	default:
		return -1;
	}
}

/*
 * AMD XOP (AMD APM Vol. 3 1.8 "XOP Prefix"): 8F RXB.mmmmm W.vvvv.L.pp, with mmmmm >= 8. POP r/m is
 * 8F /0, whose ModRM bits 4:3 are zero, so the two never collide. Map 8 takes an ib, map 0A an id.
 */
bool insn_dec_is_xop(const struct insn_dec *d)
{
	return insn_dec_need(d, 1) && (d->code[d->pos] & 0x1f) >= 8;
}

int insn_dec_xop(struct insn_dec *d, struct insn *out)
{
	unsigned map;
	uint8_t op;
	bool ok;

	if (!dec_vex_prefixes_ok(out) || !insn_dec_need(d, 3))
		return -1;
	map = d->code[d->pos] & 0x1f;
	op = d->code[d->pos + 2];
	dec_vex_rxb(d, d->code[d->pos], REX_R | REX_X | REX_B);
	d->pos += 3;
	out->prefixes |= INSN_PFX_XOP;
	out->opcode = op;
	switch (map) {
	case 8:
		out->map = INSN_MAP_XOP8;
		ok = insn_range_has(insn_valid_xop8, insn_valid_xop8_n, op);
		break;
	case 9:
		out->map = INSN_MAP_XOP9;
		ok = insn_range_has(insn_valid_xop9, insn_valid_xop9_n, op);
		break;
	case 10:
		out->map = INSN_MAP_XOPA;
		ok = insn_range_has(insn_valid_xopa, insn_valid_xopa_n, op);
		break;
	default:
		ok = false;
		break;
	}
	if (!ok || insn_dec_modrm(d, out, false))
		return -1;
	if (map == 8)
		return insn_dec_imm(d, out, IMM_B);
	if (map == 10) {
		out->opsize = 32;
		return insn_dec_imm(d, out, IMM_Z);
	}
	return 0;
}

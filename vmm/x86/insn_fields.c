/* Field readers of the instruction decoder: ModRM/SIB/displacement and immediates. */
#include "x86/insn_dec.h"
#include "x86/insn_tables.h"

bool insn_dec_need(const struct insn_dec *d, size_t n)
{
	return d->pos + n <= d->limit;
}

/* Little-endian read of n bytes; the caller has checked insn_dec_need(). */
static uint64_t dec_read(struct insn_dec *d, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)d->code[d->pos + i] << (8 * i);
	d->pos += n;
	return v;
}

/* Sign-extends the low 'bytes' bytes of v. */
static int64_t dec_sext(uint64_t v, unsigned bytes)
{
	unsigned shift = 64 - bytes * 8;

	return bytes ? (int64_t)(v << shift) >> shift : 0;
}

/*
 * SDM Vol. 2 2.1.5 "Addressing-Mode Encoding of ModR/M and SIB Bytes": Table 2-1 (16-bit: no SIB,
 * mod 00 r/m 110 is disp16) and Tables 2-2/2-3 (32/64-bit: r/m 100 adds a SIB, mod 00 with r/m 101
 * or SIB base 101 is disp32, RIP-relative in 64-bit mode per 2.2.1.6 "RIP-Relative Addressing").
 * REX.B extends r/m or, with a SIB, the base instead (2.2.1.2, Table 2-5).
 */
int insn_dec_modrm(struct insn_dec *d, struct insn *out, bool reg_only)
{
	unsigned mod, rm;

	if (!insn_dec_need(d, 1))
		return -1;
	out->has_modrm = true;
	out->modrm = d->code[d->pos++];
	mod = reg_only ? 3 : out->modrm >> 6;
	rm = out->modrm & 7;
	out->modrm_mod = (uint8_t)mod;
	out->modrm_reg = (uint8_t)(((out->modrm >> 3) & 7) | ((d->rxb & REX_R) ? 8 : 0));
	out->modrm_rm = (uint8_t)(rm | ((d->rxb & REX_B) ? 8 : 0));
	if (mod == 3)
		return 0;
	out->has_mem = true;
	if (out->addrsize == 16) {
		out->disp_size = mod == 1 ? 1 : (mod == 2 || rm == 6) ? 2 : 0;
	} else {
		if (rm == 4) {
			if (!insn_dec_need(d, 1))
				return -1;
			out->has_sib = true;
			out->sib = d->code[d->pos++];
			out->sib_base = (uint8_t)((out->sib & 7) | ((d->rxb & REX_B) ? 8 : 0));
			out->sib_index = (uint8_t)(((out->sib >> 3) & 7) | ((d->rxb & REX_X) ? 8 : 0));
			if (mod == 0 && (out->sib & 7) == 5)
				out->disp_size = 4;
		} else if (mod == 0 && rm == 5) {
			out->disp_size = 4;
		}
		if (mod == 1)
			out->disp_size = 1;
		else if (mod == 2)
			out->disp_size = 4;
	}
	if (!insn_dec_need(d, out->disp_size))
		return -1;
	out->disp = dec_sext(dec_read(d, out->disp_size), out->disp_size);
	return 0;
}

/* SDM Vol. 2 A.2.2 "Codes for Operand Type": b, w, z (16/32), v (16/32/64), and the special forms. */
int insn_dec_imm(struct insn_dec *d, struct insn *out, unsigned kind)
{
	unsigned n;

	switch (kind) {
	case IMM_NONE:
		return 0;
	case IMM_B:
		n = 1;
		break;
	case IMM_W:
		n = 2;
		break;
	case IMM_Z:
		n = out->opsize == 16 ? 2 : 4;
		break;
	case IMM_V:
		n = out->opsize / 8;
		break;
	case IMM_MOFFS:
		n = out->addrsize / 8;
		break;
	case IMM_ENTER:
		if (!insn_dec_need(d, 3))
			return -1;
		out->imm = dec_read(d, 2);
		out->imm |= dec_read(d, 1) << 16; /* nesting level in bits 23:16 */
		out->imm_size = 3;
		out->has_imm = true;
		return 0;
	case IMM_PTR:
		n = out->opsize == 16 ? 2 : 4;
		if (!insn_dec_need(d, n + 2))
			return -1;
		out->imm = dec_read(d, n);
		out->far_sel = (uint16_t)dec_read(d, 2);
		out->imm_size = n;
		out->has_imm = true;
		return 0;
	default:
		return -1;
	}
	if (!insn_dec_need(d, n))
		return -1;
	out->imm = dec_read(d, n);
	out->imm_size = n;
	out->has_imm = true;
	return 0;
}

void insn_dec_set_rel(struct insn *out, enum insn_class cls)
{
	out->cls = cls;
	out->has_rel = true;
	out->rel = insn_imm_signed(out);
}

int64_t insn_imm_signed(const struct insn *in)
{
	return in->imm_size ? dec_sext(in->imm, in->imm_size) : (int64_t)in->imm;
}

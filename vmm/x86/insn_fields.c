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

/*
 * SDM Vol. 2 2.1.5 "Addressing-Mode Encoding of ModR/M and SIB Bytes": Table 2-1 (16-bit: no SIB,
 * mod 00 r/m 110 is disp16) and Tables 2-2/2-3 (32/64-bit: r/m 100 adds a SIB, mod 00 with r/m 101
 * or SIB base 101 is disp32, RIP-relative in 64-bit mode per 2.2.1.6 "RIP-Relative Addressing").
 */
int insn_dec_modrm(struct insn_dec *d, struct insn *out, bool reg_only)
{
	unsigned mod, rm, disp = 0;

	if (!insn_dec_need(d, 1))
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
			if (!insn_dec_need(d, 1))
				return -1;
			if (mod == 0 && (d->code[d->pos] & 7) == 5)
				disp = 4;
			d->pos++;
		} else if (mod == 0 && rm == 5) {
			disp = 4;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2)
			disp = 4;
	}
	if (!insn_dec_need(d, disp))
		return -1;
	d->pos += disp;
	return 0;
}

/* SDM Vol. 2 A.2.2 "Codes for Operand Type": b, w, z (16/32), v (16/32/64), and the special forms. */
int insn_dec_imm(struct insn_dec *d, struct insn *out, unsigned kind)
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
		if (!insn_dec_need(d, 3))
			return -1;
		out->imm = dec_read(d, 2);
		out->imm |= dec_read(d, 1) << 16;   /* nesting level in bits 23:16 */
		out->has_imm = true;
		return 0;
	case IMM_PTR:
		n = out->opsize == 16 ? 2 : 4;
		if (!insn_dec_need(d, n + 2))
			return -1;
		out->imm = dec_read(d, n);
		out->far_sel = (uint16_t)dec_read(d, 2);
		out->has_imm = true;
		return 0;
	default:
		return -1;
	}
	if (!insn_dec_need(d, n))
		return -1;
	out->imm = dec_read(d, n);
	out->has_imm = true;
	d->imm_len = n;
	return 0;
}

void insn_dec_set_rel(const struct insn_dec *d, struct insn *out, enum insn_class cls)
{
	unsigned shift = 64 - d->imm_len * 8;

	out->cls = cls;
	out->has_rel = true;
	out->rel = (int64_t)(out->imm << shift) >> shift;
}

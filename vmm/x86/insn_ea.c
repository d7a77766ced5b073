/*
 * Effective addresses (SDM Vol. 2 2.1.5 "Addressing-Mode Encoding of ModR/M and SIB Bytes", Tables 2-1
 * to 2-3; 2.2.1.6 "RIP-Relative Addressing"): base + index * scale + displacement, modulo the address size.
 */
#include "x86/insn_ea.h"

#define R_BX 3
#define R_SP 4
#define R_BP 5
#define R_SI 6
#define R_DI 7

/* Table 2-1: the 16-bit forms, r/m 0-7: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone with mod 00), BX. */
static const int8_t base16[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
static const int8_t index16[8] = { R_SI, R_DI, R_SI, R_DI, -1, -1, -1, -1 };

static bool no_base_disp32(const struct insn *in)
{
	/* mod 00 with r/m 101 (no SIB), or with a SIB whose base is 101: REX.B does not change either. */
	return in->modrm_mod == 0 && (in->has_sib ? (in->sib & 7) == 5 : (in->modrm & 7) == 5);
}

uint64_t insn_ea(const struct insn *in, enum insn_mode mode, const uint64_t gpr[16], uint64_t next_ip)
{
	uint64_t ea = (uint64_t)in->disp;
	unsigned rm = in->modrm & 7;

	if (!in->has_modrm) /* moffs */
		return in->imm & insn_addr_mask(in->addrsize);
	if (in->addrsize == 16) {
		if (!(in->modrm_mod == 0 && rm == 6))
			ea += gpr[base16[rm]];
		if (index16[rm] >= 0)
			ea += gpr[index16[rm]];
	} else if (in->has_sib) {
		if (!no_base_disp32(in))
			ea += gpr[in->sib_base];
		if (in->sib_index != R_SP) /* index 100 without REX.X: none; R12 with it */
			ea += gpr[in->sib_index] << (in->sib >> 6);
	} else if (no_base_disp32(in)) {
		if (mode == INSN_MODE64)
			ea += next_ip; /* RIP-relative; EIP-relative with 67, by the truncation below */
	} else {
		ea += gpr[in->modrm_rm];
	}
	return ea & insn_addr_mask(in->addrsize);
}

enum insn_seg insn_ea_seg(const struct insn *in)
{
	unsigned rm = in->modrm & 7;

	if (in->seg != INSN_SEG_NONE)
		return in->seg;
	if (!in->has_modrm)
		return INSN_SEG_DS;
	if (in->addrsize == 16)
		return (rm == 2 || rm == 3 || (rm == 6 && in->modrm_mod != 0)) ? INSN_SEG_SS : INSN_SEG_DS;
	if (in->has_sib)
		return !no_base_disp32(in) && (in->sib_base == R_SP || in->sib_base == R_BP) ? INSN_SEG_SS
											     : INSN_SEG_DS;
	return !no_base_disp32(in) && in->modrm_rm == R_BP ? INSN_SEG_SS : INSN_SEG_DS;
}

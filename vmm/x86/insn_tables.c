/* Opcode attribute tables of the one-byte, 0F, 0F38 and 0F3A maps, legacy, VEX and EVEX. */
#include "x86/insn_tables.h"

/* Short spellings for the rows below. */
#define M_   OPF_M
#define B_   (IMM_B << 1)
#define W_   (IMM_W << 1)
#define Z_   (IMM_Z << 1)
#define V_   (IMM_V << 1)
#define MO_  (IMM_MOFFS << 1)
#define EN_  (IMM_ENTER << 1)
#define P_   (IMM_PTR << 1)
#define MB_  (OPF_M | B_)
#define MZ_  (OPF_M | Z_)
#define I64_ OPF_N64
#define X_   OPF_INV

/*
 * SDM Vol. 2 Table A-2 "One-byte Opcode Map". Prefix bytes, 0F and the VEX/EVEX/XOP escapes are
 * consumed by the decoder before this table is consulted; C4/C5/62 here are LES/LDS/BOUND.
 * D6 is the undocumented SALC, which Intel CPUs execute outside 64-bit mode.
 */
/* clang-format off */
const uint8_t insn_map_1byte[256] = {
	/* 00 */ M_, M_, M_, M_, B_, Z_, I64_, I64_, M_, M_, M_, M_, B_, Z_, I64_, X_,
	/* 10 */ M_, M_, M_, M_, B_, Z_, I64_, I64_, M_, M_, M_, M_, B_, Z_, I64_, I64_,
	/* 20 */ M_, M_, M_, M_, B_, Z_, 0, I64_, M_, M_, M_, M_, B_, Z_, 0, I64_,
	/* 30 */ M_, M_, M_, M_, B_, Z_, 0, I64_, M_, M_, M_, M_, B_, Z_, 0, I64_,
	/* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 60 */ I64_, I64_, M_ | I64_, M_, 0, 0, 0, 0, Z_, MZ_, B_, MB_, 0, 0, 0, 0,
	/* 70 */ B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_,
	/* 80 */ MB_, MZ_, MB_ | I64_, MB_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, P_ | I64_, 0, 0, 0, 0, 0,
	/* A0 */ MO_, MO_, MO_, MO_, 0, 0, 0, 0, B_, Z_, 0, 0, 0, 0, 0, 0,
	/* B0 */ B_, B_, B_, B_, B_, B_, B_, B_, V_, V_, V_, V_, V_, V_, V_, V_,
	/* C0 */ MB_, MB_, W_, 0, M_ | I64_, M_ | I64_, MB_, MZ_, EN_, 0, W_, 0, 0, B_, I64_, 0,
	/* D0 */ M_, M_, M_, M_, B_ | I64_, B_ | I64_, I64_, 0, M_, M_, M_, M_, M_, M_, M_, M_,
	/* E0 */ B_, B_, B_, B_, B_, B_, B_, B_, Z_, Z_, P_ | I64_, B_, 0, 0, 0, 0,
	/* F0 */ 0, 0, 0, 0, 0, 0, M_ | OPF_GRP3, M_ | OPF_GRP3, 0, 0, 0, 0, 0, 0, M_, M_,
};

/*
 * SDM Vol. 2 Table A-3 "Two-byte Opcode Map: 00H - 77H" and its continuation. 0F 0E (FEMMS) and
 * 0F 0F (3DNow!) are AMD-only and refused; 0F 38 / 0F 3A are escapes handled by the decoder.
 */
const uint8_t insn_map_0f[256] = {
	/* 00 */ M_, M_, M_, M_, X_, 0, 0, 0, 0, 0, X_, 0, X_, M_, X_, X_,
	/* 10 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 20 */ M_, M_, M_, M_, X_, X_, X_, X_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 30 */ 0, 0, 0, 0, 0, 0, X_, 0, X_, X_, X_, X_, X_, X_, X_, X_,
	/* 40 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 50 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 60 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 70 */ MB_, MB_, MB_, MB_, M_, M_, M_, 0, M_, M_, X_, X_, M_, M_, M_, M_,
	/* 80 */ Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_, Z_,
	/* 90 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* A0 */ 0, 0, 0, M_, MB_, M_, X_, X_, 0, 0, 0, M_, MB_, M_, M_, M_,
	/* B0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, MB_, M_, M_, M_, M_, M_,
	/* C0 */ M_, M_, MB_, M_, MB_, MB_, MB_, M_, 0, 0, 0, 0, 0, 0, 0, 0,
	/* D0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* E0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* F0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
};
/* clang-format on */

/*
 * Defined opcodes of the three-byte maps (SDM Vol. 2 Tables ). Every 0F38 opcode takes a
 * ModRM and no immediate; every 0F3A opcode takes a ModRM and an ib.
 */
const struct insn_range insn_valid_0f38[] = {
	{ 0x00, 0x0b }, { 0x10, 0x10 }, { 0x14, 0x15 }, { 0x17, 0x17 }, { 0x1c, 0x1e }, { 0x20, 0x25 },
	{ 0x28, 0x2b }, { 0x30, 0x35 }, { 0x37, 0x41 }, { 0x80, 0x82 }, { 0xc8, 0xcd }, { 0xcf, 0xcf },
	{ 0xd8, 0xd8 }, { 0xdb, 0xdf }, { 0xf0, 0xf6 }, { 0xf8, 0xfc },
};
const size_t insn_valid_0f38_n = ARRAY_SIZE(insn_valid_0f38);

const struct insn_range insn_valid_0f3a[] = {
	{ 0x08, 0x0f }, { 0x14, 0x17 }, { 0x20, 0x22 }, { 0x40, 0x42 }, { 0x44, 0x44 },
	{ 0x60, 0x63 }, { 0xcc, 0xcc }, { 0xce, 0xcf }, { 0xdf, 0xdf },
};
const size_t insn_valid_0f3a_n = ARRAY_SIZE(insn_valid_0f3a);

/* VEX map 1 (0F): the SSE/AVX rows plus the AVX-512 opmask instructions (KAND..., KMOV, KORTEST). */
const struct insn_range insn_valid_vex1[] = {
	{ 0x10, 0x17 }, { 0x28, 0x2f }, { 0x41, 0x42 }, { 0x44, 0x47 }, { 0x4a, 0x4b }, { 0x50, 0x77 }, { 0x7c, 0x7f },
	{ 0x90, 0x93 }, { 0x98, 0x99 }, { 0xae, 0xae }, { 0xc2, 0xc2 }, { 0xc4, 0xc6 }, { 0xd0, 0xfe },
};
const size_t insn_valid_vex1_n = ARRAY_SIZE(insn_valid_vex1);

/* VEX map 2 (0F38): AVX/AVX2, FMA, F16C, BMI1/BMI2, GFNI, AES, VNNI, AMX, AVX-NE-CONVERT, CMPccXADD. */
const struct insn_range insn_valid_vex2[] = {
	{ 0x00, 0x0f }, { 0x13, 0x13 }, { 0x16, 0x1a }, { 0x1c, 0x1e }, { 0x20, 0x25 }, { 0x28, 0x2f }, { 0x30, 0x37 },
	{ 0x38, 0x41 }, { 0x45, 0x47 }, { 0x49, 0x49 }, { 0x4b, 0x4b }, { 0x50, 0x53 }, { 0x58, 0x5a }, { 0x5c, 0x5e },
	{ 0x72, 0x72 }, { 0x78, 0x79 }, { 0x8c, 0x8c }, { 0x8e, 0x8e }, { 0x90, 0x93 }, { 0x96, 0x9f }, { 0xa6, 0xaf },
	{ 0xb0, 0xb1 }, { 0xb4, 0xbf }, { 0xcf, 0xcf }, { 0xdb, 0xdf }, { 0xe0, 0xef }, { 0xf2, 0xf3 }, { 0xf5, 0xf7 },
};
const size_t insn_valid_vex2_n = ARRAY_SIZE(insn_valid_vex2);

/* VEX map 3 (0F3A). */
const struct insn_range insn_valid_vex3[] = {
	{ 0x00, 0x02 }, { 0x04, 0x06 }, { 0x08, 0x0f }, { 0x14, 0x19 }, { 0x1d, 0x1d }, { 0x20, 0x22 }, { 0x30, 0x33 },
	{ 0x38, 0x39 }, { 0x40, 0x42 }, { 0x44, 0x44 }, { 0x46, 0x46 }, { 0x48, 0x4c }, { 0x5c, 0x5f }, { 0x60, 0x63 },
	{ 0x68, 0x6f }, { 0x78, 0x7f }, { 0xce, 0xcf }, { 0xdf, 0xdf }, { 0xf0, 0xf0 },
};
const size_t insn_valid_vex3_n = ARRAY_SIZE(insn_valid_vex3);

/*
 * AMD XOP maps 8, 9 and 0A (AMD APM Vol. 6 "XOP Opcode Maps"): not Intel, but runtime-dispatched
 * code in real binaries (libcrypto) contains it, and a linear walk must stay in step.
 */
const struct insn_range insn_valid_xop8[] = {
	{ 0x85, 0x87 }, { 0x8e, 0x8f }, { 0x95, 0x97 }, { 0x9e, 0x9f }, { 0xa2, 0xa3 },
	{ 0xa6, 0xa6 }, { 0xb6, 0xb6 }, { 0xc0, 0xc3 }, { 0xcc, 0xcf }, { 0xec, 0xef },
};
const size_t insn_valid_xop8_n = ARRAY_SIZE(insn_valid_xop8);

const struct insn_range insn_valid_xop9[] = {
	{ 0x01, 0x02 }, { 0x12, 0x12 }, { 0x80, 0x83 }, { 0x90, 0x9b }, { 0xc1, 0xc3 }, { 0xc6, 0xc7 },
	{ 0xcb, 0xcb }, { 0xd1, 0xd3 }, { 0xd6, 0xd7 }, { 0xdb, 0xdb }, { 0xe1, 0xe3 },
};
const size_t insn_valid_xop9_n = ARRAY_SIZE(insn_valid_xop9);

const struct insn_range insn_valid_xopa[] = {
	{ 0x10, 0x10 },
	{ 0x12, 0x12 },
};
const size_t insn_valid_xopa_n = ARRAY_SIZE(insn_valid_xopa);

/* EVEX maps 1-3 (AVX-512 F/BW/DQ/VL/CD/ER/PF/VBMI/...); every opcode takes a ModRM. */
const struct insn_range insn_valid_evex1[] = {
	{ 0x10, 0x17 }, { 0x28, 0x2f }, { 0x51, 0x51 }, { 0x54, 0x76 }, { 0x78, 0x7b },
	{ 0x7e, 0x7f }, { 0xc2, 0xc2 }, { 0xc4, 0xc6 }, { 0xd1, 0xfe },
};
const size_t insn_valid_evex1_n = ARRAY_SIZE(insn_valid_evex1);

const struct insn_range insn_valid_evex2[] = {
	{ 0x00, 0x00 }, { 0x04, 0x04 }, { 0x0b, 0x0d }, { 0x10, 0x2d }, { 0x30, 0x40 }, { 0x42, 0x47 },
	{ 0x4c, 0x4f }, { 0x50, 0x55 }, { 0x58, 0x5b }, { 0x62, 0x66 }, { 0x68, 0x68 }, { 0x70, 0x73 },
	{ 0x75, 0x7f }, { 0x83, 0x83 }, { 0x88, 0x8d }, { 0x8f, 0x93 }, { 0x96, 0xa3 }, { 0xa6, 0xab },
	{ 0xac, 0xaf }, { 0xb4, 0xbf }, { 0xc4, 0xc4 }, { 0xc6, 0xcd }, { 0xcf, 0xcf }, { 0xdc, 0xdf },
};
const size_t insn_valid_evex2_n = ARRAY_SIZE(insn_valid_evex2);

const struct insn_range insn_valid_evex3[] = {
	{ 0x00, 0x01 }, { 0x03, 0x05 }, { 0x08, 0x0b }, { 0x0f, 0x0f }, { 0x14, 0x1b }, { 0x1d, 0x1f },
	{ 0x20, 0x23 }, { 0x25, 0x27 }, { 0x38, 0x3b }, { 0x3e, 0x3f }, { 0x42, 0x44 }, { 0x50, 0x51 },
	{ 0x54, 0x57 }, { 0x66, 0x67 }, { 0x70, 0x73 }, { 0xc2, 0xc2 }, { 0xce, 0xcf },
};
const size_t insn_valid_evex3_n = ARRAY_SIZE(insn_valid_evex3);

/* EVEX maps 5 and 6 (AVX512-FP16, SDM Vol. 2 Appendix A "Opcode Map"): ModRM, never an immediate. */
const struct insn_range insn_valid_evex5[] = {
	{ 0x10, 0x11 }, { 0x1d, 0x1d }, { 0x2a, 0x2a }, { 0x2c, 0x2f },
	{ 0x51, 0x51 }, { 0x58, 0x5f }, { 0x6e, 0x6e }, { 0x78, 0x7e },
};
const size_t insn_valid_evex5_n = ARRAY_SIZE(insn_valid_evex5);

const struct insn_range insn_valid_evex6[] = {
	{ 0x13, 0x13 }, { 0x2c, 0x2d }, { 0x42, 0x43 }, { 0x4c, 0x4f }, { 0x56, 0x57 },
	{ 0x96, 0x9f }, { 0xa6, 0xaf }, { 0xb6, 0xbf }, { 0xd6, 0xd7 },
};
const size_t insn_valid_evex6_n = ARRAY_SIZE(insn_valid_evex6);

bool insn_range_has(const struct insn_range *r, size_t n, uint8_t op)
{
	for (size_t i = 0; i < n; i++)
		if (op >= r[i].lo && op <= r[i].hi)
			return true;
	return false;
}

/* Opcode-map attribute tables shared by the instruction decoder (internal to vmm/x86/insn*.c). */
#ifndef PTV_X86_INSN_TABLES_H
#define PTV_X86_INSN_TABLES_H

#include "types.h"

/*
 * One byte of attributes per opcode (SDM Vol. 2 Appendix A "Opcode Map"):
 * bit 0 ModRM follows, bits 1-3 the immediate kind, then validity flags.
 */
#define OPF_M      0x01
#define OPF_IMM(f) (((f) >> 1) & 7)
#define OPF_N64    0x10 /* invalid in 64-bit mode (the "i64" superscript) */
#define OPF_INV    0x20 /* undefined, or deliberately refused (3DNow!) */
#define OPF_GRP3   0x40 /* F6/F7: the immediate exists only for /0 and /1 (TEST) */

enum insn_imm_kind {
	IMM_NONE,
	IMM_B,     /* ib */
	IMM_W,     /* iw */
	IMM_Z,     /* iz: 16 or 32 bits by operand size */
	IMM_V,     /* iv: 16, 32 or 64 bits by operand size (MOV r, imm) */
	IMM_MOFFS, /* moffs: address-size offset (MOV A0-A3) */
	IMM_ENTER, /* iw, ib */
	IMM_PTR,   /* ptr16:16 / ptr16:32 (far JMP/CALL) */
};

/* A closed range of opcodes within a map that is defined. */
struct insn_range {
	uint8_t lo, hi;
};

extern const uint8_t insn_map_1byte[256];
extern const uint8_t insn_map_0f[256];

extern const struct insn_range insn_valid_0f38[];
extern const size_t insn_valid_0f38_n;
extern const struct insn_range insn_valid_0f3a[];
extern const size_t insn_valid_0f3a_n;
extern const struct insn_range insn_valid_vex1[];
extern const size_t insn_valid_vex1_n;
extern const struct insn_range insn_valid_vex2[];
extern const size_t insn_valid_vex2_n;
extern const struct insn_range insn_valid_vex3[];
extern const size_t insn_valid_vex3_n;
extern const struct insn_range insn_valid_evex5[];
extern const size_t insn_valid_evex5_n;
extern const struct insn_range insn_valid_evex6[];
extern const size_t insn_valid_evex6_n;
extern const struct insn_range insn_valid_xop8[];
extern const size_t insn_valid_xop8_n;
extern const struct insn_range insn_valid_xop9[];
extern const size_t insn_valid_xop9_n;
extern const struct insn_range insn_valid_xopa[];
extern const size_t insn_valid_xopa_n;
extern const struct insn_range insn_valid_evex1[];
extern const size_t insn_valid_evex1_n;
extern const struct insn_range insn_valid_evex2[];
extern const size_t insn_valid_evex2_n;
extern const struct insn_range insn_valid_evex3[];
extern const size_t insn_valid_evex3_n;

/* True when 'op' lies in one of the n ranges. */
bool insn_range_has(const struct insn_range *r, size_t n, uint8_t op);

#endif

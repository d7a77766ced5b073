/* Classifies the MOV forms a guest uses to touch memory, so ptvisor can emulate accesses to unbacked GPAs. */
#ifndef PTV_X86_MMIO_DECODE_H
#define PTV_X86_MMIO_DECODE_H

#include "types.h"
#include "x86/insn.h"

struct mmio_insn {
	unsigned len;      /* instruction length in bytes */
	bool store;        /* memory is the destination */
	unsigned size;     /* bytes accessed in memory: 1, 2, 4 or 8 */
	int reg;           /* register operand 0-15 (RAX..R15), -1 for an immediate source */
	bool high8;        /* AH, CH, DH or BH (reg 4-7 without REX) */
	uint64_t imm;      /* immediate source, sign-extended to 64 bits */
	unsigned dst_size; /* register bytes written by a load (movzx/movsx widen) */
	bool sign_extend;
};

/*
 * Decodes with insn_decode() and accepts only a MOV that moves data between memory and a register
 * or an immediate: 88/89/8A/8B, C6/C7 /0, A0-A3 (moffs) and MOVZX/MOVSX 0F B6/B7/BE/BF, each with a
 * memory operand and without F2/F3. Returns 0, or -1 for anything else.
 */
int mmio_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct mmio_insn *out);

#endif

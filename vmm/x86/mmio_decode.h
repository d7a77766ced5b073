/* Decodes the MOV forms a guest uses to touch memory, so ptvisor can emulate accesses to unbacked GPAs. */
#ifndef PTV_X86_MMIO_DECODE_H
#define PTV_X86_MMIO_DECODE_H

#include "types.h"

enum mmio_cpu_mode { MMIO_MODE16, MMIO_MODE32, MMIO_MODE64 };

struct mmio_insn {
	unsigned len;          /* instruction length in bytes */
	bool store;            /* memory is the destination */
	unsigned size;         /* bytes accessed in memory: 1, 2, 4 or 8 */
	int reg;               /* register operand 0-15 (RAX..R15), -1 for an immediate source */
	bool high8;            /* AH, CH, DH or BH (reg 4-7 without REX) */
	uint64_t imm;          /* immediate source, sign-extended to size */
	unsigned dst_size;     /* register bytes written by a load (movzx/movsx widen) */
	bool sign_extend;
};

/* Returns 0, or -1 for anything that is not a supported MOV with a memory operand. */
int mmio_decode(const uint8_t *code, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out);

#endif

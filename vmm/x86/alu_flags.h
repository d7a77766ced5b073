/* Helpers shared by the ALU's files (alu.c, alu_shift.c). */
#ifndef PTV_X86_ALU_FLAGS_H
#define PTV_X86_ALU_FLAGS_H

#include "types.h"

/* The low `size` bytes (1, 2, 4 or 8). */
uint64_t alu_size_mask(unsigned size);

/* SF, ZF and PF of a `size`-byte result (SDM Vol. 1 3.4.3.1). */
uint64_t alu_result_flags(uint64_t res, unsigned size);

#endif

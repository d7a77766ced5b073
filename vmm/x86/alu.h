/* The integer ALU of the instructions ptvisor emulates: results and status flags as the CPU makes them. */
#ifndef PTV_X86_ALU_H
#define PTV_X86_ALU_H

#include "types.h"

/* The first eight are numbered as ModRM.reg selects them in group 1 (80-83) and as opcode bits 5:3 of 00-3D. */
enum alu_op {
	ALU_ADD,
	ALU_OR,
	ALU_ADC,
	ALU_SBB,
	ALU_AND,
	ALU_SUB,
	ALU_XOR,
	ALU_CMP,
	ALU_TEST,
	ALU_INC,
	ALU_DEC,
	ALU_NOT,
	ALU_NEG,
	ALU_BT, /* BT, BTS, BTR, BTC: src is the bit offset, taken modulo the operand width */
	ALU_BTS,
	ALU_BTR,
	ALU_BTC,
	ALU_ROL, /* group 2 (C0/C1, D0-D3) in ModRM.reg order: src is the count */
	ALU_ROR,
	ALU_RCL,
	ALU_RCR,
	ALU_SHL,
	ALU_SHR,
	ALU_SAL, /* /6: an alias of SHL */
	ALU_SAR,
	ALU_OP_COUNT,
};

/*
 * dst OP src on `size` bytes (1, 2, 4 or 8; both operands truncated to it): returns the destination's
 * new value (dst itself for CMP, TEST and BT) and
 * updates the status flags in *rflags as SDM Vol. 2 "Flags Affected" of the instruction says, reading
 * CF for ADC/SBB. Flags the SDM leaves undefined get what Bochs 2.7 and Intel CPUs give:
 * AND/OR/XOR/TEST clear AF; BT/BTS/BTR/BTC change CF alone. Unary operations ignore src.
 */
uint64_t alu_exec(enum alu_op op, unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags);

/*
 * ROL..SAR (alu_shift.c), which alu_exec() hands over: count masked to 5 bits (6 for 8-byte operands); a
 * masked count of 0 changes no flag. Undefined flags as Bochs 2.7: OF from the count-1 formula on the
 * result (0 for SAR, and for SHL past the width), AF cleared by shifts, CF 0 for SHL/SHR past the width.
 */
uint64_t alu_shift(enum alu_op op, unsigned size, uint64_t dst, uint64_t count, uint64_t *rflags);

/* Whether op is one of the group 2 shifts and rotates. */
bool alu_is_shift(enum alu_op op);

/* Whether the result replaces the destination: all but CMP, TEST and BT. */
bool alu_writes_dst(enum alu_op op);

/* A short mnemonic (for logs and test messages). */
const char *alu_op_name(enum alu_op op);

#endif

/*
 * Classifies the instructions ptvisor emulates when they touch guest-physical memory with nothing
 * behind it (or the local APIC page): what they read, compute and write, read off the VMM's x86
 * decoder (x86/insn.h).
 */
#ifndef PTV_X86_MEM_INSN_H
#define PTV_X86_MEM_INSN_H

#include "types.h"
#include "x86/alu.h"
#include "x86/insn.h"

enum mem_kind {
	MEM_LOAD,      /* register <- memory: MOV, MOVZX, MOVSX, MOVSXD */
	MEM_STORE,     /* memory <- register or immediate: MOV */
	MEM_ALU,       /* op (x86/alu.h) on memory and a register or immediate, or on memory alone */
	MEM_XCHG,      /* memory <-> register */
	MEM_STRING,    /* MOVS, STOS, LODS, CMPS, SCAS */
	MEM_XADD,      /* memory <- memory + register, register <- the old memory */
	MEM_CMPXCHG,   /* compare the accumulator with memory: store the register or load the accumulator */
	MEM_CMPXCHG8B, /* the same with EDX:EAX and ECX:EBX (RDX:RAX, RCX:RBX for CMPXCHG16B: size 16) */
	MEM_PUSH,      /* the stack (SS:RSP, after the decrement) <- memory */
	MEM_POP,       /* memory <- the stack; the operand's address uses RSP after the increment */
	MEM_STRIO,     /* INS/OUTS (not decoded here: vmx/exit_io.c names them for its messages) */
};

enum mem_string { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS };
/* F3 is REP (REPE for CMPS/SCAS), F2 REPNE; MOVS/STOS/LODS repeat with either, as Intel CPUs and Bochs do. */
enum mem_rep { REP_NONE, REP_E, REP_NE };

struct mem_insn {
	struct insn in; /* the decoded instruction: address size, segment override, ModRM/SIB/disp */
	enum mem_kind kind;
	enum alu_op op;    /* MEM_ALU; ALU_CMP for CMPS/SCAS */
	unsigned size;     /* bytes of the memory operand, of each element for strings: 1, 2, 4, 8 (16) */
	bool mem_is_dst;   /* MEM_ALU: memory is the destination, else the register is */
	int reg;           /* the register operand 0-15 (RAX..R15), -1 when there is none */
	bool high8;        /* it is AH, CH, DH or BH (a byte register 4-7 without any REX) */
	unsigned reg_size; /* bytes of the register operand (a load may widen: MOVZX, MOVSX) */
	bool sign_extend;  /* MOVSX, MOVSXD */
	bool has_imm;      /* the source is imm, sign-extended to 64 bits as the instruction uses it */
	uint64_t imm;
	bool bit_offset_reg; /* BT* r/m, r: the offset in the register also selects the operand's address */
	enum mem_string str;
	enum mem_rep rep;
};

/*
 * Decodes with insn_decode() and accepts (returns 0) only these forms with a memory operand, in any mode,
 * with or without LOCK where it is allowed (SDM Vol. 2 "LOCK") and with the XACQUIRE/XRELEASE hints where
 * they are defined (2.1.1):
 *   MOV 88-8B, C6/C7 /0, A0-A3 (moffs); MOVZX/MOVSX 0F B6/B7/BE/BF; MOVSXD 63 (64-bit mode);
 *   ADD OR ADC SBB AND SUB XOR CMP in the r/m,r and r,r/m forms (00-3B) and 80/81/82/83 with imm;
 *   TEST 84/85 and F6/F7 /0 /1; NOT/NEG F6/F7 /2 /3; INC/DEC FE/FF /0 /1; XCHG 86/87;
 *   BT/BTS/BTR/BTC 0F A3/AB/B3/BB and 0F BA /4-/7;
 *   ROL ROR RCL RCR SHL SHR SAL SAR (group 2: C0/C1 by imm8, D0/D1 by 1, D2/D3 by CL);
 *   XADD 0F C0/C1, CMPXCHG 0F B0/B1, CMPXCHG8B/16B 0F C7 /1; PUSH FF /6 and POP 8F /0;
 *   MOVS A4/A5, CMPS A6/A7, STOS AA/AB, LODS AC/AD, SCAS AE/AF with or without REP/REPE/REPNE.
 * -1 for anything else, a truncated or undefined instruction included.
 */
int mem_insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct mem_insn *out);

/* The mnemonic, e.g. "or", "movzx", "rep movs" (for logs and test messages). */
const char *mem_insn_name(const struct mem_insn *m);

#endif

/* The VMM's one x86 decoder: length, operands and change-of-flow class (emulated PT, MMIO emulation). */
#ifndef PTV_X86_INSN_H
#define PTV_X86_INSN_H

#include "types.h"

/* The architectural maximum instruction length (SDM Vol. 2 2.3.11 "AVX Instruction Length"). */
#define INSN_MAX_LEN 15

enum insn_mode { INSN_MODE16, INSN_MODE32, INSN_MODE64 };

enum insn_class {
	INSN_OTHER,         /* no change of flow */
	INSN_JCC,           /* Jcc rel8/rel32, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE: conditional direct */
	INSN_JMP_REL,       /* JMP rel8/rel16/rel32 */
	INSN_JMP_INDIRECT,  /* JMP r/m */
	INSN_CALL_REL,      /* CALL rel16/rel32 */
	INSN_CALL_INDIRECT, /* CALL r/m */
	INSN_RET,           /* RET, RET imm16 (near) */
	INSN_FAR_JMP,       /* JMP ptr16:16/32, JMP m16:16/32/64 */
	INSN_FAR_CALL,      /* CALL ptr16:16/32, CALL m16:16/32/64 */
	INSN_FAR_RET,       /* RETF, RETF imm16 */
	INSN_IRET,          /* IRET/IRETD/IRETQ */
	INSN_INT,           /* INT n, INT3, INTO, INT1 (vector in imm) */
	INSN_SYSCALL,
	INSN_SYSRET,
	INSN_SYSENTER,
	INSN_SYSEXIT,
	INSN_MOV_CR3, /* MOV CR3, r (write) -> PIP */
	INSN_MOV_CR,  /* MOV CR0/CR4, r (may change the execution mode) */
	INSN_VMCALL,
	INSN_HLT,
	INSN_UD,      /* UD0, UD1, UD2 */
	INSN_PTWRITE, /* PTWRITE r/m32/64 (F3 [REX.W] 0F AE /4) */
};

/* Which opcode map the opcode byte belongs to (VEX/EVEX maps 1-3 are 0F, 0F38, 0F3A). */
enum insn_map {
	INSN_MAP_1BYTE,
	INSN_MAP_0F,
	INSN_MAP_0F38,
	INSN_MAP_0F3A,
	INSN_MAP_EVEX5,
	INSN_MAP_EVEX6, /* AVX512-FP16 */
	INSN_MAP_XOP8,
	INSN_MAP_XOP9,
	INSN_MAP_XOPA, /* AMD XOP */
};

/* Legacy prefixes seen (bit set), for the engine's own checks. */
#define INSN_PFX_LOCK  BIT(0)
#define INSN_PFX_REPNE BIT(1) /* F2 */
#define INSN_PFX_REP   BIT(2) /* F3 */
#define INSN_PFX_OPSZ  BIT(3) /* 66 */
#define INSN_PFX_ADSZ  BIT(4) /* 67 */
#define INSN_PFX_SEG   BIT(5) /* any of 26 2E 36 3E 64 65 */
#define INSN_PFX_VEX   BIT(6) /* VEX (C4/C5) */
#define INSN_PFX_EVEX  BIT(7) /* EVEX (62) */
#define INSN_PFX_XOP   BIT(8) /* AMD XOP (8F, map 8-10): lengths only */

/* Segment registers numbered as the Sreg field (SDM Vol. 2 3.1.1.3: ES = 0 ... GS = 5). */
enum insn_seg {
	INSN_SEG_NONE = -1,
	INSN_SEG_ES,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
};

struct insn {
	unsigned len; /* 1..15 */
	enum insn_class cls;
	bool has_rel; /* *_REL and JCC: target = ip + len + rel, see insn_branch_target() */
	int64_t rel;
	unsigned opsize;   /* effective operand size, bits: 16/32/64 (near branches: 64 in 64-bit mode) */
	unsigned addrsize; /* effective address size in bits: 16, 32 or 64 */
	bool has_imm;      /* imm below is meaningful */
	uint64_t imm;      /* RET/RETF imm16, INT vector, ENTER size, far-pointer offset, else the immediate */
	uint16_t far_sel;  /* selector of JMP/CALL ptr16:xx */
	enum insn_map map;
	uint8_t opcode; /* opcode byte within map */
	bool has_modrm;
	uint8_t modrm;
	uint8_t rex;       /* effective REX byte (0 if none) */
	uint16_t prefixes; /* INSN_PFX_* */
	enum insn_seg seg; /* the last segment-override prefix; 64-bit mode ignores all but FS/GS */

	/*
	 * Operands, for emulating the instruction. Register numbers are 0-15 (RAX..R15, SDM Vol. 2 Table
	 * 3-1) with bit 3 from REX.R/X/B or the inverted VEX/EVEX/XOP R/X/B (2.2.1.2 "More on REX Prefix
	 * Fields", 2.3.5 "The VEX Prefix"); EVEX's R'/V' (registers 16-31) are not included.
	 */
	uint8_t modrm_mod; /* ModRM bits 7:6 (has_modrm); 3 for MOV CR/DR, which ignore it */
	uint8_t modrm_reg; /* ModRM.reg + REX.R */
	uint8_t modrm_rm;  /* ModRM.rm + REX.B: the register operand when modrm_mod is 3 */
	bool has_mem;      /* an explicit memory operand: ModRM with mod != 11B, or moffs (offset in imm) */
	bool has_sib;
	uint8_t sib;
	uint8_t sib_base;   /* SIB.base + REX.B; 5 or 13 with mod 00B means no base, disp32 */
	uint8_t sib_index;  /* SIB.index + REX.X; 4 (RSP) means no index */
	unsigned disp_size; /* displacement bytes: 0, 1, 2 or 4 */
	int64_t disp;       /* the displacement, sign-extended */
	unsigned imm_size;  /* bytes imm was read from (0: implied, INT3/INTO/INT1), zero-extended into imm */
};

/*
 * Decodes one instruction of at most 'avail' bytes at 'code'. Returns 0 and fills *out, or -1 when the
 * bytes are truncated, longer than 15 bytes, an opcode that is undefined in 'mode', or an encoding we
 * deliberately refuse (AMD 3DNow!).
 */
int insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct insn *out);

/*
 * The target of a direct branch at 'ip' (has_rel): ip + len + rel, truncated to the operand size.
 * 'ip' and the result are offsets in CS (IP/EIP/RIP); outside 64-bit mode add the CS base for a
 * linear address.
 */
uint64_t insn_branch_target(const struct insn *in, uint64_t ip);

/*
 * The immediate sign-extended from its imm_size bytes to 64 bits, as the instructions with a signed
 * immediate use it (e.g. MOV r/m64, imm32: SDM Vol. 2 "MOV"); an implied one (INT3) as it is.
 */
int64_t insn_imm_signed(const struct insn *in);

/* A short name for a class (for logs and test messages). */
const char *insn_class_name(enum insn_class cls);

#endif

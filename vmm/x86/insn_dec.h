/* Decoder state and field readers shared by the instruction decoder's files (internal to vmm/x86/insn*.c). */
#ifndef PTV_X86_INSN_DEC_H
#define PTV_X86_INSN_DEC_H

#include "x86/insn.h"

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

struct insn_dec {
	const uint8_t *code;
	size_t limit; /* MIN(avail, INSN_MAX_LEN): no byte at or past it is read */
	size_t pos;
	enum insn_mode mode;
	uint8_t rep; /* the last of F2/F3: it selects the SSE mandatory prefix */
	uint8_t rxb; /* REX_R/X/B: register-number bit 3 from REX or VEX/EVEX/XOP, for ModRM and SIB */
};

/* True when n more bytes may be read. */
bool insn_dec_need(const struct insn_dec *d, size_t n);
/* ModRM, SIB and displacement; 'reg_only' treats mod as 11B (MOV CR/DR). 0 or -1. */
int insn_dec_modrm(struct insn_dec *d, struct insn *out, bool reg_only);
/* An immediate of kind enum insn_imm_kind into out->imm. 0 or -1. */
int insn_dec_imm(struct insn_dec *d, struct insn *out, unsigned kind);
/* Marks a direct branch: rel = sign-extended immediate. */
void insn_dec_set_rel(struct insn *out, enum insn_class cls);

/* After the one-byte opcode 0F: the 0F, 0F38 and 0F3A maps. */
int insn_dec_escape_0f(struct insn_dec *d, struct insn *out);
/* A one-byte-map opcode 'op' (already consumed). */
int insn_dec_legacy(struct insn_dec *d, struct insn *out, uint8_t op);
/* Whether C4/C5/62 at pos-1 start a VEX/EVEX prefix rather than LES/LDS/BOUND. */
bool insn_dec_is_vex(const struct insn_dec *d);
/* VEX (C4/C5, already consumed as 'esc') and EVEX (62) encoded instructions. */
int insn_dec_vex(struct insn_dec *d, struct insn *out, uint8_t esc);
int insn_dec_evex(struct insn_dec *d, struct insn *out);
/* Whether 8F at pos-1 starts an AMD XOP prefix rather than POP r/m, and the XOP instruction. */
bool insn_dec_is_xop(const struct insn_dec *d);
int insn_dec_xop(struct insn_dec *d, struct insn *out);

#endif

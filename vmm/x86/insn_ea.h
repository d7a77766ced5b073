/* The effective address of an instruction's explicit memory operand and the segment it is in. */
#ifndef PTV_X86_INSN_EA_H
#define PTV_X86_INSN_EA_H

#include "types.h"
#include "x86/insn.h"

/*
 * The offset of in's memory operand (ModRM/SIB/displacement or moffs; has_mem), decoded in `mode`,
 * truncated to the address size: gpr[] holds RAX..R15 (RSP included), next_ip the IP after the
 * instruction (RIP-relative operands).
 */
uint64_t insn_ea(const struct insn *in, enum insn_mode mode, const uint64_t gpr[16], uint64_t next_ip);

/* Its segment: the override prefix, else SS for a BP/SP base (SDM Vol. 1 3.7.4 "Specifying a Segment
   Selector"), else DS. In 64-bit mode only FS and GS have a base, which seg_linear() applies. */
enum insn_seg insn_ea_seg(const struct insn *in);

/* An address-size truncation: 16, 32 or 64 bits. */
static inline uint64_t insn_addr_mask(unsigned addrsize)
{
	return addrsize >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << addrsize) - 1;
}

#endif

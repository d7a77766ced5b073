/*
 * Segment checks of a data access (SDM Vol. 3A 3.4.5.1 "Code- and Data-Segment Descriptor Types", 5.3
 * "Limit Checking", 5.3.1 "Limit Checking in 64-Bit Mode"; 3.3.7.1 "Canonical Addressing").
 */
#include "x86/seg.h"
#include "x86/arch.h"

/* A 48-bit linear address sign-extended from bit 47. */
static bool canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

int seg_linear(const struct seg_cache *s, enum insn_seg seg, enum seg_mode mode, uint64_t offset, unsigned size,
	       bool write, uint64_t *la)
{
	int fault = seg == INSN_SEG_SS ? X86_VEC_SS : X86_VEC_GP;
	uint64_t last = offset + size - 1;

	if (mode == SEG_LONG64) {
		/* No limits and no types; only FS and GS keep a base (SDM Vol. 1 3.3.7 "Address Calculations in
		   64-Bit Mode"). */
		*la = (seg == INSN_SEG_FS || seg == INSN_SEG_GS) ? s->base + offset : offset;
		return canonical(*la) && canonical(*la + size - 1) ? 0 : fault;
	}
	if (mode == SEG_PROTECTED) {
		unsigned type = s->ar & 0xf;
		if (s->ar & SEG_AR_UNUSABLE)
			return fault; /* a null selector */
		if ((type & SEG_AR_TYPE_CODE) ? write || !(type & SEG_AR_TYPE_WRITABLE)
					      : write && !(type & SEG_AR_TYPE_WRITABLE))
			return fault;
	}
	if (!(s->ar & SEG_AR_TYPE_CODE) && (s->ar & SEG_AR_TYPE_EXPDOWN)) {
		/* Expand-down: the valid offsets are limit+1 up to FFFFH, or FFFFFFFFH with B set. */
		uint64_t top = (s->ar & SEG_AR_DB) ? 0xffffffff : 0xffff;
		if (offset <= s->limit || last > top)
			return fault;
	} else if (last > s->limit) {
		return fault;
	}
	*la = (uint32_t)(s->base + offset);
	return 0;
}

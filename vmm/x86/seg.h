/* Segmentation of a data access: the linear address, or the fault the CPU raises (#GP or #SS). */
#ifndef PTV_X86_SEG_H
#define PTV_X86_SEG_H

#include "types.h"
#include "x86/insn.h"

/* A segment register's hidden part as the VMCS holds it (SDM Vol. 3C 25.4.1, Table 25-2 access rights). */
struct seg_cache {
	uint64_t base;
	uint32_t limit; /* in bytes, granularity applied */
	uint32_t ar;
};

#define SEG_AR_TYPE_WRITABLE BIT(1) /* data; for code: readable */
#define SEG_AR_TYPE_EXPDOWN  BIT(2) /* data */
#define SEG_AR_TYPE_CODE     BIT(3)
#define SEG_AR_DB            BIT(14)
#define SEG_AR_UNUSABLE      BIT(16)

enum seg_mode { SEG_REAL, SEG_PROTECTED, SEG_LONG64 }; /* virtual-8086 mode checks as real mode does */

/*
 * The linear address of `size` bytes at `offset` in segment `seg` (described by *s), for a read or a
 * write: 0 and *la, or the vector of the fault (X86_VEC_GP, or X86_VEC_SS for SS), error code 0.
 */
int seg_linear(const struct seg_cache *s, enum insn_seg seg, enum seg_mode mode, uint64_t offset, unsigned size,
	       bool write, uint64_t *la);

#endif

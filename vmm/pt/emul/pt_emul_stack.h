/* What a block's path does to the guest's stack, as far as decoding ahead can tell: where a RET returns. */
#ifndef PTV_PT_EMUL_STACK_H
#define PTV_PT_EMUL_STACK_H

#include "types.h"
#include "x86/insn.h"

#define PT_STK_SLOTS 12 /* stack writes remembered along one path */

/* Bytes of the stack written on the path, at an offset from RSP where the path was decoded. */
struct pt_stk_slot {
	int64_t off;
	uint8_t size;
	bool known; /* val is what was written: a return address a CALL pushed */
	uint64_t val;
};

/*
 * The model starts at the RSP the guest has when the path is decoded, before any of it runs. While
 * rsp_known, RSP is that value + off; while mem_known, every memory write on the path so far went to
 * one of the slots (anything else a path may write is not followed: a RET after it is not predicted).
 */
struct pt_stk {
	unsigned width; /* stack address size in bytes, 4 or 8; 0: not modelled (16-bit stack) */
	bool rsp_known, mem_known;
	int64_t off;
	unsigned n;
	struct pt_stk_slot slot[PT_STK_SLOTS];
};

enum pt_stk_ret {
	PT_STK_RET_UNKNOWN, /* the return address may change before the RET runs: it must be seen */
	PT_STK_RET_PUSHED,  /* pushed on the path: *val */
	PT_STK_RET_MEMORY,  /* in guest memory now, at RSP + *off, and the path does not write it */
};

void pt_stk_start(struct pt_stk *s, unsigned width);
/* `in` (decoded in `mode`) runs on the path; ret_off: the return offset a CALL pushes. */
void pt_stk_insn(struct pt_stk *s, const struct insn *in, enum insn_mode mode, uint64_t ret_off);
/* Where the near RET `in` takes its return address from, were it to run now on the path. */
enum pt_stk_ret pt_stk_ret(const struct pt_stk *s, const struct insn *in, int64_t *off, uint64_t *val);

#endif

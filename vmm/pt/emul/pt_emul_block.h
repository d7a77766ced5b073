/* The emulated PT backend's block engine: traced code runs natively from one branch decision to the next. */
#ifndef PTV_PT_EMUL_BLOCK_H
#define PTV_PT_EMUL_BLOCK_H

#include "types.h"
#include "x86/insn.h"
#include "pt/emul/pt_emul_stack.h"

struct vcpu;
struct pt_guest;
struct pt_emul;
struct ept_violation;

#define PT_BLK_MAX    32 /* instructions decoded ahead per block */
#define PT_BLK_WP_MAX 16 /* code pages kept write-protected while blocks run */
/* Trace bytes a block may produce at most: a TIP (9 bytes) or TNT per instruction and one PSB+. */
#define PT_BLK_ROOM       ((PT_BLK_MAX + 1) * 9 + 64)
#define PT_BLK_ROOM_AHEAD 0x10000 /* output checked ahead at once (pt_out_room) */
#define PT_BLK_CACHE      64      /* decoded paths remembered, by start IP */
#define PT_BLK_WAYS       4       /* ways of each set of the path cache */
#define PT_BLK_READS      4       /* return addresses a path reads from memory when decoded */
#define PT_BLK_PAGES      4       /* code pages of a path checked again after the guest's kernel ran */
#define PT_BLK_XLAT       8       /* guest page translations remembered */
#define PT_BLK_DATA       4       /* guest data pages kept mapped */

/* One instruction of the running block, as decoded before it ran. */
struct pt_blk_insn {
	uint64_t ip; /* linear */
	uint8_t len;
	uint8_t cofi; /* enum pt_cofi */
};

/* A return address a path's RET was predicted from: the stack at RSP + off held val when it was decoded. */
struct pt_blk_read {
	int64_t off;
	uint8_t size;
	uint64_t val;
};

/* A guest data page mapped for reading return addresses and indirect operands (pt_emul_block.c). */
struct pt_blk_data {
	uint64_t page, cr0, cr3, cr4, ept_gen, epoch, visit;
	const uint8_t *host;
};

/* A linear code page of a path and the guest-physical page it translated to. */
struct pt_blk_page {
	uint64_t lin, gpa;
};

/* A guest translation remembered for one set of paging registers, epoch and visit (lin_to_gpa). */
struct pt_blk_xlat {
	bool valid;
	uint64_t lin, gpa, cr0, cr3, cr4, epoch, visit;
};

/* A decoded path from `start` (after the pending instruction at `pend`, 0 if none), valid in one epoch,
   under one CR3, EPT, decoding mode and stack width, while the return addresses it read are unchanged. */
struct pt_blk_cached {
	uint64_t start, pend, epoch, ept_gen, cr3;
	enum insn_mode mode;
	unsigned stack_width;
	unsigned n, nread, packets;
	uint64_t visit;  /* its pages were last seen to translate as when decoded in this visit */
	unsigned npages; /* > PT_BLK_PAGES: too many to check, good for its visit only */
	struct pt_blk_page page[PT_BLK_PAGES];
	struct pt_blk_insn seq[PT_BLK_MAX];
	struct pt_blk_read read[PT_BLK_READS];
	struct insn term;
	bool forked; /* fork, t_end and term_f as in struct pt_emul_blk, relative to the path's start */
	unsigned fork, t_end;
	struct insn term_f;
};

struct pt_blk_stats {
	uint64_t blocks;    /* blocks started (from the step engine or at a decided branch) */
	uint64_t continued; /* of which at a branch decided at its breakpoint */
	uint64_t handed;    /* terminators handed to the step engine */
	uint64_t smc;       /* writes to a write-protected code page */
	uint64_t decoded;   /* paths decoded (not found in the cache) */
	uint64_t rets;      /* RETs inside decoded paths, their return address known ahead (pt_emul_stack.c) */
	uint64_t forks;     /* decoded paths that go on along both successors of their Jcc */
};

/*
 * seq[0..n-1] is the path the guest runs natively; an execute breakpoint in DR0 sits on seq[n-1] (the
 * terminator; a fork has two, below), cursor is the instruction the guest is at. When `pending`, seq[0] is the
 * previous terminator whose outcome was decided at its breakpoint: it runs with RF=1 and seq[n-1] may
 * be the same instruction (a one-block loop), told apart by RF (cleared once seq[0] retires).
 */
struct pt_emul_blk {
	bool enabled; /* pt_engine=block */
	bool on;      /* the guest runs natively towards the terminator */
	bool pending;
	unsigned n, cursor;
	unsigned packets; /* of seq[0..n-1], instructions that may produce a packet */
	struct pt_blk_insn seq[PT_BLK_MAX + 1];
	struct insn term; /* seq[n-1] decoded: its bytes are write-protected since */
	/*
	 * A fork (pt_emul_block.c fork_jcc): seq[fork] is a Jcc, seq[fork+1..t_end-1] its taken side up to
	 * the terminator `term`, seq[t_end..n-1] the other side up to `term_f`. Resolved into one path once
	 * the guest is seen on a side.
	 */
	bool fork_on; /* pt_fork=on (default) */
	bool forked;
	unsigned fork, t_end;
	struct insn term_f;
	struct pt_stk stk; /* while a path is decoded */
	unsigned npages;   /* ... and the code pages it runs from */
	struct pt_blk_page page[PT_BLK_PAGES];
	unsigned nread;
	struct pt_blk_read read[PT_BLK_READS];
	uint64_t saved_dr0, saved_dr1, saved_dr7;
	/* While a path is decoded: the linear code page last mapped and the last one made read-only. */
	uint64_t walk_page, prot_page;
	const uint8_t *walk_host;
	uint64_t room_end;                    /* out.st.bytes at which the current ToPA region fills */
	struct pt_blk_data data[PT_BLK_DATA]; /* guest pages read_lin() read last */
	struct {
		uint64_t gpa;
		unsigned perms;
	} wp[PT_BLK_WP_MAX];
	unsigned wp_n;
	bool warned;
	/*
	 * Paths decoded earlier stay good while their bytes are write-protected and no instruction that
	 * remaps code (MOV CR, INVLPG, a far transfer; all stepped) or an emulated one has run since: those
	 * start a new epoch. A guest that edits a live PTE of its code without INVLPG is not seen.
	 */
	uint64_t epoch;
	struct pt_blk_cached cache[PT_BLK_CACHE];
	unsigned victim;  /* the way a missed path replaces next */
	uint64_t own_gen; /* EPT generations spent on the engine's own code-page protection */
	/* Times the guest's kernel ran natively (pt_emul_cpl.c): translations are checked again after. */
	uint64_t visit;
	struct pt_blk_xlat xlat[PT_BLK_XLAT];
	struct pt_blk_stats st;
};

/* In the step engine, the instruction at ip decoded into `prev`: runs natively from here when it can. */
void pt_emul_block_try(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip);
/* A #DB while blocks run: true when it was the block breakpoint or a step due after an emulated instruction. */
bool pt_emul_block_db(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t dr6);
/*
 * Back to the step engine at the current IP (an event, an exception, a TraceEn write): the block's
 * instructions before it are accounted and the one there is decoded into `prev`, as stepping leaves it.
 */
void pt_emul_block_leave(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e);
/* The guest's kernel ran natively (it may have remapped code or stack without an exit). */
void pt_emul_block_kernel_ran(struct pt_emul *e);
/* Tracing stops: breakpoint and code-page write protection go. */
void pt_emul_block_off(struct vcpu *v, struct pt_emul *e);
/* ptvisor itself writes the guest page at gpa (a frame's TF): it may hold code, writable again. */
void pt_emul_block_writable(struct vcpu *v, uint64_t gpa);
/* An EPT violation: a write to a protected code page ends the block (enum ept_fault_result). */
int pt_emul_block_ept(struct vcpu *v, const struct ept_violation *ev);

#endif

/* Test model for PT generation: a tiny x86 code builder and a reference executor that feeds pt_gen. */
#ifndef PTV_TEST_PT_CODE_H
#define PTV_TEST_PT_CODE_H

#include "types.h"
#include "pt/gen/pt_gen.h"

/*
 * Programs are real x86 bytes (libipt decodes them) built from a few
 * instruction kinds; each instruction also gets a descriptor that tells the
 * executor what it does, so the control flow is fixed by the test's design.
 */
enum ptx_kind {
	PTX_NOP,      /* 90 */
	PTX_JCC,      /* 0f 85 rel32 (jnz); taken per take(count) */
	PTX_JMP,      /* e9 rel32 */
	PTX_CALL,     /* e8 rel32 */
	PTX_RET,      /* c3; returns to the executor's stack top, or to target if set */
	PTX_JMP_IND,  /* ff e0 (jmp rax); targets[] in turn */
	PTX_CALL_IND, /* ff d0 (call rax); targets[] in turn */
	PTX_IRET,     /* 48 cf (64-bit) / cf (32-bit); back to the last interrupt frame */
	PTX_INT3,     /* cc; to target, in mode */
	PTX_LJMP,     /* ea ptr16:32 (32-bit only); to target, in mode */
	PTX_MOV_CR3,  /* 0f 22 d8 (mov cr3, rax); CR3 := target */
	PTX_POP,      /* 58 (pop rax); drops the executor's stack top */
	PTX_HLT,      /* f4; ends the run */
};

#define PTX_MAX_INSNS   256
#define PTX_MAX_REGIONS 4
#define PTX_REGION_SIZE 0x4000
#define PTX_MAX_TARGETS 8

struct ptx_insn {
	uint64_t ip;
	uint8_t len;
	enum ptx_kind kind;
	uint64_t target;
	bool (*take)(unsigned count);
	uint64_t targets[PTX_MAX_TARGETS];
	unsigned ntargets;
	enum pt_cpu_mode mode;
	unsigned count; /* executions so far */
};

struct ptx_region {
	uint64_t base;
	uint8_t bytes[PTX_REGION_SIZE];
	size_t used;
	bool bits32; /* IRET encoding */
};

struct ptx_prog {
	struct ptx_region regions[PTX_MAX_REGIONS];
	unsigned nregions;
	struct ptx_insn insns[PTX_MAX_INSNS];
	unsigned ninsns;
};

void ptx_prog_init(struct ptx_prog *p);
unsigned ptx_region_add(struct ptx_prog *p, uint64_t base, bool bits32);
uint64_t ptx_here(const struct ptx_prog *p, unsigned r);
/* Appends one instruction to region r; returns its descriptor (set target etc. later). */
struct ptx_insn *ptx_emit(struct ptx_prog *p, unsigned r, enum ptx_kind kind);
/* Sets the target of a direct branch (patching rel32 / ptr16:32) or of INT3/MOV CR3/RET. */
void ptx_set_target(struct ptx_prog *p, struct ptx_insn *in, uint64_t target);
const struct ptx_insn *ptx_find(const struct ptx_prog *p, uint64_t ip);
/* Copies code bytes at ip for a decoder; returns the count or -1 when unmapped. */
int ptx_read(const struct ptx_prog *p, uint8_t *buf, size_t size, uint64_t ip);

/* The executor: walks the program, records the IPs executed while tracing, feeds pt_gen. */
#define PTX_MAX_DEPTH 512

struct ptx_exec {
	struct ptx_prog *prog;
	struct pt_gen *gen;
	uint64_t ip, cr3, tsc;
	enum pt_cpu_mode mode;
	uint64_t stack[PTX_MAX_DEPTH];
	unsigned depth;
	uint64_t frames[PTX_MAX_DEPTH];
	enum pt_cpu_mode frame_modes[PTX_MAX_DEPTH];
	unsigned nframes;
	uint64_t *ips; /* executed while the generator was on */
	enum pt_cpu_mode *modes;
	size_t n, cap;
	unsigned steps;
	bool user_only; /* trace only the low half (CPL 3), like RTIT_CTL.User alone */
};

void ptx_exec_init(struct ptx_exec *x, struct ptx_prog *p, struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode);
void ptx_exec_free(struct ptx_exec *x);
/* Executes one instruction; false once a HLT has executed. */
bool ptx_exec_step(struct ptx_exec *x);
/* Delivers an interrupt before the instruction at x->ip. */
void ptx_exec_interrupt(struct ptx_exec *x, uint64_t handler, enum pt_cpu_mode mode);
/* Runs to HLT (at most max steps), calling hook before each step, then stops tracing. */
void ptx_exec_run(struct ptx_exec *x, unsigned max, void (*hook)(struct ptx_exec *x, void *ctx), void *ctx);

/* An in-memory trace sink; drop discards output (a lost stretch). */
struct ptx_sink {
	uint8_t *buf;
	size_t n, cap;
	bool drop;
};

void ptx_sink_emit(void *ctx, const uint8_t *p, size_t n);
void ptx_sink_free(struct ptx_sink *s);

#endif

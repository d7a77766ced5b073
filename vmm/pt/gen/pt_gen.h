/* The emulated PT backend's packet generator: executed instructions in, Intel PT packets out. */
#ifndef PTV_PT_GEN_H
#define PTV_PT_GEN_H

#include "types.h"
#include "pt/gen/pt_packet.h"

/*
 * The stepping engine reports each executed guest instruction (and each
 * interrupt, enable, disable and lost output) and the generator writes the
 * packet stream hardware would (SDM Vol. 3C 33.4 "Trace Packets and Data
 * Types"), so a standard decoder (libipt) rebuilds the exact instruction flow.
 * Pure logic: no guest memory, no VMX. Output goes through emit() in packet
 * order; a packet is never split across two calls.
 */

/* The output sink: n bytes of whole packets. */
typedef void (*pt_emit_fn)(void *ctx, const uint8_t *p, size_t n);

/* The IA32_RTIT_CTL bits the generator honours (SDM 33.2.8.2). */
struct pt_gen_cfg {
	bool branch_en;    /* BranchEn: TNT, TIP and FUP for control flow */
	bool tsc_en;       /* TSCEn: TSC packets in PSB+ and on request */
	bool dis_retc;     /* DisRETC: never compress RETs into a TNT bit */
	bool os;           /* OS: CPL-0 tracing; PIPs are sent only with it */
	unsigned psb_freq; /* PSBFreq: a PSB+ every 2K << psb_freq output bytes */
	uint8_t cbr;       /* core:bus ratio reported by a CBR in each PSB+; 0: no CBR */
};

/* What kind of change of flow instruction (COFI, SDM 33.2.1) was executed. */
enum pt_cofi {
	PT_COFI_NONE,          /* not a branch: no packet */
	PT_COFI_JCC,           /* conditional jump (and LOOP, JCXZ): one TNT bit */
	PT_COFI_JMP_DIRECT,    /* near relative JMP: no packet */
	PT_COFI_JMP_INDIRECT,  /* near JMP r/m: TIP */
	PT_COFI_CALL_DIRECT,   /* near relative CALL: no packet, pushes the return address */
	PT_COFI_CALL_INDIRECT, /* near CALL r/m: TIP, pushes the return address */
	PT_COFI_RET,           /* near RET: a taken TNT bit if compressed, else TIP */
	PT_COFI_FAR,           /* far JMP/CALL/RET, INT n, IRET, SYSCALL, SYSRET...: [MODE.Exec] TIP */
	PT_COFI_MOV_CR3,       /* MOV to CR3: PIP (when OS) */
};

/* One executed instruction, as the stepping engine saw it. */
struct pt_step {
	uint64_t ip;      /* linear IP of the instruction */
	uint64_t next_ip; /* linear IP execution continues at (target or fall-through) */
	enum pt_cofi cofi;
	uint8_t len;           /* instruction length: near calls push ip + len */
	bool taken;            /* PT_COFI_JCC: branch taken */
	enum pt_cpu_mode mode; /* PT_COFI_FAR: the mode after the transfer */
	uint64_t cr3;          /* PT_COFI_MOV_CR3: the new CR3 */
	uint64_t tsc;          /* TSC after the instruction (used by PSB+) */
};

#define PT_CALL_DEPTH 64 /* hardware's and libipt's return-compression stack */

struct pt_gen {
	struct pt_gen_cfg cfg;
	pt_emit_fn emit;
	void *ctx;
	bool on; /* packets are being generated (TraceEn, in context) */
	struct pt_last_ip last;
	uint64_t tnt_bits; /* pending TNT results, newest in bit 0 */
	unsigned tnt_n;
	uint64_t calls[PT_CALL_DEPTH]; /* return addresses, a ring */
	unsigned call_top, call_n;     /* next push slot, entries held */
	enum pt_cpu_mode mode;
	uint64_t cr3, tsc;
	uint64_t since_psb; /* bytes emitted since the last PSB */
	uint64_t bytes;     /* bytes emitted in all */
};

void pt_gen_init(struct pt_gen *g, const struct pt_gen_cfg *cfg, pt_emit_fn emit, void *ctx);
/* TraceEn 0->1 at ip: PSB+ (PSB, TSC, CBR, PIP, PSBEND), then MODE.Exec and TIP.PGE(ip). */
void pt_gen_start(struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode, uint64_t cr3, uint64_t tsc);
/* What TraceEn 0->1 found: where, in what state, whether the filters pass, IA32_RTIT_STATUS.PacketByteCnt. */
struct pt_gen_enable {
	uint64_t ip;
	enum pt_cpu_mode mode;
	uint64_t cr3, tsc;
	bool in_ctx;
	uint32_t byte_cnt;
};
#define PT_GEN_BYTE_CNT_MASK 0x1ffffu /* IA32_RTIT_STATUS bits 48:32 */
/* TraceEn 0->1: PSB+ only when byte_cnt is 0 (else TSC/CBR), then MODE.Exec + TIP.PGE(ip) if in_ctx. */
void pt_gen_enable(struct pt_gen *g, const struct pt_gen_enable *en);
/* IA32_RTIT_STATUS.PacketByteCnt: bytes since the last PSB (never 0 once a PSB went out). */
uint32_t pt_gen_byte_cnt(const struct pt_gen *g);
/* After each executed instruction; may append a PSB+ at the boundary. */
void pt_gen_insn(struct pt_gen *g, const struct pt_step *s);
/*
 * An interrupt, exception or other asynchronous transfer taken before the
 * instruction at from_ip completed: FUP(from_ip), [MODE.Exec], TIP(to_ip).
 */
void pt_gen_event(struct pt_gen *g, uint64_t from_ip, uint64_t to_ip, enum pt_cpu_mode mode);
/*
 * The instruction s leaves the traced context (e.g. SYSCALL or INT n into CPL 0
 * with only USER tracing): a far transfer ends with TIP.PGD, IP suppressed, so
 * the decoder still shows the instruction (SDM 33.4.2, "Packet Generation
 * Disable (TIP.PGD) Packet"). Other kinds are traced normally, then stopped at next_ip.
 * pt_gen_resume() brings tracing back where the context is entered again.
 */
void pt_gen_insn_exit(struct pt_gen *g, const struct pt_step *s);
/* Tracing stops before the instruction at ip: FUP(ip), TIP.PGD (IP suppressed). */
void pt_gen_stop(struct pt_gen *g, uint64_t ip);
/* Tracing comes back without a new PSB (filter true again): [MODE.Exec] TIP.PGE(ip). */
void pt_gen_resume(struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode);
/* Output was lost; tracing continues at ip: OVF, [TSC], FUP(ip), pending TNT dropped. */
void pt_gen_overflow(struct pt_gen *g, uint64_t ip, uint64_t tsc);
/* A TSC packet now (TSCEn only), e.g. after a VM exit gap. */
void pt_gen_tsc(struct pt_gen *g, uint64_t tsc);
/* A PSB+ now at the boundary before ip (also done every 2K << PSBFreq bytes). */
void pt_gen_psb(struct pt_gen *g, uint64_t ip);
/* An instruction without a packet of its own (not a branch, or a direct JMP) emits nothing now: no PSB is due. */
static inline bool pt_gen_quiet(const struct pt_gen *g)
{
	return !g->on || g->since_psb < ((uint64_t)2048 << g->cfg.psb_freq);
}
/* Writes out pending TNT bits, e.g. before the engine hands the buffer over. */
void pt_gen_flush(struct pt_gen *g);

#endif

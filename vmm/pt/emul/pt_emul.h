/* The emulated Intel PT backend: single-steps a tracing guest and produces the packets hardware would. */
#ifndef PTV_PT_EMUL_H
#define PTV_PT_EMUL_H

#include "types.h"
#include "x86/insn.h"
#include "pt/emul/pt_emul_out.h"
#include "pt/gen/pt_gen.h"

struct vcpu;
struct pt_guest;

#define PT_EMUL_STAGE    512

struct pt_emul_stats {
	uint64_t steps;          /* guest instructions stepped while TraceEn=1 */
	uint64_t traced;         /* ... of which in context (packets generated) */
	uint64_t step_exits;     /* #DB exits taken for stepping */
	uint64_t events;         /* exceptions and interrupts seen in traced code */
	uint64_t enables, disables;
	uint64_t exits_at_enable, tsc_at_enable, bytes_at_enable;
};

struct pt_emul {
	struct pt_gen gen;
	struct pt_out out;
	bool active;             /* TraceEn=1 with usable output: the guest is being stepped */
	bool in_ctx;             /* the filters pass: packets are being generated */
	bool have_prev;          /* `prev` holds the instruction about to retire */
	uint64_t prev_ip;
	struct insn prev;
	/*
	 * TF stepping borrows the real RFLAGS.TF, so the guest's own TF is kept here: POPF and IRET
	 * load it, PUSHF and event frames show it, and a single-step trap is delivered to the guest
	 * whenever it was set for an instruction (SDM 17.3.1.4 "Single-Step Exception Condition").
	 */
	bool vtf;
	bool prev_sets_tf, prev_new_tf, prev_pushes_flags;
	bool bp_frame, bp_frame_err;   /* the handler breakpoint follows a delivery whose frame holds our TF */
	bool bp_armed;           /* DR0 holds an instruction breakpoint on an event handler */
	uint64_t bp_ip;
	uint64_t saved_dr0, saved_dr7;
	uint32_t saved_exc_bitmap;
	/* The page the last instruction was fetched from, valid while the translation cannot have changed. */
	struct {
		bool valid;
		uint64_t lin_page, cr0, cr3, cr4, ept_gen;
		const uint8_t *host;
	} code;
	uint8_t stage[PT_EMUL_STAGE];
	size_t stage_len;
	/* Ground truth for tests (pt_riplog=on): the traced instructions' IPs, counted and hashed (FNV-1a 64
	   over each IP as 8 little-endian bytes), printed when tracing stops. */
	bool riplog;
	uint64_t rip_count, rip_fnv, rip_first, rip_last;
	struct pt_emul_stats st;
};

/* How tracing guests are single-stepped; chosen at boot by pt_step_probe(). */
enum pt_step_mech {
	PT_STEP_TF = 0,      /* RFLAGS.TF with #DB intercepted (works everywhere, guest-visible TF) */
	PT_STEP_MTF,         /* the monitor trap flag (invisible to the guest; real CPUs, nested KVM) */
};
extern enum pt_step_mech pt_step_mech;
const char *pt_step_mech_name(enum pt_step_mech m);

/* The per-guest state, indexed by guest id. */
struct pt_emul *pt_emul_of(struct vcpu *v);
void pt_emul_reset(struct vcpu *v, bool riplog);
/* After a successful guest write of IA32_RTIT_CTL (old value given): start or stop tracing. */
void pt_emul_ctl_written(struct vcpu *v, struct pt_guest *pg, uint64_t old_ctl);
/* ptvisor injects external interrupt `vector` into a stepped guest: event packets, handler traced. */
void pt_emul_event_injected(struct vcpu *v, unsigned vector);
/* A monitor-trap-flag exit of a guest stepped with MTF; false if it is not ours. */
bool pt_emul_mtf(struct vcpu *v);
/* An exception exit while this guest is stepped; false if it is not ours to handle. */
bool pt_emul_exception(struct vcpu *v, uint32_t intr_info);
/* Called when the guest stops: flush what is pending and stop tracing. */
void pt_emul_guest_stopped(struct vcpu *v);

#endif

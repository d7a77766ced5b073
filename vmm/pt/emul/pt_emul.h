/* The emulated Intel PT backend: runs a tracing guest block by block or steps it, and produces the packets hardware would. */
#ifndef PTV_PT_EMUL_H
#define PTV_PT_EMUL_H

#include "types.h"
#include "x86/insn.h"
#include "pt/emul/pt_emul_out.h"
#include "pt/gen/pt_gen.h"
#include "pt/emul/pt_emul_block.h"
#include "ept/ept_view.h"

struct vcpu;
struct pt_backend_ops;
struct pt_guest_config;

#define PT_EMUL_STAGE 512

struct pt_emul_stats {
	uint64_t steps;      /* guest instructions stepped while TraceEn=1 */
	uint64_t traced;     /* ... of which in context (packets generated) */
	uint64_t step_exits; /* #DB exits taken for stepping */
	uint64_t events;     /* exceptions and interrupts seen in traced code */
	uint64_t enables, disables;
	uint64_t exits_at_enable, tsc_at_enable, bytes_at_enable;
	uint64_t outside;       /* times the guest went native with nothing traceable (pt_emul_outside.c) */
	uint64_t outside_exits; /* MOV-to-CR3 exits taken while native */
	uint64_t cpl;           /* times the guest went native at an excluded CPL (pt_emul_cpl.c) */
	uint64_t cpl_exits;     /* fetches at a traced CPL that ended such a run */
};

/*
 * The execute breakpoint that catches an event handler's first instruction (event delivery clears
 * the TF that steps the guest). It borrows one debug register from the moment the event is known
 * until its handler is reached: the delivery alone, during which no guest instruction runs. A
 * register the guest's DR7 leaves disabled is taken when there is one, else DR3 ("stolen"), whose
 * guest breakpoint is then checked in software at both ends of the window (pt_emul_dr.c).
 */
struct pt_emul_bp {
	bool armed;
	bool stolen;        /* the slot holds an enabled breakpoint of the guest's */
	unsigned slot;      /* DR0-DR3 */
	uint64_t ip;        /* linear address of the handler */
	uint64_t saved_dr;  /* the guest's value of DR<slot> */
	uint64_t saved_dr7; /* the guest's DR7 */
};

struct pt_emul {
	struct pt_gen gen;
	struct pt_out out;
	bool active;           /* TraceEn=1 with usable output: the guest is being stepped or runs outside */
	bool outside_on;       /* pt_outside=on: run natively where nothing can be traced */
	bool outside;          /* running natively now, until a MOV to CR3 exits (pt_emul_outside.c) */
	bool cpl_on;           /* pt_cpl=on: run natively at a privilege level the filter excludes */
	bool cpl;              /* running natively now under the outside view (pt_emul_cpl.c) */
	uint8_t filter_ranges; /* ADDRn with ADDRn_CFG = 1 (FilterEn), bit n; fixed while TraceEn=1 */
	uint8_t stop_ranges;   /* ADDRn with ADDRn_CFG = 2 (TraceStop) */
	bool in_ctx;           /* the filters pass: packets are being generated */
	bool have_prev;        /* `prev` holds the instruction about to retire */
	uint64_t prev_ip;
	struct insn prev;
	/*
	 * TF stepping borrows the real RFLAGS.TF, so the guest's own TF is kept here: POPF and IRET
	 * load it, PUSHF and event frames show it, and a single-step trap is delivered to the guest
	 * whenever it was set for an instruction (SDM 17.3.1.4 "Single-Step Exception Condition").
	 */
	bool vtf;
	bool prev_sets_tf, prev_new_tf, prev_pushes_flags;
	bool prev_syscall, prev_sysret; /* R11 holds the guest's RFLAGS image (SDM Vol. 2B SYSCALL, SYSRET) */
	bool bp_frame, bp_frame_err;    /* the handler breakpoint follows a delivery whose frame holds our TF */
	struct pt_emul_bp bp;
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
	struct pt_emul_blk blk; /* pt_engine=block (pt_emul_block.c) */
	struct ept_view view;   /* the outside view (pt_emul_cpl.c), built at its first use */
};

/* How tracing guests are single-stepped; chosen at boot by the MTF self-test (guest/step_probe.c). */
enum pt_step_mech {
	PT_STEP_TF = 0, /* RFLAGS.TF with #DB intercepted (works everywhere, guest-visible TF) */
	PT_STEP_MTF,    /* the monitor trap flag (invisible to the guest; real CPUs, nested KVM) */
};
extern enum pt_step_mech pt_step_mech;
const char *pt_step_mech_name(enum pt_step_mech m);

/* The emulated backend's hooks; the second set adds the hardware path's entry/exit pair for a host
   that traces itself while its guests are emulated. */
extern const struct pt_backend_ops pt_emul_ops;
extern const struct pt_backend_ops pt_emul_ops_host_traced;

/* At guest creation (pt_guest_attach): fresh state, set up as the guest's module command line says. */
void pt_emul_init(struct vcpu *v, const struct pt_guest_config *c);

/* The hooks, also called directly by the unit tests' CPU model (pt_emul_cpu.c). */
bool pt_emul_exception(struct vcpu *v, uint32_t intr_info);
bool pt_emul_mtf(struct vcpu *v);
void pt_emul_event_injected(struct vcpu *v, unsigned vector);
void pt_emul_stopped(struct vcpu *v);
void pt_emul_descheduled(struct vcpu *v);
bool pt_emul_cr3_load(struct vcpu *v);

#endif

/*
 * One guest's Intel PT: which backend serves it, the capabilities it sees, its
 * virtual RTIT MSRs and each backend's state. It lives in the guest, is
 * attached to the guest's vCPU once at creation (vcpu.pt, vcpu.pt_ops) and is
 * reached by the VMX core only through vmx/pt_backend.h.
 */
#ifndef PTV_PT_GUEST_H
#define PTV_PT_GUEST_H

#include "types.h"
#include "cmdline.h"
#include "pt/pt_ctx.h"
#include "pt/pt_vcaps.h"
#include "pt/emul/pt_emul.h"

struct vcpu;
struct vpmu;

/* Outcomes of the PT output-buffer EPT-violation handler (pt/hw/pt_outbuf.c). */
struct pt_outbuf_stats {
	uint64_t not_trace; /* not a trace access: left to the other handlers */
	uint64_t resolved;  /* a GPA in the guest's RAM made present/writable, guest resumed */
	uint64_t outside;   /* a GPA outside the guest's RAM: its trace stopped with STATUS.Error */
	uint64_t failed;    /* mapping the page back failed: the guest is stopped */
};

struct pt_guest {
	enum pt_backend backend; /* PT_BACKEND_HW, _EMULATED or _OFF */
	struct pt_vcaps caps;
	struct pt_vctx ctx;
	/* The vCPU's PMU: a ToPA PMI sets IA32_PERF_GLOBAL_STATUS[55] there (SDM 33.2.7.2). */
	struct vpmu *pmu;
	bool pmi_pending; /* hardware path: a ToPA PMI recorded, its LVT PC interrupt not yet raised */
	bool error_reported;
	uint64_t traced_exits;         /* hardware path: VM exits with the guest's TraceEn=1 (selftest=pt) */
	struct pt_outbuf_stats outbuf; /* hardware path */
	struct pt_emul emul;           /* emulated backend */
};

/* What the guest's module command line says about its PT. */
struct pt_guest_config {
	bool pt;             /* pt=on: the guest may see Intel PT if the mode allows */
	const char *pt_caps; /* pt_caps= for the hardware path; "" = all */
	bool riplog;         /* pt_riplog=on */
	bool outside;        /* pt_outside=on (the default) */
	bool cpl;            /* pt_cpl=on (the default) */
	bool fork;           /* pt_fork=on (the default) */
	bool step_engine;    /* pt_engine=step */
};

/*
 * Chooses the guest's backend from the boot decision (pt_rt) and its configuration, sets up
 * its capabilities (printed) and state, and attaches it to v: v->pt = pg, v->pt_ops = the backend's
 * hooks. Without PT the guest sees a CPU without Intel PT; on the hardware path the hooks still
 * switch host tracing around it.
 */
void pt_guest_attach(struct pt_guest *pg, struct vcpu *v, const struct pt_guest_config *c);

#endif

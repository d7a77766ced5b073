/* What a guest sees of Intel PT: CPUID leaves 07H.EBX[25] and 14H, and the IA32_RTIT_* MSRs. */
#ifndef PTV_PT_GUEST_H
#define PTV_PT_GUEST_H

#include "types.h"
#include "cpu.h"
#include "cmdline.h"
#include "pt/pt_ctx.h"
#include "pt/pt_vcaps.h"

struct vcpu;

/* Outcomes of the PT output-buffer EPT-violation handler (pt_outbuf.c). */
struct pt_outbuf_stats {
	uint64_t not_trace;     /* not a trace access: left to the other handlers */
	uint64_t resolved;      /* a GPA in the guest's RAM made present/writable, guest resumed */
	uint64_t outside;       /* a GPA outside the guest's RAM: its trace stopped with STATUS.Error */
	uint64_t failed;        /* mapping the page back failed: the guest is stopped */
};

/*
 * One guest's Intel PT: which backend serves it, the capabilities it sees,
 * its virtual RTIT MSRs, and the hardware path's bookkeeping.
 */
struct pt_guest {
	enum pt_backend backend;        /* PT_BACKEND_HW, _EMULATED or _OFF */
	struct pt_vcaps caps;
	struct pt_vctx ctx;
	/* Virtual IA32_PERF_GLOBAL_STATUS: only bit 55 (Trace_ToPA_PMI) is modelled (SDM 33.2.7.2). */
	uint64_t perf_global_status;
	bool pmi_pending;               /* a ToPA PMI waits for delivery through the guest's LVT */
	bool error_reported;
	struct pt_outbuf_stats outbuf;
};

/* Adjusts a CPUID answer for the guest's PT exposure (the filter has already cleared PT). */
void pt_guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
/* RTIT MSR access by the guest; false means #GP (MSR absent for this guest or a rule broken). */
bool pt_guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool pt_guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);

/* ---- hardware path hooks (pt_guest_hw.c); all no-ops unless the guest's backend is HW ---- */

/* Set at boot when the hardware path runs (host tracing or hw guests); false on Bochs. */
extern bool pt_hw_hooks_on;

/* The guest's PT state; NULL for a vcpu without a guest. */
struct pt_guest *pt_guest_of(struct vcpu *v);
/*
 * A ToPA PMI (IA32_PERF_GLOBAL_STATUS[55]) is pending for this guest. The
 * emulated backend hands it at once to vlapic_pmi() (vmx/vlapic_vmx.c), which
 * delivers it through the guest's LVT PC entry and clears pmi_pending; the
 * hardware path (pt_pmi.c) only records it so far.
 */
bool pt_guest_pmi_pending(struct vcpu *v);
/* The guest goes away (guest_destroy): the CPU forgets it; its next user starts afresh. */
void pt_guest_release(struct vcpu *v);
/* The guest's PT is served by the hardware path. */
bool pt_guest_is_hw(struct vcpu *v);
bool pt_guest_hw_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool pt_guest_hw_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);
/* Around every world switch (pt_hw.c); panics if the entry would break SDM 27.2.1.3. */
void pt_guest_before_entry(struct vcpu *v);
void pt_guest_after_exit(struct vcpu *v);
static inline void pt_guest_entry_hook(struct vcpu *v)
{
	if (pt_hw_hooks_on)
		pt_guest_before_entry(v);
}
static inline void pt_guest_exit_hook(struct vcpu *v)
{
	if (pt_hw_hooks_on)
		pt_guest_after_exit(v);
}
struct ept_violation;
/* The output-buffer EPT-violation handler for v's guest (enum ept_fault_result). */
int pt_guest_ept_violation(struct vcpu *v, const struct ept_violation *ev);

#endif

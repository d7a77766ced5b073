/* Intel PT on the hardware path: lazy RTIT MSR switching, VM-entry ordering, ToPA PMIs. */
#ifndef PTV_PT_HW_H
#define PTV_PT_HW_H

#include "types.h"
#include "cmdline.h"
#include "pt/pt_guest.h"
#include "vmx/vcpu.h"

/*
 * One physical CPU's PT state. The CPU's trace-output MSRs (OUTPUT_BASE,
 * OUTPUT_MASK_PTRS, STATUS) and filter MSRs (CR3_MATCH, ADDRn_A/B) belong to
 * one owner at a time; they move only when the next one to run needs them.
 */
struct pt_hw_cpu {
	enum pt_mode mode;
	bool host_trace;                            /* the VMM traces itself into the host buffer */
	uint64_t host_ctl;                          /* IA32_RTIT_CTL while the VMM runs */
	uint64_t host_base, host_mask, host_status; /* host outputs, while not in the CPU */
	struct pt_guest *outputs;                   /* owner of the output MSRs; NULL = the host */
	struct pt_guest *filters;                   /* owner of the filter MSRs; NULL = nobody */
	bool traceen;                               /* IA32_RTIT_CTL.TraceEn as ptvisor last left it */
	uint64_t accesses;                          /* every RDMSR/WRMSR of an IA32_RTIT_* MSR made here */
	uint64_t window_start;                      /* `accesses` at the last VM exit */
	uint64_t host_pmis, guest_pmis;
	bool host_pmi_pending; /* the host buffer's consumer has a region to drain */
};

/* Pure set-up: no MSR is touched. host_ctl matters only with host_trace. */
void pt_hw_cpu_init(struct pt_hw_cpu *cpu, enum pt_mode mode, bool host_trace, uint64_t host_ctl);
/* Starts host tracing into the ToPA table at topa_pa: OUTPUT_BASE, MASK_PTRS, STATUS, then CTL. */
int pt_hw_host_start(struct pt_hw_cpu *cpu, paddr_t topa_pa);
/* Stops host tracing (CTL first) and reads back where the output stands. */
void pt_hw_host_stop(struct pt_hw_cpu *cpu);
/* After pt_hw_host_stop: tracing goes on where it stopped (CTL only). */
void pt_hw_host_resume(struct pt_hw_cpu *cpu);
/* A new guest's PT state: reset MSRs, backend and capabilities as given. */
void pt_hw_guest_init(struct pt_guest *g, enum pt_backend backend, const struct pt_vcaps *caps);

/*
 * Right before VMLAUNCH/VMRESUME of g (interrupts off). Host TraceEn is
 * cleared first whenever the VMM is tracing and the mode does not trace
 * guests (SDM 27.2.1.3: "load IA32_RTIT_CTL" needs TraceEn=0; SDM 33.2.8.1:
 * the other MSRs change only with TraceEn=0); then a tracing guest's outputs
 * and filters are put in place if the CPU does not hold them already.
 * Closes the exit's accounting window into st. Returns -1 if host TraceEn
 * would still be 1 at an entry that loads IA32_RTIT_CTL.
 */
int pt_hw_before_entry(struct pt_hw_cpu *cpu, struct pt_guest *g, bool load_rtit, struct vcpu_stats *st);
/*
 * Right after the VM exit of g: takes the guest IA32_RTIT_CTL the CPU saved
 * in the VMCS (SDM 28.3.1 "Saving Control Registers, Debug Registers,
 * and MSRs") and, if the VMM traces, saves the guest's outputs,
 * restores the host's and sets host TraceEn last.
 */
void pt_hw_after_exit(struct pt_hw_cpu *cpu, struct pt_guest *g);
/* Guest RDMSR/WRMSR of IA32_RTIT_* under the rules of rtit.c; false = #GP. */
bool pt_hw_rdmsr(struct pt_hw_cpu *cpu, struct pt_guest *g, uint32_t msr, uint64_t *val);
bool pt_hw_wrmsr(struct pt_hw_cpu *cpu, struct pt_guest *g, uint32_t msr, uint64_t val);
/* Stops g's trace as an operational error would: IA32_RTIT_STATUS.Error = 1 (SDM 33.3.9 "Operational Errors"). */
void pt_hw_guest_error(struct pt_hw_cpu *cpu, struct pt_guest *g);
/* g goes away: the CPU forgets it as an owner. */
void pt_hw_guest_release(struct pt_hw_cpu *cpu, struct pt_guest *g);
/*
 * A PMI arrived (in_guest: it made g exit). If IA32_PERF_GLOBAL_STATUS[55]
 * says a ToPA region with INT=1 filled, acknowledges it and records it for
 * its owner: g when g's output was live, else the host buffer. false when
 * the PMI was not PT's.
 */
bool pt_hw_pmi(struct pt_hw_cpu *cpu, struct pt_guest *g, bool in_guest);

struct pt_backend_ops;
/* The hardware path's hooks for a vCPU (pt_guest_hw.c), and its entry/exit pair on its own. */
extern const struct pt_backend_ops pt_hw_ops;
void pt_hw_vcpu_before_entry(struct vcpu *v);
/* pt_hw_before_entry for v with its VMCS's "load IA32_RTIT_CTL" entry control; -1 = must not enter. */
int pt_hw_vcpu_entry_ready(struct vcpu *v);
void pt_hw_vcpu_after_exit(struct vcpu *v);

#endif

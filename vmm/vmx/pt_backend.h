/*
 * The one interface between the VMX core and a guest's Intel PT backend. The
 * backend (none, the hardware path in pt/hw/, the emulated one in pt/emul/) is
 * chosen when the guest is created and left in vcpu.pt_ops; the VMX core calls
 * it only through these hooks and includes nothing else of pt/. A NULL hook
 * means "nothing to do": the guest sees a CPU without Intel PT there.
 */
#ifndef PTV_VMX_PT_BACKEND_H
#define PTV_VMX_PT_BACKEND_H

#include "types.h"
#include "cpu.h"
#include "vmx/vcpu.h"

struct ept_violation;

struct pt_backend_ops {
	const char *name;
	/* CPUID 07H.EBX[25] and leaf 14H as the guest sees them; r holds the host's answer with PT cleared. */
	void (*cpuid)(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
	/* IA32_RTIT_*; false = #GP. (The ToPA PMI's status MSRs are the vCPU's PMU's: vpmu.h.) */
	bool (*rdmsr)(struct vcpu *v, uint32_t msr, uint64_t *val);
	bool (*wrmsr)(struct vcpu *v, uint32_t msr, uint64_t val);
	/* Right before every VM entry and right after every VM exit (interrupts off). */
	void (*before_entry)(struct vcpu *v);
	void (*after_exit)(struct vcpu *v);
	/* An intercepted exception (interruption information given) or an MTF exit: true if it was the backend's. */
	bool (*exception)(struct vcpu *v, uint32_t intr_info);
	bool (*mtf)(struct vcpu *v);
	/* ptvisor injects external interrupt `vector` at the next entry (VMCS current). */
	void (*event_injected)(struct vcpu *v, unsigned vector);
	/* An EPT violation: an enum ept_fault_result, EPT_FAULT_UNHANDLED when it is not the backend's. */
	int (*ept_violation)(struct vcpu *v, const struct ept_violation *ev);
	/* A MOV to CR3 exited (CR3-load exiting, which only a backend turns on): true if the backend took it
	   and the instruction is left to run at RIP; false to emulate it. */
	bool (*cr3_load)(struct vcpu *v);
	/* ptvisor writes the guest's RAM page at gpa for it (an emulated instruction): a page the backend
	   write-protected for its own use is given back first, so the write lands as on hardware. */
	void (*vmm_write)(struct vcpu *v, uint64_t gpa);
	/* The guest stopped (VMCS current): flush what is pending and stop tracing. */
	void (*stopped)(struct vcpu *v);
	/* The vCPU leaves the CPU for another guest's turn (VMCS current, between an exit and an entry). */
	void (*descheduled)(struct vcpu *v);
	/* The guest goes away: the CPU forgets it. */
	void (*release)(struct vcpu *v);
};

/* A CPU without Intel PT: every hook NULL. What a vCPU has until a backend attaches. */
extern const struct pt_backend_ops pt_backend_none;

static inline void vcpu_pt_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	if (v->pt_ops->cpuid)
		v->pt_ops->cpuid(v, leaf, sub, r);
}

static inline void vcpu_pt_vmm_write(struct vcpu *v, uint64_t gpa)
{
	if (v->pt_ops && v->pt_ops->vmm_write)
		v->pt_ops->vmm_write(v, gpa);
}

static inline bool vcpu_pt_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	*val = 0;
	return v->pt_ops->rdmsr && v->pt_ops->rdmsr(v, msr, val);
}

static inline bool vcpu_pt_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	return v->pt_ops->wrmsr && v->pt_ops->wrmsr(v, msr, val);
}

static inline void vcpu_pt_before_entry(struct vcpu *v)
{
	if (v->pt_ops->before_entry)
		v->pt_ops->before_entry(v);
}

static inline void vcpu_pt_after_exit(struct vcpu *v)
{
	if (v->pt_ops->after_exit)
		v->pt_ops->after_exit(v);
}

static inline bool vcpu_pt_exception(struct vcpu *v, uint32_t intr_info)
{
	return v->pt_ops->exception && v->pt_ops->exception(v, intr_info);
}

static inline bool vcpu_pt_cr3_load(struct vcpu *v)
{
	return v->pt_ops->cr3_load && v->pt_ops->cr3_load(v);
}

static inline bool vcpu_pt_mtf(struct vcpu *v)
{
	return v->pt_ops->mtf && v->pt_ops->mtf(v);
}

static inline void vcpu_pt_event_injected(struct vcpu *v, unsigned vector)
{
	if (v->pt_ops->event_injected)
		v->pt_ops->event_injected(v, vector);
}

static inline void vcpu_pt_stopped(struct vcpu *v)
{
	if (v->pt_ops->stopped)
		v->pt_ops->stopped(v);
}

static inline void vcpu_pt_descheduled(struct vcpu *v)
{
	if (v->pt_ops->descheduled)
		v->pt_ops->descheduled(v);
}

static inline void vcpu_pt_release(struct vcpu *v)
{
	if (v->pt_ops->release)
		v->pt_ops->release(v);
}

#endif

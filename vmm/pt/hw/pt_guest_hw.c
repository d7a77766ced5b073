/*
 * The hardware path's hooks for one vCPU (vmx/pt_backend.h): guest RTIT MSRs
 * under the rules of rtit.c with lazy switching (pt_hw.c), the entry/exit
 * ordering that never enters a guest with host TraceEn=1, and the
 * output-buffer EPT-violation handler. Host tracing needs the entry/exit hooks
 * around every guest, so a guest without PT on this path gets them too (its
 * capabilities are disabled: no PT in CPUID, #GP on every RTIT MSR).
 */
#include "pt/hw/pt_hw.h"
#include "pt/hw/pt_outbuf.h"
#include "pt/pt_boot.h"
#include "pt/pt_selftest.h"
#include "pt/rtit.h"
#include "vmx/pt_backend.h"
#include "log.h"
#include "msr.h"

static bool is_hw(const struct vcpu *v)
{
	return v->pt->backend == PT_BACKEND_HW;
}

static void hw_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	if (is_hw(v))
		pt_vcaps_cpuid(&v->pt->caps, leaf, sub, r);
}

static bool hw_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (!is_hw(v))
		return false;
	return pt_hw_rdmsr(&pt_rt.cpu, v->pt, msr, val);
}

static bool hw_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (!is_hw(v))
		return false;
	return pt_hw_wrmsr(&pt_rt.cpu, v->pt, msr, val);
}

int pt_hw_vcpu_entry_ready(struct vcpu *v)
{
	/* The control the check protects, as this vCPU's VMCS has it: not the guest's backend. */
	return pt_hw_before_entry(&pt_rt.cpu, v->pt, v->entry_controls & ENTRY_LOAD_RTIT_CTL, &v->stats);
}

void pt_hw_vcpu_before_entry(struct vcpu *v)
{
	if (pt_hw_vcpu_entry_ready(v) < 0)
		panic("PT: VM entry with \"load IA32_RTIT_CTL\" while host TraceEn=1 (SDM 27.2.1.3)");
}

void pt_hw_vcpu_after_exit(struct vcpu *v)
{
	pt_hw_after_exit(&pt_rt.cpu, v->pt);
}

static int hw_ept_violation(struct vcpu *v, const struct ept_violation *ev)
{
	struct pt_outbuf_mem mem = { v->mem.ept, v->mem.ram_hpa, v->mem.size, v->name };

	if (!is_hw(v))
		return EPT_FAULT_UNHANDLED;
	return pt_outbuf_handle(&pt_rt.cpu, v->pt, &mem, ev);
}

static void hw_release(struct vcpu *v)
{
	if (is_hw(v))
		pt_selftest_guest(v);
	pt_hw_guest_release(&pt_rt.cpu, v->pt);
}

const struct pt_backend_ops pt_hw_ops = {
	.name = "hardware",
	.cpuid = hw_cpuid,
	.rdmsr = hw_rdmsr,
	.wrmsr = hw_wrmsr,
	.before_entry = pt_hw_vcpu_before_entry,
	.after_exit = pt_hw_vcpu_after_exit,
	.ept_violation = hw_ept_violation,
	.release = hw_release,
};

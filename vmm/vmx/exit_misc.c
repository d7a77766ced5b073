/* Exits with small handlers: HLT, XSETBV, INVD/WBINVD, RDPMC, triple fault, timer, events, and refused instructions. */
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_input.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vcpu_time.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"
#include "vmx/xsave.h"
#include "log.h"
#include "nmi.h"

/*
 * A HLT with IF=1 and an interrupt the guest can take (virtual APIC IRR above
 * PPR; STI;HLT reaches here inside the STI shadow) completes at once: the
 * interrupt-window exit that follows injects it (a pending NMI wakes it even
 * with IF=0). With nothing pending the vCPU sleeps (vcpu_time.c) until its
 * APIC timer fires or a device kicks it; if nothing could ever wake it (no
 * timer armed, no polled input) it only gives the CPU to the other guests and
 * resumes after them, as a HLT ended by an event the guest ignores. With
 * IF=0 nothing can ever wake the vCPU, so the guest has ended.
 */
enum exit_action handle_hlt(struct vcpu *v)
{
	if (v->probe) {
		v->probe_exit = EXIT_REASON_HLT;
		return EXIT_STOPPED;
	}
	/* Input typed for this guest (or another) comes in now: it may be what this HLT waits for. */
	if (vcpu_input_poll())
		vlapic_request_windows(v);
	/* An NMI wakes HLT whatever IF says; the NMI-window exit that follows delivers it. */
	bool nmi = vlapic_nmi_pending(v);
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) && !nmi)
		return vcpu_stop(v, 0, "halted with interrupts disabled (HLT with IF=0)");
	vcpu_skip_instruction(v);
	if (vlapic_has_deliverable(v) || nmi)
		return EXIT_RESUME;
	v->halted = vcpu_can_sleep(v);
	return EXIT_YIELD;
}

/*
 * SDM Vol. 2C XSETBV: #UD without CR4.OSXSAVE; #GP(0) at CPL > 0, for ECX != 0 and for any value
 * xcr0_valid() refuses, which includes every component ptvisor does not save for guests. The value
 * is loaded into the CPU now (the guest is on it) and saved with the vCPU.
 */
enum exit_action handle_xsetbv(struct vcpu *v)
{
	uint64_t val = ((uint64_t)(uint32_t)v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (!(vmcs_readnat(GUEST_CR4) & CR4_OSXSAVE)) {
		vcpu_inject_ud(v);
		return EXIT_RESUME;
	}
	if (vcpu_cpl() != 0 || (uint32_t)v->regs.rcx != 0 || !vcpu_host.xsave ||
	    !xcr0_valid(val, vcpu_host.xcr0_allowed)) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (!cpu_xsetbv_safe(0, val))
		return vcpu_stop(v, -1, "XSETBV of XCR0 0x%lx faulted in ptvisor after passing its checks", val);
	v->fpu.xcr0 = val;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

/* INVD would discard the VMM's own dirty lines: it is performed as WBINVD (SDM Vol. 2A, INVD). */
enum exit_action handle_cache_flush(struct vcpu *v)
{
	if (vcpu_cpl() != 0) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	asm volatile("wbinvd" : : : "memory");
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_action handle_triple_fault(struct vcpu *v)
{
	return vcpu_stop(v, -1, "triple fault at RIP 0x%lx", vmcs_readnat(GUEST_RIP));
}

/* The slice is over, or the guest's APIC timer is due: vcpu_time_before_entry() raises it on resuming. */
enum exit_action handle_preemption_timer(struct vcpu *v)
{
	return cpu_rdtsc() >= v->slice_end ? EXIT_YIELD : EXIT_RESUME;
}

enum exit_action handle_external_interrupt(struct vcpu *v)
{
	/* The host keeps interrupts masked; an interrupt here came from a source we did not mask. */
	pr_warn("guest %s: external-interrupt exit (info 0x%x) with host interrupts masked\n", v->name,
		vmcs_read32(VM_EXIT_INTR_INFO));
	return EXIT_YIELD;
}

enum exit_action handle_init_signal(struct vcpu *v)
{
	return vcpu_stop(v, -1, "INIT signal received (vCPU reset is not supported)");
}

/* VMX is hidden (CPUID.1:ECX[5]=0), so VMX instructions are invalid opcodes to the guest. */
enum exit_action handle_vmx_instruction(struct vcpu *v)
{
	vcpu_inject_ud(v);
	return EXIT_RESUME;
}

/* Instructions for features hidden from CPUID (MONITOR/MWAIT, GETSEC, VMFUNC, ENCLS). */
enum exit_action handle_ud_instruction(struct vcpu *v)
{
	vcpu_inject_ud(v);
	return EXIT_RESUME;
}

/*
 * RDPMC reads the vPMU's counter ECX selects into EDX:EAX (upper halves of RAX/RDX cleared); #GP(0) above
 * CPL 0 without CR4.PCE and for a counter the PMU lacks (SDM Vol. 2B RDPMC).
 */
enum exit_action handle_rdpmc(struct vcpu *v)
{
	uint64_t val;

	if ((vcpu_cpl() != 0 && !(vmcs_readnat(GUEST_CR4) & CR4_PCE)) ||
	    !vpmu_rdpmc(&v->pmu, (uint32_t)v->regs.rcx, &val)) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_action handle_exception(struct vcpu *v)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

	/*
	 * With NMI exiting (for virtual NMIs) an NMI the host receives while the guest runs exits here
	 * (SDM 27.2 "Other Causes of VM Exits"): a ToPA PMI goes to its claimant (pt/hw/pt_pmi.c), which
	 * hands a guest's to that guest's virtual PMU. Any other is the host's: reported and dropped,
	 * never delivered into the guest.
	 */
	if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
		if (!nmi_claim(true))
			pr_warn("guest %s: host NMI while the guest ran (not a ToPA PMI); ignored\n", v->name);
		cpu_nmi_unblock();
		return EXIT_RESUME;
	}
	if (vcpu_pt_exception(v, info))
		return EXIT_RESUME;
	pr_err("guest %s: unexpected exception exit, interruption info 0x%x\n", v->name, info);
	return vcpu_stop(v, -1, "unexpected exception %u intercepted", info & 0xff);
}

enum exit_action handle_mtf(struct vcpu *v)
{
	if (v->probe) {
		v->probe_exit = EXIT_REASON_MONITOR_TRAP_FLAG;
		return EXIT_STOPPED;
	}
	if (vcpu_pt_mtf(v))
		return EXIT_RESUME;
	return vcpu_stop(v, -1, "monitor trap flag exit while no stepping was armed");
}

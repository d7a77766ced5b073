/* Exits with small handlers: HLT, XSETBV, INVD/WBINVD, triple fault, timer, events, and refused instructions. */
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vmcs_ops.h"
#include "guest/guest.h"
#include "log.h"
#include "pt/emul/pt_emul.h"
#include "vmx/vlapic_vmx.h"

#define RFLAGS_IF BIT(9)
#define CR4_OSXSAVE BIT(18)

/*
 * A HLT with IF=1 and an interrupt the guest can take (virtual APIC IRR above
 * PPR; STI;HLT reaches here inside the STI shadow) completes at once: the
 * interrupt-window exit that follows injects it. With nothing pending it only
 * gives the CPU to the other guests and resumes after it (its only interrupt
 * sources are its own: a PMI or self-IPI can't arrive while it is not
 * running); with IF=0 nothing can ever wake the vCPU, so the guest has ended.
 */
enum exit_action handle_hlt(struct vcpu *v)
{
	if (v->probe) {
		v->probe_exit = EXIT_REASON_HLT;
		return EXIT_STOPPED;
	}
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF)) {
		guest_stop(v->guest, 0, "halted with interrupts disabled (HLT with IF=0)");
		return EXIT_STOPPED;
	}
	vcpu_skip_instruction(v);
	return vlapic_has_deliverable(v) ? EXIT_RESUME : EXIT_YIELD;
}

static uint64_t host_xcr0_mask(void)
{
	struct cpuid_regs r = cpu_cpuid(0xd, 0);

	return ((uint64_t)r.edx << 32) | r.eax;
}

/* SDM Vol. 2C, XSETBV: #GP(0) for CPL>0, ECX!=0, bit 0 clear, AVX without SSE, partial AVX-512, unsupported bits. */
enum exit_action handle_xsetbv(struct vcpu *v)
{
	uint64_t val = ((uint64_t)(uint32_t)v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	bool ok = vcpu_cpl() == 0 && (uint32_t)v->regs.rcx == 0 && (val & BIT(0)) &&
		  !(val & ~host_xcr0_mask()) && (!(val & BIT(2)) || (val & BIT(1)));
	uint64_t avx512 = BIT(5) | BIT(6) | BIT(7);

	if (!(vmcs_readnat(GUEST_CR4) & CR4_OSXSAVE)) {
		vcpu_inject_ud(v);
		return EXIT_RESUME;
	}
	if ((val & avx512) && ((val & avx512) != avx512 || !(val & BIT(2))))
		ok = false;
	if ((val & BIT(3)) != (val & BIT(4)) >> 1 && (val & (BIT(3) | BIT(4))))
		ok = false;   /* MPX components come as a pair */
	if (!ok) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	v->xcr0 = val;
	asm volatile("xsetbv" :: "c"(0), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
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
	asm volatile("wbinvd" ::: "memory");
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_action handle_triple_fault(struct vcpu *v)
{
	guest_stop(v->guest, -1, "triple fault at RIP 0x%lx", vmcs_readnat(GUEST_RIP));
	return EXIT_STOPPED;
}

enum exit_action handle_preemption_timer(struct vcpu *v)
{
	(void)v;
	return EXIT_YIELD;
}

enum exit_action handle_external_interrupt(struct vcpu *v)
{
	(void)v;
	/* The host keeps interrupts masked; an interrupt here came from a source we did not mask. */
	pr_warn("guest %s: external-interrupt exit (info 0x%x) with host interrupts masked\n", v->guest->cfg.name,
		vmcs_read32(VM_EXIT_INTR_INFO));
	return EXIT_YIELD;
}

enum exit_action handle_init_signal(struct vcpu *v)
{
	guest_stop(v->guest, -1, "INIT signal received (vCPU reset is not supported)");
	return EXIT_STOPPED;
}

/* VMX is hidden (CPUID.1:ECX[5]=0), so VMX instructions are invalid opcodes to the guest. */
enum exit_action handle_vmx_instruction(struct vcpu *v)
{
	vcpu_inject_ud(v);
	return EXIT_RESUME;
}

/* Instructions for features hidden from CPUID (MONITOR/MWAIT, GETSEC, RDPMC, VMFUNC, ENCLS). */
enum exit_action handle_ud_instruction(struct vcpu *v)
{
	if (v->exit_reason == EXIT_REASON_RDPMC) {
		vcpu_inject_gp(v);   /* RDPMC with no counters: #GP (SDM Vol. 2B, RDPMC) */
		return EXIT_RESUME;
	}
	vcpu_inject_ud(v);
	return EXIT_RESUME;
}

enum exit_action handle_exception(struct vcpu *v)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

	if (pt_emul_exception(v, info))
		return EXIT_RESUME;
	pr_err("guest %s: unexpected exception exit, interruption info 0x%x\n", v->guest->cfg.name, info);
	guest_stop(v->guest, -1, "unexpected exception %u intercepted", info & 0xff);
	return EXIT_STOPPED;
}

enum exit_action handle_mtf(struct vcpu *v)
{
	if (v->probe) {
		v->probe_exit = EXIT_REASON_MONITOR_TRAP_FLAG;
		return EXIT_STOPPED;
	}
	if (pt_emul_mtf(v))
		return EXIT_RESUME;
	guest_stop(v->guest, -1, "monitor trap flag exit while no stepping was armed");
	return EXIT_STOPPED;
}

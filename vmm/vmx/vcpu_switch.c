/*
 * Guest switch on one CPU. The VMCS switches control registers, DR7 and
 * IA32_DEBUGCTL ("load/save debug controls", required at boot); everything
 * else a guest can set and read back moves here, so no guest ever sees
 * another's registers: x87/SSE/AVX/AVX-512 state and XCR0 (XSAVE area per
 * vCPU, sized from CPUID leaf 0DH), the syscall MSRs and DR0-DR3/DR6.
 *
 * Debug registers are switched rather than virtualized with MOV-DR exiting:
 * guests (Linux among them) rewrite DR7 and read DR6 in hot paths, and a
 * switch costs ten MOV DR per guest change instead of an exit per access.
 * The emulated PT backend borrows a debug register only for the delivery of
 * one event (pt/emul/pt_emul_dr.c), so no guest instruction ever runs while
 * it is borrowed, and a switch in that window saves and restores the borrowed
 * value as part of this guest's state.
 */
#include "vmx/vcpu_switch.h"
#include "vmx/xsave.h"
#include "cpu.h"
#include "log.h"
#include "msr.h"

struct vcpu_host_cpu vcpu_host;

/* Only values handle_xsetbv() accepted, or the guests' whole set, get here: a fault is ptvisor's bug. */
static void xcr0_load(uint64_t xcr0, const char *owner)
{
	if (!cpu_xsetbv_safe(0, xcr0))
		panic("XSETBV of XCR0 0x%lx for %s faulted", xcr0, owner);
}

void vcpu_switch_init_cpu(void)
{
	uint64_t cr4 = cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

	vcpu_host.xsave = cpu_cpuid(1, 0).ecx & BIT(26);
	vcpu_host.rdtscp = cpu_cpuid(0x80000001, 0).edx & BIT(27);
	if (vcpu_host.xsave)
		cr4 |= CR4_OSXSAVE;
	cpu_write_cr4(cr4);
	if (vcpu_host.xsave) {
		vcpu_host.xcr0_allowed = xsave_host_mask() & XSAVE_GUEST_CANDIDATES;
		vcpu_host.area_size = xsave_area_size(vcpu_host.xcr0_allowed);
		/* The CPU's own figure for that set: CPUID.(EAX=0DH,ECX=0):EBX with it in XCR0 (SDM Vol. 2A). */
		xcr0_load(vcpu_host.xcr0_allowed, "the guests' set");
		vcpu_host.area_size = MAX(vcpu_host.area_size, cpu_cpuid(0xd, 0).ebx);
	} else {
		vcpu_host.xcr0_allowed = XCR0_X87 | XCR0_SSE;
		vcpu_host.area_size = 512; /* the FXSAVE image (SDM Vol. 1 10.5.1) */
	}
	pr_info("guest FPU state: %s, XCR0 bits guests may set 0x%lx, %u-byte save area per guest\n",
		vcpu_host.xsave ? "XSAVE" : "FXSAVE", vcpu_host.xcr0_allowed, vcpu_host.area_size);
}

/*
 * XSAVE and XRSTOR touch only the components enabled in XCR0 (SDM Vol. 1 13.7, 13.8), and a component
 * a guest disabled keeps its contents (13.3). So both run with XCR0 = every component guests may
 * enable: all of the old guest's state is saved, including what it disabled, and all of it is
 * replaced by the new guest's (initialised where it never had any) before its own XCR0 goes in.
 * While no vCPU is on the CPU, XCR0 holds that set: vcpu_switch_init_cpu() leaves it there, only a
 * loaded guest's XSETBV changes it, and vcpu_put() puts it back.
 */
static void fpu_save(struct vcpu *v)
{
	if (vcpu_host.xsave) {
		xcr0_load(vcpu_host.xcr0_allowed, v->name);
		cpu_xsave(v->fpu.area, vcpu_host.xcr0_allowed);
	} else {
		cpu_fxsave(v->fpu.area);
	}
}

static void fpu_load(struct vcpu *v)
{
	if (vcpu_host.xsave) {
		cpu_xrstor(v->fpu.area, vcpu_host.xcr0_allowed);
		xcr0_load(v->fpu.xcr0, v->name);
	} else {
		cpu_fxrstor(v->fpu.area);
	}
}

static void msrs_save(struct vcpu *v)
{
	v->msrs.star = cpu_rdmsr(MSR_IA32_STAR);
	v->msrs.lstar = cpu_rdmsr(MSR_IA32_LSTAR);
	v->msrs.cstar = cpu_rdmsr(MSR_IA32_CSTAR);
	v->msrs.fmask = cpu_rdmsr(MSR_IA32_FMASK);
	v->msrs.kernel_gs_base = cpu_rdmsr(MSR_IA32_KERNEL_GS_BASE);
	if (vcpu_host.rdtscp)
		v->msrs.tsc_aux = cpu_rdmsr(MSR_IA32_TSC_AUX);
}

static void msrs_load(struct vcpu *v)
{
	cpu_wrmsr_safe(MSR_IA32_STAR, v->msrs.star);
	cpu_wrmsr_safe(MSR_IA32_LSTAR, v->msrs.lstar);
	cpu_wrmsr_safe(MSR_IA32_CSTAR, v->msrs.cstar);
	cpu_wrmsr_safe(MSR_IA32_FMASK, v->msrs.fmask);
	cpu_wrmsr_safe(MSR_IA32_KERNEL_GS_BASE, v->msrs.kernel_gs_base);
	if (vcpu_host.rdtscp)
		cpu_wrmsr_safe(MSR_IA32_TSC_AUX, v->msrs.tsc_aux);
}

/* In VMX root DR7 is 400H after every exit (SDM 28.5.1), so guest addresses in DR0-DR3 never fire here. */
static void dregs_save(struct vcpu *v)
{
	for (unsigned i = 0; i < DR_COUNT; i++)
		v->dregs.dr[i] = cpu_read_dr(i);
	v->dregs.dr6 = cpu_read_dr(6);
}

static void dregs_load(struct vcpu *v)
{
	for (unsigned i = 0; i < DR_COUNT; i++)
		cpu_write_dr(i, v->dregs.dr[i]);
	cpu_write_dr(6, v->dregs.dr6);
}

void vcpu_load(struct vcpu *v)
{
	if (cpu_vmptrld(v->vmcs_pa) != VMX_OK)
		panic("VMPTRLD of guest %s's VMCS failed", v->name);
	fpu_load(v);
	msrs_load(v);
	dregs_load(v);
}

void vcpu_put(struct vcpu *v)
{
	fpu_save(v);
	msrs_save(v);
	dregs_save(v);
}

/*
 * Time-slicing scheduler. All guests share the boot CPU; each runs for a
 * slice of the VMX-preemption timer (SDM 26.5.1) or until it yields (HLT) or
 * stops. On a switch, the state VMX does not switch for us moves with the
 * guest: the VMCS (VMPTRLD), x87/SSE/AVX registers and XCR0, and the
 * syscall MSRs, so no guest ever sees another's registers.
 */
#include "guest/sched.h"
#include "guest/guest.h"
#include "vmx/exit.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmcs_ops.h"
#include "lib/string.h"
#include "log.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "msr.h"

#define SLICE_TSC  (1ULL << 22)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_OSXSAVE    BIT(18)
#define MSR_IA32_CSTAR   0xc0000083
#define MSR_IA32_TSC_AUX 0xc0000103


static bool have_xsave;
static bool have_rdtscp;
static uint8_t fpu_areas[GUEST_MAX][4096] __aligned(64);

void sched_init_cpu(void)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);
	uint64_t cr4 = cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

	have_xsave = r.ecx & BIT(26);
	if (have_xsave)
		cr4 |= CR4_OSXSAVE;
	cpu_write_cr4(cr4);
	have_rdtscp = cpu_cpuid(0x80000001, 0).edx & BIT(27);
	/* Guests get a clean FPU: FCW = 0x37f, MXCSR = 0x1f80 (SDM 11.6.4 power-up state). */
	for (unsigned i = 0; i < GUEST_MAX; i++) {
		memset(fpu_areas[i], 0, sizeof(fpu_areas[i]));
		*(uint16_t *)&fpu_areas[i][0] = 0x37f;
		*(uint32_t *)&fpu_areas[i][24] = 0x1f80;
	}
}

static void fpu_save(struct vcpu *v)
{
	void *area = fpu_areas[v->guest->id];

	if (have_xsave)
		asm volatile("xsave64 %0" : "+m"(*(uint8_t (*)[4096])area) : "a"(~0u), "d"(~0u) : "memory");
	else
		asm volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])area) :: "memory");
}

static void fpu_load(struct vcpu *v)
{
	void *area = fpu_areas[v->guest->id];

	if (have_xsave) {
		asm volatile("xsetbv" :: "c"(0), "a"((uint32_t)v->xcr0), "d"((uint32_t)(v->xcr0 >> 32)));
		asm volatile("xrstor64 %0" :: "m"(*(uint8_t (*)[4096])area), "a"(~0u), "d"(~0u) : "memory");
	} else {
		asm volatile("fxrstor64 %0" :: "m"(*(uint8_t (*)[512])area) : "memory");
	}
}

static void msrs_save(struct vcpu *v)
{
	v->msr_star = cpu_rdmsr(MSR_IA32_STAR);
	v->msr_lstar = cpu_rdmsr(MSR_IA32_LSTAR);
	v->msr_cstar = cpu_rdmsr(MSR_IA32_CSTAR);
	v->msr_fmask = cpu_rdmsr(MSR_IA32_FMASK);
	v->msr_kernel_gs_base = cpu_rdmsr(MSR_IA32_KERNEL_GS_BASE);
	if (have_rdtscp)
		v->msr_tsc_aux = cpu_rdmsr(MSR_IA32_TSC_AUX);
}

static void msrs_load(struct vcpu *v)
{
	cpu_wrmsr_safe(MSR_IA32_STAR, v->msr_star);
	cpu_wrmsr_safe(MSR_IA32_LSTAR, v->msr_lstar);
	cpu_wrmsr_safe(MSR_IA32_CSTAR, v->msr_cstar);
	cpu_wrmsr_safe(MSR_IA32_FMASK, v->msr_fmask);
	cpu_wrmsr_safe(MSR_IA32_KERNEL_GS_BASE, v->msr_kernel_gs_base);
	if (have_rdtscp)
		cpu_wrmsr_safe(MSR_IA32_TSC_AUX, v->msr_tsc_aux);
}

static struct guest *current;

static void switch_to(struct guest *g)
{
	/* Every slice starts with a full timer: with "save VMX-preemption timer value" an expired one reads 0. */
	if (vmx_ctls.preemption_timer && current == g)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)(SLICE_TSC >> vmx_ctls.preemption_rate));
	if (current == g)
		return;
	if (current && current->state != GUEST_EMPTY) {
		fpu_save(&current->vcpu);
		msrs_save(&current->vcpu);
	}
	if (cpu_vmptrld(g->vcpu.vmcs_pa) != VMX_OK)
		panic("VMPTRLD of guest %s's VMCS failed", g->cfg.name);
	fpu_load(&g->vcpu);
	msrs_load(&g->vcpu);
	if (vmx_ctls.preemption_timer)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)(SLICE_TSC >> vmx_ctls.preemption_rate));
	current = g;
}

static struct guest *pick_next(struct guest *after)
{
	unsigned start = after ? after->id + 1 : 0;

	for (unsigned i = 0; i < guest_count; i++) {
		struct guest *g = &guests[(start + i) % guest_count];
		if (g->state == GUEST_RUNNABLE)
			return g;
	}
	return NULL;
}

static void run_slice(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint64_t start = cpu_rdtsc();

	switch_to(g);
	vmx_run_guest(v, start + SLICE_TSC, !vmx_ctls.timer_saved);
	g->run_tsc += cpu_rdtsc() - start;
	if (g->cfg.run_limit && g->run_tsc >= g->cfg.run_limit)
		guest_stop(g, 0, "run-time limit of %lu TSC ticks reached", g->cfg.run_limit);
}

unsigned sched_run(void)
{
	struct guest *g = NULL;
	unsigned ok = 0;

	while ((g = pick_next(g)) != NULL)
		run_slice(g);
	if (current) {
		fpu_save(&current->vcpu);
		current = NULL;
	}
	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].exit_status == 0 && guests[i].stop_reason[0] && guests[i].vcpu.vmcs_pa)
			ok++;
	return ok;
}

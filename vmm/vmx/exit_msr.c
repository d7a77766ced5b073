/*
 * RDMSR/WRMSR: every MSR exits (the bitmap is all ones) and is looked up in
 * one table of ranges, each with the CPUID feature flags that enumerate it
 * (SDM Vol. 4, Table 2-2 "Address" column conditions). An MSR not in the
 * table, or whose features the guest's CPUID does not show, gets #GP, as on
 * a CPU without it (SDM Vol. 2B, RDMSR/WRMSR: "#GP(0) if ECX specifies a
 * reserved or unimplemented MSR"). The Intel PT MSRs go to the guest's PT backend, which
 * answers #GP when the guest has no PT; the PMU's to the vCPU's PMU (vpmu.c), the MTRRs to
 * its MTRR registers (vmtrr.c).
 */
#include "vmx/exit.h"
#include "vmx/caps.h"
#include "vmx/guest_cpuid.h"
#include "vmx/pt_backend.h"
#include "vmx/vmcs_ops.h"
#include "msr.h"

/* Return false to inject #GP. */
typedef bool (*msr_read_fn)(struct vcpu *v, uint32_t msr, uint64_t *val);
typedef bool (*msr_write_fn)(struct vcpu *v, uint32_t msr, uint64_t val);

#define MSR_FEATURES_MAX 4

/*
 * MSRs first..last, both included; present when any of `features` shows. Architectural MSRs that no flag
 * enumerates (they come with the family) list FEAT_MSR, the flag of RDMSR/WRMSR themselves.
 */
struct msr_emul {
	uint32_t first, last;
	msr_read_fn read;
	msr_write_fn write;
	struct cpuid_feature features[MSR_FEATURES_MAX];
};

static void set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	vlapic_timer_tsc_moved(&v->lapic, offset - v->tsc_offset);
	v->tsc_offset = offset;
	vmcs_write64(TSC_OFFSET, offset);
}

static bool rd_tsc(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)msr;
	*val = vcpu_guest_tsc(v);
	return true;
}

/* A write that moves the TSC by X moves IA32_TSC_ADJUST by X, and the other way round (SDM 18.17.3). */
static bool wr_tsc(struct vcpu *v, uint32_t msr, uint64_t val)
{
	(void)msr;
	uint64_t delta = val - vcpu_guest_tsc(v);
	v->tsc_adjust += delta;
	set_tsc_offset(v, v->tsc_offset + delta);
	return true;
}

static bool rd_tsc_adjust(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)msr;
	*val = v->tsc_adjust;
	return true;
}

static bool wr_tsc_adjust(struct vcpu *v, uint32_t msr, uint64_t val)
{
	(void)msr;
	set_tsc_offset(v, v->tsc_offset + (val - v->tsc_adjust));
	v->tsc_adjust = val;
	return true;
}

static bool rd_apic_base(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)msr;
	*val = v->lapic.base;
	return true;
}

static bool wr_apic_base(struct vcpu *v, uint32_t msr, uint64_t val)
{
	(void)msr;
	return vlapic_write_base(&v->lapic, val, boot_caps.maxphyaddr);
}

/* IA32_TSC_DEADLINE in guest TSC units (SDM 11.5.4.1); the timer is read as of this moment. */
static bool rd_tsc_deadline(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)msr;
	vlapic_timer_tick(&v->lapic, vcpu_guest_tsc(v));
	*val = vlapic_timer_read_deadline(&v->lapic);
	return true;
}

static bool wr_tsc_deadline(struct vcpu *v, uint32_t msr, uint64_t val)
{
	(void)msr;
	vlapic_timer_tick(&v->lapic, vcpu_guest_tsc(v));
	vlapic_timer_write_deadline(&v->lapic, val);
	return true;
}

static bool rd_feature_control(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v, (void)msr;
	*val = FEATURE_CONTROL_LOCKED; /* locked with VMX disabled: VMX is not offered to guests */
	return true;
}

static bool rd_misc_enable(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v, (void)msr;
	/* Fast strings; performance monitoring available (the vPMU); BTS and PEBS unavailable (DS is hidden)
	   (SDM Vol. 4, Table 2-2). */
	*val = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_PERFMON | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
	return true;
}

static bool wr_misc_enable(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint64_t cur;

	rd_misc_enable(v, msr, &cur);
	/* Only the fast-strings bit is the guest's to change; others are fixed here. */
	return (val & ~BIT(0)) == (cur & ~BIT(0));
}

static bool rd_vmcs_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v;
	/* clang-format off */
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:  *val = vmcs_read32(GUEST_SYSENTER_CS); return true;
	case MSR_IA32_SYSENTER_ESP: *val = vmcs_readnat(GUEST_SYSENTER_ESP); return true;
	case MSR_IA32_SYSENTER_EIP: *val = vmcs_readnat(GUEST_SYSENTER_EIP); return true;
	case MSR_IA32_FS_BASE:      *val = vmcs_readnat(GUEST_FS_BASE); return true;
	case MSR_IA32_GS_BASE:      *val = vmcs_readnat(GUEST_GS_BASE); return true;
	case MSR_IA32_EFER:         *val = vmcs_read64(GUEST_IA32_EFER); return true;
	case MSR_IA32_PAT:          *val = vmcs_read64(GUEST_IA32_PAT); return true;
	case MSR_IA32_DEBUGCTL:     *val = vmcs_read64(GUEST_IA32_DEBUGCTL); return true;
	default: return false;
	}
	/* clang-format on */
}

static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (i * 8)) & 0xff;
		if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7)
			return false;
	}
	return true;
}

static bool wr_efer(struct vcpu *v, uint64_t val)
{
	uint64_t cur = vmcs_read64(GUEST_IA32_EFER);

	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return false;
	/*
	 * A bit whose feature the guest's CPUID hides is reserved (SDM Vol. 4 Table 2-2, C000_0080H): #GP
	 * here, where loading it into the VMCS would fail the next VM entry instead.
	 */
	if (((val & EFER_SCE) && !vcpu_has(v, FEAT_SYSCALL)) || ((val & EFER_LME) && !vcpu_has(v, FEAT_LM)) ||
	    ((val & EFER_NXE) && !vcpu_has(v, FEAT_NX)))
		return false;
	/* LME may not change while paging is on (SDM 10.8.5); LMA is read-only (kept as is). */
	if ((vmcs_readnat(GUEST_CR0) & BIT(31)) && ((val ^ cur) & EFER_LME))
		return false;
	val = (val & ~EFER_LMA) | (cur & EFER_LMA);
	vmcs_write64(GUEST_IA32_EFER, val);
	return true;
}

static bool wr_vmcs_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, val);
		return true;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
		if (!addr_canonical(val))
			return false;
		vmcs_write_raw(msr == MSR_IA32_SYSENTER_ESP   ? GUEST_SYSENTER_ESP
			       : msr == MSR_IA32_SYSENTER_EIP ? GUEST_SYSENTER_EIP
			       : msr == MSR_IA32_FS_BASE      ? GUEST_FS_BASE
							      : GUEST_GS_BASE,
			       val);
		return true;
	case MSR_IA32_EFER:
		return wr_efer(v, val);
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return false;
		vmcs_write64(GUEST_IA32_PAT, val);
		return true;
	case MSR_IA32_DEBUGCTL:
		/* Only LBR/BTF-free debugging is offered: BTF (bit 1) and FREEZE bits are accepted as 0. */
		if (val & ~BIT(0))
			return false;
		vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
		return true;
	default:
		return false;
	}
}

static uint64_t *lazy_slot(struct vcpu *v, uint32_t msr)
{
	/* clang-format off */
	switch (msr) {
	case MSR_IA32_STAR:           return &v->msrs.star;
	case MSR_IA32_LSTAR:          return &v->msrs.lstar;
	case MSR_IA32_CSTAR:          return &v->msrs.cstar;
	case MSR_IA32_FMASK:          return &v->msrs.fmask;
	case MSR_IA32_KERNEL_GS_BASE: return &v->msrs.kernel_gs_base;
	case MSR_IA32_TSC_AUX:        return &v->msrs.tsc_aux;
	default:                      return NULL;
	}
	/* clang-format on */
}

/* These live in the real MSRs while the guest runs; vcpu_put()/vcpu_load() move them (vcpu_switch.c). */
static bool rd_lazy(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v;
	/* IA32_TSC_AUX exists only with RDTSCP or RDPID: where the CPU lacks it, so does the guest. */
	return cpu_rdmsr_safe(msr, val);
}

static bool wr_lazy(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint64_t *slot = lazy_slot(v, msr);

	if (!slot) /* msr_table sends only the MSRs lazy_slot() knows here */
		return false;
	if ((msr == MSR_IA32_LSTAR || msr == MSR_IA32_CSTAR || msr == MSR_IA32_KERNEL_GS_BASE) && !addr_canonical(val))
		return false;
	if (msr == MSR_IA32_TSC_AUX && (val >> 32))
		return false;
	if (!cpu_wrmsr_safe(msr, val))
		return false;
	*slot = val;
	return true;
}

static bool rd_pmu(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	return vpmu_rdmsr(&v->pmu, msr, val);
}

static bool wr_pmu(struct vcpu *v, uint32_t msr, uint64_t val)
{
	return vpmu_wrmsr(&v->pmu, msr, val, vcpu_has(v, FEAT_INTEL_PT));
}

static bool rd_mtrr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	return vmtrr_rdmsr(&v->mtrr, msr, val);
}

static bool wr_mtrr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	return vmtrr_wrmsr(&v->mtrr, msr, val, boot_caps.maxphyaddr);
}

/*
 * The processor's base (non-turbo) frequency as the guest's CPUID states it: leaf 16H EAX in MHz, else
 * the TSC frequency of leaf 15H (the nominal frequency on processors with an invariant TSC); 0 unknown.
 */
static uint64_t guest_base_mhz(struct vcpu *v)
{
	uint32_t max = vcpu_cpuid(v, 0, 0).eax;
	struct cpuid_regs r;

	if (max >= 0x16) {
		r = vcpu_cpuid(v, 0x16, 0);
		if (r.eax & 0xffff)
			return r.eax & 0xffff;
	}
	if (max >= 0x15) {
		r = vcpu_cpuid(v, 0x15, 0);
		if (r.eax && r.ebx && r.ecx) /* TSC Hz = ECX * EBX / EAX (SDM Vol. 2A CPUID, leaf 15H) */
			return (uint64_t)r.ecx * r.ebx / r.eax / 1000000;
	}
	return 0;
}

/* MSR_PLATFORM_INFO: only the maximum non-turbo ratio (bits 15:8, 100 MHz units), which Linux's intel_pt
   reads; CPUID faulting (bit 31) and the other ratios are not offered (SDM Vol. 4, CEH). */
static bool rd_platform_info(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	uint64_t ratio = guest_base_mhz(v) / 100;

	(void)msr;
	*val = (ratio > 0xff ? 0xff : ratio) << PLATFORM_INFO_MAX_NONTURBO_SHIFT;
	return true;
}

/* IA32_BIOS_SIGN_ID: no microcode update is loaded, so the revision (bits 63:32) reads 0 and a write,
   which asks the CPU to latch it, has nothing to do (SDM 10.11.7.1 "Determining the Signature"). */
static bool rd_bios_sign_id(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v, (void)msr;
	*val = 0;
	return true;
}

static bool wr_bios_sign_id(struct vcpu *v, uint32_t msr, uint64_t val)
{
	(void)v, (void)msr, (void)val;
	return true;
}

static bool rd_pt(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	return vcpu_pt_rdmsr(v, msr, val);
}

static bool wr_pt(struct vcpu *v, uint32_t msr, uint64_t val)
{
	return vcpu_pt_wrmsr(v, msr, val);
}

/* clang-format off */
static const struct msr_emul msr_table[] = {
	{ MSR_IA32_TIME_STAMP_COUNTER, MSR_IA32_TIME_STAMP_COUNTER, rd_tsc, wr_tsc, { FEAT_TSC } },
	{ MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, rd_apic_base, wr_apic_base, { FEAT_MSR } },
	/* Enumerated by VMX, SMX, SGX or SGX launch control (SDM Vol. 4 Table 2-2, 3AH): all hidden, so #GP. */
	{ MSR_IA32_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL, rd_feature_control, NULL,
	  { FEAT_VMX, FEAT_SMX, FEAT_SGX, FEAT_SGX_LC } },
	{ MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, rd_tsc_adjust, wr_tsc_adjust, { FEAT_TSC_ADJUST } },
	{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE, rd_misc_enable, wr_misc_enable, { FEAT_MSR } },
	{ MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP, rd_vmcs_msr, wr_vmcs_msr, { FEAT_SEP } },
	{ MSR_IA32_DEBUGCTL, MSR_IA32_DEBUGCTL, rd_vmcs_msr, wr_vmcs_msr, { FEAT_MSR } },
	{ MSR_IA32_PAT, MSR_IA32_PAT, rd_vmcs_msr, wr_vmcs_msr, { FEAT_PAT } },
	{ MSR_IA32_EFER, MSR_IA32_EFER, rd_vmcs_msr, wr_vmcs_msr, { FEAT_SYSCALL, FEAT_NX, FEAT_LM } },
	{ MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, rd_vmcs_msr, wr_vmcs_msr, { FEAT_LM } },
	{ MSR_IA32_STAR, MSR_IA32_STAR, rd_lazy, wr_lazy, { FEAT_SYSCALL, FEAT_LM } },
	{ MSR_IA32_LSTAR, MSR_IA32_FMASK, rd_lazy, wr_lazy, { FEAT_LM } },
	{ MSR_IA32_KERNEL_GS_BASE, MSR_IA32_KERNEL_GS_BASE, rd_lazy, wr_lazy, { FEAT_LM } },
	{ MSR_IA32_TSC_AUX, MSR_IA32_TSC_AUX, rd_lazy, wr_lazy, { FEAT_RDTSCP, FEAT_RDPID } },
	/*
	 * The PMU (vpmu.c): CPUID leaf 0AH, which every guest sees, enumerates these rather than a flag
	 * (SDM Vol. 4 Table 2-2: "If CPUID.0AH: EAX[15:8] > n", "... EAX[7:0] > 1").
	 */
	{ MSR_IA32_PMC0, MSR_IA32_PMC0 + VPMU_GP_COUNTERS - 1, rd_pmu, wr_pmu, { FEAT_MSR } },
	{ MSR_IA32_PERFEVTSEL0, MSR_IA32_PERFEVTSEL0 + VPMU_GP_COUNTERS - 1, rd_pmu, wr_pmu, { FEAT_MSR } },
	{ MSR_IA32_FIXED_CTR_CTRL, MSR_IA32_PERF_GLOBAL_STATUS_RESET, rd_pmu, wr_pmu, { FEAT_MSR } },
	/* Intel PT (SDM 33.2.8): the backend's. */
	{ MSR_IA32_RTIT_OUTPUT_BASE, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, rd_pt, wr_pt, { FEAT_INTEL_PT } },
	{ MSR_IA32_RTIT_CTL, MSR_IA32_RTIT_CR3_MATCH, rd_pt, wr_pt, { FEAT_INTEL_PT } },
	{ MSR_IA32_RTIT_ADDR0_A, MSR_IA32_RTIT_ADDR3_B, rd_pt, wr_pt, { FEAT_INTEL_PT } },
	{ MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, rd_tsc_deadline, wr_tsc_deadline, { FEAT_TSC_DL } },
	/* MTRRs (vmtrr.c, SDM 12.11): the capability, eight variable pairs, the fixed ranges, the default type. */
	{ MSR_IA32_MTRRCAP, MSR_IA32_MTRRCAP, rd_mtrr, NULL, { FEAT_MTRR } },
	{ MSR_IA32_MTRR_PHYSBASE0, MSR_IA32_MTRR_PHYSBASE0 + 2 * VMTRR_VAR_RANGES - 1, rd_mtrr, wr_mtrr, { FEAT_MTRR } },
	{ MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX64K_00000, rd_mtrr, wr_mtrr, { FEAT_MTRR } },
	{ MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000, rd_mtrr, wr_mtrr, { FEAT_MTRR } },
	{ MSR_IA32_MTRR_FIX4K_C0000, MSR_IA32_MTRR_FIX4K_F8000, rd_mtrr, wr_mtrr, { FEAT_MTRR } },
	{ MSR_IA32_MTRR_DEF_TYPE, MSR_IA32_MTRR_DEF_TYPE, rd_mtrr, wr_mtrr, { FEAT_MTRR } },
	/* Model-specific MSRs an OS reads without a fault handler (Linux: rdmsr, not rdmsr_safe). */
	{ MSR_PLATFORM_INFO, MSR_PLATFORM_INFO, rd_platform_info, NULL, { FEAT_MSR } },
	{ MSR_IA32_BIOS_SIGN_ID, MSR_IA32_BIOS_SIGN_ID, rd_bios_sign_id, wr_bios_sign_id, { FEAT_MSR } },
};
/* clang-format on */

static bool msr_present(struct vcpu *v, const struct msr_emul *e)
{
	for (unsigned i = 0; i < MSR_FEATURES_MAX && e->features[i].leaf; i++)
		if (vcpu_has(v, e->features[i]))
			return true;
	return false;
}

static const struct msr_emul *msr_find(struct vcpu *v, uint32_t msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr >= msr_table[i].first && msr <= msr_table[i].last)
			return msr_present(v, &msr_table[i]) ? &msr_table[i] : NULL;
	return NULL;
}

enum exit_action handle_msr_read(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	const struct msr_emul *e = msr_find(v, msr);
	uint64_t val = 0;

	if (!e || !e->read || !e->read(v, msr, &val)) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_action handle_msr_write(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = ((uint64_t)(uint32_t)v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	const struct msr_emul *e = msr_find(v, msr);

	if (!e || !e->write || !e->write(v, msr, val)) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

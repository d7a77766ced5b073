/*
 * The guest's CPUID: the host's answers minus what ptvisor does not
 * virtualize (VMX, SMX, MCA, thermal/power, MONITOR, CET, ...), with its own
 * PMU (leaf 0AH, vpmu.c), plus the hypervisor bit and leaves 0x40000000-0x40000001
 * (the ptvisor signature).
 */
#include "vmx/guest_cpuid.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vmcs_ops.h"
#include "vmx/xsave.h"
#include "hypercall_abi.h"

#define HV_LEAF_BASE 0x40000000u
#define HV_LEAF_MAX  0x40000001u

/* CPUID.1 (SDM Vol. 2A, CPUID, Table 3-10/3-11) */
#define CPUID_1_ECX_MONITOR    BIT(3)
#define CPUID_1_ECX_DS_CPL     BIT(4)
#define CPUID_1_ECX_VMX_BIT    BIT(5)
#define CPUID_1_ECX_SMX        BIT(6)
#define CPUID_1_ECX_EST        BIT(7)
#define CPUID_1_ECX_TM2        BIT(8)
#define CPUID_1_ECX_SDBG       BIT(11)
#define CPUID_1_ECX_PDCM       BIT(15)
#define CPUID_1_ECX_X2APIC     BIT(21)
#define CPUID_1_ECX_TSC_DL     BIT(24)
#define CPUID_1_ECX_OSXSAVE    BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_1_EDX_MCE        BIT(7)
#define CPUID_1_EDX_APIC       BIT(9)
#define CPUID_1_EDX_MCA        BIT(14)
#define CPUID_1_EDX_DS         BIT(21)
#define CPUID_1_EDX_ACPI       BIT(22)
#define CPUID_1_EDX_TM         BIT(29)
#define CPUID_1_EDX_PBE        BIT(31)
/* CPUID.7.0 */
#define CPUID_7_EBX_SGX     BIT(2)
#define CPUID_7_EBX_RDT_M   BIT(12)
#define CPUID_7_EBX_MPX     BIT(14)
#define CPUID_7_EBX_RDT_A   BIT(15)
#define CPUID_7_EBX_PT      BIT(25)
#define CPUID_7_ECX_OSPKE   BIT(4)
#define CPUID_7_ECX_WAITPKG BIT(5)
#define CPUID_7_ECX_CET_SS  BIT(7)
#define CPUID_7_ECX_RDPID   BIT(22)
#define CPUID_7_ECX_KL      BIT(23)
#define CPUID_7_ECX_PKS     BIT(31)
#define CPUID_7_ECX_SGX_LC  BIT(30)
#define CPUID_7_EBX_INVPCID BIT(10)
/* CPUID.80000001H */
#define CPUID_80000001_EDX_RDTSCP BIT(27)

static void cpuid_hypervisor(uint32_t leaf, struct cpuid_regs *r)
{
	r->eax = r->ebx = r->ecx = r->edx = 0;
	if (leaf == HV_LEAF_BASE) {
		r->eax = HV_LEAF_MAX;
		r->ebx = PTV_HC_SIGNATURE; /* "ptvi" */
		r->ecx = 0x00726f73;       /* "sor\0" */
		r->edx = 0;
	} else if (leaf == HV_LEAF_MAX) {
		r->eax = (PTV_HC_ABI_MAJOR << 16) | PTV_HC_ABI_MINOR;
	}
}

static void cpuid_filter(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 1:
		r->ecx &= ~(uint32_t)(CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL | CPUID_1_ECX_VMX_BIT | CPUID_1_ECX_SMX |
				      CPUID_1_ECX_EST | CPUID_1_ECX_TM2 | CPUID_1_ECX_SDBG | CPUID_1_ECX_PDCM |
				      CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DL | CPUID_1_ECX_OSXSAVE);
		r->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* OSXSAVE mirrors the guest's own CR4 (SDM Vol. 2A CPUID: "OSXSAVE"). */
		if (vmcs_readnat(GUEST_CR4) & CR4_OSXSAVE)
			r->ecx |= CPUID_1_ECX_OSXSAVE;
		/* MTRRs are offered as registers (vmtrr.c). */
		r->edx &= ~(uint32_t)(CPUID_1_EDX_MCE | CPUID_1_EDX_MCA | CPUID_1_EDX_DS | CPUID_1_EDX_ACPI |
				      CPUID_1_EDX_TM | CPUID_1_EDX_PBE);
		/* The APIC flag follows IA32_APIC_BASE's global enable (SDM 11.4.3). */
		if (!vlapic_hw_enabled(&v->lapic))
			r->edx &= ~(uint32_t)CPUID_1_EDX_APIC;
		/* One logical processor whose initial APIC ID is the guest's index. */
		r->ebx = (r->ebx & 0x0000ffff) | (1u << 16) | (v->id << 24);
		break;
	case 5: /* MONITOR/MWAIT */
	case 6: /* thermal and power management */
		r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	case 0xa:
		/* The virtual PMU's (vpmu.c): version 2, whose status MSRs carry the ToPA PMI (SDM 33.2.7.2). */
		vpmu_cpuid(r);
		break;
	case 7:
		if (sub == 0) {
			r->ebx &= ~(uint32_t)(CPUID_7_EBX_SGX | CPUID_7_EBX_RDT_M | CPUID_7_EBX_MPX |
					      CPUID_7_EBX_RDT_A | CPUID_7_EBX_PT);
			if (!(v->cpu2_controls & BIT(12)))
				r->ebx &= ~(uint32_t)CPUID_7_EBX_INVPCID;
			/* CET and PKS need state VMX would have to switch (SDM 27.3.2.1): not offered. */
			r->ecx &= ~(uint32_t)(CPUID_7_ECX_WAITPKG | CPUID_7_ECX_SGX_LC | CPUID_7_ECX_OSPKE |
					      CPUID_7_ECX_CET_SS | CPUID_7_ECX_KL | CPUID_7_ECX_PKS);
			if (!(v->cpu2_controls & CPU2_ENABLE_RDTSCP))
				r->ecx &= ~(uint32_t)CPUID_7_ECX_RDPID; /* #UD without "enable RDTSCP" (SDM 26.3) */
			/* OSPKE mirrors the guest's own CR4.PKE (SDM Vol. 2A CPUID), like OSXSAVE in leaf 1. */
			if (vmcs_readnat(GUEST_CR4) & CR4_PKE)
				r->ecx |= CPUID_7_ECX_OSPKE;
			r->edx = 0; /* speculation-control MSRs and friends are not virtualized */
		} else {
			r->eax = r->ebx = r->ecx = r->edx = 0;
		}
		break;
	case 0xb:
	case 0x1f:
		r->edx = v->id; /* x2APIC ID */
		break;
	case 0x80000001:
		if (!(v->cpu2_controls & CPU2_ENABLE_RDTSCP))
			r->edx &= ~(uint32_t)CPUID_80000001_EDX_RDTSCP; /* RDTSCP is #UD then (SDM 26.3) */
		break;
	case 0xd: /* only the components ptvisor saves for guests (xsave.c) */
		if (vcpu_host.xsave)
			xsave_cpuid(sub, vcpu_host.xcr0_allowed, vcpu_host.area_size, r);
		break;
	case 0x12: /* SGX */
	case 0x14: /* Intel PT: the guest's PT backend decides */
	case 0x0f: /* RDT monitoring */
	case 0x10: /* RDT allocation */
		r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	default:
		break;
	}
	if (leaf == 7 || leaf == 0x14)
		vcpu_pt_cpuid(v, leaf, sub, r);
}

/* Leaves below 32 that cpuid_filter changes; the others pass through untouched. */
#define FILTERED_LEAVES                                                                                          \
	(BIT(1) | BIT(5) | BIT(6) | BIT(7) | BIT(0xa) | BIT(0xb) | BIT(0xd) | BIT(0xf) | BIT(0x10) | BIT(0x12) | \
	 BIT(0x14) | BIT(0x1f))

struct cpuid_regs vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	if (leaf - HV_LEAF_BASE <= 0xff) {
		cpuid_hypervisor(leaf, &r);
		return r;
	}
	r = cpu_cpuid(leaf, sub);
	if (leaf >= 32 || (FILTERED_LEAVES & BIT(leaf)))
		cpuid_filter(v, leaf, sub, &r);
	return r;
}

bool vcpu_has(struct vcpu *v, struct cpuid_feature f)
{
	uint32_t base = f.leaf & 0xffff0000u;

	/* A leaf above the range's maximum reports another leaf's data (SDM Vol. 2A CPUID): not the feature. */
	if (f.leaf > vcpu_cpuid(v, base, 0).eax)
		return false;
	struct cpuid_regs r = vcpu_cpuid(v, f.leaf, f.sub);
	uint32_t regs[4] = { r.eax, r.ebx, r.ecx, r.edx };

	return (regs[f.reg & 3] >> f.bit) & 1;
}

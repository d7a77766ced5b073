/* Reads the VMX capability MSRs and the Intel PT CPUID leaves once, and picks control words. */
#include "vmx/caps.h"
#include "cpu.h"
#include "log.h"
#include "msr.h"
#include "lib/string.h"

/* SDM names of the MSRs behind enum vmx_caps_msr (non-TRUE forms; see vmx_caps_msr_name()). */
static const char *const caps_msr_names[VMX_CAPS_MSR_COUNT] = {
	[VMX_CAPS_FEATURE_CONTROL] = "IA32_FEATURE_CONTROL",
	[VMX_CAPS_BASIC] = "IA32_VMX_BASIC",
	[VMX_CAPS_PINBASED] = "IA32_VMX_PINBASED_CTLS",
	[VMX_CAPS_PROCBASED] = "IA32_VMX_PROCBASED_CTLS",
	[VMX_CAPS_PROCBASED2] = "IA32_VMX_PROCBASED_CTLS2",
	[VMX_CAPS_EXIT] = "IA32_VMX_EXIT_CTLS",
	[VMX_CAPS_ENTRY] = "IA32_VMX_ENTRY_CTLS",
	[VMX_CAPS_MISC] = "IA32_VMX_MISC",
	[VMX_CAPS_CR0_FIXED0] = "IA32_VMX_CR0_FIXED0",
	[VMX_CAPS_CR0_FIXED1] = "IA32_VMX_CR0_FIXED1",
	[VMX_CAPS_CR4_FIXED0] = "IA32_VMX_CR4_FIXED0",
	[VMX_CAPS_CR4_FIXED1] = "IA32_VMX_CR4_FIXED1",
	[VMX_CAPS_EPT_VPID_CAP] = "IA32_VMX_EPT_VPID_CAP",
};

const char *vmx_caps_msr_name(const struct vmx_caps *c, enum vmx_caps_msr which)
{
	bool true_ctls = vmx_caps_has_true_ctls(c);

	switch (which) {
	case VMX_CAPS_PINBASED:
		return true_ctls ? "IA32_VMX_TRUE_PINBASED_CTLS" : caps_msr_names[which];
	case VMX_CAPS_PROCBASED:
		return true_ctls ? "IA32_VMX_TRUE_PROCBASED_CTLS" : caps_msr_names[which];
	case VMX_CAPS_EXIT:
		return true_ctls ? "IA32_VMX_TRUE_EXIT_CTLS" : caps_msr_names[which];
	case VMX_CAPS_ENTRY:
		return true_ctls ? "IA32_VMX_TRUE_ENTRY_CTLS" : caps_msr_names[which];
	default:
		return (unsigned)which < VMX_CAPS_MSR_COUNT ? caps_msr_names[which] : "?";
	}
}

/* Reads one MSR; a #GP is recorded rather than fatal, since the probe must report it. */
static uint64_t caps_rdmsr(struct vmx_caps *c, enum vmx_caps_msr which, uint32_t msr)
{
	uint64_t v = 0;

	if (cpu_rdmsr_safe(msr, &v)) {
		c->msr_read |= 1u << which;
		return v;
	}
	c->msr_faulted |= 1u << which;
	return 0;
}

static void caps_read_ident(struct vmx_caps *c)
{
	struct cpuid_regs r = cpu_cpuid(0, 0);
	uint32_t base_family, ext_model;

	c->max_leaf = r.eax;
	memcpy(c->vendor, &r.ebx, 4);
	memcpy(c->vendor + 4, &r.edx, 4);
	memcpy(c->vendor + 8, &r.ecx, 4);
	c->vendor[12] = '\0';
	c->is_intel = !strcmp(c->vendor, "GenuineIntel");
	if (c->max_leaf >= 1) {
		r = cpu_cpuid(1, 0);
		c->signature = r.eax;
		c->cpuid_vmx = r.ecx & CPUID_1_ECX_VMX;
	}
	/* Display family/model (SDM Vol. 2A, CPUID, "Version Information"). */
	base_family = (c->signature >> 8) & 0xf;
	ext_model = (c->signature >> 16) & 0xf;
	c->stepping = c->signature & 0xf;
	c->family = base_family;
	if (base_family == 0xf)
		c->family += (c->signature >> 20) & 0xff;
	c->model = (c->signature >> 4) & 0xf;
	if (base_family == 0x6 || base_family == 0xf)
		c->model += ext_model << 4;

	c->max_ext_leaf = cpu_cpuid(0x80000000, 0).eax;
	/* Without leaf 80000008H the SDM's default physical-address width is 36 bits. */
	c->maxphyaddr = 36;
	if (c->max_ext_leaf >= 0x80000008 && c->max_ext_leaf < 0x80010000)
		c->maxphyaddr = (uint8_t)(cpu_cpuid(0x80000008, 0).eax & 0xff);
}

static void caps_read_pt(struct vmx_caps *c)
{
	struct cpuid_regs r;

	if (c->max_leaf < 7)
		return;
	r = cpu_cpuid(7, 0);
	c->cpuid_pt = r.ebx & CPUID_7_EBX_INTEL_PT;
	c->cpuid_la57 = r.ecx & CPUID_7_ECX_LA57;
	/* Leaf 14H is defined only when CPUID.07H:EBX[25] says PT exists (SDM Vol. 2A, CPUID). */
	if (!c->cpuid_pt || c->max_leaf < 0x14)
		return;
	c->pt_leaf0 = cpu_cpuid(0x14, 0);
	if (c->pt_leaf0.eax >= 1)
		c->pt_leaf1 = cpu_cpuid(0x14, 1);
}

static void caps_read_vmx(struct vmx_caps *c)
{
	bool true_ctls;

	c->feature_control = caps_rdmsr(c, VMX_CAPS_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL);
	c->basic = caps_rdmsr(c, VMX_CAPS_BASIC, MSR_IA32_VMX_BASIC);
	if (!(c->msr_read & (1u << VMX_CAPS_BASIC)))
		return;
	true_ctls = vmx_caps_has_true_ctls(c);
	c->pinbased_msr = true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS;
	c->procbased_msr = true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS;
	c->exit_msr = true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS;
	c->entry_msr = true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS;
	c->pinbased = caps_rdmsr(c, VMX_CAPS_PINBASED, c->pinbased_msr);
	c->procbased = caps_rdmsr(c, VMX_CAPS_PROCBASED, c->procbased_msr);
	c->exit = caps_rdmsr(c, VMX_CAPS_EXIT, c->exit_msr);
	c->entry = caps_rdmsr(c, VMX_CAPS_ENTRY, c->entry_msr);
	c->misc = caps_rdmsr(c, VMX_CAPS_MISC, MSR_IA32_VMX_MISC);
	c->cr0_fixed0 = caps_rdmsr(c, VMX_CAPS_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = caps_rdmsr(c, VMX_CAPS_CR0_FIXED1, MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = caps_rdmsr(c, VMX_CAPS_CR4_FIXED0, MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = caps_rdmsr(c, VMX_CAPS_CR4_FIXED1, MSR_IA32_VMX_CR4_FIXED1);
	/* PROCBASED_CTLS2 exists only if the secondary controls can be activated (SDM A.3.3). */
	if (!vmx_caps_has_secondary(c))
		return;
	c->procbased2_msr = MSR_IA32_VMX_PROCBASED_CTLS2;
	c->procbased2 = caps_rdmsr(c, VMX_CAPS_PROCBASED2, MSR_IA32_VMX_PROCBASED_CTLS2);
	/* EPT_VPID_CAP exists only if EPT or VPID can be enabled (SDM A.10). */
	if (vmx_caps_has_ept(c) || vmx_caps_has_vpid(c))
		c->ept_vpid_cap = caps_rdmsr(c, VMX_CAPS_EPT_VPID_CAP, MSR_IA32_VMX_EPT_VPID_CAP);
}

void vmx_caps_read(struct vmx_caps *c)
{
	memset(c, 0, sizeof(*c));
	caps_read_ident(c);
	caps_read_pt(c);
	/* The VMX MSRs #GP where VMX is absent (SDM Appendix A): do not even try. */
	if (c->cpuid_vmx)
		caps_read_vmx(c);
}

int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap_msr, const char *word_name, uint32_t *out)
{
	uint32_t allowed0 = vmx_ctl_allowed0(cap_msr);
	uint32_t allowed1 = vmx_ctl_allowed1(cap_msr);
	uint32_t missing = required & ~allowed1;
	uint32_t dropped = optional & ~required & ~allowed1;

	*out = 0;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (missing & (1u << bit))
			pr_err("%s controls: required bit %u is not allowed to be 1 on this CPU "
			       "(allowed-1 0x%08x)\n",
			       word_name, bit, allowed1);
	}
	if (missing)
		return -1;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (dropped & (1u << bit))
			pr_info("%s controls: optional bit %u not available, "
				"continuing without it\n",
				word_name, bit);
	}
	*out = allowed0 | ((required | optional) & allowed1);
	return 0;
}

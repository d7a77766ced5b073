/*
 * Control-register accesses that exit (SDM 28.2.1, Table 28-3): writes that
 * touch a CR0/CR4 bit VMX forces or ptvisor hides. The guest's value is kept
 * in the read shadow; the real register gets the forced bits.
 */
#include "vmx/exit.h"
#include "vmx/caps.h"
#include "vmx/guest_cpuid.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs_init.h"
#include "vmx/pt_backend.h"
#include "ept/ept_walk.h"
#include "log.h"

/*
 * With EPT and PAE paging outside long mode the VMM must load the PDPTEs (SDM 29.3.2.1). A present
 * PDPTE with a reserved bit set (1, 2, 8:5, or MAXPHYADDR and above: SDM 4.4.1, Table 4-8) is #GP.
 */
static bool load_pdptes(struct vcpu *v, uint64_t cr0, uint64_t cr4, bool lma)
{
	uint64_t pdpte[4];
	uint64_t reserved = BIT(1) | BIT(2) | GENMASK(8, 5) | GENMASK(63, boot_caps.maxphyaddr);

	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || lma)
		return true;
	if (ept_read_guest(v->mem.ept, vmcs_readnat(GUEST_CR3) & ~0x1fULL, pdpte, sizeof(pdpte)) != sizeof(pdpte))
		return false;
	for (int i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & reserved))
			return false;
	vmcs_write64(GUEST_PDPTE0, pdpte[0]);
	vmcs_write64(GUEST_PDPTE1, pdpte[1]);
	vmcs_write64(GUEST_PDPTE2, pdpte[2]);
	vmcs_write64(GUEST_PDPTE3, pdpte[3]);
	return true;
}

static bool write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	uint64_t old = vmcs_readnat(CR0_READ_SHADOW);

	/* SDM Vol. 2B, MOV to CR0: #GP on reserved bits, PG without PE, NW without CD. */
	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME) && !(vmcs_readnat(GUEST_CR4) & CR4_PAE))
		return false; /* long mode needs PAE first (SDM 10.8.5) */
	if (!(val & CR0_PG) && (old & CR0_PG) && vcpu_long_mode(v))
		return false; /* paging cannot be turned off in 64-bit mode (SDM Vol. 2B MOV to CR, 10.8.5.4) */
	if (!(val & CR0_PG) && (vmcs_readnat(GUEST_CR4) & CR4_PCIDE))
		return false; /* nor while CR4.PCIDE=1, in any mode (SDM Vol. 2B MOV to CR0 "#GP(0)") */
	val |= CR0_ET;
	uint64_t real = (val | (vmx_ctls.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_ctls.cr0_fixed1;
	real |= val & (CR0_PE | CR0_PG);

	/* Turning paging on or off with LME set activates or deactivates long mode (SDM 10.8.5). */
	bool lma_change = (val & CR0_PG) != (old & CR0_PG) && (efer & EFER_LME);
	if (lma_change)
		efer = (val & CR0_PG) ? efer | EFER_LMA : efer & ~EFER_LMA;
	/* Checked before anything changes: a #GP leaves the guest's state as it was. */
	if (!load_pdptes(v, val, vmcs_readnat(GUEST_CR4), efer & EFER_LMA))
		return false;
	if (lma_change) {
		vmcs_write64(GUEST_IA32_EFER, efer);
		v->efer_lma = efer & EFER_LMA;
		v->entry_controls = (val & CR0_PG) ? v->entry_controls | ENTRY_IA32E_MODE_GUEST
						   : v->entry_controls & ~ENTRY_IA32E_MODE_GUEST;
		vmcs_write32(VM_ENTRY_CONTROLS, v->entry_controls);
	}
	vmcs_writenat(CR0_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR0, real);
	return true;
}

/* CR4 bits and the feature flag each needs: without it the bit is reserved (SDM 2.5, Vol. 2B MOV to CR4). */
static const struct {
	uint64_t bit;
	struct cpuid_feature feature;
} cr4_features[] = {
	{ CR4_VME, FEAT_VME },        { CR4_PVI, FEAT_VME },       { CR4_TSD, FEAT_TSC },
	{ CR4_DE, FEAT_DE },          { CR4_PSE, FEAT_PSE },       { CR4_PAE, FEAT_PAE },
	{ CR4_MCE, FEAT_MCE },        { CR4_PGE, FEAT_PGE },       { CR4_OSFXSR, FEAT_FXSR },
	{ CR4_OSXMMEXCPT, FEAT_SSE }, { CR4_UMIP, FEAT_UMIP },     { CR4_LA57, FEAT_LA57 },
	{ CR4_VMXE, FEAT_VMX },       { CR4_SMXE, FEAT_SMX },      { CR4_FSGSBASE, FEAT_FSGSBASE },
	{ CR4_PCIDE, FEAT_PCID },     { CR4_OSXSAVE, FEAT_XSAVE }, { CR4_KL, FEAT_KL },
	{ CR4_SMEP, FEAT_SMEP },      { CR4_SMAP, FEAT_SMAP },     { CR4_PKE, FEAT_PKU },
	{ CR4_CET, FEAT_CET_SS },     { CR4_PKS, FEAT_PKS },       { CR4_UINTR, FEAT_UINTR },
	{ CR4_LAM_SUP, FEAT_LAM },
};

static bool cr4_bits_offered(struct vcpu *v, uint64_t val)
{
	for (unsigned i = 0; i < ARRAY_SIZE(cr4_features); i++)
		if ((val & cr4_features[i].bit) && !vcpu_has(v, cr4_features[i].feature))
			return false;
	return true;
}

static bool write_cr4(struct vcpu *v, uint64_t val)
{
	uint64_t cur = vmcs_readnat(GUEST_CR4); /* PCIDE and LA57 are the guest's own bits: not shadowed */
	bool lma = vmcs_read64(GUEST_IA32_EFER) & EFER_LMA;

	/* Bits the CPU lacks (VMXE aside: VMX owns it) and bits of features the guest's CPUID hides. */
	if ((val & ~vmx_ctls.cr4_fixed1 & ~CR4_VMXE) || !cr4_bits_offered(v, val))
		return false;
	if (!(val & CR4_PAE) && lma)
		return false;
	/* PCIDE: set only in IA-32e mode with CR3[11:0] = 0 (SDM 4.10.1); LA57 is fixed in IA-32e mode. */
	if ((val & CR4_PCIDE) && !(cur & CR4_PCIDE) && (!lma || (vmcs_readnat(GUEST_CR3) & 0xfff)))
		return false;
	if (lma && ((val ^ cur) & CR4_LA57))
		return false;
	/* CET needs CR0.WP (SDM Vol. 2B MOV to CR4). */
	if ((val & CR4_CET) && !(vmcs_readnat(GUEST_CR0) & CR0_WP))
		return false;
	if (!load_pdptes(v, vmcs_readnat(CR0_READ_SHADOW), val, vmcs_read64(GUEST_IA32_EFER) & EFER_LMA))
		return false;
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, (val | vmx_ctls.cr4_fixed0) & vmx_ctls.cr4_fixed1);
	return true;
}

/* CR8 is the TPR's priority class: CR8[3:0] = TPR[7:4]; bits 63:4 are reserved (SDM 11.8.6, 2.5). */
static bool access_cr8(struct vcpu *v, unsigned type, unsigned reg)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP);
	uint64_t *r = vcpu_gpr(v, reg, &rsp);

	if (type == 0) {
		if (*r >> 4)
			return false;
		v->lapic.tpr = (uint32_t)(*r & 0xf) << 4;
		vlapic_request_windows(v); /* a lower TPR may let a pending interrupt through */
		return true;
	}
	*r = v->lapic.tpr >> 4;
	if (reg == 4)
		vmcs_writenat(GUEST_RSP, rsp);
	return true;
}

enum exit_action handle_cr_access(struct vcpu *v)
{
	v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned cr = v->exit_qual & 15, type = (v->exit_qual >> 4) & 3, reg = (v->exit_qual >> 8) & 15;
	bool ok = true;

	/* Only the emulated PT backend turns CR3-load exiting on, to see when tracing may resume. */
	if (cr == 3 && type == 0 && vcpu_pt_cr3_load(v))
		return EXIT_RESUME;
	if (cr == 8 && type <= 1) { /* only in 64-bit mode: CR8-load/store exiting */
		if (!access_cr8(v, type, reg)) {
			vcpu_inject_gp(v);
			return EXIT_RESUME;
		}
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	if (type == 0) { /* MOV to CR */
		uint64_t rsp = vmcs_readnat(GUEST_RSP);
		uint64_t val = *vcpu_gpr(v, reg, &rsp);
		if (!vcpu_long_mode(v))
			val = (uint32_t)val;
		if (cr == 0)
			ok = write_cr0(v, val);
		else if (cr == 4)
			ok = write_cr4(v, val);
		else
			ok = false;
	} else if (type == 1) { /* MOV from CR: only CR3/CR8 exiting could bring us here */
		ok = false;
	} else if (type == 3) { /* LMSW: bits 3:0 of CR0, PE cannot be cleared (SDM Vol. 2A, LMSW) */
		uint64_t cr0 = vmcs_readnat(CR0_READ_SHADOW);
		uint64_t src = (v->exit_qual >> 16) & 0xf;
		ok = write_cr0(v, (cr0 & ~0xeULL) | src | (cr0 & CR0_PE));
	} else {
		ok = false;
	}
	if (!ok && type <= 3 && (cr == 0 || cr == 4)) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (!ok)
		return vcpu_stop(v, -1, "control-register access not emulated (CR%u, type %u)", cr, type);
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

/*
 * Control-register accesses that exit (SDM 28.2.1, Table 28-3): writes that
 * touch a CR0/CR4 bit VMX forces or ptvisor hides. The guest's value is kept
 * in the read shadow; the real register gets the forced bits.
 */
#include "vmx/exit.h"
#include "vmx/caps.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs_init.h"
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

static bool write_cr4(struct vcpu *v, uint64_t val)
{
	/* VMXE and SMXE are reserved to a guest that sees neither feature. */
	if ((val & (CR4_VMXE | CR4_SMXE)) || (val & ~vmx_ctls.cr4_fixed1 & ~CR4_VMXE))
		return false;
	if (!(val & CR4_PAE) && (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA))
		return false;
	if (!load_pdptes(v, vmcs_readnat(CR0_READ_SHADOW), val, vmcs_read64(GUEST_IA32_EFER) & EFER_LMA))
		return false;
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, (val | vmx_ctls.cr4_fixed0) & vmx_ctls.cr4_fixed1);
	return true;
}

enum exit_action handle_cr_access(struct vcpu *v)
{
	v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned cr = v->exit_qual & 15, type = (v->exit_qual >> 4) & 3, reg = (v->exit_qual >> 8) & 15;
	bool ok = true;

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

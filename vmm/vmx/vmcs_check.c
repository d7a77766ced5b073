/*
 * When VM entry fails with "invalid guest state" (exit reason 33) the CPU
 * does not say which check failed. These are the checks of SDM 27.3.1 that a
 * VMM is most likely to break, run in the same order, so the report can name
 * the field and the rule.
 */
#include "vmx/vmcs_check.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmcs_ops.h"
#include "lib/format.h"
#include "x86/arch.h"

#define AR_UNUSABLE BIT(16)
#define AR_L        BIT(13)
#define AR_DB       BIT(14)

static bool problem(char *buf, size_t len, const char *fmt, uint64_t v)
{
	ptv_snprintf(buf, len, fmt, v);
	return true;
}

/* 27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs" */
static bool check_control_regs(const struct vmx_controls *c, uint32_t entry, char *buf, size_t len)
{
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t fixed0 = c->cr0_fixed0;
	bool ia32e = entry & ENTRY_IA32E_MODE_GUEST;

	if (c->cpu2 & CPU2_UNRESTRICTED_GUEST)
		fixed0 &= ~(CR0_PE | CR0_PG);
	if ((cr0 & fixed0) != fixed0 || (cr0 & ~c->cr0_fixed1))
		return problem(buf, len, "GUEST_CR0 0x%lx breaks IA32_VMX_CR0_FIXED0/1", cr0);
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return problem(buf, len, "GUEST_CR0 0x%lx: PG set without PE", cr0);
	if ((cr0 & CR0_NW) && !(cr0 & CR0_CD))
		return problem(buf, len, "GUEST_CR0 0x%lx: NW set without CD", cr0);
	if ((cr4 & c->cr4_fixed0) != c->cr4_fixed0 || (cr4 & ~c->cr4_fixed1))
		return problem(buf, len, "GUEST_CR4 0x%lx breaks IA32_VMX_CR4_FIXED0/1", cr4);
	if (ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
		return problem(buf, len, "\"IA-32e mode guest\" needs CR0.PG and CR4.PAE (GUEST_CR4 0x%lx)", cr4);
	if (!ia32e && (cr4 & CR4_PCIDE))
		return problem(buf, len, "GUEST_CR4 0x%lx: PCIDE set outside IA-32e mode", cr4);
	if ((cr4 & CR4_CET) && !(cr0 & CR0_WP))
		return problem(buf, len, "GUEST_CR4 0x%lx: CET set with CR0.WP clear", cr4);
	if (c->maxphyaddr && c->maxphyaddr < 64 && (vmcs_readnat(GUEST_CR3) >> c->maxphyaddr))
		return problem(buf, len, "GUEST_CR3 0x%lx: bits beyond MAXPHYADDR set", vmcs_readnat(GUEST_CR3));
	if (entry & ENTRY_LOAD_DEBUG_CONTROLS) {
		uint64_t dbgctl = vmcs_read64(GUEST_IA32_DEBUGCTL);
		if (dbgctl & (GENMASK(5, 2) | GENMASK(63, 16)))
			return problem(buf, len, "GUEST_IA32_DEBUGCTL 0x%lx: reserved bits set", dbgctl);
		if (vmcs_readnat(GUEST_DR7) >> 32)
			return problem(buf, len, "GUEST_DR7 0x%lx: bits 63:32 must be 0", vmcs_readnat(GUEST_DR7));
	}
	if (!addr_canonical(vmcs_readnat(GUEST_SYSENTER_ESP)) || !addr_canonical(vmcs_readnat(GUEST_SYSENTER_EIP)))
		return problem(buf, len, "GUEST_SYSENTER_ESP/EIP not canonical (EIP 0x%lx)",
			       vmcs_readnat(GUEST_SYSENTER_EIP));
	if (entry & ENTRY_LOAD_IA32_PAT) {
		uint64_t pat = vmcs_read64(GUEST_IA32_PAT);
		for (int i = 0; i < 8; i++) {
			unsigned t = (pat >> (8 * i)) & 0xff;
			if (t == 2 || t == 3 || t > 7)
				return problem(buf, len, "GUEST_IA32_PAT 0x%lx: an entry holds a reserved type", pat);
		}
	}
	if (entry & ENTRY_LOAD_IA32_EFER) {
		uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
		if (efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			return problem(buf, len, "GUEST_IA32_EFER 0x%lx: reserved bits set", efer);
		if (!!(efer & EFER_LMA) != ia32e)
			return problem(buf, len, "GUEST_IA32_EFER 0x%lx: LMA differs from \"IA-32e mode guest\"", efer);
		if ((cr0 & CR0_PG) && !!(efer & EFER_LMA) != !!(efer & EFER_LME))
			return problem(buf, len, "GUEST_IA32_EFER 0x%lx: LMA differs from LME with paging on", efer);
	}
	return false;
}

/* 27.3.1.2 "Checks on Guest Segment Registers" (the ones for TR, LDTR and CS) */
static bool check_segments(uint32_t entry, char *buf, size_t len)
{
	uint32_t tr = vmcs_read32(GUEST_TR_AR_BYTES), ldtr = vmcs_read32(GUEST_LDTR_AR_BYTES);
	uint32_t cs = vmcs_read32(GUEST_CS_AR_BYTES);
	bool ia32e = entry & ENTRY_IA32E_MODE_GUEST;

	bool tss_type = (tr & 0xf) == 11 || (!ia32e && (tr & 0xf) == 3);

	if ((tr & AR_UNUSABLE) || !(tr & BIT(7)) || !tss_type)
		return problem(buf, len, "GUEST_TR_AR_BYTES 0x%lx: TR must be a usable, present, busy TSS", tr);
	if (vmcs_read16(GUEST_TR_SELECTOR) & BIT(2))
		return problem(buf, len, "GUEST_TR_SELECTOR 0x%lx: TI must be 0", vmcs_read16(GUEST_TR_SELECTOR));
	if (!(ldtr & AR_UNUSABLE) && ((ldtr & 0xf) != 2 || !(ldtr & BIT(7))))
		return problem(buf, len, "GUEST_LDTR_AR_BYTES 0x%lx: a usable LDTR must be a present LDT", ldtr);
	if (ia32e && (cs & AR_L) && (cs & AR_DB))
		return problem(buf, len, "GUEST_CS_AR_BYTES 0x%lx: L and D/B both set in IA-32e mode", cs);
	if (!(cs & AR_UNUSABLE) && !(cs & BIT(7)))
		return problem(buf, len, "GUEST_CS_AR_BYTES 0x%lx: CS not present", cs);
	return false;
}

/* 27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP", 27.3.1.5 "Checks on Guest Non-Register State" */
static bool check_rip_flags_state(uint32_t entry, char *buf, size_t len)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP), rflags = vmcs_readnat(GUEST_RFLAGS);
	bool ia32e = entry & ENTRY_IA32E_MODE_GUEST;
	bool cs_l = vmcs_read32(GUEST_CS_AR_BYTES) & AR_L;
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if ((!ia32e || !cs_l) && (rip >> 32))
		return problem(buf, len, "GUEST_RIP 0x%lx: bits 63:32 must be 0 outside 64-bit mode", rip);
	if (ia32e && cs_l && !addr_canonical(rip))
		return problem(buf, len, "GUEST_RIP 0x%lx is not canonical", rip);
	if (!(rflags & BIT(1)) || (rflags & (GENMASK(63, 22) | BIT(15) | BIT(5) | BIT(3))))
		return problem(buf, len, "GUEST_RFLAGS 0x%lx: bit 1 must be 1, reserved bits 0", rflags);
	if (ia32e && (rflags & BIT(17)))
		return problem(buf, len, "GUEST_RFLAGS 0x%lx: VM set in IA-32e mode", rflags);
	if ((intr & GUEST_INTR_STATE_STI) && !(rflags & BIT(9)))
		return problem(buf, len, "GUEST_INTERRUPTIBILITY_INFO 0x%lx: blocking by STI with RFLAGS.IF=0", intr);
	if ((intr & GUEST_INTR_STATE_STI) && (intr & GUEST_INTR_STATE_MOV_SS))
		return problem(buf, len, "GUEST_INTERRUPTIBILITY_INFO 0x%lx: STI and MOV-SS blocking together", intr);
	if (vmcs_read32(GUEST_ACTIVITY_STATE) > 3)
		return problem(buf, len, "GUEST_ACTIVITY_STATE %lu is not a defined state",
			       vmcs_read32(GUEST_ACTIVITY_STATE));
	if (vmcs_read64(VMCS_LINK_POINTER) != ~0ULL)
		return problem(buf, len, "VMCS_LINK_POINTER 0x%lx must be all ones (no shadow VMCS)",
			       vmcs_read64(VMCS_LINK_POINTER));
	return false;
}

bool vmcs_guest_state_problem(const struct vmx_controls *c, char *buf, size_t len)
{
	uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);

	return check_control_regs(c, entry, buf, len) || check_segments(entry, buf, len) ||
	       check_rip_flags_state(entry, buf, len);
}

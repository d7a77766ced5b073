/* Helpers every exit handler shares: skipping an instruction, injecting an exception, CPL. */
#include "vmx/exit.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs.h"
#include "log.h"

void vcpu_skip_instruction(struct vcpu *v)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	(void)v;
	/* Outside 64-bit mode EIP wraps at 4 GiB; checked only when it could matter. */
	if ((rip >> 32) && !vcpu_long_mode(v))
		rip = (uint32_t)rip;
	vmcs_writenat(GUEST_RIP, rip);
	/* The emulated instruction retired: STI and MOV-SS shadows end with it. */
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (vector & 0xff);

	(void)v;
	/* Real-mode guests take exceptions without an error code (SDM 27.2.1.3). */
	if (has_error && (vmcs_readnat(GUEST_CR0) & 1)) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

unsigned vcpu_cpl(void)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

bool vcpu_long_mode(const struct vcpu *v)
{
	/* CS.L with IA32_EFER.LMA: 64-bit mode (SDM 3.4.5). LMA changes only in our CR0 handler, so it is cached. */
	return v->efer_lma && (vmcs_read32(GUEST_CS_AR_BYTES) & BIT(13));
}

void vmcs_access_failed(const char *op, unsigned field, enum vmx_status st)
{
	if (st == VMX_FAIL_VALID) {
		uint64_t err = 0;
		cpu_vmread(VM_INSTRUCTION_ERROR, &err);
		panic("%s of VMCS field 0x%x failed: VM-instruction error %lu", op, field, err);
	}
	panic("%s of VMCS field 0x%x failed: no current VMCS", op, field);
}

/* Helpers every exit handler shares: skipping an instruction, injecting an exception, CPL. */
#include "vmx/exit.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs.h"
#include "log.h"

uint64_t *vcpu_gpr(struct vcpu *v, unsigned n, uint64_t *rsp)
{
	uint64_t *r[16] = {
		&v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, rsp, &v->regs.rbp,
		&v->regs.rsi, &v->regs.rdi, &v->regs.r8, &v->regs.r9, &v->regs.r10, &v->regs.r11,
		&v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15,
	};

	return r[n & 15];
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

void vmcs_access_failed(const char *op, unsigned field, enum vmx_status st)
{
	if (st == VMX_FAIL_VALID) {
		uint64_t err = 0;
		cpu_vmread(VM_INSTRUCTION_ERROR, &err);
		panic("%s of VMCS field 0x%x failed: VM-instruction error %lu", op, field, err);
	}
	panic("%s of VMCS field 0x%x failed: no current VMCS", op, field);
}

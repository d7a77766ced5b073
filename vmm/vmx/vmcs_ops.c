/* A VMREAD or VMWRITE that fails is ptvisor's bug (a field it should know): report it and stop. */
#include "vmx/vmcs_ops.h"
#include "vmx/vmx_error.h"

void vmcs_access_failed(const char *op, unsigned field, enum vmx_status st)
{
	if (st == VMX_FAIL_VALID) {
		uint64_t err = 0;
		cpu_vmread(VM_INSTRUCTION_ERROR, &err);
		panic("%s of VMCS field 0x%x failed: VM-instruction error %lu (%s)", op, field, err,
		      vmx_instruction_error_name((unsigned)err));
	}
	panic("%s of VMCS field 0x%x failed: no current VMCS", op, field);
}

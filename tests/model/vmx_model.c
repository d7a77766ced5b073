/* The CPU model's VMX instructions, after the pseudocode in SDM 31 "VMX Instruction Reference". */
/* #UD and #GP are recorded as faults and returned as VMfailInvalid (a CPU would not return). */
#include <string.h>
#include "cpu_model.h"
#include "msr.h"
#include "vmx/vmx_error.h"

#define CR0_PE                    BIT(0)
#define CR4_VMXE                  BIT(13)
#define VMCS_VM_INSTRUCTION_ERROR 0x4400

static enum vmx_status vmx_fault(struct cpu_model *m, enum cpu_model_op op, uint64_t index, enum cpu_model_fault f)
{
	cpu_model_log(m, op, index, 0, f, VMX_FAIL_INVALID);
	return VMX_FAIL_INVALID;
}

/* VMfail(n): VMfailValid with the error in the current VMCS, or VMfailInvalid without one. */
static enum vmx_status vmx_fail(struct cpu_model *m, enum cpu_model_op op, uint64_t index, uint32_t error)
{
	enum vmx_status st = VMX_FAIL_INVALID;

	if (m->current_vmcs != CPU_MODEL_NO_VMCS) {
		m->vm_instruction_error = error;
		st = VMX_FAIL_VALID;
	}
	cpu_model_log(m, op, index, error, CPU_FAULT_NONE, st);
	return st;
}

static enum vmx_status vmx_ok(struct cpu_model *m, enum cpu_model_op op, uint64_t index, uint64_t value)
{
	cpu_model_log(m, op, index, value, CPU_FAULT_NONE, VMX_OK);
	return VMX_OK;
}

static unsigned vmx_addr_width(struct cpu_model *m)
{
	return (cpu_model_msr_value(m, MSR_IA32_VMX_BASIC, 0) & BIT(48)) ? 32 : cpu_model_maxphyaddr(m);
}

static bool vmx_bad_pointer(struct cpu_model *m, paddr_t pa)
{
	return !IS_ALIGNED(pa, PAGE_SIZE) || (pa >> vmx_addr_width(m));
}

/* Bits 30:0 must be the revision id and bit 31 clear; unbacked memory never matches. */
static bool vmx_bad_revision(struct cpu_model *m, paddr_t pa)
{
	const uint32_t *rev = cpu_model_phys(m, pa, 4);
	uint32_t want = (uint32_t)(cpu_model_msr_value(m, MSR_IA32_VMX_BASIC, 0) & 0x7fffffff);

	return !rev || *rev != want;
}

static bool vmx_cr_supported(struct cpu_model *m)
{
	uint64_t cr0_f0 = cpu_model_msr_value(m, MSR_IA32_VMX_CR0_FIXED0, 0);
	uint64_t cr0_f1 = cpu_model_msr_value(m, MSR_IA32_VMX_CR0_FIXED1, 0);
	uint64_t cr4_f0 = cpu_model_msr_value(m, MSR_IA32_VMX_CR4_FIXED0, 0);
	uint64_t cr4_f1 = cpu_model_msr_value(m, MSR_IA32_VMX_CR4_FIXED1, 0);

	return (m->cr0 & cr0_f0) == cr0_f0 && !(m->cr0 & ~cr0_f1) && (m->cr4 & cr4_f0) == cr4_f0 && !(m->cr4 & ~cr4_f1);
}

/* VMXON also clears TraceEn when the CPU has PT but not in VMX operation (SDM 31 VMXON). */
static void vmx_clear_traceen(struct cpu_model *m)
{
	struct cpu_model_msr *ctl = cpu_model_msr(m, MSR_IA32_RTIT_CTL);
	bool has_pt = cpu_model_cpuid(m, 7, 0).ebx & BIT(25);

	if (!has_pt || !ctl || (cpu_model_msr_value(m, MSR_IA32_VMX_MISC, 0) & BIT(14)))
		return;
	if (ctl->value & RTIT_CTL_TRACEEN) {
		ctl->value &= ~RTIT_CTL_TRACEEN;
		cpu_model_log(m, CPU_OP_TRACEEN_CLEARED, MSR_IA32_RTIT_CTL, ctl->value, CPU_FAULT_NONE, VMX_OK);
	}
}

enum vmx_status cpu_vmxon(paddr_t region)
{
	struct cpu_model *m = cpu_model_get();
	uint64_t fc = cpu_model_msr_value(m, MSR_IA32_FEATURE_CONTROL, 0);

	if (!(m->cr0 & CR0_PE) || !(m->cr4 & CR4_VMXE))
		return vmx_fault(m, CPU_OP_VMXON, region, CPU_FAULT_UD);
	if (m->vmx_operation)
		return vmx_fail(m, CPU_OP_VMXON, region, VMXERR_VMXON_IN_ROOT);
	if (!vmx_cr_supported(m) || !(fc & FEATURE_CONTROL_LOCKED) || !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return vmx_fault(m, CPU_OP_VMXON, region, CPU_FAULT_GP);
	if (vmx_bad_pointer(m, region) || vmx_bad_revision(m, region)) {
		cpu_model_log(m, CPU_OP_VMXON, region, 0, CPU_FAULT_NONE, VMX_FAIL_INVALID);
		return VMX_FAIL_INVALID;
	}
	m->vmx_operation = true;
	m->vmxon_region = region;
	m->current_vmcs = CPU_MODEL_NO_VMCS;
	vmx_clear_traceen(m);
	return vmx_ok(m, CPU_OP_VMXON, region, 0);
}

enum vmx_status cpu_vmxoff(void)
{
	struct cpu_model *m = cpu_model_get();

	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_VMXOFF, 0, CPU_FAULT_UD);
	m->vmx_operation = false;
	m->current_vmcs = CPU_MODEL_NO_VMCS;
	return vmx_ok(m, CPU_OP_VMXOFF, 0, 0);
}

enum vmx_status cpu_vmclear(paddr_t vmcs)
{
	struct cpu_model *m = cpu_model_get();

	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_VMCLEAR, vmcs, CPU_FAULT_UD);
	if (vmx_bad_pointer(m, vmcs))
		return vmx_fail(m, CPU_OP_VMCLEAR, vmcs, VMXERR_VMCLEAR_BAD_ADDR);
	if (vmcs == m->vmxon_region)
		return vmx_fail(m, CPU_OP_VMCLEAR, vmcs, VMXERR_VMCLEAR_VMXON_PTR);
	if (vmcs == m->current_vmcs)
		m->current_vmcs = CPU_MODEL_NO_VMCS;
	return vmx_ok(m, CPU_OP_VMCLEAR, vmcs, 0);
}

enum vmx_status cpu_vmptrld(paddr_t vmcs)
{
	struct cpu_model *m = cpu_model_get();

	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_VMPTRLD, vmcs, CPU_FAULT_UD);
	if (vmx_bad_pointer(m, vmcs))
		return vmx_fail(m, CPU_OP_VMPTRLD, vmcs, VMXERR_VMPTRLD_BAD_ADDR);
	if (vmcs == m->vmxon_region)
		return vmx_fail(m, CPU_OP_VMPTRLD, vmcs, VMXERR_VMPTRLD_VMXON_PTR);
	if (vmx_bad_revision(m, vmcs))
		return vmx_fail(m, CPU_OP_VMPTRLD, vmcs, VMXERR_VMPTRLD_BAD_REVISION);
	m->current_vmcs = vmcs;
	return vmx_ok(m, CPU_OP_VMPTRLD, vmcs, 0);
}

/* The model keeps written fields in a table; unwritten fields read as 0. */
enum vmx_status cpu_vmread(uint64_t field, uint64_t *val)
{
	struct cpu_model *m = cpu_model_get();

	*val = 0;
	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_VMREAD, field, CPU_FAULT_UD);
	if (m->current_vmcs == CPU_MODEL_NO_VMCS)
		return vmx_fail(m, CPU_OP_VMREAD, field, 0);
	if (field == VMCS_VM_INSTRUCTION_ERROR)
		*val = m->vm_instruction_error;
	for (size_t i = 0; i < m->field_count; i++)
		if (m->fields[i].field == field)
			*val = m->fields[i].value;
	return vmx_ok(m, CPU_OP_VMREAD, field, *val);
}

enum vmx_status cpu_vmwrite(uint64_t field, uint64_t val)
{
	struct cpu_model *m = cpu_model_get();
	size_t i;

	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_VMWRITE, field, CPU_FAULT_UD);
	if (m->current_vmcs == CPU_MODEL_NO_VMCS)
		return vmx_fail(m, CPU_OP_VMWRITE, field, 0);
	for (i = 0; i < m->field_count && m->fields[i].field != field; i++)
		;
	if (i == CPU_MODEL_MAX_FIELDS)
		return vmx_fail(m, CPU_OP_VMWRITE, field, VMXERR_UNSUPPORTED_FIELD);
	if (i == m->field_count)
		m->field_count++;
	m->fields[i].field = field;
	m->fields[i].value = val;
	return vmx_ok(m, CPU_OP_VMWRITE, field, val);
}

/* INVEPT types 1 (single) and 2 (all): IA32_VMX_EPT_VPID_CAP bits 25 and 26 (SDM A.10). */
enum vmx_status cpu_invept(uint64_t type, uint64_t eptp)
{
	struct cpu_model *m = cpu_model_get();
	uint64_t cap = cpu_model_msr_value(m, MSR_IA32_VMX_EPT_VPID_CAP, 0);

	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_INVEPT, type, CPU_FAULT_UD);
	if ((type != 1 && type != 2) || !(cap & BIT(24 + type)))
		return vmx_fail(m, CPU_OP_INVEPT, type, VMXERR_INVALID_INVEPT_INVVPID);
	return vmx_ok(m, CPU_OP_INVEPT, type, eptp);
}

/* INVVPID types 0-3: IA32_VMX_EPT_VPID_CAP bits 40-43 (SDM A.10). */
enum vmx_status cpu_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
	struct cpu_model *m = cpu_model_get();
	uint64_t cap = cpu_model_msr_value(m, MSR_IA32_VMX_EPT_VPID_CAP, 0);

	(void)gla;
	if (!m->vmx_operation)
		return vmx_fault(m, CPU_OP_INVVPID, type, CPU_FAULT_UD);
	if (type > 3 || !(cap & BIT(40 + type)) || (type != 2 && vpid == 0))
		return vmx_fail(m, CPU_OP_INVVPID, type, VMXERR_INVALID_INVEPT_INVVPID);
	return vmx_ok(m, CPU_OP_INVVPID, type, vpid);
}

void cpu_model_map_phys(struct cpu_model *m, paddr_t pa, void *host, size_t len)
{
	if (m->mem_count < CPU_MODEL_MAX_MEM)
		m->mem[m->mem_count++] = (struct cpu_model_mem){ pa, host, len };
}

void *cpu_model_phys(struct cpu_model *m, paddr_t pa, size_t len)
{
	for (size_t i = 0; i < m->mem_count; i++) {
		const struct cpu_model_mem *r = &m->mem[i];

		if (pa >= r->pa && len <= r->len && pa - r->pa <= r->len - len)
			return (char *)r->host + (pa - r->pa);
	}
	return NULL;
}

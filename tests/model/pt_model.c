/*
 * Intel PT in the CPU model: the WRMSR #GP rules of SDM 33.2.8 for the real
 * (host) MSRs and the VM-entry checks on the PT controls of SDM 27.2.1.1,
 * 27.2.1.3 and 27.3.1.1, written independently of vmm/pt so that the VMM
 * code is checked against a second reading of the SDM.
 */
#include "pt_model.h"
#include "msr.h"

#define F_CPU_BASED  0x4002
#define F_EXIT_CTLS  0x400c
#define F_ENTRY_CTLS 0x4012
#define F_SECONDARY  0x401e
#define F_GUEST_RTIT 0x2814
#define P_SECONDARY  BIT(31)
#define S_EPT        BIT(1)
#define S_CONCEAL    BIT(19)
#define S_PT_GPA     BIT(24)
#define X_CONCEAL    BIT(24)
#define X_CLEAR_RTIT BIT(25)
#define N_CONCEAL    BIT(17)
#define N_LOAD_RTIT  BIT(18)

extern bool (*cpu_model_wrmsr_check)(struct cpu_model *m, uint32_t msr, uint64_t val);

uint64_t pt_model_field(struct cpu_model *m, uint64_t field)
{
	for (size_t i = 0; i < m->field_count; i++)
		if (m->fields[i].field == field)
			return m->fields[i].value;
	return 0;
}

void pt_model_set_field(struct cpu_model *m, uint64_t field, uint64_t v)
{
	size_t i;

	for (i = 0; i < m->field_count && m->fields[i].field != field; i++)
		;
	if (i == CPU_MODEL_MAX_FIELDS)
		return;
	if (i == m->field_count)
		m->field_count++;
	m->fields[i].field = field;
	m->fields[i].value = v;
}

uint64_t pt_model_ctl_valid(struct cpu_model *m)
{
	struct cpuid_regs l0 = cpu_model_cpuid(m, 0x14, 0);
	struct cpuid_regs l1 = cpu_model_cpuid(m, 0x14, 1);
	uint64_t v = BIT(0) | BIT(2) | BIT(3) | BIT(10) | BIT(11) | BIT(13);

	if (l0.ebx & BIT(0))
		v |= BIT(7);
	if (l0.ebx & BIT(1))
		v |= BIT(1) | GENMASK(22, 19) | GENMASK(27, 24);
	if (l0.ebx & BIT(3))
		v |= BIT(9) | GENMASK(17, 14);
	if (l0.ebx & BIT(4))
		v |= BIT(5) | BIT(12);
	if (l0.ebx & BIT(5))
		v |= BIT(4);
	if (l0.ecx & BIT(0))
		v |= BIT(8);
	if (l0.ecx & BIT(3))
		v |= BIT(6);
	if (l0.eax >= 1 && (l1.eax & 7))
		v |= GENMASK(31 + 4 * MIN(l1.eax & 7, 4u), 32);
	return v;
}

/* Canonical to 57 bits where CPUID.7.0:ECX[16] enumerates 5-level paging, else 48 (SDM Vol. 1, 3.3.7.1). */
static bool sign_ok(struct cpu_model *m, uint64_t a)
{
	unsigned shift = (cpu_model_cpuid(m, 7, 0).ecx & BIT(16)) ? 7 : 16;

	return (uint64_t)((int64_t)(a << shift) >> shift) == a;
}

/* true = #GP. Only the rules a VMM could break on the host's own MSRs. */
static bool pt_model_wrmsr_check(struct cpu_model *m, uint32_t msr, uint64_t val)
{
	uint64_t ctl = cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0);

	if (!cpu_model_is_rtit_msr(msr))
		return false;
	if (msr == MSR_IA32_RTIT_CTL) {
		if (val & ~pt_model_ctl_valid(m))
			return true;
		return (ctl & 1) && (val & 1) && val != ctl;
	}
	if (ctl & RTIT_CTL_TRACEEN)
		return true; /* SDM 33.2.8.1: the other MSRs are read-only while TraceEn=1 */
	switch (msr) {
	case MSR_IA32_RTIT_STATUS:
		return val & ~(GENMASK(2, 0) | BIT(4) | BIT(5) | GENMASK(48, 32));
	case MSR_IA32_RTIT_OUTPUT_BASE:
		return (val & 0x7f) || (val >> cpu_model_maxphyaddr(m));
	case MSR_IA32_RTIT_OUTPUT_MASK_PTRS:
		return false;
	case MSR_IA32_RTIT_CR3_MATCH:
		return val & 0x1f;
	default:
		return !sign_ok(m, val);
	}
}

void pt_model_install(struct cpu_model *m)
{
	(void)m;
	cpu_model_wrmsr_check = pt_model_wrmsr_check;
}

/* The allowed-1 half of the capability MSR for a control word (TRUE_* when BASIC[55]). */
static uint32_t allowed1(struct cpu_model *m, uint32_t plain, uint32_t true_msr)
{
	bool use_true = cpu_model_msr_value(m, MSR_IA32_VMX_BASIC, 0) & BIT(55);

	return (uint32_t)(cpu_model_msr_value(m, use_true ? true_msr : plain, 0) >> 32);
}

static enum pt_model_entry pt_model_check(struct cpu_model *m)
{
	uint64_t cpu = pt_model_field(m, F_CPU_BASED);
	uint64_t sec = (cpu & P_SECONDARY) ? pt_model_field(m, F_SECONDARY) : 0;
	uint64_t exit = pt_model_field(m, F_EXIT_CTLS);
	uint64_t entry = pt_model_field(m, F_ENTRY_CTLS);
	uint32_t sec_ok = (uint32_t)(cpu_model_msr_value(m, MSR_IA32_VMX_PROCBASED_CTLS2, 0) >> 32);

	/* SDM 27.2.1.1-27.2.1.3: reserved (unsupported) settings of the PT controls. */
	if ((sec & (S_CONCEAL | S_PT_GPA) & ~(uint64_t)sec_ok) ||
	    (exit & (X_CONCEAL | X_CLEAR_RTIT) &
	     ~(uint64_t)allowed1(m, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS)) ||
	    (entry & (N_CONCEAL | N_LOAD_RTIT) &
	     ~(uint64_t)allowed1(m, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS)))
		return PT_MODEL_ENTRY_FAIL_CONTROLS;
	/* SDM 27.2.1.1: "Intel PT uses guest physical addresses" needs EPT and both RTIT_CTL controls. */
	if ((sec & S_PT_GPA) && (!(sec & S_EPT) || !(exit & X_CLEAR_RTIT) || !(entry & N_LOAD_RTIT)))
		return PT_MODEL_ENTRY_FAIL_CONTROLS;
	/* SDM 27.2.1.3: with IA32_RTIT_CTL.TraceEn = 1 at VM entry, "load IA32_RTIT_CTL" must be 0. */
	if ((entry & N_LOAD_RTIT) && (cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0) & RTIT_CTL_TRACEEN))
		return PT_MODEL_ENTRY_FAIL_CONTROLS;
	/* SDM 27.3.1.1: the guest IA32_RTIT_CTL field's reserved bits must be 0. */
	if ((entry & N_LOAD_RTIT) && (pt_model_field(m, F_GUEST_RTIT) & ~pt_model_ctl_valid(m)))
		return PT_MODEL_ENTRY_FAIL_GUEST;
	return PT_MODEL_ENTRY_OK;
}

enum pt_model_entry pt_model_vmentry(struct cpu_model *m)
{
	enum pt_model_entry r = pt_model_check(m);
	struct cpu_model_msr *ctl = cpu_model_msr(m, MSR_IA32_RTIT_CTL);

	if (r == PT_MODEL_ENTRY_FAIL_CONTROLS)
		m->vm_instruction_error = PT_MODEL_VMXERR_BAD_CONTROLS;
	if (r == PT_MODEL_ENTRY_OK && (pt_model_field(m, F_ENTRY_CTLS) & N_LOAD_RTIT) && ctl)
		ctl->value = pt_model_field(m, F_GUEST_RTIT);
	cpu_model_log(m, CPU_OP_VMENTRY, m->current_vmcs, r, CPU_FAULT_NONE,
		      r == PT_MODEL_ENTRY_FAIL_CONTROLS ? VMX_FAIL_VALID : VMX_OK);
	return r;
}

void pt_model_vmexit(struct cpu_model *m)
{
	struct cpu_model_msr *ctl = cpu_model_msr(m, MSR_IA32_RTIT_CTL);
	uint32_t entry_ok = allowed1(m, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS);

	/* SDM 28.3.1: saved whenever the CPU supports the 1-setting of "load IA32_RTIT_CTL". */
	if (ctl && (entry_ok & N_LOAD_RTIT))
		pt_model_set_field(m, F_GUEST_RTIT, ctl->value);
	/* SDM 28.5.1: "clear IA32_RTIT_CTL" zeroes it on the way out. */
	if (ctl && (pt_model_field(m, F_EXIT_CTLS) & X_CLEAR_RTIT))
		ctl->value = 0;
	cpu_model_log(m, CPU_OP_VMEXIT, m->current_vmcs, ctl ? ctl->value : 0, CPU_FAULT_NONE, VMX_OK);
}

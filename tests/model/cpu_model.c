/* The CPU model's MSRs, CPUID, control registers and port I/O, loaded from a fixture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_model.h"
#include "msr.h"

#define CR0_PE   BIT(0)
#define CR0_PG   BIT(31)
#define CR4_VMXE BIT(13)
/* A long-mode kernel's registers: PE MP ET NE WP AM PG, and PAE PGE OSFXSR OSXMMEXCPT. */
#define MODEL_CR0_DEFAULT 0x80050033ULL
#define MODEL_CR4_DEFAULT 0x000006a0ULL
/* CR4 bits a CPU without the VMX MSRs implements: 0-10, 16-18, 20-21 (no VMXE). */
#define MODEL_CR4_VALID_NO_VMX 0x003707ffULL

static struct cpu_model model;
struct cpu_model *cpu_model_current;
/* Extra WRMSR #GP rules a model part installs (pt_model.c); reset by cpu_model_load. */
bool (*cpu_model_wrmsr_check)(struct cpu_model *m, uint32_t msr, uint64_t val);

struct cpu_model *cpu_model_get(void)
{
	if (!cpu_model_current) {
		fprintf(stderr, "cpu_model: privileged instruction before cpu_model_load()\n");
		abort();
	}
	return cpu_model_current;
}

void cpu_model_log(struct cpu_model *m, enum cpu_model_op op, uint64_t index, uint64_t value,
		   enum cpu_model_fault fault, enum vmx_status status)
{
	if (fault != CPU_FAULT_NONE) {
		m->fault_count++;
		m->last_fault = fault;
	}
	if (m->log_len == CPU_MODEL_LOG_MAX) {
		m->log_dropped++;
		return;
	}
	m->log[m->log_len++] = (struct cpu_model_event){ op, index, value, fault, status };
}

size_t cpu_model_count(const struct cpu_model *m, enum cpu_model_op op, uint64_t index)
{
	size_t n = 0;

	for (size_t i = 0; i < m->log_len; i++)
		if (m->log[i].op == op && (index == CPU_MODEL_ANY || m->log[i].index == index))
			n++;
	return n;
}

long cpu_model_find(const struct cpu_model *m, enum cpu_model_op op, uint64_t index, size_t from)
{
	for (size_t i = from; i < m->log_len; i++)
		if (m->log[i].op == op && (index == CPU_MODEL_ANY || m->log[i].index == index))
			return (long)i;
	return -1;
}

bool cpu_model_is_rtit_msr(uint32_t msr)
{
	return (msr >= MSR_IA32_RTIT_OUTPUT_BASE && msr <= MSR_IA32_RTIT_OUTPUT_MASK_PTRS) ||
	       (msr >= MSR_IA32_RTIT_CTL && msr <= MSR_IA32_RTIT_CR3_MATCH) ||
	       (msr >= MSR_IA32_RTIT_ADDR0_A && msr <= MSR_IA32_RTIT_ADDR3_B);
}

struct cpu_model_msr *cpu_model_msr(struct cpu_model *m, uint32_t msr)
{
	for (size_t i = 0; i < m->msr_count; i++)
		if (m->msrs[i].msr == msr)
			return &m->msrs[i];
	return NULL;
}

void cpu_model_set_msr(struct cpu_model *m, uint32_t msr, uint64_t value, bool read_only)
{
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	if (!e) {
		if (m->msr_count == CPU_MODEL_MAX_MSRS) {
			fprintf(stderr, "cpu_model: MSR table full\n");
			abort();
		}
		e = &m->msrs[m->msr_count++];
	}
	*e = (struct cpu_model_msr){ .msr = msr, .value = value, .read_only = read_only };
}

void cpu_model_remove_msr(struct cpu_model *m, uint32_t msr)
{
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	if (e)
		*e = m->msrs[--m->msr_count];
}

uint64_t cpu_model_msr_value(struct cpu_model *m, uint32_t msr, uint64_t absent)
{
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	return e ? e->value : absent;
}

void cpu_model_set_cpuid(struct cpu_model *m, uint32_t leaf, uint32_t subleaf, const struct cpuid_regs *r)
{
	struct cpu_fixture_leaf *e = NULL;

	for (size_t i = 0; i < m->leaf_count && !e; i++)
		if (m->leaves[i].leaf == leaf && m->leaves[i].subleaf == subleaf)
			e = &m->leaves[i];
	if (!e) {
		if (m->leaf_count == CPU_MODEL_MAX_LEAVES) {
			fprintf(stderr, "cpu_model: CPUID table full\n");
			abort();
		}
		e = &m->leaves[m->leaf_count++];
	}
	*e = (struct cpu_fixture_leaf){ leaf, subleaf, r->eax, r->ebx, r->ecx, r->edx };
}

/* Leaves the fixture does not list read as zero; callers check the maximum leaf first. */
struct cpuid_regs cpu_model_cpuid(const struct cpu_model *m, uint32_t leaf, uint32_t subleaf)
{
	for (size_t i = 0; i < m->leaf_count; i++) {
		const struct cpu_fixture_leaf *e = &m->leaves[i];

		if (e->leaf == leaf && e->subleaf == subleaf)
			return (struct cpuid_regs){ e->eax, e->ebx, e->ecx, e->edx };
	}
	return (struct cpuid_regs){ 0, 0, 0, 0 };
}

unsigned cpu_model_maxphyaddr(const struct cpu_model *m)
{
	if (cpu_model_cpuid(m, 0x80000000, 0).eax < 0x80000008)
		return 36;
	return cpu_model_cpuid(m, 0x80000008, 0).eax & 0xff;
}

struct cpu_model *cpu_model_load(const struct cpu_fixture *f)
{
	memset(&model, 0, sizeof(model));
	model.fixture = f;
	for (size_t i = 0; i < f->leaf_count && i < CPU_MODEL_MAX_LEAVES; i++)
		model.leaves[model.leaf_count++] = f->leaves[i];
	/* The VMX capability MSRs are read-only: WRMSR #GPs (SDM Appendix A). */
	for (size_t i = 0; i < f->msr_count; i++)
		cpu_model_set_msr(&model, f->msrs[i].msr, f->msrs[i].value,
				  f->msrs[i].msr >= MSR_IA32_VMX_BASIC && f->msrs[i].msr <= MSR_IA32_VMX_VMFUNC);
	model.cr0 = MODEL_CR0_DEFAULT;
	model.cr3 = 0x1000;
	model.cr4 = MODEL_CR4_DEFAULT;
	model.cr4_valid = cpu_model_msr_value(&model, MSR_IA32_VMX_CR4_FIXED1, MODEL_CR4_VALID_NO_VMX);
	model.current_vmcs = CPU_MODEL_NO_VMCS;
	cpu_model_wrmsr_check = NULL;
	cpu_model_current = &model;
	return &model;
}

struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpu_model *m = cpu_model_get();
	struct cpuid_regs r = cpu_model_cpuid(m, leaf, subleaf);

	cpu_model_log(m, CPU_OP_CPUID, leaf, subleaf, CPU_FAULT_NONE, VMX_OK);
	return r;
}

bool cpu_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	struct cpu_model *m = cpu_model_get();
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	*val = 0;
	if (!e) {
		cpu_model_log(m, CPU_OP_RDMSR, msr, 0, CPU_FAULT_GP, VMX_OK);
		return false;
	}
	e->reads++;
	*val = e->value;
	cpu_model_log(m, CPU_OP_RDMSR, msr, e->value, CPU_FAULT_NONE, VMX_OK);
	return true;
}

/* WRMSR #GP causes: absent or read-only MSR, a locked IA32_FEATURE_CONTROL (SDM 24.7), or
 * IA32_RTIT_CTL (that one alone) in VMX operation when IA32_VMX_MISC[14] is 0 (SDM A.6). */
static bool wrmsr_faults(struct cpu_model *m, const struct cpu_model_msr *e)
{
	if (!e || e->read_only)
		return true;
	if (e->msr == MSR_IA32_FEATURE_CONTROL && (e->value & FEATURE_CONTROL_LOCKED))
		return true;
	return e->msr == MSR_IA32_RTIT_CTL && m->vmx_operation &&
	       !(cpu_model_msr_value(m, MSR_IA32_VMX_MISC, 0) & BIT(14));
}

bool cpu_wrmsr_safe(uint32_t msr, uint64_t val)
{
	struct cpu_model *m = cpu_model_get();
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	if (wrmsr_faults(m, e) || (cpu_model_wrmsr_check && cpu_model_wrmsr_check(m, msr, val))) {
		if (e)
			e->faults++;
		cpu_model_log(m, CPU_OP_WRMSR, msr, val, CPU_FAULT_GP, VMX_OK);
		return false;
	}
	e->writes++;
	e->value = val;
	cpu_model_log(m, CPU_OP_WRMSR, msr, val, CPU_FAULT_NONE, VMX_OK);
	return true;
}

uint64_t cpu_read_cr0(void)
{
	return cpu_model_get()->cr0;
}
uint64_t cpu_read_cr3(void)
{
	return cpu_model_get()->cr3;
}
uint64_t cpu_read_cr4(void)
{
	return cpu_model_get()->cr4;
}

/* In VMX operation the fixed bits of CR0/CR4 cannot change (SDM 24.8); MOV CR #GPs instead. */
static bool cr_violates_fixed(struct cpu_model *m, uint64_t v, uint32_t fixed0, uint32_t fixed1)
{
	uint64_t f0 = cpu_model_msr_value(m, fixed0, 0);
	uint64_t f1 = cpu_model_msr_value(m, fixed1, ~0ULL);

	return m->vmx_operation && ((v & f0) != f0 || (v & ~f1));
}

void cpu_write_cr0(uint64_t v)
{
	struct cpu_model *m = cpu_model_get();
	/* Bits 63:32 are reserved and PG needs PE (SDM 2.5, MOV to CR0 #GP conditions). */
	bool bad = (v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) ||
		   cr_violates_fixed(m, v, MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1);

	cpu_model_log(m, CPU_OP_WRITE_CR, 0, v, bad ? CPU_FAULT_GP : CPU_FAULT_NONE, VMX_OK);
	if (!bad)
		m->cr0 = v;
}

void cpu_write_cr4(uint64_t v)
{
	struct cpu_model *m = cpu_model_get();
	bool bad = (v & ~m->cr4_valid) || cr_violates_fixed(m, v, MSR_IA32_VMX_CR4_FIXED0, MSR_IA32_VMX_CR4_FIXED1);

	cpu_model_log(m, CPU_OP_WRITE_CR, 4, v, bad ? CPU_FAULT_GP : CPU_FAULT_NONE, VMX_OK);
	if (!bad)
		m->cr4 = v;
}

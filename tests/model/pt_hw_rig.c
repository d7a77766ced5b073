/* The pt_hw test rig: VMX state, PT controls and an exit/entry loop on the CPU model. */
#include "pt_hw_rig.h"
#include "msr.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_init.h"

/* The VMX decisions vlapic_vmx.c reads (the emulated backend's PMI): virtual NMIs, as on Bochs. */
struct vmx_controls vmx_ctls = { .virtual_nmis = true };

struct cpu_model *rig_load(const struct cpu_fixture *f)
{
	struct cpu_model *m = cpu_model_load(f);

	pt_model_install(m);
	m->vmx_operation = true;
	m->current_vmcs = RIG_VMCS;
	cpu_model_set_msr(m, MSR_IA32_PERF_GLOBAL_STATUS, 0, true);
	cpu_model_set_msr(m, MSR_IA32_PERF_GLOBAL_STATUS_RESET, 0, false);
	return m;
}

void rig_controls(bool load_rtit, bool clear_rtit, bool use_gpa)
{
	cpu_vmwrite(CPU_BASED_VM_EXEC_CONTROL, CPU_ACTIVATE_SECONDARY);
	cpu_vmwrite(SECONDARY_VM_EXEC_CONTROL,
		    CPU2_ENABLE_EPT | CPU2_CONCEAL_VMX_FROM_PT | (use_gpa ? CPU2_PT_USE_GPA : 0));
	cpu_vmwrite(VM_EXIT_CONTROLS, EXIT_CONCEAL_VMX_FROM_PT | (clear_rtit ? EXIT_CLEAR_RTIT_CTL : 0));
	cpu_vmwrite(VM_ENTRY_CONTROLS, ENTRY_CONCEAL_VMX_FROM_PT | (load_rtit ? ENTRY_LOAD_RTIT_CTL : 0));
}

unsigned rig_run(struct pt_hw_cpu *cpu, struct pt_guest *g, bool load_rtit, unsigned n, struct vcpu_stats *st)
{
	struct cpu_model *m = cpu_model_get();
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pt_hw_before_entry(cpu, g, load_rtit, st) < 0)
			failed++;
		if (pt_model_vmentry(m) != PT_MODEL_ENTRY_OK) {
			failed++;
			continue;
		}
		struct cpu_model_msr *ctl = cpu_model_msr(m, MSR_IA32_RTIT_CTL);
		struct cpu_model_msr *mask = cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS);
		if (ctl && mask && (ctl->value & RTIT_CTL_TRACEEN))
			mask->value += 0x100ULL << 32; /* the output offset advances */
		pt_model_vmexit(m);
		pt_hw_after_exit(cpu, g);
	}
	return failed;
}

size_t rig_rtit_ops(const struct cpu_model *m, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < m->log_len; i++)
		if ((m->log[i].op == CPU_OP_RDMSR || m->log[i].op == CPU_OP_WRMSR) &&
		    cpu_model_is_rtit_msr((uint32_t)m->log[i].index))
			n++;
	return n;
}

void rig_guest_start(struct pt_hw_cpu *cpu, struct pt_guest *g, uint64_t base)
{
	pt_hw_wrmsr(cpu, g, MSR_IA32_RTIT_OUTPUT_BASE, base);
	pt_hw_wrmsr(cpu, g, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0);
	pt_hw_wrmsr(cpu, g, MSR_IA32_RTIT_CTL,
		    RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_USER | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN);
}

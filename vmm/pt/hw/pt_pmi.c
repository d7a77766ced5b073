/*
 * ToPA PMIs (SDM 33.2.7.2 "Table of Physical Addresses (ToPA)", INT entries):
 * a filled INT region sets IA32_PERF_GLOBAL_STATUS[55] and raises the PMI.
 * ptvisor acknowledges it and hands it to whoever owned the output: a guest
 * (IA32_PERF_GLOBAL_STATUS[55] of its vPMU, the interrupt pending for its LVT
 * entry) or the host buffer's consumer.
 */
#include "pt/hw/pt_hw.h"
#include "vmx/vpmu.h"
#include "msr.h"

bool pt_hw_pmi(struct pt_hw_cpu *cpu, struct pt_guest *g, bool in_guest)
{
	uint64_t st = 0;

	if (!cpu_rdmsr_safe(MSR_IA32_PERF_GLOBAL_STATUS, &st) || !(st & PERF_GLOBAL_STATUS_TOPA_PMI))
		return false;
	(void)cpu_wrmsr_safe(MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI);
	if (in_guest && g && g->backend == PT_BACKEND_HW && cpu->outputs == g) {
		vpmu_overflow(g->pmu, PERF_GLOBAL_STATUS_TOPA_PMI);
		g->pmi_pending = true;
		cpu->guest_pmis++;
	} else {
		cpu->host_pmi_pending = true;
		cpu->host_pmis++;
	}
	return true;
}

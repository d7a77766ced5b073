/*
 * The part of the PMU a guest with Intel PT sees, whichever backend serves
 * it: IA32_PERF_GLOBAL_STATUS[55] Trace_ToPA_PMI, set when a ToPA region with
 * INT=1 fills, and IA32_PERF_GLOBAL_STATUS_RESET to clear it.
 */
#include "pt/pt_guest.h"
#include "msr.h"

/* Only bit 55 (Trace_ToPA_PMI) exists for the guest (SDM 33.2.7.2; Vol. 4, 38EH and 390H). */
bool pt_guest_perf_rdmsr(struct pt_guest *pg, uint32_t msr, uint64_t *val)
{
	*val = 0;
	if (pg->backend == PT_BACKEND_OFF || !pg->caps.enabled)
		return false;
	switch (msr) {
	case MSR_IA32_PERF_GLOBAL_STATUS:
		*val = pg->perf_global_status;
		return true;
	case MSR_IA32_PERF_GLOBAL_STATUS_RESET:
		return true; /* write-only in effect: reads as 0 */
	default:
		return false;
	}
}

bool pt_guest_perf_wrmsr(struct pt_guest *pg, uint32_t msr, uint64_t val)
{
	if (pg->backend == PT_BACKEND_OFF || !pg->caps.enabled || msr != MSR_IA32_PERF_GLOBAL_STATUS_RESET)
		return false; /* IA32_PERF_GLOBAL_STATUS is read-only */
	if (val & ~PERF_GLOBAL_STATUS_TOPA_PMI)
		return false; /* other counters do not exist for the guest */
	pg->perf_global_status &= ~val;
	if (!(pg->perf_global_status & PERF_GLOBAL_STATUS_TOPA_PMI))
		pg->pmi_pending = false;
	return true;
}

/*
 * The one place the emulated backend raises a ToPA PMI (SDM 33.2.7.2 "Table of Physical Addresses
 * (ToPA)", INT entries): IA32_PERF_GLOBAL_STATUS[55] Trace_ToPA_PMI is set and the interrupt goes
 * through the guest's LVT performance-counter entry, as Linux's perf expects (an NMI there).
 */
#include "pt/pt_guest.h"
#include "vmx/vlapic_vmx.h"
#include "msr.h"

void pt_guest_topa_pmi(struct vcpu *v)
{
	v->pt->perf_global_status |= PERF_GLOBAL_STATUS_TOPA_PMI;
	vlapic_pmi(v);
}

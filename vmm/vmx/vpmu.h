/*
 * The guest's performance-monitoring unit: architectural PMU version 2 (SDM 20.2.1, 20.2.2) with two
 * 48-bit general-purpose counters, no fixed-function counters and every architectural event marked
 * unavailable (CPUID leaf 0AH). The counters do not count: they hold what the guest writes, so a driver
 * that probes them (Linux's check_hw_exists writes and reads one back) finds a PMU and installs its PMI
 * handler. The one overflow ptvisor raises is Intel PT's ToPA PMI (IA32_PERF_GLOBAL_STATUS[55], SDM
 * 33.2.7.2). struct vpmu is the only owner of the guest's IA32_PERF_GLOBAL_STATUS: whatever raises a PMI
 * sets its bit here (vpmu_pmi), the guest clears it through IA32_PERF_GLOBAL_STATUS_RESET.
 */
#ifndef PTV_VMX_VPMU_H
#define PTV_VMX_VPMU_H

#include "types.h"
#include "cpu.h"

struct vcpu;

#define VPMU_VERSION       2
#define VPMU_GP_COUNTERS   2
#define VPMU_COUNTER_WIDTH 48
#define VPMU_ARCH_EVENTS   7 /* CPUID.0AH:EAX[31:24]: the length of EBX's event vector (SDM Table 20-1) */

struct vpmu {
	uint64_t pmc[VPMU_GP_COUNTERS];    /* IA32_PMCx, VPMU_COUNTER_WIDTH bits */
	uint64_t evtsel[VPMU_GP_COUNTERS]; /* IA32_PERFEVTSELx */
	uint64_t global_ctrl;              /* IA32_PERF_GLOBAL_CTRL */
	uint64_t global_status;            /* IA32_PERF_GLOBAL_STATUS: read-only to the guest */
};

/* CPUID leaf 0AH as the guest sees it (r: any input, fully replaced). */
void vpmu_cpuid(struct cpuid_regs *r);
/* The PMU MSRs (IA32_PMCx, IA32_PERFEVTSELx, 38DH-390H): false = #GP, as for an MSR the PMU lacks. */
bool vpmu_rdmsr(const struct vpmu *p, uint32_t msr, uint64_t *val);
/* has_pt: the guest's CPUID shows Intel PT, so _STATUS_RESET[55] exists (SDM Vol. 4, 390H). */
bool vpmu_wrmsr(struct vpmu *p, uint32_t msr, uint64_t val, bool has_pt);
/* RDPMC's counter selected by ECX (SDM Vol. 2B RDPMC); false = #GP (no such counter). */
bool vpmu_rdpmc(const struct vpmu *p, uint32_t ecx, uint64_t *val);

/* Sets overflow bits in IA32_PERF_GLOBAL_STATUS without raising the interrupt (the caller does). */
static inline void vpmu_overflow(struct vpmu *p, uint64_t status)
{
	p->global_status |= status;
}

/*
 * A performance-monitoring interrupt for v's guest: `status` (e.g. PERF_GLOBAL_STATUS_TOPA_PMI) is set
 * in its IA32_PERF_GLOBAL_STATUS and the PMI goes out through its LVT PC entry (fixed vector or NMI,
 * SDM 11.5.1), lost when that is masked. VMCS of v current.
 */
void vpmu_pmi(struct vcpu *v, uint64_t status);

#endif

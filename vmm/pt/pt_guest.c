/*
 * Guest view of Intel PT. Until a PT backend is attached to a guest, the
 * guest is a CPU without Intel PT: CPUID.07H:EBX[25] = 0, leaf 14H all zero,
 * and every IA32_RTIT_* MSR access #GPs (SDM 33.2.8: the MSRs exist only
 * when CPUID enumerates Intel PT).
 */
#include "pt/pt_guest.h"

void pt_guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	if (pt_guest_is_hw(v))   /* hardware path: pt_guest_hw.c */
		pt_vcaps_cpuid(&pt_guest_of(v)->caps, leaf, sub, r);
	(void)v, (void)leaf, (void)sub, (void)r;
}

bool pt_guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (pt_guest_is_hw(v))
		return pt_guest_hw_rdmsr(v, msr, val);
	(void)v, (void)msr;
	*val = 0;
	return false;
}

bool pt_guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (pt_guest_is_hw(v))
		return pt_guest_hw_wrmsr(v, msr, val);
	(void)v, (void)msr, (void)val;
	return false;
}

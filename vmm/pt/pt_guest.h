/* What a guest sees of Intel PT: CPUID leaves 07H.EBX[25] and 14H, and the IA32_RTIT_* MSRs. */
#ifndef PTV_PT_GUEST_H
#define PTV_PT_GUEST_H

#include "types.h"
#include "cpu.h"

struct vcpu;

/* Adjusts a CPUID answer for the guest's PT exposure (the filter has already cleared PT). */
void pt_guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
/* RTIT MSR access by the guest; false means #GP (MSR absent for this guest or a rule broken). */
bool pt_guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool pt_guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);

#endif

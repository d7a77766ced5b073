/*
 * CPUID as a guest sees it, in one place: the CPUID exit answers with it, and every MSR, control-register
 * bit and instruction a feature brings is offered to the guest exactly when this says the feature is
 * there, so a CPUID bit and what it implies never disagree.
 */
#ifndef PTV_GUEST_CPUID_H
#define PTV_GUEST_CPUID_H

#include "types.h"
#include "cpu.h"

struct vcpu;

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* One feature flag: CPUID.(EAX=leaf, ECX=sub):reg[bit] (SDM Vol. 2A, CPUID). */
struct cpuid_feature {
	uint32_t leaf;
	uint8_t sub, reg, bit;
};

#define CPUID_FEATURE(l, s, r, b) ((struct cpuid_feature){ (l), (s), CPUID_##r, (b) })

/* Feature flags ptvisor's MSR and control-register rules depend on (SDM Vol. 2A Tables 3-8 to 3-11, 3-17). */
#define FEAT_VME        CPUID_FEATURE(1, 0, EDX, 1)
#define FEAT_DE         CPUID_FEATURE(1, 0, EDX, 2)
#define FEAT_PSE        CPUID_FEATURE(1, 0, EDX, 3)
#define FEAT_TSC        CPUID_FEATURE(1, 0, EDX, 4)
#define FEAT_MSR        CPUID_FEATURE(1, 0, EDX, 5)
#define FEAT_PAE        CPUID_FEATURE(1, 0, EDX, 6)
#define FEAT_MCE        CPUID_FEATURE(1, 0, EDX, 7)
#define FEAT_APIC       CPUID_FEATURE(1, 0, EDX, 9)
#define FEAT_SEP        CPUID_FEATURE(1, 0, EDX, 11)
#define FEAT_MTRR       CPUID_FEATURE(1, 0, EDX, 12)
#define FEAT_PGE        CPUID_FEATURE(1, 0, EDX, 13)
#define FEAT_MCA        CPUID_FEATURE(1, 0, EDX, 14)
#define FEAT_PAT        CPUID_FEATURE(1, 0, EDX, 16)
#define FEAT_FXSR       CPUID_FEATURE(1, 0, EDX, 24)
#define FEAT_SSE        CPUID_FEATURE(1, 0, EDX, 25)
#define FEAT_VMX        CPUID_FEATURE(1, 0, ECX, 5)
#define FEAT_SMX        CPUID_FEATURE(1, 0, ECX, 6)
#define FEAT_PCID       CPUID_FEATURE(1, 0, ECX, 17)
#define FEAT_X2APIC     CPUID_FEATURE(1, 0, ECX, 21)
#define FEAT_TSC_DL     CPUID_FEATURE(1, 0, ECX, 24)
#define FEAT_XSAVE      CPUID_FEATURE(1, 0, ECX, 26)
#define FEAT_FSGSBASE   CPUID_FEATURE(7, 0, EBX, 0)
#define FEAT_TSC_ADJUST CPUID_FEATURE(7, 0, EBX, 1)
#define FEAT_SGX        CPUID_FEATURE(7, 0, EBX, 2)
#define FEAT_SMEP       CPUID_FEATURE(7, 0, EBX, 7)
#define FEAT_SMAP       CPUID_FEATURE(7, 0, EBX, 20)
#define FEAT_INTEL_PT   CPUID_FEATURE(7, 0, EBX, 25)
#define FEAT_UMIP       CPUID_FEATURE(7, 0, ECX, 2)
#define FEAT_PKU        CPUID_FEATURE(7, 0, ECX, 3)
#define FEAT_CET_SS     CPUID_FEATURE(7, 0, ECX, 7)
#define FEAT_LA57       CPUID_FEATURE(7, 0, ECX, 16)
#define FEAT_RDPID      CPUID_FEATURE(7, 0, ECX, 22)
#define FEAT_KL         CPUID_FEATURE(7, 0, ECX, 23)
#define FEAT_SGX_LC     CPUID_FEATURE(7, 0, ECX, 30)
#define FEAT_PKS        CPUID_FEATURE(7, 0, ECX, 31)
#define FEAT_UINTR      CPUID_FEATURE(7, 0, EDX, 5)
#define FEAT_CET_IBT    CPUID_FEATURE(7, 0, EDX, 20)
#define FEAT_LAM        CPUID_FEATURE(7, 1, EAX, 26)
#define FEAT_XSAVES     CPUID_FEATURE(0xd, 1, EAX, 3)
#define FEAT_SYSCALL    CPUID_FEATURE(0x80000001, 0, EDX, 11)
#define FEAT_NX         CPUID_FEATURE(0x80000001, 0, EDX, 20)
#define FEAT_RDTSCP     CPUID_FEATURE(0x80000001, 0, EDX, 27)
#define FEAT_LM         CPUID_FEATURE(0x80000001, 0, EDX, 29)

/* The guest's answer for CPUID.(EAX=leaf, ECX=sub); the vCPU's VMCS must be current. */
struct cpuid_regs vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub);
/* Whether the guest's CPUID shows the feature (a leaf above the guest's maximum shows nothing). */
bool vcpu_has(struct vcpu *v, struct cpuid_feature f);

#endif

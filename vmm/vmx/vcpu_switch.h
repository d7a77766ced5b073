/* Putting a vCPU on the physical CPU and taking it off: the state VMX does not switch for us. */
#ifndef PTV_VCPU_SWITCH_H
#define PTV_VCPU_SWITCH_H

#include "types.h"
#include "vmx/vcpu.h"

/* What this CPU offers for switching guest state, read once by vcpu_switch_init_cpu(). */
struct vcpu_host_cpu {
	bool xsave;            /* CPUID.1:ECX[26]: XSAVE/XRSTOR and XCR0 (else FXSAVE only) */
	bool rdtscp;           /* CPUID.80000001H:EDX[27]: IA32_TSC_AUX exists */
	uint64_t xcr0_allowed; /* XCR0 bits a guest may set: XSAVE_GUEST_CANDIDATES & the CPU's */
	uint32_t area_size;    /* bytes of each guest's save area for those */
};

extern struct vcpu_host_cpu vcpu_host;

/* Enables FXSAVE/XSAVE for the VMM (CR4.OSFXSR, OSXSAVE) and sizes the guests' save areas. */
void vcpu_switch_init_cpu(void);
/* Makes v's VMCS current and loads what the VMCS does not hold: XCR0 and the XSAVE state, the syscall
   MSRs, DR0-DR3 and DR6. */
void vcpu_load(struct vcpu *v);
/* Saves the same state of v, the vCPU on the CPU, so the next one to load finds nothing of it. */
void vcpu_put(struct vcpu *v);

#endif

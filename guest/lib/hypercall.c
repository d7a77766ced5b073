/* Detects ptvisor before any VMCALL: on bare hardware VMCALL raises #UD. */
#include "hypercall.h"
#include "cpu.h"

#define CPUID_1_ECX_HYPERVISOR BIT(31) /* reserved for hypervisors: set in every VMM's CPUID */
#define CPUID_HV_BASE          0x40000000
/* "ptvisor" then five NULs over EBX, ECX, EDX, little endian. */
#define HV_SIG_EBX 0x69767470u /* "ptvi" */
#define HV_SIG_ECX 0x00726f73u /* "sor\0" */
#define HV_SIG_EDX 0x00000000u

static int present = -1;

bool hc_ptvisor_present(void)
{
	if (present < 0) {
		struct cpuid_regs r = cpu_cpuid(1, 0);

		present = 0;
		if (r.ecx & CPUID_1_ECX_HYPERVISOR) {
			r = cpu_cpuid(CPUID_HV_BASE, 0);
			present = r.ebx == HV_SIG_EBX && r.ecx == HV_SIG_ECX && r.edx == HV_SIG_EDX;
		}
	}
	return present;
}

/* exits: RDMSR/WRMSR exits: pass-through, emulated round trips, and #GP for what a guest must not touch. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "msr.h"
#include "exits.h"

#define MSR_NONEXISTENT   0x12345678u
#define SYSENTER_CS_TEST  0x1358u
#define SYSENTER_EIP_TEST 0x12345678u
#define PTV_INFO_FLAG_PT  BIT(0)

static void msr_check_round_trip(uint32_t msr, const char *name, uint64_t val)
{
	uint64_t got = 0;

	check_fault(cpu_wrmsr_safe(msr, val), FAULT_NONE, "WRMSR %s = 0x%llx", name, (unsigned long long)val);
	check_fault(cpu_rdmsr_safe(msr, &got), FAULT_NONE, "RDMSR %s", name);
	check_eq(got, val, "%s reads back what was written", name);
}

void exits_check_msr(const struct ptv_hc_info *info)
{
	uint64_t v = 0;
	int f;

	f = cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &v);
	check_fault(f, FAULT_NONE, "RDMSR IA32_APIC_BASE does not fault (0x%llx)", (unsigned long long)v);

	msr_check_round_trip(MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", SYSENTER_CS_TEST);
	msr_check_round_trip(MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", SYSENTER_EIP_TEST);

	check_fault(cpu_rdmsr_safe(MSR_NONEXISTENT, &v), VEC_GP, "RDMSR of nonexistent MSR 0x12345678");
	/* The VMX capability MSRs are read-only (SDM Vol. 3D A.1 "Basic VMX Information"). */
	check_fault(cpu_wrmsr_safe(MSR_IA32_VMX_BASIC, 0), VEC_GP, "WRMSR IA32_VMX_BASIC");

	/* SDM Vol. 3C 24.7 "Enabling and Entering VMX Operation": locked with VMX off = VMX unusable. */
	f = cpu_rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &v);
	check_fault(f, FAULT_NONE, "RDMSR IA32_FEATURE_CONTROL does not fault");
	check(v & FEATURE_CONTROL_LOCKED, "IA32_FEATURE_CONTROL 0x%llx: lock bit 0 set", (unsigned long long)v);
	check(!(v & (FEATURE_CONTROL_VMX_INSIDE_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)),
	      "IA32_FEATURE_CONTROL 0x%llx: VMX enable bits 1,2 clear", (unsigned long long)v);

	/* SDM Vol. 3C 33.2.8 "Trace Output": the RTIT MSRs #GP when PT is not enumerated. */
	f = cpu_rdmsr_safe(MSR_IA32_RTIT_CTL, &v);
	if (info->flags & PTV_INFO_FLAG_PT)
		check_fault(f, FAULT_NONE, "RDMSR IA32_RTIT_CTL works: PT exposed to this guest");
	else
		check_fault(f, VEC_GP, "RDMSR IA32_RTIT_CTL: PT not exposed to this guest");
}

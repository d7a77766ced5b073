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

	/* SDM Vol. 4 Table 2-2: IA32_FEATURE_CONTROL exists with VMX, SMX or SGX; the guest sees none. */
	f = cpu_rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &v);
	check_fault(f, (cpu_cpuid(1, 0).ecx & (BIT(5) | BIT(6))) ? FAULT_NONE : VEC_GP,
		    "RDMSR IA32_FEATURE_CONTROL exists exactly when CPUID shows VMX or SMX");
	/* SDM Vol. 3B 18.17.3: a WRMSR that moves the TSC by X moves IA32_TSC_ADJUST by X. */
	uint64_t adj0 = 0, adj1 = 0, t0 = cpu_rdtsc();
	bool has_adjust = cpu_cpuid(7, 0).ebx & BIT(1);
	if (has_adjust)
		cpu_rdmsr_safe(MSR_IA32_TSC_ADJUST, &adj0);
	f = cpu_wrmsr_safe(MSR_IA32_TIME_STAMP_COUNTER, t0 + (1ULL << 40));
	uint64_t t1 = cpu_rdtsc();
	check(f == FAULT_NONE && t1 - t0 >= (1ULL << 40) && t1 - t0 < (1ULL << 40) + 1000000,
	      "WRMSR IA32_TIME_STAMP_COUNTER moves RDTSC forward by 2^40 (+%llu)", (unsigned long long)(t1 - t0));
	if (has_adjust)
		cpu_rdmsr_safe(MSR_IA32_TSC_ADJUST, &adj1);
	check(!has_adjust || (adj1 - adj0 > (1ULL << 40) - 1000000 && adj1 - adj0 <= (1ULL << 40)),
	      "IA32_TSC_ADJUST moved with it (CPUID.7.0:EBX[1]=%d)", has_adjust);

	/* SDM Vol. 3C 33.2.8 "Trace Output": the RTIT MSRs #GP when PT is not enumerated. */
	f = cpu_rdmsr_safe(MSR_IA32_RTIT_CTL, &v);
	if (info->flags & PTV_INFO_FLAG_PT)
		check_fault(f, FAULT_NONE, "RDMSR IA32_RTIT_CTL works: PT exposed to this guest");
	else
		check_fault(f, VEC_GP, "RDMSR IA32_RTIT_CTL: PT not exposed to this guest");
}

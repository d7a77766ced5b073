/*
 * The virtual PMU (vpmu.c) on the CPU model: CPUID leaf 0AH, its MSRs' rules, RDPMC's counter selection,
 * and the PMI: IA32_PERF_GLOBAL_STATUS[55] set and the interrupt sent through LVT PC, as an NMI when
 * LVT PC says so (what Linux programs: APIC_DM_NMI), then cleared by _STATUS_RESET.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cpu_model.h"
#include "../fixtures/cpu_fixtures.h"
#include "host_env.h"
#include "msr.h"
#include "vmx/pt_backend.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_init.h"
#include "vmx/vpmu.h"

struct vmx_controls vmx_ctls;

#define APIC(off) (VLAPIC_BASE_GPA + (off))
#define TOPA      PERF_GLOBAL_STATUS_TOPA_PMI

static struct vcpu v;
static struct vpmu p;

static int setup(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_bochs_tigerlake);

	(void)state;
	host_env_reset();
	m->vmx_operation = true;
	m->current_vmcs = 0x5000;
	memset(&v, 0, sizeof(v));
	memset(&p, 0, sizeof(p));
	v.id = 0;
	v.name = "t";
	v.pt_ops = &pt_backend_none;
	v.window_exiting = true;
	vmx_ctls.virtual_nmis = true;
	cpu_vmwrite(CPU_BASED_VM_EXEC_CONTROL, 0);
	cpu_vmwrite(GUEST_RFLAGS, BIT(9) | 2);
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vlapic_reset(&v.lapic, v.id);
	return 0;
}

static uint64_t rd(const struct vpmu *pm, uint32_t msr)
{
	uint64_t val = ~0ULL;

	assert_true(vpmu_rdmsr(pm, msr, &val));
	return val;
}

static uint64_t field(unsigned f)
{
	uint64_t val;

	cpu_vmread(f, &val);
	return val;
}

/* Linux's intel_pmu_init needs version >= 2 and >= 2 counters to set X86_FEATURE_ARCH_PERFMON. */
static void test_cpuid(void **state)
{
	struct cpuid_regs r = { 1, 2, 3, 4 };

	(void)state;
	vpmu_cpuid(&r);
	assert_int_equal(r.eax & 0xff, 2);
	assert_int_equal((r.eax >> 8) & 0xff, VPMU_GP_COUNTERS);
	assert_int_equal((r.eax >> 16) & 0xff, 48);
	assert_int_equal(r.eax >> 24, 7);
	assert_int_equal(r.ebx, 0x7f); /* no event counts */
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0); /* no fixed counters */
}

static void test_counters(void **state)
{
	uint64_t val;

	(void)state;
	/* check_hw_exists: read, flip the low 16 bits, read back. */
	assert_int_equal(rd(&p, MSR_IA32_PMC0), 0);
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PMC0, 0xffff, false));
	assert_int_equal(rd(&p, MSR_IA32_PMC0), 0xffff);
	/* EAX sign-extended to 48 bits; EDX ignored (SDM 20.2.6). */
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PMC0 + 1, 0xdeadbeef80000001ULL, false));
	assert_int_equal(rd(&p, MSR_IA32_PMC0 + 1), 0xffff80000001ULL);
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PMC0 + 1, 0x7fffffff, false));
	assert_int_equal(rd(&p, MSR_IA32_PMC0 + 1), 0x7fffffff);
	assert_false(vpmu_rdmsr(&p, MSR_IA32_PMC0 + 2, &val));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PMC0 + 2, 0, false));
	assert_false(vpmu_rdmsr(&p, MSR_IA32_PMC0 - 1, &val));
	/* RDPMC: index in ECX, no fixed counters, nothing else. */
	assert_true(vpmu_rdpmc(&p, 1, &val));
	assert_int_equal(val, 0x7fffffff);
	assert_true(vpmu_rdpmc(&p, 0, &val));
	assert_int_equal(val, 0xffff);
	assert_false(vpmu_rdpmc(&p, 2, &val));
	assert_false(vpmu_rdpmc(&p, BIT(30), &val));
	assert_false(vpmu_rdpmc(&p, BIT(31), &val));
}

static void test_controls(void **state)
{
	uint64_t val;

	(void)state;
	/* Event select: the low 32 bits less AnyThread. */
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PERFEVTSEL0, 0x5300c0 | BIT(20), false));
	assert_int_equal(rd(&p, MSR_IA32_PERFEVTSEL0), 0x5300c0 | BIT(20));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERFEVTSEL0 + 1, BIT(21), false));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERFEVTSEL0 + 1, BIT(63), false));
	assert_int_equal(rd(&p, MSR_IA32_PERFEVTSEL0 + 1), 0);
	assert_false(vpmu_rdmsr(&p, MSR_IA32_PERFEVTSEL0 + 2, &val));
	/* GLOBAL_CTRL: bits 1:0; Linux's intel_ctrl is exactly that with no fixed counters. */
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_CTRL, 3, false));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_CTRL), 3);
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_CTRL, 4, false));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_CTRL, BIT(32), false));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_CTRL), 3);
	/* FIXED_CTR_CTRL exists (version 2) with no writable bit. */
	assert_int_equal(rd(&p, MSR_IA32_FIXED_CTR_CTRL), 0);
	assert_true(vpmu_wrmsr(&p, MSR_IA32_FIXED_CTR_CTRL, 0, false));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_FIXED_CTR_CTRL, 0xb, false));
	/* Neighbours that version 2 with these counts does not have. */
	assert_false(vpmu_rdmsr(&p, 0x38c, &val));
	assert_false(vpmu_rdmsr(&p, 0x391, &val));
	assert_false(vpmu_rdmsr(&p, 0x309, &val)); /* IA32_FIXED_CTR0 */
}

static void test_status(void **state)
{
	(void)state;
	vpmu_overflow(&p, TOPA | BIT(0));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), TOPA | BIT(0));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS, 0, true)); /* read-only */
	/* _STATUS_RESET: bit 55 only with PT; counters' bits, OvfBuf and CondChgd always; others reserved. */
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET, TOPA, false));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET, BIT(2), true));
	assert_false(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET, BIT(32), true));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), TOPA | BIT(0));
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET, BIT(0) | BIT(62) | BIT(63), false));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), TOPA);
	assert_true(vpmu_wrmsr(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET, TOPA, true));
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), 0);
	assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS_RESET), 0);
}

/* Linux programs LVT PC with APIC_DM_NMI: the ToPA PMI becomes an NMI injected at the NMI window. */
static void test_pmi_as_nmi(void **state)
{
	(void)state;
	vlapic_mmio_write(&v, APIC(APIC_SVR), 4, 0x1ff);
	vlapic_mmio_write(&v, APIC(APIC_LVT_PC), 4, 4u << 8); /* NMI delivery mode */
	vpmu_pmi(&v, TOPA);
	assert_int_equal(v.pmu.global_status, TOPA);
	assert_true(vlapic_nmi_pending(&v));
	assert_true(field(CPU_BASED_VM_EXEC_CONTROL) & CPU_NMI_WINDOW_EXITING);
	assert_false(vlapic_has_deliverable(&v));
	assert_int_equal(handle_nmi_window(&v), EXIT_RESUME);
	assert_int_equal(field(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_NMI | 2);
	assert_false(vlapic_nmi_pending(&v));
	/* LVT PC is masked by the PMI until the handler writes it again (Linux: apic_write(APIC_LVTPC, APIC_DM_NMI)). */
	assert_true(vlapic_mmio_read(&v, APIC(APIC_LVT_PC), 4) & BIT(16));
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vpmu_pmi(&v, TOPA);
	assert_false(vlapic_nmi_pending(&v));
	/* The handler reads the status and clears it. */
	assert_true(vpmu_wrmsr(&v.pmu, MSR_IA32_PERF_GLOBAL_STATUS_RESET, TOPA, true));
	assert_int_equal(v.pmu.global_status, 0);
	vlapic_mmio_write(&v, APIC(APIC_LVT_PC), 4, 4u << 8);
	vpmu_pmi(&v, TOPA);
	assert_true(vlapic_nmi_pending(&v));
	assert_int_equal(v.pmu.global_status, TOPA);
}

/* Fixed delivery mode: the vector waits in IRR for the interrupt window; a masked LVT PC loses the interrupt. */
static void test_pmi_fixed_and_masked(void **state)
{
	(void)state;
	vlapic_mmio_write(&v, APIC(APIC_SVR), 4, 0x1ff);
	vlapic_mmio_write(&v, APIC(APIC_LVT_PC), 4, BIT(16) | 0xf0);
	vpmu_pmi(&v, TOPA);
	assert_int_equal(v.pmu.global_status, TOPA); /* the status still tells */
	assert_false(vlapic_has_deliverable(&v));
	assert_false(vlapic_nmi_pending(&v));
	vlapic_mmio_write(&v, APIC(APIC_LVT_PC), 4, 0xf0);
	vpmu_pmi(&v, TOPA);
	assert_true(vlapic_has_deliverable(&v));
	assert_true(field(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING);
	assert_false(vlapic_nmi_pending(&v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cpuid, setup),
		cmocka_unit_test_setup(test_counters, setup),
		cmocka_unit_test_setup(test_controls, setup),
		cmocka_unit_test_setup(test_status, setup),
		cmocka_unit_test_setup(test_pmi_as_nmi, setup),
		cmocka_unit_test_setup(test_pmi_fixed_and_masked, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

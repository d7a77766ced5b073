/* The VMXON gate and Intel PT: tracing stopped before VMXON where MISC[14]=0, and the model rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "cpu_model.h"
#include "msr.h"
#include "vmx/caps.h"
#include "vmx/vmxon.h"
#include "../fixtures/cpu_fixtures.h"

#define REGION_PA 0x00100000ULL

static uint8_t region[PAGE_SIZE] __aligned(PAGE_SIZE);

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	memset(region, 0xaa, sizeof(region));
	return 0;
}

/* Loads the fixture, maps the VMXON region at REGION_PA and reads the capabilities. */
static struct cpu_model *load(const struct cpu_fixture *f, struct vmx_caps *c)
{
	struct cpu_model *m = cpu_model_load(f);

	cpu_model_map_phys(m, REGION_PA, region, sizeof(region));
	vmx_caps_read(c);
	return m;
}

static void test_broadwell_stops_trace_before_vmxon(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_broadwell_i7_5600u, &c);
	long stop, vmxon;

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_RTIT_CTL, 0x2100 | RTIT_CTL_TRACEEN, false);
	cpu_model_set_msr(m, MSR_IA32_RTIT_STATUS, 0x0000123400000000ULL, false);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_true(r.pt_stopped);
	assert_int_equal(r.rtit_ctl, 0x2101);
	assert_int_equal(r.rtit_status, 0x0000123400000000ULL);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), 0x2100);
	assert_true(host_console_contains("host tracing stopped: Intel PT cannot be used in VMX "
					  "operation on this CPU (IA32_VMX_MISC[14]=0)"));
	/* Our WRMSR cleared TraceEn before VMXON, and nothing touched IA32_RTIT_CTL after it. */
	stop = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, 0);
	vmxon = cpu_model_find(m, CPU_OP_VMXON, REGION_PA, 0);
	assert_true(stop >= 0 && vmxon > stop);
	assert_int_equal(m->log[stop].value, 0x2100);
	assert_true(cpu_model_find(m, CPU_OP_RDMSR, MSR_IA32_RTIT_STATUS, (size_t)stop) < vmxon);
	assert_int_equal(cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, (size_t)vmxon), -1);
	assert_int_equal(cpu_model_count(m, CPU_OP_TRACEEN_CLEARED, CPU_MODEL_ANY), 0);
	assert_int_equal(vmx_leave(&r), 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL), 1);
	assert_true(host_console_contains("host tracing was stopped at VMXON; IA32_RTIT_CTL was "
					  "0x2101"));
}

static void test_broadwell_idle_trace_untouched(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_broadwell_i7_5600u, &c);

	(void)state;
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_false(r.pt_stopped);
	assert_int_equal(r.rtit_ctl, 0x2100);
	assert_int_equal(cpu_model_count(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL), 0);
	assert_false(host_console_contains("host tracing stopped"));
	/* In VMX operation with MISC[14]=0 the model refuses WRMSR to IA32_RTIT_CTL only (SDM A.6):
	 * the output and status MSRs stay writable. */
	assert_false(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0x2101));
	assert_false(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0));
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, 0x200000));
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0x7f));
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_STATUS, 0));
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), 0x200000);
	assert_int_equal(vmx_leave(&r), 0);
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0x2101));
}

static void test_skylake_trace_survives_vmxon(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_skylake_i7_6700k, &c);

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_RTIT_CTL, RTIT_CTL_TOPA | RTIT_CTL_TRACEEN, false);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_false(r.pt_stopped);
	assert_int_equal(cpu_model_count(m, CPU_OP_RDMSR, MSR_IA32_RTIT_CTL), 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), RTIT_CTL_TOPA | RTIT_CTL_TRACEEN);
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, RTIT_CTL_TOPA));
	assert_int_equal(vmx_leave(&r), 0);
}

static void test_model_vmxon_clears_traceen_itself(void **state)
{
	struct vmx_caps c;
	struct cpu_model *m = load(&cpu_fixture_broadwell_i7_5600u, &c);
	uint32_t rev = 0x12;

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_RTIT_CTL, 0x2101, false);
	memcpy(region, &rev, sizeof(rev));
	m->cr4 |= CR4_VMXE;
	assert_int_equal(cpu_vmxon(REGION_PA), VMX_OK);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), 0x2100);
	assert_int_equal(cpu_model_count(m, CPU_OP_TRACEEN_CLEARED, MSR_IA32_RTIT_CTL), 1);
}

static void test_model_vmxon_faults(void **state)
{
	struct vmx_caps c;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);
	uint32_t rev = 4;

	(void)state;
	memcpy(region, &rev, sizeof(rev));
	/* CR4.VMXE clear: #UD. */
	assert_int_equal(cpu_vmxon(REGION_PA), VMX_FAIL_INVALID);
	assert_int_equal(m->last_fault, CPU_FAULT_UD);
	/* IA32_FEATURE_CONTROL unlocked: #GP. */
	m->cr4 |= CR4_VMXE;
	cpu_model_set_msr(m, MSR_IA32_FEATURE_CONTROL, 0, false);
	assert_int_equal(cpu_vmxon(REGION_PA), VMX_FAIL_INVALID);
	assert_int_equal(m->last_fault, CPU_FAULT_GP);
	assert_int_equal(m->fault_count, 2);
	assert_false(m->vmx_operation);
	/* Wrong revision: VMfailInvalid, no fault. */
	cpu_model_set_msr(m, MSR_IA32_FEATURE_CONTROL, 5, false);
	rev = 0x80000004;
	memcpy(region, &rev, sizeof(rev));
	assert_int_equal(cpu_vmxon(REGION_PA), VMX_FAIL_INVALID);
	assert_int_equal(m->fault_count, 2);
	assert_false(m->vmx_operation);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_broadwell_stops_trace_before_vmxon, setup),
		cmocka_unit_test_setup(test_broadwell_idle_trace_untouched, setup),
		cmocka_unit_test_setup(test_skylake_trace_survives_vmxon, setup),
		cmocka_unit_test_setup(test_model_vmxon_clears_traceen_itself, setup),
		cmocka_unit_test_setup(test_model_vmxon_faults, setup),
	};
	return cmocka_run_group_tests_name("vmxon_pt", tests, NULL, NULL);
}

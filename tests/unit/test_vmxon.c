/* The VMXON gate against the CPU model: success, each refusal and each decoded failure. */
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
#define VMCS_PA   0x00101000ULL

static uint8_t region[PAGE_SIZE] __aligned(PAGE_SIZE);
static uint8_t vmcs[PAGE_SIZE] __aligned(PAGE_SIZE);

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

static uint32_t region_word(void)
{
	uint32_t w;

	memcpy(&w, region, sizeof(w));
	return w;
}

static void test_enter_leave_tigerlake(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);
	long cr4_write, vmxon, vmxoff;

	(void)state;
	assert_false(m->cr4 & CR4_VMXE);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.status, VMX_OK);
	assert_true(r.in_vmx);
	assert_true(m->vmx_operation);
	assert_int_equal(m->vmxon_region, REGION_PA);
	assert_true(m->cr4 & CR4_VMXE);
	assert_int_equal(r.cr4, m->cr4);
	assert_int_equal(r.revision_id, 4);
	assert_int_equal(r.region_size, 4096);
	assert_int_equal(region_word(), 4);
	for (size_t i = 4; i < sizeof(region); i++)
		if (region[i])
			fail_msg("region byte %zu is 0x%x, not zeroed", i, region[i]);
	assert_false(r.feature_control_locked_now);
	assert_false(r.pt_stopped);
	assert_string_equal(r.reason, "");
	assert_true(host_console_contains("VMXON succeeded"));
	/* CR4.VMXE goes on before VMXON, which is why VMXON did not #UD. */
	cr4_write = cpu_model_find(m, CPU_OP_WRITE_CR, 4, 0);
	vmxon = cpu_model_find(m, CPU_OP_VMXON, REGION_PA, 0);
	assert_true(cr4_write >= 0 && vmxon > cr4_write);
	assert_int_equal(m->fault_count, 0);

	assert_int_equal(vmx_leave(&r), 0);
	assert_false(r.in_vmx);
	assert_false(m->vmx_operation);
	assert_false(m->cr4 & CR4_VMXE);
	vmxoff = cpu_model_find(m, CPU_OP_VMXOFF, CPU_MODEL_ANY, 0);
	assert_true(vmxoff > vmxon);
	assert_true(cpu_model_find(m, CPU_OP_WRITE_CR, 4, (size_t)vmxoff) > vmxoff);
	assert_true(host_console_contains("VMXOFF succeeded"));
	/* A second VMXOFF has nothing to leave. */
	assert_int_equal(vmx_leave(&r), -1);
	assert_int_equal(cpu_model_count(m, CPU_OP_VMXOFF, CPU_MODEL_ANY), 1);
}

static void test_region_size_from_basic(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;

	(void)state;
	load(&cpu_fixture_skylake_i7_6700k, &c);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_int_equal(r.region_size, 1024);
	assert_int_equal(region_word(), 4);
	assert_int_equal(region[4], 0);
	assert_int_equal(region[1023], 0);
	assert_int_equal(region[1024], 0xaa); /* only BASIC[44:32] bytes are the region */
	assert_int_equal(vmx_leave(&r), 0);
}

static void test_nested_revision(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;

	(void)state;
	load(&cpu_fixture_nested_l1, &c);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_int_equal(region_word(), 0x11e57ed0);
	assert_int_equal(vmx_leave(&r), 0);
}

static void test_feature_control_unlocked_gets_locked(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_FEATURE_CONTROL, 0, false);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_true(r.feature_control_locked_now);
	assert_int_equal(r.feature_control, 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_FEATURE_CONTROL, 0),
			 FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	assert_true(host_console_contains("IA32_FEATURE_CONTROL was unlocked (0x0): enabled VMX "
					  "outside SMX and locked it (0x5)"));
	assert_true(cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_FEATURE_CONTROL, 0) <
		    cpu_model_find(m, CPU_OP_VMXON, CPU_MODEL_ANY, 0));
	/* Locked now: a second write would #GP. */
	assert_false(cpu_wrmsr_safe(MSR_IA32_FEATURE_CONTROL, 0));
	assert_int_equal(vmx_leave(&r), 0);
}

static void test_feature_control_disabled_refused(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCKED, false);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), -1);
	assert_int_equal(r.result, -1);
	assert_string_equal(r.reason, "VMX disabled in firmware (IA32_FEATURE_CONTROL 0x1 is locked "
				      "with VMX outside SMX clear)");
	assert_true(host_console_contains("ptvisor: error: VMXON refused: VMX disabled in firmware"));
	assert_false(r.vmxon_executed);
	assert_int_equal(cpu_model_count(m, CPU_OP_VMXON, CPU_MODEL_ANY), 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_WRMSR, CPU_MODEL_ANY), 0);
	assert_false(m->cr4 & CR4_VMXE);
	assert_int_equal(region[0], 0xaa); /* nothing written */
}

static void test_no_vmx_refused(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_amd_ryzen_1800x, &c);

	(void)state;
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), -1);
	assert_string_equal(r.reason, "VMX not supported by this CPU (CPUID.1:ECX.VMX[5]=0)");
	assert_true(host_console_contains("VMXON refused: VMX not supported by this CPU"));
	assert_int_equal(cpu_model_count(m, CPU_OP_RDMSR, CPU_MODEL_ANY), 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_WRITE_CR, CPU_MODEL_ANY), 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_VMXON, CPU_MODEL_ANY), 0);
}

static void test_region_checks(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_skylake_i7_6700k, &c);

	(void)state;
	assert_int_equal(vmx_enter(&c, region, REGION_PA + 0x800, &r), -1);
	assert_string_equal(r.reason, "VMXON region 0x100800 is not 4-KByte aligned");
	assert_int_equal(vmx_enter(&c, region, 1ULL << 39, &r), -1);
	assert_string_equal(r.reason, "VMXON region 0x8000000000 lies beyond the 39-bit address width");
	assert_int_equal(vmx_enter(&c, NULL, REGION_PA, &r), -1);
	assert_string_equal(r.reason, "no VMXON region");
	assert_int_equal(cpu_model_count(m, CPU_OP_VMXON, CPU_MODEL_ANY), 0);
	assert_false(m->cr4 & CR4_VMXE);
}

static void test_cr_fixed_bits(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_skylake_i7_6700k, &c);

	(void)state;
	/* CR0.NE clear: the gate sets it (A.7), VMXON succeeds. */
	m->cr0 &= ~CR0_NE;
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	assert_false(r.cr0_before & CR0_NE);
	assert_true(m->cr0 & CR0_NE);
	assert_int_equal(vmx_leave(&r), 0);

	/* CR0.PE clear cannot be fixed from here. */
	m = load(&cpu_fixture_skylake_i7_6700k, &c);
	m->cr0 = 0x00000021 & ~CR0_PE;
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), -1);
	assert_string_equal(r.reason, "CR0 0x20 lacks bits 0x80000001 fixed to 1 in VMX operation "
				      "(IA32_VMX_CR0_FIXED0)");

	/* CR4.PKE (bit 22) is not in Skylake's IA32_VMX_CR4_FIXED1. */
	m = load(&cpu_fixture_skylake_i7_6700k, &c);
	m->cr4 |= BIT(22);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), -1);
	assert_string_equal(r.reason, "CR4 0x4006a0 has bits 0x400000 fixed to 0 in VMX operation "
				      "(IA32_VMX_CR4_FIXED1)");
	assert_int_equal(cpu_model_count(m, CPU_OP_VMXON, CPU_MODEL_ANY), 0);
}

static void test_vmxon_fail_invalid_restores_cr4(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);
	uint64_t cr4 = m->cr4;

	(void)state;
	/* The region handed in is not what the CPU sees at that address: VMfailInvalid. */
	assert_int_equal(vmx_enter(&c, vmcs, VMCS_PA, &r), -1);
	assert_true(r.vmxon_executed);
	assert_int_equal(r.status, VMX_FAIL_INVALID);
	assert_non_null(strstr(r.reason, "VMfailInvalid"));
	assert_non_null(strstr(r.reason, "no VM-instruction error to read"));
	assert_true(host_console_contains("ptvisor: error: VMXON failed: VMfailInvalid"));
	assert_int_equal(m->cr4, cr4);
	assert_false(m->vmx_operation);
	assert_int_equal(vmx_leave(&r), -1);
}

static void test_vmxon_twice(void **state)
{
	struct vmx_caps c;
	struct vmxon_report r, again;
	struct cpu_model *m = load(&cpu_fixture_bochs_tigerlake, &c);
	uint32_t rev = 4;

	(void)state;
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &r), 0);
	/* In VMX root operation without a current VMCS: VMfail gives VMfailInvalid. */
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &again), -1);
	assert_int_equal(again.status, VMX_FAIL_INVALID);
	assert_true(m->vmx_operation);
	assert_true(m->cr4 & CR4_VMXE); /* restored to what it was: still set */
	/* With a current VMCS it is VMfailValid, error 15 in that VMCS. */
	cpu_model_map_phys(m, VMCS_PA, vmcs, sizeof(vmcs));
	memcpy(vmcs, &rev, sizeof(rev));
	assert_int_equal(cpu_vmptrld(VMCS_PA), VMX_OK);
	assert_int_equal(vmx_enter(&c, region, REGION_PA, &again), -1);
	assert_int_equal(again.status, VMX_FAIL_VALID);
	assert_non_null(strstr(again.reason, "VMfailValid: already in VMX root operation"));
	assert_int_equal(m->vm_instruction_error, 15);
	assert_int_equal(vmx_leave(&r), 0);
	assert_false(m->vmx_operation);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_enter_leave_tigerlake, setup),
		cmocka_unit_test_setup(test_region_size_from_basic, setup),
		cmocka_unit_test_setup(test_nested_revision, setup),
		cmocka_unit_test_setup(test_feature_control_unlocked_gets_locked, setup),
		cmocka_unit_test_setup(test_feature_control_disabled_refused, setup),
		cmocka_unit_test_setup(test_no_vmx_refused, setup),
		cmocka_unit_test_setup(test_region_checks, setup),
		cmocka_unit_test_setup(test_cr_fixed_bits, setup),
		cmocka_unit_test_setup(test_vmxon_fail_invalid_restores_cr4, setup),
		cmocka_unit_test_setup(test_vmxon_twice, setup),
	};
	return cmocka_run_group_tests_name("vmxon", tests, NULL, NULL);
}

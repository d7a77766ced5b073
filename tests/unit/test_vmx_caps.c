/* Capability reading and decoding on every fixture CPU, and vmx_adjust_controls(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "caps_env.h"
#include "cpu_model.h"
#include "msr.h"
#include "vmx/caps.h"
#include "vmx/probe.h"
#include "../fixtures/cpu_fixtures.h"

static void test_tigerlake(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_bochs_tigerlake);

	(void)state;
	assert_string_equal(c.vendor, "GenuineIntel");
	assert_true(c.is_intel);
	assert_int_equal(c.family, 6);
	assert_int_equal(c.model, 0x8c);
	assert_int_equal(c.stepping, 1);
	assert_int_equal(c.maxphyaddr, 40);
	assert_true(vmx_caps_has_vmx(&c));
	assert_int_equal(c.feature_control, 5);
	assert_int_equal(c.basic, 0x01d8100000000004ULL);
	assert_int_equal(vmx_caps_revision_id(&c), 4);
	assert_int_equal(vmx_caps_vmcs_size(&c), 4096);
	assert_int_equal(vmx_caps_vmcs_memtype(&c), VMX_MEMTYPE_WB);
	assert_int_equal(vmx_caps_addr_width(&c), 40);
	/* BASIC[55]: the TRUE MSRs are the ones read. */
	assert_int_equal(c.pinbased_msr, MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	assert_int_equal(c.procbased_msr, MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	assert_int_equal(c.exit_msr, MSR_IA32_VMX_TRUE_EXIT_CTLS);
	assert_int_equal(c.entry_msr, MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	assert_int_equal(c.exit, 0x107fffff00036dfbULL);
	assert_int_equal(c.entry, 0x0010ffff000011fbULL);
	assert_int_equal(c.procbased2, 0x02977fff00000000ULL);
	assert_int_equal(c.ept_vpid_cap, 0x00000f0106b34141ULL);
	assert_int_equal(c.misc, 0x600401e0ULL);
	assert_int_equal(c.msr_faulted, 0);
	assert_true(vmx_caps_has_ept(&c));
	assert_true(vmx_caps_has_vpid(&c));
	assert_true(vmx_caps_has_unrestricted_guest(&c));
	assert_true(vmx_caps_has_preemption_timer(&c));
	assert_true(vmx_caps_has_mtf(&c));
	assert_true(vmx_caps_ept_has(&c, EPT_CAP_WALK_4 | EPT_CAP_MEMTYPE_WB | EPT_CAP_PDE_2M | EPT_CAP_PDPTE_1G |
						 EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | EPT_CAP_ACCESSED_DIRTY));
	assert_false(vmx_caps_pt_in_vmx(&c));
	assert_false(vmx_caps_has_pt_use_gpa(&c));
	assert_false(vmx_caps_has_load_rtit_ctl(&c));
	assert_false(vmx_caps_has_clear_rtit_ctl(&c));
	assert_false(vmx_caps_has_conceal_pt(&c));
	assert_false(cpu_has_intel_pt(&c));
	assert_false(pt_caps_has_topa(&c));
	/* Without CPUID.7:EBX[25], leaf 14H is never asked. */
	assert_int_equal(cpu_model_count(cpu_model_current, CPU_OP_CPUID, 0x14), 0);
}

static void test_skylake(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_skylake_i7_6700k);

	(void)state;
	assert_int_equal(c.family, 6);
	assert_int_equal(c.model, 0x5e);
	assert_int_equal(c.stepping, 3);
	assert_int_equal(c.maxphyaddr, 39);
	assert_int_equal(vmx_caps_vmcs_size(&c), 1024);
	assert_true(cpu_has_intel_pt(&c));
	assert_true(pt_caps_has_topa(&c));
	assert_int_equal(c.pt_leaf0.eax, 1);
	assert_int_equal(c.pt_leaf0.ebx, 0xf);
	assert_int_equal(c.pt_leaf0.ecx, 7);
	assert_int_equal(c.pt_leaf1.eax, 0x02490002);
	assert_int_equal(c.pt_leaf1.ebx, 0x003f3fff);
	assert_int_equal(pt_caps_addr_ranges(&c), 2);
	assert_true(vmx_caps_pt_in_vmx(&c));
	assert_true(vmx_caps_has_conceal_pt(&c));
	assert_false(vmx_caps_has_pt_use_gpa(&c));
	assert_false(vmx_caps_has_load_rtit_ctl(&c));
	assert_false(vmx_caps_has_clear_rtit_ctl(&c));
	assert_true(vmx_caps_has_ept(&c));
	assert_true(vmx_caps_vpid_has(&c, VPID_CAP_INVVPID | VPID_CAP_INVVPID_ADDR | VPID_CAP_INVVPID_SINGLE |
						  VPID_CAP_INVVPID_ALL));
	assert_int_equal(c.procbased, 0xfff9fffe04006172ULL);
}

static void test_icelake(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_icelake_i7_1065g7);

	(void)state;
	assert_int_equal(c.model, 0x7e);
	assert_int_equal(c.stepping, 5);
	assert_true(cpu_has_intel_pt(&c));
	assert_true(pt_caps_has_topa(&c));
	assert_true(vmx_caps_pt_in_vmx(&c));
	assert_true(vmx_caps_has_pt_use_gpa(&c));
	assert_true(vmx_caps_has_load_rtit_ctl(&c));
	assert_true(vmx_caps_has_clear_rtit_ctl(&c));
	assert_true(vmx_caps_has_conceal_pt(&c));
}

static void test_broadwell(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_broadwell_i7_5600u);

	(void)state;
	assert_int_equal(c.model, 0x3d);
	assert_int_equal(vmx_caps_revision_id(&c), 0x12);
	assert_true(cpu_has_intel_pt(&c));
	assert_true(pt_caps_has_topa(&c));
	assert_false(c.pt_leaf0.ecx & CPUID_14_0_ECX_TOPA_MULTI);
	/* Max subleaf 0: subleaf 1 is neither read nor filled in. */
	assert_int_equal(cpu_model_count(cpu_model_current, CPU_OP_CPUID, 0x14), 1);
	assert_int_equal(c.pt_leaf1.eax, 0);
	assert_false(vmx_caps_pt_in_vmx(&c));
	assert_false(vmx_caps_has_conceal_pt(&c));
	assert_false(vmx_caps_has_pt_use_gpa(&c));
	assert_false(vmx_caps_has_load_rtit_ctl(&c));
	assert_false(vmx_caps_has_clear_rtit_ctl(&c));
	assert_true(vmx_caps_has_ept(&c));
}

static void test_nested_l1(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_nested_l1);

	(void)state;
	assert_true(vmx_caps_has_vmx(&c));
	assert_true(vmx_caps_has_ept(&c));
	assert_true(vmx_caps_has_unrestricted_guest(&c));
	assert_false(vmx_caps_has_preemption_timer(&c));
	assert_false(cpu_has_intel_pt(&c));
	assert_false(vmx_caps_pt_in_vmx(&c));
	assert_false(vmx_caps_has_conceal_pt(&c));
	assert_int_equal(vmx_caps_revision_id(&c), 0x11e57ed0);
	assert_int_equal(vmx_caps_vmcs_size(&c), 4096);
	assert_int_equal(c.maxphyaddr, 46);
	/* Maximum basic leaf 0DH: leaf 14H does not exist and is not asked. */
	assert_int_equal(cpu_model_count(cpu_model_current, CPU_OP_CPUID, 0x14), 0);
}

static void test_amd(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_amd_ryzen_1800x);

	(void)state;
	assert_string_equal(c.vendor, "AuthenticAMD");
	assert_false(c.is_intel);
	assert_int_equal(c.family, 0x17);
	assert_int_equal(c.model, 1);
	assert_int_equal(c.stepping, 1);
	assert_int_equal(c.maxphyaddr, 48);
	assert_false(vmx_caps_has_vmx(&c));
	assert_false(cpu_has_intel_pt(&c));
	/* No VMX: not one RDMSR, so nothing can #GP. */
	assert_int_equal(cpu_model_count(cpu_model_current, CPU_OP_RDMSR, CPU_MODEL_ANY), 0);
	assert_int_equal(c.msr_read, 0);
	assert_int_equal(c.msr_faulted, 0);
}

static void test_plain_ctls_without_basic_55(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_skylake_i7_6700k);
	struct vmx_caps c;

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_VMX_BASIC, 0x005a040000000004ULL, true);
	vmx_caps_read(&c);
	assert_false(vmx_caps_has_true_ctls(&c));
	assert_int_equal(c.pinbased_msr, MSR_IA32_VMX_PINBASED_CTLS);
	assert_int_equal(c.procbased_msr, MSR_IA32_VMX_PROCBASED_CTLS);
	assert_int_equal(c.procbased, 0xfff9fffe0401e172ULL);
	assert_int_equal(c.exit, 0x01ffffff00036dffULL);
	assert_int_equal(cpu_model_count(m, CPU_OP_RDMSR, MSR_IA32_VMX_TRUE_PROCBASED_CTLS), 0);
	assert_string_equal(vmx_caps_msr_name(&c, VMX_CAPS_ENTRY), "IA32_VMX_ENTRY_CTLS");
}

static void test_no_secondary_controls(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_skylake_i7_6700k);
	struct vmx_caps c;

	(void)state;
	cpu_model_set_msr(m, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, 0x7ff9fffe04006172ULL, true);
	vmx_caps_read(&c);
	assert_false(vmx_caps_has_secondary(&c));
	assert_false(vmx_caps_has_ept(&c));
	assert_int_equal(c.procbased2, 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_RDMSR, MSR_IA32_VMX_PROCBASED_CTLS2), 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_RDMSR, MSR_IA32_VMX_EPT_VPID_CAP), 0);
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("IA32_VMX_PROCBASED_CTLS2:"),
			    "secondary IA32_VMX_PROCBASED_CTLS2: absent (primary[31] not allowed)");
	assert_string_equal(caps_env_line("IA32_VMX_EPT_VPID_CAP:"), "IA32_VMX_EPT_VPID_CAP: absent (no EPT, no VPID)");
}

static void test_faulting_msr_recorded(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_skylake_i7_6700k);
	struct vmx_caps c;

	(void)state;
	cpu_model_remove_msr(m, MSR_IA32_VMX_MISC);
	vmx_caps_read(&c);
	assert_int_equal(c.msr_faulted, 1u << VMX_CAPS_MISC);
	assert_false(c.msr_read & (1u << VMX_CAPS_MISC));
	assert_int_equal(c.misc, 0);
	assert_int_equal(m->fault_count, 1);
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("IA32_VMX_MISC:"), "IA32_VMX_MISC: RDMSR faulted (#GP)");
}

static void test_adjust_controls(void **state)
{
	uint32_t out = 0xdead;
	uint64_t pin = 0x0000007f00000016ULL; /* Skylake pin-based */
	uint64_t sec = 0x001ffcff00000000ULL; /* Skylake secondary */

	(void)state;
	/* Optional bit 7 (posted interrupts) is not allowed-1 here: dropped and said so. */
	assert_int_equal(vmx_adjust_controls(BIT(0), BIT(6) | BIT(7), pin, "pin-based", &out), 0);
	assert_int_equal(out, 0x16 | BIT(0) | BIT(6));
	assert_true(host_console_contains("pin-based controls: optional bit 7 not available"));
	assert_false(host_console_contains("optional bit 6"));
	/* Nothing requested still yields every must-be-1 bit. */
	assert_int_equal(vmx_adjust_controls(0, 0, pin, "pin-based", &out), 0);
	assert_int_equal(out, 0x16);
	/* Required bits 24 and 25 missing: -1, out cleared, each named by number. */
	out = 0xdead;
	assert_int_equal(vmx_adjust_controls(BIT(1) | BIT(24) | BIT(25), 0, sec, "secondary", &out), -1);
	assert_int_equal(out, 0);
	assert_true(host_console_contains("secondary controls: required bit 24 is not allowed"));
	assert_true(host_console_contains("secondary controls: required bit 25 is not allowed"));
	assert_false(host_console_contains("required bit 1 "));
	/* A bit both required and optional is only required. */
	assert_int_equal(vmx_adjust_controls(BIT(1), BIT(1) | BIT(7), sec, "secondary", &out), 0);
	assert_int_equal(out, BIT(1) | BIT(7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tigerlake, caps_env_setup),
		cmocka_unit_test_setup(test_skylake, caps_env_setup),
		cmocka_unit_test_setup(test_icelake, caps_env_setup),
		cmocka_unit_test_setup(test_broadwell, caps_env_setup),
		cmocka_unit_test_setup(test_nested_l1, caps_env_setup),
		cmocka_unit_test_setup(test_amd, caps_env_setup),
		cmocka_unit_test_setup(test_plain_ctls_without_basic_55, caps_env_setup),
		cmocka_unit_test_setup(test_no_secondary_controls, caps_env_setup),
		cmocka_unit_test_setup(test_faulting_msr_recorded, caps_env_setup),
		cmocka_unit_test_setup(test_adjust_controls, caps_env_setup),
	};
	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}

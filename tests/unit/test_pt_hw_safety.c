/* Hardware-path safety against the CPU model: LA57 address filters, the entry check's control, failed VMXON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_hw_rig.h"
#include "msr.h"
#include "mem/frame.h"
#include "pt/pt_boot.h"
#include "pt/pt_guest.h"
#include "pt/rtit.h"
#include "pt/hw/pt_hw.h"
#include "vmx/pt_backend.h"
#include "vmx/vmcs.h"
#include "vmx/vmxon.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB        (1024ULL * 1024)
#define REGION_PA  0x7000
#define LA57_ADDR  0x00ff800000001000ULL /* canonical in 57 bits, not in 48 */
#define LA48_UPPER 0xffff800000001000ULL /* canonical in both */

static struct cpu_model *m;
static struct vmx_caps caps;
static struct pt_decision d;

/* ptvisor's boot order: PT set up before VMXON, the model outside VMX operation until then. */
static void boot(const struct cpu_fixture *f, bool la57, enum pt_mode mode, enum pt_backend backend)
{
	const struct mem_range map[] = { { 1 * MiB, 31 * MiB, MEM_USABLE } };
	struct cpuid_regs l7;

	host_env_reset();
	phys_arena_init(32 * MiB);
	frame_init(map, 1, NULL, 0);
	m = rig_load(f);
	m->vmx_operation = false;
	l7 = cpu_model_cpuid(m, 7, 0);
	l7.ecx = la57 ? l7.ecx | CPUID_7_ECX_LA57 : l7.ecx & ~CPUID_7_ECX_LA57;
	cpu_model_set_cpuid(m, 7, 0, &l7);
	vmx_caps_read(&caps);
	pt_decide(&caps, mode, backend, &d);
	pt_boot_init(&caps, &d);
}

static int teardown(void **state)
{
	(void)state;
	phys_arena_free();
	return 0;
}

/*
 * A guest offered LA57 (CPUID.7.0:ECX[16] passes through) may filter on
 * 57-bit linear addresses: WRMSR of IA32_RTIT_ADDR0_A/B is canonical to 57
 * bits, and the model's CPU accepts the value when the filters are loaded.
 * Without LA57 the same value #GPs in the guest and in the model.
 */
static void test_la57_address_filters(void **state)
{
	struct pt_guest g;
	struct vcpu_stats st = { 0 };
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, true, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	m->vmx_operation = true;
	assert_true(caps.cpuid_la57);
	assert_true(pt_rt.guest_caps.la57);
	pt_hw_guest_init(&g, PT_BACKEND_HW, &pt_rt.guest_caps);
	assert_true(pt_hw_wrmsr(&pt_rt.cpu, &g, MSR_IA32_RTIT_ADDR0_A, LA57_ADDR));
	assert_true(pt_hw_wrmsr(&pt_rt.cpu, &g, MSR_IA32_RTIT_ADDR0_B, LA57_ADDR + 0x1000));
	assert_false(pt_hw_wrmsr(&pt_rt.cpu, &g, MSR_IA32_RTIT_ADDR1_A, 0x0100000000000000ULL)); /* bit 56 alone */
	rig_controls(true, true, true);
	rig_guest_start(&pt_rt.cpu, &g, 0x3000);
	assert_int_equal(rig_run(&pt_rt.cpu, &g, true, 1, &st), 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_ADDR0_A, 0), LA57_ADDR);
	assert_int_equal(cpu_model_msr(m, MSR_IA32_RTIT_ADDR0_A)->faults, 0);
	pt_hw_guest_release(&pt_rt.cpu, &g);
	teardown(NULL);

	boot(&cpu_fixture_icelake_i7_1065g7, false, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	m->vmx_operation = true;
	assert_false(pt_rt.guest_caps.la57);
	pt_hw_guest_init(&g, PT_BACKEND_HW, &pt_rt.guest_caps);
	assert_false(pt_hw_wrmsr(&pt_rt.cpu, &g, MSR_IA32_RTIT_ADDR0_A, LA57_ADDR));
	assert_true(pt_hw_wrmsr(&pt_rt.cpu, &g, MSR_IA32_RTIT_ADDR0_A, LA48_UPPER));
	pt_rt.cpu.traceen = false;
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0));
	assert_false(cpu_wrmsr_safe(MSR_IA32_RTIT_ADDR0_A, LA57_ADDR)); /* the model: 48 bits here */
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_ADDR0_A, LA48_UPPER));
}

/*
 * The CVE-2024-53135 check follows the vCPU's VM-entry control "load
 * IA32_RTIT_CTL", whatever PT backend the guest has: a pt=off guest whose
 * VMCS still loads IA32_RTIT_CTL must not be entered over host TraceEn=1.
 */
static void test_entry_check_follows_vmcs_control(void **state)
{
	struct vcpu v;
	struct pt_guest pg;
	struct pt_guest_config off = { .pt = false, .pt_caps = "" };
	(void)state;
	/* system mode: the host keeps tracing across entries */
	boot(&cpu_fixture_icelake_i7_1065g7, false, PT_MODE_SYSTEM, PT_BACKEND_AUTO);
	m->vmx_operation = true;
	assert_true(pt_rt.cpu.traceen);
	memset(&v, 0, sizeof(v));
	v.name = "off";
	v.pt_ops = &pt_backend_none;
	pt_guest_attach(&pg, &v, &off);
	assert_int_not_equal(pg.backend, PT_BACKEND_HW);
	v.entry_controls = ENTRY_LOAD_RTIT_CTL;
	assert_int_equal(pt_hw_vcpu_entry_ready(&v), -1);
	v.entry_controls = 0;
	assert_int_equal(pt_hw_vcpu_entry_ready(&v), 0);
}

/* A failed VMXON still stops the host trace and reports (and dumps) it: pt_boot_finish runs. */
static void test_failed_vmxon_stops_host_trace(void **state)
{
	static uint8_t region[4096] __attribute__((aligned(4096)));
	struct vmxon_report r;
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, false, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0) & RTIT_CTL_TRACEEN);
	cpu_model_map_phys(m, REGION_PA, region, sizeof(region));
	/* Firmware locked IA32_FEATURE_CONTROL with VMX disabled: VMXON is refused. */
	cpu_model_set_msr(m, MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCKED, false);
	vmx_caps_read(&caps);
	assert_int_equal(pt_boot_vmx_enter(&caps, region, REGION_PA, &r, true), -1);
	assert_false(m->vmx_operation);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 1) & RTIT_CTL_TRACEEN, 0);
	assert_true(host_console_contains("PT: host trace stopped:"));
	assert_true(host_console_contains("PTV-TRACE")); /* the framed dump, as at a normal shutdown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_la57_address_filters, teardown),
		cmocka_unit_test_teardown(test_entry_check_follows_vmcs_control, teardown),
		cmocka_unit_test_teardown(test_failed_vmxon_stops_host_trace, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

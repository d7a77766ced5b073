/* RTIT MSR accesses per VM exit on the hardware path, in each mode, against the CPU model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "pt_hw_rig.h"
#include "msr.h"
#include "vmx/vmcs.h"
#include "../fixtures/cpu_fixtures.h"

#define HOST_CTL   (RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)
#define HOST_TOPA  0x200000
#define GUEST_BASE 0x3000
/* A tracing guest's outputs (3 RDMSR of whoever held them + 3 WRMSR) and Ice Lake's filters
 * (CR3_MATCH and 2 address ranges: 5 WRMSR). */
#define OUTPUTS 6
#define FILTERS 5

static struct cpu_model *m;
static struct pt_hw_cpu cpu;
static struct pt_guest g1, g2;
static struct vpmu pmu1, pmu2; /* their vCPUs' PMUs */
static struct vcpu_stats st;

static void rig(enum pt_mode mode, bool host_trace, enum pt_backend backend)
{
	struct vmx_caps caps;
	struct pt_vcaps vc;

	host_env_reset();
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	vmx_caps_read(&caps);
	assert_int_equal(pt_vcaps_from_host(&vc, &caps, NULL), 0);
	pt_hw_cpu_init(&cpu, mode, host_trace, HOST_CTL);
	pt_hw_guest_init(&g1, backend, &vc);
	pt_hw_guest_init(&g2, backend, &vc);
	memset(&pmu1, 0, sizeof(pmu1));
	memset(&pmu2, 0, sizeof(pmu2));
	g1.pmu = &pmu1;
	g2.pmu = &pmu2;
	memset(&st, 0, sizeof(st));
	if (host_trace)
		assert_int_equal(pt_hw_host_start(&cpu, HOST_TOPA), 0);
}

static bool load(void)
{
	return g1.backend == PT_BACKEND_HW;
}

/* host-guest, host not tracing, guest not tracing: nothing at all. */
static void test_idle_guest_host_off(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, false, PT_BACKEND_HW);
	rig_controls(true, true, true);
	assert_int_equal(rig_run(&cpu, &g1, true, 10, &st), 0);
	assert_int_equal(rig_rtit_ops(m, 0), 0);
	assert_int_equal(st.rtit_msr_accesses, 0);
	assert_int_equal(st.rtit_exits_with_access, 0);
}

/* host-guest, host not tracing, guest tracing alone on the CPU: its MSRs stay put. */
static void test_tracing_guest_host_off(void **state)
{
	uint64_t v;
	(void)state;
	rig(PT_MODE_HOST_GUEST, false, PT_BACKEND_HW);
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_rtit_ops(m, 0), 0); /* not loaded yet: the WRMSRs stay virtual */
	assert_int_equal(pt_model_field(m, GUEST_IA32_RTIT_CTL), g1.ctx.ctl);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, OUTPUTS + FILTERS);
	size_t mark = m->log_len;
	assert_int_equal(rig_run(&cpu, &g1, true, 10, &st), 0);
	assert_int_equal(rig_rtit_ops(m, mark), 0);
	assert_int_equal(st.rtit_msr_last_exit, 0);
	assert_int_equal(st.rtit_exits_with_access, 1);
	/* The CPU advanced the guest's output pointer 11 times; a guest RDMSR sees it. */
	assert_true(pt_hw_rdmsr(&cpu, &g1, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, &v));
	assert_int_equal(v, (11ULL * 0x100 << 32) | 0x7f);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), GUEST_BASE);
	/* The guest stops: CTL goes to the VMCS only. */
	mark = m->log_len;
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_CTL, RTIT_CTL_TOPA));
	assert_int_equal(pt_model_field(m, GUEST_IA32_RTIT_CTL), RTIT_CTL_TOPA);
	assert_int_equal(rig_run(&cpu, &g1, true, 5, &st), 0);
	assert_int_equal(rig_rtit_ops(m, mark), 0);
}

/* host-guest with the VMM tracing, guest idle: TraceEn off before entry, on after exit. */
static void test_idle_guest_host_on(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true, PT_BACKEND_HW);
	rig_controls(true, true, true);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	size_t mark = m->log_len;
	uint64_t before = st.rtit_msr_accesses;
	assert_int_equal(rig_run(&cpu, &g1, true, 10, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, 2);
	assert_int_equal(st.rtit_msr_accesses - before, 20);
	assert_int_equal(rig_rtit_ops(m, mark), 20);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), HOST_CTL);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), HOST_TOPA);
}

/* host-guest with both tracing: CTL off/on plus the outputs both ways, 14 per exit. */
static void test_tracing_guest_host_on(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true, PT_BACKEND_HW);
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	uint64_t before = st.rtit_msr_accesses;
	assert_int_equal(rig_run(&cpu, &g1, true, 10, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, 1 + OUTPUTS + OUTPUTS + 1);
	assert_int_equal(st.rtit_msr_accesses - before, 140);
	/* Each side kept its own output: the guest's advanced 11 times, the host's not at all. */
	assert_int_equal(g1.ctx.output_base, GUEST_BASE);
	assert_int_equal(g1.ctx.output_mask_ptrs, (11ULL * 0x100 << 32) | 0x7f);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), HOST_TOPA);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0), 0x7f);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), HOST_CTL);
	assert_int_equal(m->fault_count, 0);
}

/* system: the host trace runs through guests; no RTIT_CTL controls, no MSR work. */
static void test_system_mode(void **state)
{
	(void)state;
	rig(PT_MODE_SYSTEM, true, PT_BACKEND_OFF);
	rig_controls(false, false, false);
	size_t mark = m->log_len;
	assert_int_equal(rig_run(&cpu, &g1, load(), 10, &st), 0);
	assert_int_equal(rig_rtit_ops(m, mark), 0);
	assert_int_equal(st.rtit_msr_accesses, 4); /* host_start's, in the first window */
	assert_int_equal(st.rtit_msr_last_exit, 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), HOST_CTL);
}

/* host: the VMM is traced, guests are not: CTL=0 at every entry, back after exit. */
static void test_host_mode(void **state)
{
	(void)state;
	rig(PT_MODE_HOST, true, PT_BACKEND_OFF);
	rig_controls(false, false, false);
	assert_int_equal(rig_run(&cpu, &g1, load(), 1, &st), 0);
	size_t mark = m->log_len;
	assert_int_equal(rig_run(&cpu, &g1, load(), 10, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, 2);
	for (long i = (long)mark; (i = cpu_model_find(m, CPU_OP_VMENTRY, CPU_MODEL_ANY, (size_t)i)) >= 0; i++) {
		long w = i;
		while (--w >= 0 && !(m->log[w].op == CPU_OP_WRMSR && m->log[w].index == MSR_IA32_RTIT_CTL))
			;
		assert_true(w >= 0);
		assert_int_equal(m->log[w].value, 0); /* the guest ran untraced */
	}
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), HOST_CTL);
}

/* Two tracing guests on one CPU (host off): MSRs move only at a guest switch. */
static void test_two_guests(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, false, PT_BACKEND_HW);
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	rig_guest_start(&cpu, &g2, GUEST_BASE + 0x1000);
	assert_int_equal(rig_run(&cpu, &g1, true, 3, &st), 0);
	assert_int_equal(rig_run(&cpu, &g2, true, 1, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, OUTPUTS + FILTERS);
	assert_int_equal(g1.ctx.output_mask_ptrs, (3ULL * 0x100 << 32) | 0x7f);
	assert_int_equal(rig_run(&cpu, &g2, true, 2, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, 0);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	assert_int_equal(st.rtit_msr_last_exit, OUTPUTS + FILTERS);
	assert_int_equal(g2.ctx.output_mask_ptrs, (3ULL * 0x100 << 32) | 0x7f);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), GUEST_BASE);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0), (4ULL * 0x100 << 32) | 0x7f);
}

/* Guest WRMSRs: through to the CPU when it holds the guest's MSRs, deferred under host TraceEn. */
static void test_guest_wrmsr_paths(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true, PT_BACKEND_HW);
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	assert_ptr_equal(cpu.filters, &g1);
	/* stop tracing, then change a filter while the host traces: no WRMSR under TraceEn=1 */
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_CTL, 0));
	size_t mark = m->log_len;
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_CR3_MATCH, 0x7000));
	assert_int_equal(rig_rtit_ops(m, mark), 0);
	assert_null(cpu.filters);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CR3_MATCH, 0), 0x7000);
	assert_int_equal(m->fault_count, 0);
	/* host off: a write goes straight through to the CPU that holds the guest's filters */
	rig(PT_MODE_HOST_GUEST, false, PT_BACKEND_HW);
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_CTL, 0));
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_ADDR1_B, 0x4000));
	assert_true(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_OUTPUT_BASE, 0x9000));
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_ADDR1_B, 0), 0x4000);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), 0x9000);
	/* and a refused write reaches neither the CPU nor the VMCS */
	mark = m->log_len;
	assert_false(pt_hw_wrmsr(&cpu, &g1, MSR_IA32_RTIT_CTL, BIT(18)));
	assert_int_equal(m->log_len, mark);
	assert_int_equal(m->fault_count, 0);
}

/* ToPA PMIs: to the owner of the output MSRs when the PMI is taken; others are not PT's. */
static void test_pmi(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, false, PT_BACKEND_HW);
	rig_controls(true, true, true);
	assert_int_equal(pt_hw_pmi(&cpu), PT_PMI_NONE); /* IA32_PERF_GLOBAL_STATUS[55] = 0 */
	assert_int_equal(cpu.guest_pmis + cpu.host_pmis, 0);
	rig_guest_start(&cpu, &g1, GUEST_BASE);
	assert_int_equal(rig_run(&cpu, &g1, true, 1, &st), 0);
	cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = PERF_GLOBAL_STATUS_TOPA_PMI;
	/* g1 holds the outputs: its PMI, in the guest or in root alike */
	assert_int_equal(pt_hw_pmi(&cpu), PT_PMI_GUEST);
	assert_true(g1.pmi_pending);
	assert_int_equal(cpu.guest_pmis, 1);
	long ack = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_PERF_GLOBAL_STATUS_RESET, 0);
	assert_true(ack >= 0);
	assert_int_equal(m->log[ack].value, PERF_GLOBAL_STATUS_TOPA_PMI);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_PERF_GLOBAL_STATUS, 0), 0);
	/* the vPMU's bit 55 is set when the vCPU next enters (pt_hw_pmi_deliver, test_pt_pmi) */
	assert_int_equal(pmu1.global_status | pmu2.global_status, 0);
	/* g2 enters and takes the outputs: a set bit 55 is g1's, collected before they move */
	rig_guest_start(&cpu, &g2, GUEST_BASE + 0x1000);
	cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = PERF_GLOBAL_STATUS_TOPA_PMI;
	assert_int_equal(rig_run(&cpu, &g2, true, 1, &st), 0);
	assert_int_equal(cpu.guest_pmis, 2);
	assert_false(g2.pmi_pending);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_PERF_GLOBAL_STATUS, 0), 0);
	/* nobody's outputs but the host's: the host buffer's */
	pt_hw_guest_release(&cpu, &g2);
	cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = PERF_GLOBAL_STATUS_TOPA_PMI;
	assert_int_equal(pt_hw_pmi(&cpu), PT_PMI_HOST);
	assert_int_equal(cpu.host_pmis, 1);
	assert_true(cpu.host_pmi_pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_guest_host_off),
		cmocka_unit_test(test_tracing_guest_host_off),
		cmocka_unit_test(test_idle_guest_host_on),
		cmocka_unit_test(test_tracing_guest_host_on),
		cmocka_unit_test(test_system_mode),
		cmocka_unit_test(test_host_mode),
		cmocka_unit_test(test_two_guests),
		cmocka_unit_test(test_guest_wrmsr_paths),
		cmocka_unit_test(test_pmi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * VM-entry correctness with Intel PT (CVE-2024-53135): the CPU model fails
 * an entry with "load IA32_RTIT_CTL" while host TraceEn=1 (SDM 27.2.1.3);
 * KVM's sequence hit that, ptvisor's never does, in the SDM's order.
 */
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
#include "pt/rtit.h"
#include "../fixtures/cpu_fixtures.h"

#define HOST_CTL (RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)

static struct cpu_model *m;
static struct pt_hw_cpu cpu;
static struct pt_guest g;
static struct vcpu_stats st;

static void rig(enum pt_mode mode, bool host_trace)
{
	struct vmx_caps caps;
	struct pt_vcaps vc;

	host_env_reset();
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	vmx_caps_read(&caps);
	assert_int_equal(pt_vcaps_from_host(&vc, &caps, NULL), 0);
	pt_hw_cpu_init(&cpu, mode, host_trace, HOST_CTL);
	pt_hw_guest_init(&g, PT_BACKEND_HW, &vc);
	memset(&st, 0, sizeof(st));
	rig_controls(true, true, true);
	if (host_trace)
		assert_int_equal(pt_hw_host_start(&cpu, 0x200000), 0);
}

/*
 * KVM before the fix (arch/x86/kvm/vmx/vmx.c pt_guest_enter): host RTIT_CTL
 * was cleared only when the guest's TraceEn was 1. Host tracing, guest not
 * tracing, "load IA32_RTIT_CTL" set: the entry fails.
 */
static void test_kvm_sequence_fails(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), HOST_CTL);
	/* the old sequence: read host CTL, clear it only if the guest traces -- it does not */
	uint64_t host_ctl = cpu_rdmsr(MSR_IA32_RTIT_CTL);
	if (g.ctx.ctl & RTIT_CTL_TRACEEN)
		cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_FAIL_CONTROLS);
	assert_int_equal(m->vm_instruction_error, PT_MODEL_VMXERR_BAD_CONTROLS);
	assert_int_equal(host_ctl, HOST_CTL);
}

/* ptvisor's sequence in the same state enters, and the model's log shows the order. */
static void test_ptvisor_sequence_enters(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true);
	size_t mark = m->log_len;
	assert_int_equal(pt_hw_before_entry(&cpu, &g, true, &st), 0);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	long off = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, mark);
	long entry = cpu_model_find(m, CPU_OP_VMENTRY, CPU_MODEL_ANY, mark);
	assert_true(off >= 0 && off < entry);
	assert_int_equal(m->log[off].value, 0);
	assert_int_equal(m->log[off].fault, CPU_FAULT_NONE);
	/* exit: the CPU clears CTL; the host's CTL comes back as the last RTIT write */
	pt_model_vmexit(m);
	size_t exit_at = m->log_len;
	pt_hw_after_exit(&cpu, &g);
	long on = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, exit_at);
	assert_true(on >= 0);
	assert_int_equal(m->log[on].value, HOST_CTL);
	assert_int_equal(rig_rtit_ops(m, (size_t)on + 1), 0);
}

/* With a tracing guest: CTL=0, then save host outputs, then load the guest's; reverse after exit. */
static void test_order_with_tracing_guest(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true);
	rig_guest_start(&cpu, &g, 0x3000);
	size_t mark = m->log_len;
	assert_int_equal(pt_hw_before_entry(&cpu, &g, true, &st), 0);
	long off = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, mark);
	long rd = cpu_model_find(m, CPU_OP_RDMSR, MSR_IA32_RTIT_OUTPUT_BASE, mark);
	long wr = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_OUTPUT_BASE, mark);
	assert_true(off >= 0 && off < rd && rd < wr);
	assert_int_equal(m->log[wr].value, 0x3000);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), g.ctx.ctl);
	pt_model_vmexit(m);
	size_t exit_at = m->log_len;
	pt_hw_after_exit(&cpu, &g);
	long save = cpu_model_find(m, CPU_OP_RDMSR, MSR_IA32_RTIT_OUTPUT_BASE, exit_at);
	long restore = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_OUTPUT_BASE, exit_at);
	long on = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, exit_at);
	assert_true(save >= 0 && save < restore && restore < on);
	assert_int_equal(m->log[restore].value, 0x200000);
	assert_int_equal(m->fault_count, 0);
	/* the guest's CTL was saved into the VMCS by the exit and read back */
	assert_int_equal(pt_model_field(m, GUEST_IA32_RTIT_CTL), g.ctx.ctl);
}

/*
 * The other half of the KVM report: a PMI (an NMI) between disabling host
 * tracing and the entry. ptvisor's PMI handling never writes IA32_RTIT_CTL,
 * so the entry still finds TraceEn=0.
 */
static void test_pmi_before_entry(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, true);
	assert_int_equal(pt_hw_before_entry(&cpu, &g, true, &st), 0);
	cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = PERF_GLOBAL_STATUS_TOPA_PMI;
	size_t mark = m->log_len;
	assert_int_equal(pt_hw_pmi(&cpu), PT_PMI_HOST);
	assert_int_equal(cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, mark), -1);
	assert_int_equal(cpu.host_pmis, 1);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
}

/* Every mix of guest TraceEn toggles and PMI-free exits, many times: no entry ever fails. */
static void test_invariant_random(void **state)
{
	uint32_t x = 12345;
	unsigned entries = 0;
	(void)state;
	for (unsigned host = 0; host < 2; host++) {
		rig(PT_MODE_HOST_GUEST, host);
		for (unsigned i = 0; i < 400; i++) {
			x = x * 1103515245 + 12345;
			switch ((x >> 16) % 4) {
			case 0:
				rig_guest_start(&cpu, &g, 0x3000 + ((x >> 8) & 0xf) * 0x1000);
				break;
			case 1:
				if (!pt_hw_wrmsr(&cpu, &g, MSR_IA32_RTIT_CTL, 0))
					fail_msg("i %u host %u ctl 0x%lx", i, host, (unsigned long)g.ctx.ctl);
				break;
			case 2:
				(void)pt_hw_wrmsr(&cpu, &g, MSR_IA32_RTIT_ADDR0_A, x & 0xfff000);
				break;
			default:
				break;
			}
			assert_int_equal(rig_run(&cpu, &g, true, 1 + (x & 3), &st), 0);
			entries += 1 + (x & 3);
		}
		assert_true(entries > 400);
		assert_int_equal(m->fault_count, 0);
	}
}

/* The model's other PT entry checks, so that they are known to bite. */
static void test_model_checks(void **state)
{
	(void)state;
	rig(PT_MODE_HOST_GUEST, false);
	/* PT uses GPA without "clear IA32_RTIT_CTL" */
	rig_controls(true, false, true);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_FAIL_CONTROLS);
	/* reserved bit in the guest IA32_RTIT_CTL field */
	rig_controls(true, true, true);
	cpu_vmwrite(GUEST_IA32_RTIT_CTL, BIT(18));
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_FAIL_GUEST);
	/* ptvisor never lets such a value reach the field */
	assert_false(pt_hw_wrmsr(&cpu, &g, MSR_IA32_RTIT_CTL, BIT(18)));
	cpu_vmwrite(GUEST_IA32_RTIT_CTL, 0);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	/* on Skylake the PT-uses-GPA and RTIT_CTL controls do not exist */
	m = rig_load(&cpu_fixture_skylake_i7_6700k);
	rig_controls(true, true, true);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_FAIL_CONTROLS);
	rig_controls(false, false, false);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	/* the model's WRMSR rule: no RTIT MSR but CTL changes while TraceEn=1 */
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, HOST_CTL));
	assert_false(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, 0x1000));
	assert_false(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, HOST_CTL | RTIT_CTL_USER));
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, 0));
	assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, 0x1000));
}

/*
 * Whatever guest IA32_RTIT_CTL the rules accept, the VM entry's guest-state
 * check accepts too (the guest's set is a subset of the host's), on every
 * fixture with hardware guest PT and under every pt_caps= cut.
 */
static void test_accepted_ctl_always_enters(void **state)
{
	static const char *const specs[] = { NULL, "topa", "single,cr3,ip", "topa,psb,mtc" };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		struct vmx_caps caps;
		struct pt_vcaps vc;
		unsigned accepted = 0;

		m = rig_load(&cpu_fixture_icelake_i7_1065g7);
		vmx_caps_read(&caps);
		assert_int_equal(pt_vcaps_from_host(&vc, &caps, specs[s]), 0);
		for (unsigned i = 0; i < 20000; i++) {
			struct pt_vctx cx;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Random over the bits the host implements, plus now and then any bit; mostly
			 * with the encoded fields 0 so that enough values pass the encoding rules. */
			uint64_t val = x & pt_model_ctl_valid(m);
			if (i % 4)
				val &= ~(RTIT_CTL_MTCFREQ | RTIT_CTL_CYCTHRESH | RTIT_CTL_PSBFREQ | GENMASK(47, 32));
			if (i % 3 == 0)
				val |= BIT(x >> 58); /* any one bit, reserved ones included */
			pt_vctx_reset(&cx);
			if (rtit_write(&cx, &vc, MSR_IA32_RTIT_CTL, val) != RTIT_OK)
				continue;
			accepted++;
			assert_int_equal(val & ~pt_model_ctl_valid(m), 0);
		}
		assert_true(accepted > 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_sequence_fails),         cmocka_unit_test(test_ptvisor_sequence_enters),
		cmocka_unit_test(test_order_with_tracing_guest),   cmocka_unit_test(test_pmi_before_entry),
		cmocka_unit_test(test_invariant_random),           cmocka_unit_test(test_model_checks),
		cmocka_unit_test(test_accepted_ctl_always_enters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

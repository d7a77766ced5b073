/*
 * selftest=pt against the CPU model: on an Ice Lake (PT in VMX operation)
 * a guest traces itself on the hardware path, the model writes its trace
 * through EPT (an output page write-protected on the way: the EPT violation
 * exit goes through the backend's hook) and the host's into the host buffer, and the self-test prints
 * its PASS lines; a trace that does not start with PSB FAILs; on Bochs's CPU
 * it explains why the hardware path cannot be tested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_hw_rig.h"
#include "pt_out_model.h"
#include "msr.h"
#include "mem/frame.h"
#include "pt/pt_boot.h"
#include "pt/pt_guest.h"
#include "pt/pt_selftest.h"
#include "pt/rtit.h"
#include "ept/ept_violation.h"
#include "vmx/pt_backend.h"
#include "vmx/vmcs.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB     (1024ULL * 1024)
#define RAM_HPA (16 * MiB)
#define RAM     (4 * MiB)
#define TOPA    0x10000ULL
#define OUTPUT  0x20000ULL

static struct cpu_model *m;
static struct ept ept;
static struct vcpu v;
static struct pt_guest pg;
static uint8_t packets[64];

static void boot(const struct cpu_fixture *f)
{
	const struct mem_range map[] = { { 1 * MiB, 15 * MiB, MEM_USABLE } };
	struct vmx_caps caps;
	struct pt_decision d;

	host_env_reset();
	phys_arena_init(32 * MiB);
	frame_init(map, 1, NULL, 0);
	m = rig_load(f);
	m->vmx_operation = false;
	vmx_caps_read(&caps);
	pt_decide(&caps, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO, &d);
	pt_boot_init(&caps, &d);
	pt_selftest_begin();
	m->vmx_operation = true;
}

static int teardown(void **state)
{
	(void)state;
	if (ept.pml4)
		ept_destroy(&ept);
	memset(&ept, 0, sizeof(ept));
	phys_arena_free();
	return 0;
}

/*
 * A guest with the VMX controls vmcs_init gives it, tracing `trace` into its
 * ToPA, then stopping. With `protect`, its output page is read-only in its
 * EPT: the model's EPT violation exit goes to the hook exit_ept.c calls, and
 * the rest of the trace is written after the next entry.
 */
static void guest_run(const uint8_t *trace, size_t len, bool protect)
{
	struct pt_out_model_result r;
	struct ept_violation ev;
	struct pt_guest_config cfg = { .pt = true, .pt_caps = "" };
	struct ept_caps ec;
	uint64_t *t = (uint64_t *)phys_arena_at(RAM_HPA + TOPA);

	ept_caps_from_msr(pt_rt.host_caps.ept_vpid_cap, &ec);
	assert_int_equal(ept_init(&ept, &ec), 0);
	assert_int_equal(ept_map(&ept, 0, RAM_HPA, RAM, EPT_RWX, EPT_MT_WB), 0);
	memset(&v, 0, sizeof(v));
	v.name = "ptwork";
	v.pt_ops = &pt_backend_none;
	v.mem.ept = &ept, v.mem.ram_hpa = RAM_HPA, v.mem.size = RAM;
	v.cpu2_controls = CPU2_ENABLE_EPT | pt_rt.vmx.cpu2;
	v.entry_controls = pt_rt.vmx.entry;
	vmx_ctls.exit = pt_rt.vmx.exit;
	pt_guest_attach(&pg, &v, &cfg);
	assert_int_equal(pg.backend, PT_BACKEND_HW);
	t[0] = OUTPUT, t[1] = TOPA | TOPA_END;
	rig_controls(true, true, true);
	cpu_vmwrite(EPT_POINTER, ept_eptp(&ept));
	rig_guest_start(&pt_rt.cpu, &pg, TOPA);
	if (protect)
		assert_int_equal(ept_protect(&ept, OUTPUT, PAGE_SIZE, EPT_R), 0);
	pt_hw_vcpu_before_entry(&v);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	r = pt_out_model_write(m, trace, len);
	assert_int_equal(r.exited, protect);
	if (r.exited) {
		pt_hw_vcpu_after_exit(&v);
		ept_violation_decode(r.qual, r.gpa, 0, &ev);
		assert_int_equal(v.pt_ops->ept_violation(&v, &ev), EPT_FAULT_RETRY);
		pt_hw_vcpu_before_entry(&v);
		assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
		assert_int_equal(pt_out_model_write(m, trace + r.written, len - r.written).written, len - r.written);
	}
	pt_model_vmexit(m);
	pt_hw_vcpu_after_exit(&v);
	/* the host's trace, in root operation, into its own buffer */
	assert_int_equal(pt_out_model_write_root(m, packets, sizeof(packets)), sizeof(packets));
	assert_true(vcpu_pt_wrmsr(&v, MSR_IA32_RTIT_CTL, 0));
	vcpu_pt_release(&v);
}

static void psb_plus(uint8_t *p, size_t len)
{
	memset(p, 0, len); /* PAD after the PSB */
	for (unsigned i = 0; i < 16; i += 2)
		p[i] = 0x02, p[i + 1] = 0x82;
}

static void test_icelake_passes(void **state)
{
	(void)state;
	psb_plus(packets, sizeof(packets));
	boot(&cpu_fixture_icelake_i7_1065g7);
	assert_true(host_console_contains("PT self-test: hardware PT path in force; checking it"));
	assert_true(host_console_contains("PT self-test: PASS RTIT MSRs taken over from firmware"));
	assert_true(host_console_contains("PT self-test: PASS host trace running"));
	guest_run(packets, sizeof(packets), true);
	assert_true(host_console_contains("PT self-test: guest ptwork"));
	assert_true(host_console_contains("PT self-test: PASS VMX controls: conceal VMX from PT, PT uses "
					  "guest-physical addresses, load/clear IA32_RTIT_CTL"));
	assert_true(host_console_contains("PT self-test: PASS guest traced on the hardware path"));
	assert_true(host_console_contains("PT self-test: PASS guest trace has no operational error"));
	assert_true(host_console_contains("PT self-test: PASS every trace-output EPT violation resolved"));
	assert_int_equal(pg.outbuf.resolved, 1); /* the write-protected output page, through the exit hook */
	assert_true(host_console_contains("PT self-test: PASS guest trace starts with PSB"));
	pt_boot_finish(false);
	assert_true(host_console_contains("PT self-test: PASS host trace has no operational error"));
	assert_true(host_console_contains("PT self-test: PASS host trace starts with PSB"));
	assert_true(host_console_contains("PT self-test: 9 passed, 0 failed"));
	assert_false(host_console_contains("FAIL"));
}

/* A guest trace that does not begin with PSB, and VMX controls without conceal: FAIL lines saying why. */
static void test_icelake_fails(void **state)
{
	uint8_t junk[32];
	(void)state;
	memset(junk, 0x99, sizeof(junk));
	psb_plus(packets, sizeof(packets));
	boot(&cpu_fixture_icelake_i7_1065g7);
	pt_rt.vmx.cpu2 &= ~CPU2_CONCEAL_VMX_FROM_PT;
	guest_run(junk, sizeof(junk), false);
	assert_true(host_console_contains("PT self-test: FAIL VMX controls: conceal VMX from PT, PT uses "
					  "guest-physical addresses, load/clear IA32_RTIT_CTL: secondary 0x1000002"));
	assert_true(host_console_contains("PT self-test: FAIL guest trace starts with PSB: first region at GPA "
					  "0x20000 (OUTPUT_BASE 0x10000)"));
	pt_boot_finish(false);
	assert_true(host_console_contains("PT self-test: 7 passed, 2 failed"));
}

/* Bochs: no Intel PT at all; the self-test says the hardware path cannot be tested, and why. */
static void test_bochs_explains(void **state)
{
	(void)state;
	boot(&cpu_fixture_bochs_tigerlake);
	assert_true(host_console_contains("PT self-test: the hardware PT path cannot be tested on this CPU: it "
					  "lacks CPUID.7.EBX[25] CPUID.14H:ECX[0]-ToPA IA32_VMX_MISC[14]"));
	assert_true(host_console_contains("PT self-test: no PASS/FAIL lines; guests get the emulated PT backend"));
	pt_boot_finish(false);
	assert_false(host_console_contains("PT self-test: PASS"));
	assert_false(host_console_contains("PT self-test: FAIL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_icelake_passes, teardown),
		cmocka_unit_test_teardown(test_icelake_fails, teardown),
		cmocka_unit_test_teardown(test_bochs_explains, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The PT output-buffer EPT-violation handler: each outcome, its counter, and what reaches the CPU. */
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
#include "ept/ept_walk.h"
#include "pt/hw/pt_outbuf.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB              (1024ULL * 1024)
#define RAM_HPA          (8 * MiB)
#define RAM_SIZE         (4 * MiB)
#define QUAL_TRACE_WRITE (EPT_VQ_WRITE | EPT_VQ_ASYNC) /* bit 16, no linear address */

static struct cpu_model *m;
static struct pt_hw_cpu cpu;
static struct pt_guest g;
static struct ept e;
static struct pt_outbuf_mem mem;
static struct vcpu_stats st;

static int setup(void **state)
{
	const struct mem_range map[] = { { 1 * MiB, 7 * MiB, MEM_USABLE } };
	struct ept_caps caps;
	struct vmx_caps vc;
	struct pt_vcaps pc;

	(void)state;
	host_env_reset();
	phys_arena_init(16 * MiB);
	frame_init(map, 1, NULL, 0);
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	vmx_caps_read(&vc);
	ept_caps_from_msr(vc.ept_vpid_cap, &caps);
	assert_true(caps.invept_single && caps.invept_all);
	assert_int_equal(pt_vcaps_from_host(&pc, &vc, NULL), 0);
	pt_hw_cpu_init(&cpu, PT_MODE_HOST_GUEST, false, 0);
	pt_hw_guest_init(&g, PT_BACKEND_HW, &pc);
	assert_int_equal(ept_init(&e, &caps), 0);
	assert_int_equal(ept_map(&e, 0, RAM_HPA, RAM_SIZE, EPT_RWX, EPT_MT_WB), 0);
	mem = (struct pt_outbuf_mem){ &e, RAM_HPA, RAM_SIZE, "g0" };
	memset(&st, 0, sizeof(st));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ept_destroy(&e);
	phys_arena_free();
	return 0;
}

static struct ept_violation viol(uint64_t qual, uint64_t gpa)
{
	struct ept_violation v;

	ept_violation_decode(qual, gpa, 0, &v);
	return v;
}

/* The guest's buffer page was write-protected: mapped back RWX, INVEPT, retried. */
static void test_resolved_in_ram(void **state)
{
	struct ept_xlate x;
	(void)state;
	assert_int_equal(ept_protect(&e, 0x205000, PAGE_SIZE, EPT_R), 0);
	struct ept_violation v = viol(QUAL_TRACE_WRITE | (1u << EPT_VQ_PERM_SHIFT), 0x205123);
	assert_true(pt_outbuf_is_trace_access(&v));
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_RETRY);
	assert_true(ept_translate(&e, 0x205000, &x));
	assert_int_equal(x.perms, EPT_RWX);
	assert_int_equal(x.hpa, RAM_HPA + 0x205000);
	assert_int_equal(g.outbuf.resolved, 1);
	assert_int_equal(g.outbuf.outside + g.outbuf.failed + g.outbuf.not_trace, 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_INVEPT, CPU_MODEL_ANY), 1);
	assert_int_equal(g.ctx.status & RTIT_STATUS_ERROR, 0);
	/* a missing (unmapped) ToPA table page reads back the same way */
	assert_int_equal(ept_unmap(&e, 0x300000, PAGE_SIZE), 0);
	v = viol(EPT_VQ_READ | EPT_VQ_ASYNC, 0x300008);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_RETRY);
	assert_true(ept_translate(&e, 0x300000, &x));
	assert_int_equal(g.outbuf.resolved, 2);
}

/* INVEPT refused after the page was mapped back: stale translations could remain, so the guest stops. */
static void test_invept_fails(void **state)
{
	(void)state;
	cpu_model_set_msr(m, MSR_IA32_VMX_EPT_VPID_CAP,
			  cpu_model_msr_value(m, MSR_IA32_VMX_EPT_VPID_CAP, 0) & ~(BIT(25) | BIT(26)), true);
	assert_int_equal(ept_protect(&e, 0x205000, PAGE_SIZE, EPT_R), 0);
	struct ept_violation v = viol(QUAL_TRACE_WRITE, 0x205000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_STOP_GUEST);
	assert_int_equal(g.outbuf.failed, 1);
	/* single-context first, then all-context, both VMfail */
	assert_int_equal(cpu_model_count(m, CPU_OP_INVEPT, INVEPT_SINGLE_CONTEXT), 1);
	assert_int_equal(cpu_model_count(m, CPU_OP_INVEPT, INVEPT_ALL_CONTEXT), 1);
	assert_true(host_console_contains("EPT: INVEPT type 2 of EPTP 0x"));
	assert_true(host_console_contains("cannot map back GPA 0x205000"));
	/* a CPU without any INVEPT type says so */
	e.caps.invept_single = e.caps.invept_all = false;
	assert_int_equal(ept_invalidate(&e), -1);
	assert_true(host_console_contains("the CPU offers no INVEPT type"));
}

/* Output aimed outside the guest's RAM: trace stopped with STATUS.Error, nothing mapped. */
static void test_outside_ram(void **state)
{
	struct ept_xlate x;
	uint64_t status;
	(void)state;
	rig_controls(true, true, true);
	rig_guest_start(&cpu, &g, 0x100000);
	assert_int_equal(rig_run(&cpu, &g, true, 1, &st), 0); /* the CPU holds g's outputs */
	struct ept_violation v = viol(QUAL_TRACE_WRITE, RAM_SIZE + 0x1000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_RETRY);
	assert_false(ept_translate(&e, RAM_SIZE + 0x1000, &x));
	assert_int_equal(g.outbuf.outside, 1);
	assert_true(g.ctx.status & RTIT_STATUS_ERROR);
	assert_true(cpu_model_msr_value(m, MSR_IA32_RTIT_STATUS, 0) & RTIT_STATUS_ERROR);
	assert_true(host_console_contains("Intel PT output to GPA 0x401000 outside its RAM"));
	/* the guest sees it as an operational error */
	assert_true(pt_hw_rdmsr(&cpu, &g, MSR_IA32_RTIT_STATUS, &status));
	assert_true(status & RTIT_STATUS_ERROR);
	/* a second one is counted, not reported again */
	host_env_reset();
	v = viol(QUAL_TRACE_WRITE, 1ULL << 38);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_RETRY);
	assert_int_equal(g.outbuf.outside, 2);
	assert_false(host_console_contains("outside its RAM"));
	assert_int_equal(m->fault_count, 0);
}

/* Not PT's: a linear address, a synchronous access, or a guest without hardware PT. */
static void test_not_trace(void **state)
{
	(void)state;
	struct ept_violation v = viol(EPT_VQ_WRITE | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION, 0x5000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_UNHANDLED);
	v = viol(EPT_VQ_WRITE, 0x5000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_UNHANDLED);
	v = viol(EPT_VQ_WRITE | EPT_VQ_ASYNC | EPT_VQ_GLA_VALID, 0x5000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_UNHANDLED);
	g.backend = PT_BACKEND_EMULATED;
	v = viol(QUAL_TRACE_WRITE, 0x5000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_UNHANDLED);
	assert_int_equal(g.outbuf.not_trace, 4);
	assert_int_equal(g.outbuf.resolved + g.outbuf.outside, 0);
	assert_int_equal(cpu_model_count(m, CPU_OP_INVEPT, CPU_MODEL_ANY), 0);
}

/* No frame left for the page table that mapping back needs: the guest stops. */
static void test_map_back_fails(void **state)
{
	(void)state;
	assert_int_equal(ept_unmap(&e, 2 * MiB, 2 * MiB), 0);
	while (frame_alloc())
		;
	struct ept_violation v = viol(QUAL_TRACE_WRITE, 2 * MiB + 0x5000);
	assert_int_equal(pt_outbuf_handle(&cpu, &g, &mem, &v), EPT_FAULT_STOP_GUEST);
	assert_int_equal(g.outbuf.failed, 1);
	assert_true(host_console_contains("cannot map back GPA 0x205000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolved_in_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invept_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_back_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

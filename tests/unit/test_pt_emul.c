/* Emulated PT backend end to end on the host: MTF and TF stepping of a 32-bit guest, trace decoded by libipt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "cpu_model.h"
#include "pt_emul_rig.h"
#include "pt_decode.h"
#include "../fixtures/pt_emul_prog.h"
#include "pt/pt_guest.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "msr.h"

#define CTL_ON      (RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)
#define TF          BIT(8)
#define RF          BIT(16)
#define DR6_BS      BIT(14)
#define PENDING_MTF (INTR_INFO_VALID | (7u << 8))
#define REINJECT_UD (INTR_INFO_VALID | (3u << 8) | 6)
/* Every exception but #BP and #OF is intercepted while tracing (pt_emul.c TRACE_EXC_BITMAP). */
#define TRACE_EXC (0xffffffffu & ~(BIT(3) | BIT(4)))

/* main.c's; the virtual APIC (linked for the ToPA PMI) reads it. */
struct vmx_caps boot_caps;

static struct per_rig rig;
static struct ptd_result res;
static unsigned checks; /* hook checkpoints reached */

static int setup_with(enum pt_step_mech mech, uint64_t disable)
{
	host_env_reset();
	per_setup(&rig, mech);
	pep_load(&rig, CTL_ON, disable);
	memset(&res, 0, sizeof(res));
	checks = 0;
	/* The guest's output setup before it sets TraceEn (read-only while TraceEn=1, SDM 33.2.8
	   "Trace Configuration MSRs"). */
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_BASE, PER_TOPA));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0));
	return 0;
}

/* Tracing ends as Linux perf ends it: TraceEn cleared, the rest of IA32_RTIT_CTL kept. */
#define CTL_OFF (CTL_ON & ~RTIT_CTL_TRACEEN)
static int setup_mtf(void **state)
{
	(void)state;
	return setup_with(PT_STEP_MTF, CTL_OFF);
}
static int setup_tf(void **state)
{
	(void)state;
	return setup_with(PT_STEP_TF, CTL_OFF);
}
/* ... or with IA32_RTIT_CTL := 0, which clears ToPA in the same write. */
static int setup_mtf_zero(void **state)
{
	(void)state;
	return setup_with(PT_STEP_MTF, 0);
}

static int teardown(void **state)
{
	(void)state;
	ptd_free(&res);
	per_teardown(&rig);
	pt_step_mech = PT_STEP_TF;
	return 0;
}

/* Runs the program, decodes what landed in the ToPA region and checks it against the reference. */
static void run_and_check_flow(void)
{
	size_t len = 0;
	uint8_t *trace;
	const struct pt_event *ev;

	assert_true(per_run(&rig, PEP_ENTRY, 400));
	assert_false(rig.tracing);
	assert_int_equal(rig.nref, PEP_N_EXPECT);
	for (size_t i = 0; i < PEP_N_EXPECT; i++)
		assert_int_equal(rig.ref[i], pep_expect_ips[i]);
	trace = per_trace(&rig, &len);
	assert_true(len > 0 && len < PER_OUT_SIZE);
	ptd_decode(&rig.image, trace, len, ~0ull, &res);
	assert_int_equal(res.first_err, 0);
	assert_int_equal(res.n, rig.nref);
	for (size_t i = 0; i < res.n; i++)
		assert_int_equal(res.ips[i], rig.ref[i]);
	assert_int_equal(res.modes[0], ptem_32bit);
	/* The #UD: FUP at the faulting UD2, TIP to its handler (SDM 33.4.2 "Packet Definitions"). */
	ev = ptd_event(&res, ptev_async_branch, 0);
	assert_non_null(ev);
	assert_int_equal(ev->variant.async_branch.from, 0x1014);
	assert_int_equal(ev->variant.async_branch.to, 0x1050);
	assert_null(ptd_event(&res, ptev_async_branch, 1));
	ev = ptd_event(&res, ptev_enabled, 0);
	assert_true(ev && ev->variant.enabled.ip == 0x1002);
	/* Disabled after the WRMSR: FUP(next IP) + TIP.PGD (SDM 33.4.2 "Packet Definitions"). */
	ev = ptd_event(&res, ptev_async_disabled, 0);
	assert_true(ev && ev->variant.async_disabled.at == 0x1024);
	assert_int_equal(ptd_count(trace, len, ppt_tip_pge, NULL, 0), 1);
	assert_int_equal(ptd_count(trace, len, ppt_tip_pgd, NULL, 0), 1);
	/* The engine's own count of traced instructions agrees. */
	assert_int_equal(rig.pg->emul.st.traced, PEP_N_EXPECT);
	assert_int_equal(rig.pg->emul.st.enables, 1);
	assert_int_equal(rig.pg->emul.st.disables, 1);
	assert_true(host_console_contains("TraceEn cleared by the guest"));
	/* Everything the engine changed is back. */
	assert_false(rig.v->pt_stepping);
	assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP);
	assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
	assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, 0);
	assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), 0);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID, 0);
	assert_int_equal(cpu_model_get()->dr[0], PER_DR0);
	assert_int_equal(per_vmcs(GUEST_DR7), PER_DR7);
	/* Nothing but the trace was written: the ToPA table past its two entries is untouched. */
	for (uint32_t a = PER_TOPA + 16; a < PER_TOPA + 0x1000; a++)
		assert_int_equal(*per_gpa(a), 0);
}

/* Exits taken: the stepping ones as given; one #UD, two WRMSRs and one CPUID in either mechanism. */
static void assert_exits(unsigned mtf, unsigned bs, unsigned b0)
{
	assert_int_equal(rig.exits[PER_EXIT_MTF], mtf);
	assert_int_equal(rig.exits[PER_EXIT_DB_BS], bs);
	assert_int_equal(rig.exits[PER_EXIT_DB_BP], b0);
	assert_int_equal(rig.exits[PER_EXIT_EXCEPTION], 1);
	assert_int_equal(rig.exits[PER_EXIT_WRMSR], 2);
	assert_int_equal(rig.exits[PER_EXIT_CPUID], 1);
}

/* MTF: no TF ever, an MTF exit after every guest instruction and after each event delivery. */
static void mtf_hook(struct per_rig *r, enum per_exit why, const struct per_insn *in)
{
	uint32_t ip = in ? in->ip : 0;

	assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, 0);
	assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), 0);
	if (why == PER_EXIT_WRMSR && ip == 0x1000) {
		assert_true(r->v->pt_stepping && r->v->pt_step_mtf);
		assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED | CPU_MONITOR_TRAP_FLAG);
		assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP | TRACE_EXC);
		/* The WRMSR retired in the VMM: its step is a pending MTF exit (SDM 27.6.2 "Injection of
		   Pending MTF VM Exits"). */
		assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), PENDING_MTF);
		checks++;
	} else if (why == PER_EXIT_CPUID) {
		assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), PENDING_MTF);
		assert_int_equal(per_vmcs(GUEST_RIP), 0x1012);
		checks++;
	} else if (why == PER_EXIT_EXCEPTION) {
		assert_int_equal(ip, 0x1014);
		assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), REINJECT_UD);
		assert_int_equal(per_vmcs(GUEST_RIP), 0x1014);
		checks++;
	} else if (why == PER_EXIT_MTF && ip == 0x1012) {
		assert_int_equal(per_vmcs(GUEST_RIP), 0x1040); /* INT n: the exit is at the handler */
		checks++;
	} else if (why == PER_EXIT_WRMSR && ip == 0x1022) {
		assert_false(r->v->pt_stepping);
		assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
		assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID, 0);
		checks++;
	}
}

static void test_mtf_flow(void **state)
{
	(void)state;
	rig.hook = mtf_hook;
	run_and_check_flow();
	assert_int_equal(checks, 5);
	/* MTF: 19 guest-retired instructions, INT n, the pending MTF after WRMSR and CPUID, #UD delivery. */
	assert_exits(19 + 1 + 2 + 1, 0, 0);
	assert_int_equal(cpu_model_get()->dr[0], PER_DR0); /* MTF needs no breakpoint */
}

/* TF: TF set while tracing, #DB intercepted, handlers reached through the DR0 breakpoint. */
static void tf_hook(struct per_rig *r, enum per_exit why, const struct per_insn *in)
{
	uint32_t ip = in ? in->ip : 0;
	uint64_t rip = per_vmcs(GUEST_RIP), dr7 = per_vmcs(GUEST_DR7);

	assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID,
			 why == PER_EXIT_EXCEPTION ? INTR_INFO_VALID : 0);
	if (r->v->pt_stepping)
		assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, TF);
	if (why == PER_EXIT_WRMSR && ip == 0x1000) {
		assert_true(r->v->pt_stepping && !r->v->pt_step_mtf);
		assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP | TRACE_EXC);
		/* The WRMSR retired in the VMM: a pending single-step (SDM 25.4.2 "Guest Non-Register State"). */
		assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
		checks++;
	} else if (why == PER_EXIT_CPUID) {
		assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
		checks++;
	} else if (why == PER_EXIT_DB_BS && rip == 0x1012) {
		/* INT 0x80 is next: its handler gets an execute breakpoint, DR0 + DR7.L0 with R/W0 = LEN0 = 0. */
		assert_int_equal(cpu_model_get()->dr[0], 0x1040);
		assert_int_equal(dr7 & (BIT(0) | GENMASK(19, 16)), BIT(0));
		checks++;
	} else if (why == PER_EXIT_DB_BP) {
		assert_true(rip == 0x1040 || rip == 0x1050);
		assert_int_equal(cpu_model_get()->dr[0], PER_DR0);
		assert_int_equal(dr7, PER_DR7);
		assert_int_equal(per_vmcs(GUEST_RFLAGS) & RF, RF); /* the faulting breakpoint must not refire */
		checks++;
	} else if (why == PER_EXIT_EXCEPTION) {
		assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), REINJECT_UD);
		assert_int_equal(cpu_model_get()->dr[0], 0x1050);
		assert_int_equal(dr7 & BIT(0), BIT(0));
		checks++;
	} else if (why == PER_EXIT_WRMSR && ip == 0x1022) {
		assert_false(r->v->pt_stepping);
		assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, 0);
		assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), 0);
		assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP);
		checks++;
	}
}

static void test_tf_flow(void **state)
{
	(void)state;
	rig.hook = tf_hook;
	run_and_check_flow();
	assert_int_equal(checks, 7);
	/* BS: 19 guest-retired instructions with TF (all but INT n), the pending step after WRMSR and CPUID;
	   B0: the handlers of INT 0x80 and #UD. */
	assert_exits(0, 19 + 2, 2);
}

/* The mechanism does not show in the trace: MTF and TF stepping write the same bytes. */
static void test_same_trace_both(void **state)
{
	static uint8_t mtf_trace[PER_OUT_SIZE];
	size_t mtf_len = 0, len = 0;
	uint8_t *t;

	assert_true(per_run(&rig, PEP_ENTRY, 400));
	t = per_trace(&rig, &mtf_len);
	memcpy(mtf_trace, t, mtf_len);
	teardown(state);
	setup_tf(state);
	assert_true(per_run(&rig, PEP_ENTRY, 400));
	t = per_trace(&rig, &len);
	assert_int_equal(len, mtf_len);
	assert_memory_equal(t, mtf_trace, len);
}

/*
 * The block engine (pt_emul_block.c) against the step engine on the same program: the same trace
 * bytes, the same retired IPs and ground truth, with the straight-line code run natively (fewer
 * single-step exits, the block breakpoint in DR0) and every piece of state given back at the end.
 */
static void test_block_same_trace(void **state)
{
	static uint8_t step_trace[PER_OUT_SIZE];
	size_t step_len = 0, len = 0;
	uint64_t step_fnv, step_count;
	unsigned step_bs;
	uint8_t *t;

	assert_true(per_run(&rig, PEP_ENTRY, 400));
	t = per_trace(&rig, &step_len);
	memcpy(step_trace, t, step_len);
	step_fnv = rig.pg->emul.rip_fnv;
	step_count = rig.pg->emul.rip_count;
	step_bs = rig.exits[PER_EXIT_DB_BS];
	teardown(state);
	setup_tf(state);
	rig.pg->emul.blk.enabled = true;
	rig.hook = NULL;
	assert_true(per_run(&rig, PEP_ENTRY, 400));
	t = per_trace(&rig, &len);

	assert_int_equal(len, step_len);
	assert_memory_equal(t, step_trace, len);
	assert_int_equal(rig.pg->emul.rip_count, step_count);
	assert_int_equal(rig.pg->emul.rip_fnv, step_fnv);
	assert_true(rig.pg->emul.blk.st.blocks > 0);
	assert_true(rig.exits[PER_EXIT_DB_BS] < step_bs);
	assert_true(rig.exits[PER_EXIT_DB_BP] > 2); /* more than the two handler breakpoints */
	assert_int_equal(cpu_model_get()->dr[0], PER_DR0);
	assert_int_equal(per_vmcs(GUEST_DR7), PER_DR7);
	assert_false(rig.pg->emul.blk.on);
	assert_int_equal(rig.pg->emul.blk.wp_n, 0);
}

/*
 * A WRMSR of 0 clears ToPA with TraceEn: the final FUP + TIP.PGD must still go to the ToPA region the
 * trace was using, not single-range output at the table page.
 */
static void test_mtf_flow_disable_zero(void **state)
{
	(void)state;
	run_and_check_flow();
}

/* Each emulated instruction queues a step while stepping; one still queued when tracing ends is dropped. */
static void test_disarm_drops_pending(void **state)
{
	bool mtf = pt_step_mech == PT_STEP_MTF;

	(void)state;
	vmcs_writenat(GUEST_RIP, 0x1000);
	vmcs_write32(VM_EXIT_INSTRUCTION_LEN, 2);
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_ON));
	vcpu_skip_instruction(rig.v);
	assert_int_equal(per_vmcs(GUEST_RIP), 0x1002);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), mtf ? PENDING_MTF : 0);
	assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), mtf ? 0 : DR6_BS);
	assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, mtf ? 0 : TF);
	/* Tracing ends while that step is still queued. */
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, 0));
	assert_false(rig.v->pt_stepping);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), 0);
	assert_int_equal(per_vmcs(GUEST_RFLAGS) & TF, 0);
	assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
	assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP);
	/* An emulated instruction after that queues nothing. */
	vcpu_skip_instruction(rig.v);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_int_equal(per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mtf_flow, setup_mtf, teardown),
		cmocka_unit_test_setup_teardown(test_tf_flow, setup_tf, teardown),
		cmocka_unit_test_setup_teardown(test_same_trace_both, setup_mtf, teardown),
		cmocka_unit_test_setup_teardown(test_block_same_trace, setup_tf, teardown),
		cmocka_unit_test_setup_teardown(test_mtf_flow_disable_zero, setup_mtf_zero, teardown),
		cmocka_unit_test_setup_teardown(test_disarm_drops_pending, setup_mtf, teardown),
		cmocka_unit_test_setup_teardown(test_disarm_drops_pending, setup_tf, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

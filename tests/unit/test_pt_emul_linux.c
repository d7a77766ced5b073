/*
 * The emulated PT backend under the MSR sequences Linux's perf uses: IA32_RTIT_STATUS.PacketByteCnt
 * kept and honoured across TraceEn toggles (sched-out/in), tracing enabled at CPL 0 with User only,
 * an exception leaving ring 3 (FUP + TIP.PGD, CR2 for the re-injected #PF), and the ToPA PMI.
 */
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
#include "pt/pt_guest.h"
#include "pt/rtit.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "msr.h"

#define CTL_BASE    (RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)
#define CTL_OS_ON   (CTL_BASE | RTIT_CTL_TRACEEN | RTIT_CTL_OS)
#define CTL_USER_ON (CTL_BASE | RTIT_CTL_TRACEEN | RTIT_CTL_USER)
#define SS_AR_CPL3  (0xc093 | (3u << 5))
#define PF_INFO     (INTR_INFO_VALID | (3u << 8) | INTR_INFO_DELIVER_CODE | 14)
#define PF_HANDLER  0x1050u
#define FAULT_LIN   0xc00000u

/* main.c's; the virtual APIC (linked for the ToPA PMI) reads it. */
struct vmx_caps boot_caps;

static struct per_rig rig;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	per_setup(&rig, PT_STEP_TF);
	per_gate(&rig, 14, PF_HANDLER);
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_BASE, PER_TOPA));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0));
	vmcs_writenat(GUEST_RIP, 0x1000);
	vmcs_write32(VM_EXIT_INSTRUCTION_LEN, 2); /* the WRMSRs below sit at 0x1000 */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	per_teardown(&rig);
	return 0;
}

static uint32_t byte_cnt(void)
{
	uint64_t st = 0;

	assert_true(vcpu_pt_rdmsr(rig.v, MSR_IA32_RTIT_STATUS, &st));
	return (uint32_t)((st & RTIT_STATUS_BYTECNT) >> 32);
}

static unsigned count(enum pt_packet_type t)
{
	size_t len = 0;
	uint8_t *trace = per_trace(&rig, &len);

	return ptd_count(trace, len, t, NULL, 0);
}

/* perf: STATUS := 0 at the first start only; sched-out/in write back what they read. */
static void test_byte_cnt_across_sched(void **state)
{
	size_t len = 0;
	uint64_t st = 0;

	(void)state;
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_STATUS, 0));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_OS_ON));
	per_trace(&rig, &len);
	assert_true(len > 0);
	assert_int_equal(byte_cnt(), len); /* bytes since the PSB, which is the first */
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_OS_ON & ~RTIT_CTL_TRACEEN));
	assert_true(vcpu_pt_rdmsr(rig.v, MSR_IA32_RTIT_STATUS, &st));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_STATUS, st));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_OS_ON));
	assert_int_equal(count(ppt_psb), 1);
	assert_int_equal(count(ppt_tip_pge), 2);
	per_trace(&rig, &len);
	assert_int_equal(byte_cnt(), len);
	/* A later STATUS := 0 asks for a PSB+ again. */
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_OS_ON & ~RTIT_CTL_TRACEEN));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_STATUS, 0));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_OS_ON));
	assert_int_equal(count(ppt_psb), 2);
	assert_int_equal(count(ppt_tip_pge), 3);
}

/* intel_pt//u: TraceEn set at CPL 0 gives PSB+ and no TIP.PGE; the engine steps but is not in context. */
static void test_user_only_enable_at_cpl0(void **state)
{
	(void)state;
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_USER_ON));
	assert_true(rig.v->pt_stepping);
	assert_false(rig.pg->emul.in_ctx);
	assert_int_equal(count(ppt_psb), 1);
	assert_int_equal(count(ppt_psbend), 1);
	assert_int_equal(count(ppt_tip_pge), 0);
	assert_int_equal(count(ppt_fup), 0);
}

/* A #PF in traced ring-3 code, to a CPL-0 handler: FUP(faulting IP) + TIP.PGD without IP, and the
   re-injected #PF finds the faulting address in CR2 (a #PF that exits does not write it). */
static void test_user_pf_leaves_context(void **state)
{
	size_t len = 0;
	uint8_t *trace;
	uint64_t off = 0;

	(void)state;
	vmcs_write32(GUEST_SS_AR_BYTES, SS_AR_CPL3);
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_USER_ON));
	assert_true(rig.pg->emul.in_ctx);
	assert_int_equal(count(ppt_tip_pge), 1);
	rig.v->regs.cr2 = 0x1234;
	vmcs_writenat(GUEST_RIP, 0x1002);
	vmcs_write32(VM_EXIT_INTR_INFO, PF_INFO);
	vmcs_write32(VM_EXIT_INTR_ERROR_CODE, 6);
	vmcs_writenat(EXIT_QUALIFICATION, FAULT_LIN);
	assert_true(pt_emul_exception(rig.v, PF_INFO));
	assert_int_equal(rig.v->regs.cr2, FAULT_LIN);
	assert_int_equal(per_vmcs(VM_ENTRY_INTR_INFO_FIELD), PF_INFO);
	assert_int_equal(per_vmcs(VM_ENTRY_EXCEPTION_ERROR_CODE), 6);
	assert_false(rig.pg->emul.in_ctx);
	trace = per_trace(&rig, &len);
	assert_int_equal(ptd_count(trace, len, ppt_tip, NULL, 0), 0);
	assert_int_equal(ptd_count(trace, len, ppt_tip_pgd, &off, 1), 1);
	assert_int_equal(trace[off], 0x01); /* TIP.PGD, IPBytes 0: suppressed */
	assert_int_equal(ptd_count(trace, len, ppt_fup, NULL, 0), 1);
	/* Its handler is caught by the breakpoint like any event's. */
	assert_true(rig.pg->emul.bp.armed);
	assert_int_equal(rig.pg->emul.bp.ip, PF_HANDLER);
}

/* The same #PF with OS tracing too stays in context: FUP + TIP(handler). */
static void test_user_pf_os_traced(void **state)
{
	(void)state;
	vmcs_write32(GUEST_SS_AR_BYTES, SS_AR_CPL3);
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_CTL, CTL_USER_ON | RTIT_CTL_OS));
	vmcs_writenat(GUEST_RIP, 0x1002);
	vmcs_write32(VM_EXIT_INTR_ERROR_CODE, 6);
	vmcs_writenat(EXIT_QUALIFICATION, FAULT_LIN);
	assert_true(pt_emul_exception(rig.v, PF_INFO));
	assert_true(rig.pg->emul.in_ctx);
	assert_int_equal(count(ppt_tip), 1);
	assert_int_equal(count(ppt_tip_pgd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_byte_cnt_across_sched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_only_enable_at_cpl0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pf_leaves_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pf_os_traced, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

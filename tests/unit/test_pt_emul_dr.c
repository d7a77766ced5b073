/*
 * The emulated PT backend and the guest's own debug registers: the handler breakpoint takes a
 * register the guest leaves free (or borrows DR3 and checks the guest's breakpoint there by hand),
 * the guest's breakpoints still fire while it is traced, with DR6 as hardware would set it, and
 * everything is the guest's again afterwards. Traces are decoded by libipt against the rig's flow.
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
#include "pt/emul/pt_emul_int.h"
#include "vmx/caps.h"
#include "msr.h"

#define CTL_ON        (RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)
#define CTL_OFF       (CTL_ON & ~RTIT_CTL_TRACEEN)
#define DB_HANDLER    0x1060u
#define INT_HANDLER   0x1040u
#define GUEST_DR7_ALL (DR7_FIXED1 | DR7_L(0) | DR7_L(1) | DR7_G(2) | DR7_L(3))

/* main.c's; the virtual APIC (linked for the ToPA PMI) reads it. */
struct vmx_caps boot_caps;

static struct per_rig rig;
static struct ptd_result res;
static uint32_t seen_slot_ip[4]; /* what each DR held at the step exit before INT 0x80 */
static uint64_t seen_dr7;
static struct pt_emul_bp seen_bp; /* the handler breakpoint then */

/*
 * wrmsr(on); nop; nop; int 0x80; wrmsr(off); hlt, with handlers: INT 0x80 at 0x1040 (nop; iret), #DB
 * at 0x1060 (iret setting RF in the image, as a #DB handler does after an instruction breakpoint).
 */
static void load_program(void)
{
	static const uint8_t main_code[] = { 0x0f, 0x30, 0x90, 0x90, 0xcd, 0x80, 0x0f, 0x30, 0xf4 };
	static const uint8_t int_code[] = { 0x90, 0xcf };
	static const uint8_t db_code[] = { 0xcf };

	per_load(&rig, 0x1000, main_code, sizeof(main_code));
	per_load(&rig, INT_HANDLER, int_code, sizeof(int_code));
	per_load(&rig, DB_HANDLER, db_code, sizeof(db_code));
	per_gate(&rig, 0x80, INT_HANDLER);
	per_gate(&rig, X86_VEC_DB, DB_HANDLER);
	per_insn(&rig, 0x1000, 2, PER_WRMSR)->value = CTL_ON;
	per_insn(&rig, 0x1002, 1, PER_SEQ);
	per_insn(&rig, 0x1003, 1, PER_SEQ);
	per_insn(&rig, 0x1004, 2, PER_INT)->vector = 0x80;
	per_insn(&rig, 0x1006, 2, PER_WRMSR)->value = CTL_OFF;
	per_insn(&rig, 0x1008, 1, PER_HLT);
	per_insn(&rig, INT_HANDLER, 1, PER_SEQ);
	per_insn(&rig, INT_HANDLER + 1, 1, PER_IRET);
	per_insn(&rig, DB_HANDLER, 1, PER_IRET)->value = RFLAGS_RF;
}

static struct per_insn *insn_at(uint32_t ip)
{
	for (unsigned i = 0; i < rig.ninsns; i++)
		if (rig.insns[i].ip == ip)
			return &rig.insns[i];
	return NULL;
}

static void record_slots(struct per_rig *r, enum per_exit why, const struct per_insn *in)
{
	if (why == PER_EXIT_DB_BS && in && in->ip == 0x1003) {
		for (unsigned n = 0; n < 4; n++)
			seen_slot_ip[n] = (uint32_t)cpu_model_get()->dr[n];
		seen_dr7 = per_vmcs(GUEST_DR7);
		seen_bp = r->pg->emul.bp;
	}
}

/* The guest's debug registers: DR0-DR3 as given, DR7 in the VMCS. */
static void guest_dregs(const uint64_t dr[4], uint64_t dr7)
{
	for (unsigned n = 0; n < 4; n++)
		cpu_model_get()->dr[n] = dr[n];
	vmcs_writenat(GUEST_DR7, dr7);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	per_setup(&rig, PT_STEP_TF);
	load_program();
	memset(&res, 0, sizeof(res));
	memset(seen_slot_ip, 0, sizeof(seen_slot_ip));
	memset(&seen_bp, 0, sizeof(seen_bp));
	rig.hook = record_slots;
	cpu_model_get()->dr6 = DR6_RESET;
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_BASE, PER_TOPA));
	assert_true(vcpu_pt_wrmsr(rig.v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ptd_free(&res);
	per_teardown(&rig);
	return 0;
}

/* Runs to HLT; the trace decodes to exactly the IPs the rig retired while tracing. */
static void run_and_decode(void)
{
	size_t len = 0;
	uint8_t *trace;

	assert_true(per_run(&rig, 0x1000, 200));
	assert_false(rig.v->pt_stepping);
	trace = per_trace(&rig, &len);
	ptd_decode(&rig.image, trace, len, ~0ull, &res);
	assert_int_equal(res.first_err, 0);
	assert_int_equal(res.n, rig.nref);
	for (size_t i = 0; i < res.n; i++)
		assert_int_equal(res.ips[i], rig.ref[i]);
}

/* The guest uses DR0 and DR1: the handler breakpoint goes to DR2, theirs stay as they are. */
static void test_free_slot(void **state)
{
	const uint64_t dr[4] = { 0x5000, 0x5100, 0x5200, 0x5300 };
	uint64_t dr7 = DR7_FIXED1 | DR7_L(0) | DR7_G(1) | (1ull << DR7_RW_SHIFT(1)); /* DR1: write */
	(void)state;
	guest_dregs(dr, dr7);
	run_and_decode();
	/* before INT 0x80 runs, DR2 holds its handler; DR0, DR1, DR3 the guest's */
	assert_int_equal(seen_slot_ip[2], INT_HANDLER);
	assert_true(seen_bp.armed && seen_bp.slot == 2 && !seen_bp.stolen);
	assert_int_equal(seen_slot_ip[0], 0x5000);
	assert_int_equal(seen_slot_ip[1], 0x5100);
	assert_int_equal(seen_slot_ip[3], 0x5300);
	assert_int_equal(seen_dr7 & (DR7_L(2) | DR7_RW_LEN(2)), DR7_L(2));
	assert_int_equal(seen_dr7 & ~(DR7_L(2) | DR7_RW_LEN(2)), dr7);
	/* after: every register the guest's, DR6 untouched */
	for (unsigned n = 0; n < 4; n++)
		assert_int_equal(cpu_model_get()->dr[n], dr[n]);
	assert_int_equal(per_vmcs(GUEST_DR7), dr7);
	assert_int_equal(cpu_model_get()->dr6, DR6_RESET);
	assert_int_equal(rig.exits[PER_EXIT_DB_BP], 1);
	assert_int_equal(insn_at(DB_HANDLER)->count, 0);
}

/* The guest's own execute breakpoint on a traced instruction fires: #DB with DR6.B0, handler traced. */
static void test_guest_exec_bp_fires(void **state)
{
	const uint64_t dr[4] = { 0x1003, 0, 0, 0 };
	const struct pt_event *ev;
	(void)state;
	guest_dregs(dr, DR7_FIXED1 | DR7_L(0));
	run_and_decode();
	assert_int_equal(insn_at(DB_HANDLER)->count, 1);
	assert_int_equal(insn_at(0x1003)->count, 1); /* ran once, after the handler set RF */
	assert_int_equal(cpu_model_get()->dr6 & 0xf, DR6_B(0));
	assert_int_equal(cpu_model_get()->dr[0], 0x1003);
	assert_int_equal(cpu_model_get()->dr[1], 0); /* the slot borrowed for handlers: the guest's again */
	assert_int_equal(per_vmcs(GUEST_DR7), DR7_FIXED1 | DR7_L(0));
	/* the trace shows the #DB as hardware would: FUP at the breakpoint, TIP to the handler */
	ev = ptd_event(&res, ptev_async_branch, 0);
	assert_non_null(ev);
	assert_int_equal(ev->variant.async_branch.from, 0x1003);
	assert_int_equal(ev->variant.async_branch.to, DB_HANDLER);
}

/*
 * All four registers in use: DR3 is borrowed for the INT 0x80 handler, where the guest has its own
 * DR3 execute breakpoint; the engine sees that by hand and the guest gets its #DB with DR6.B3.
 */
static void test_stolen_slot_checked_at_handler(void **state)
{
	const uint64_t dr[4] = { 0x5000, 0x5100, 0x5200, INT_HANDLER };
	(void)state;
	guest_dregs(dr, GUEST_DR7_ALL);
	run_and_decode();
	assert_true(seen_bp.armed && seen_bp.slot == 3 && seen_bp.stolen); /* borrowed for the delivery */
	assert_int_equal(seen_bp.saved_dr, INT_HANDLER);
	assert_int_equal(insn_at(DB_HANDLER)->count, 1);
	assert_int_equal(insn_at(INT_HANDLER)->count, 1);
	assert_int_equal(cpu_model_get()->dr6 & 0xf, DR6_B(3));
	for (unsigned n = 0; n < 4; n++)
		assert_int_equal(cpu_model_get()->dr[n], dr[n]);
	assert_int_equal(per_vmcs(GUEST_DR7), GUEST_DR7_ALL);
}

/* ... and where the guest's DR3 breakpoint is on the INT itself, DR3 is not taken until it fired. */
static void test_stolen_slot_not_taken_over_guest_bp(void **state)
{
	const uint64_t dr[4] = { 0x5000, 0x5100, 0x5200, 0x1004 };
	const struct pt_event *ev;
	(void)state;
	guest_dregs(dr, GUEST_DR7_ALL);
	run_and_decode();
	assert_false(seen_bp.armed); /* DR3 still the guest's before the INT */
	assert_int_equal(seen_slot_ip[3], 0x1004);
	assert_int_equal(insn_at(DB_HANDLER)->count, 1);
	assert_int_equal(insn_at(0x1004)->count, 1);
	assert_int_equal(insn_at(INT_HANDLER)->count, 1);
	assert_int_equal(cpu_model_get()->dr6 & 0xf, DR6_B(3));
	ev = ptd_event(&res, ptev_async_branch, 0);
	assert_true(ev && ev->variant.async_branch.from == 0x1004 && ev->variant.async_branch.to == DB_HANDLER);
	for (unsigned n = 0; n < 4; n++)
		assert_int_equal(cpu_model_get()->dr[n], dr[n]);
}

/* A data breakpoint the stepped instruction hit comes with the step's #DB: it reaches the guest. */
static void test_data_bp_with_step(void **state)
{
	const uint64_t dr[4] = { 0, 0, 0x7000, 0 };
	uint64_t dr7 = DR7_FIXED1 | DR7_L(2) | (1ull << DR7_RW_SHIFT(2));
	(void)state;
	guest_dregs(dr, dr7);
	insn_at(0x1002)->value = DR6_B(2);
	run_and_decode();
	assert_int_equal(insn_at(DB_HANDLER)->count, 1);
	assert_int_equal(insn_at(0x1003)->count, 1);
	/* a trap: delivered after the instruction, without BS (the guest's TF is clear) */
	assert_int_equal(cpu_model_get()->dr6 & (0xf | DR6_BS), DR6_B(2));
	assert_int_equal(per_vmcs(GUEST_DR7), dr7);
}

/* Matches of breakpoints the guest's DR7 leaves disabled are not its #DB (SDM 17.2.3). */
static void test_guest_db_bits(void **state)
{
	struct pt_emul e;
	(void)state;
	memset(&e, 0, sizeof(e));
	vmcs_writenat(GUEST_DR7, DR7_FIXED1 | DR7_G(1));
	assert_int_equal(pt_emul_guest_db_bits(&e, DR6_BS | DR6_B(0), 0x1000), 0);
	assert_int_equal(pt_emul_guest_db_bits(&e, DR6_BS | DR6_B(0) | DR6_B(1), 0x1000), DR6_B(0) | DR6_B(1));
	/* with the handler breakpoint armed, its slot's bit is ours */
	pt_emul_bp_arm(&e, 0x2000, false);
	assert_int_equal(e.bp.slot, 0);
	assert_false(e.bp.stolen);
	assert_int_equal(pt_emul_guest_db_bits(&e, DR6_B(0), 0x2000), 0);
	pt_emul_bp_disarm(&e);
	assert_int_equal(per_vmcs(GUEST_DR7), DR7_FIXED1 | DR7_G(1));
	assert_int_equal(cpu_model_get()->dr[0], PER_DR0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_exec_bp_fires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stolen_slot_checked_at_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stolen_slot_not_taken_over_guest_bp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_bp_with_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_db_bits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

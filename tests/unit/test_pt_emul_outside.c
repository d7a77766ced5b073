/*
 * The emulated PT backend where nothing can be traced (pt_emul_outside.c): with CR3 filtering and a
 * CR3 that does not match, the guest runs natively (no step exits) until a MOV to CR3 exits; the step
 * engine then steps that MOV, and the trace is byte for byte the one of a run stepped throughout
 * (pt_outside=off), decoded by libipt to the instructions that ran under the matching CR3.
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
#include "pt/emul/pt_emul_outside.h"
#include "vmx/caps.h"
#include "msr.h"

#define CTL_ON    (RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN | RTIT_CTL_CR3FILTER)
#define CTL_OFF   (CTL_ON & ~RTIT_CTL_TRACEEN)
#define CR3_OTHER 0x4000u /* another process's page tables */
#define CR3_MATCH 0x5000u /* the traced one's */

/* main.c's; the virtual APIC (linked for the ToPA PMI) reads it. */
struct vmx_caps boot_caps;

struct outcome {
	uint8_t trace[512];
	size_t len;
	unsigned step_exits, cr3_exits;
	struct pt_emul_stats st;
};

/*
 * wrmsr(on) under CR3_OTHER; a loop of 4 rounds (nop; nop; jnz); mov cr3 := CR3_MATCH; nop;
 * mov cr3 := CR3_OTHER; nop; nop; wrmsr(off); hlt.
 */
static void load_program(struct per_rig *r)
{
	static const uint8_t code[] = { 0x0f, 0x30, 0x90, 0x90, 0x75, 0xfc, 0x0f, 0x22, 0xd8,
					0x90, 0x0f, 0x22, 0xd8, 0x90, 0x90, 0x0f, 0x30, 0xf4 };

	per_load(r, 0x1000, code, sizeof(code));
	per_insn(r, 0x1000, 2, PER_WRMSR)->value = CTL_ON;
	per_insn(r, 0x1002, 1, PER_SEQ);
	per_insn(r, 0x1003, 1, PER_SEQ);
	struct per_insn *loop = per_insn(r, 0x1004, 2, PER_JCC);
	loop->target = 0x1002;
	loop->taken = 3;
	per_insn(r, 0x1006, 3, PER_MOVCR3)->value = CR3_MATCH;
	per_insn(r, 0x1009, 1, PER_SEQ);
	per_insn(r, 0x100a, 3, PER_MOVCR3)->value = CR3_OTHER;
	per_insn(r, 0x100d, 1, PER_SEQ);
	per_insn(r, 0x100e, 1, PER_SEQ);
	per_insn(r, 0x100f, 2, PER_WRMSR)->value = CTL_OFF;
	per_insn(r, 0x1011, 1, PER_HLT);
}

static void run(enum pt_step_mech mech, bool outside, struct outcome *o)
{
	struct per_rig r;
	size_t len = 0;

	host_env_reset();
	per_setup(&r, mech);
	r.pg->emul.outside_on = outside;
	load_program(&r);
	vmcs_writenat(GUEST_CR3, CR3_OTHER);
	assert_true(vcpu_pt_wrmsr(r.v, MSR_IA32_RTIT_OUTPUT_BASE, PER_TOPA));
	assert_true(vcpu_pt_wrmsr(r.v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0));
	assert_true(vcpu_pt_wrmsr(r.v, MSR_IA32_RTIT_CR3_MATCH, CR3_MATCH));
	assert_true(per_run(&r, 0x1000, 200));
	const uint8_t *t = per_trace(&r, &len);
	assert_true(len > 0 && len <= sizeof(o->trace));
	memcpy(o->trace, t, len);
	o->len = len;
	o->step_exits = r.exits[PER_EXIT_DB_BS] + r.exits[PER_EXIT_MTF];
	o->cr3_exits = r.exits[PER_EXIT_CR3];
	o->st = r.pg->emul.st;
	/* Everything the engine changed is back: no stepping, no CR3-load exiting. */
	assert_false(r.v->pt_stepping);
	assert_false(r.pg->emul.outside);
	assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
	assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP);
	assert_int_equal(per_vmcs(GUEST_RFLAGS) & RFLAGS_TF, 0);
	assert_int_equal(per_vmcs(GUEST_CR3), CR3_OTHER);
	per_teardown(&r);
}

static void check_mech(enum pt_step_mech mech)
{
	static struct outcome native, stepped;
	struct ptd_result res;
	struct per_rig img;

	pt_outside_cr3_exiting = true;
	run(mech, true, &native);
	run(mech, false, &stepped);
	/* The step engine is the oracle: the same bytes. */
	assert_int_equal(native.len, stepped.len);
	assert_memory_equal(native.trace, stepped.trace, native.len);
	/* Stepped: only the MOV that exited, the NOP and the MOV back (which leaves the context). */
	assert_int_equal(native.step_exits, 3);
	assert_int_equal(native.cr3_exits, 1);
	assert_int_equal(native.st.steps, 3);
	assert_int_equal(native.st.outside, 2);
	assert_int_equal(native.st.outside_exits, 1);
	assert_int_equal(native.st.traced, 2);
	/* The oracle stepped all 17 instructions after the enabling WRMSR, and the disabling one. */
	assert_int_equal(stepped.st.steps, 18);
	assert_true(stepped.step_exits >= 17);
	assert_int_equal(stepped.cr3_exits, 0);
	assert_int_equal(stepped.st.outside, 0);
	/* libipt: TIP.PGE after the MOV to CR3_MATCH, then the NOP and the MOV back, then TIP.PGD. */
	host_env_reset();
	per_setup(&img, mech);
	load_program(&img);
	memset(&res, 0, sizeof(res));
	ptd_decode(&img.image, native.trace, native.len, ~0ull, &res);
	assert_int_equal(res.first_err, 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.ips[0], 0x1009);
	assert_int_equal(res.ips[1], 0x100a);
	assert_int_equal(ptd_count(native.trace, native.len, ppt_tip_pge, NULL, 0), 1);
	assert_int_equal(ptd_count(native.trace, native.len, ppt_tip_pgd, NULL, 0), 1);
	/* PIP in the PSB+ of the enable (OS=1) and for the traced MOV back to CR3_OTHER. */
	assert_int_equal(ptd_count(native.trace, native.len, ppt_pip, NULL, 0), 2);
	ptd_free(&res);
	per_teardown(&img);
	pt_outside_cr3_exiting = false;
}

static void test_outside_tf(void **state)
{
	(void)state;
	check_mech(PT_STEP_TF);
}

static void test_outside_mtf(void **state)
{
	(void)state;
	check_mech(PT_STEP_MTF);
	pt_step_mech = PT_STEP_TF;
}

/* Without CR3-load exiting (the boot's decision) the guest is stepped throughout. */
static void test_outside_refused(void **state)
{
	static struct outcome o;

	(void)state;
	pt_outside_cr3_exiting = false;
	run(PT_STEP_TF, true, &o);
	assert_int_equal(o.st.outside, 0);
	assert_int_equal(o.cr3_exits, 0);
	assert_int_equal(o.st.steps, 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outside_tf),
		cmocka_unit_test(test_outside_mtf),
		cmocka_unit_test(test_outside_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

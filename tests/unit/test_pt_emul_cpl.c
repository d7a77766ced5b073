/*
 * The emulated PT backend at a privilege level the CPL filter excludes (pt_emul_cpl.c): User-only
 * tracing of a CPL-3 program whose INT 0x80s enter a CPL-0 handler. With the outside view the
 * handler runs natively (one EPT violation learns its page, then one per return to CPL 3 hands
 * over to the step engine), and the trace is byte for byte the one of a run that steps the handler
 * (pt_cpl=off), decoded by libipt to the user instructions, in both engines and both stepping ways.
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

#define CTL_ON  (RTIT_CTL_TRACEEN | RTIT_CTL_USER | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN)
#define CTL_OFF (CTL_ON & ~RTIT_CTL_TRACEEN)
#define HANDLER 0x4000u /* a page of its own: the kernel's code */

/* main.c's; the virtual APIC (linked for the ToPA PMI) reads it. */
struct vmx_caps boot_caps;

struct outcome {
	uint8_t trace[512];
	size_t len;
	unsigned step_exits, ept_exits;
	struct pt_emul_stats st;
	uint64_t learned;
};

/*
 * CPL 3: wrmsr(on); nop; int 0x80; nop; int 0x80; nop; wrmsr(off); hlt.
 * CPL 0, at HANDLER: nop; nop; jnz .-1 (taken twice in all); iret.
 */
static void load_program(struct per_rig *r)
{
	static const uint8_t user[] = { 0x0f, 0x30, 0x90, 0xcd, 0x80, 0x90, 0xcd, 0x80, 0x90, 0x0f, 0x30, 0xf4 };
	static const uint8_t kernel[] = { 0x90, 0x90, 0x75, 0xfd, 0xcf };

	per_load(r, 0x1000, user, sizeof(user));
	per_load(r, HANDLER, kernel, sizeof(kernel));
	per_insn(r, 0x1000, 2, PER_WRMSR)->value = CTL_ON;
	per_insn(r, 0x1002, 1, PER_SEQ);
	per_insn(r, 0x1003, 2, PER_INT)->vector = 0x80;
	per_insn(r, 0x1005, 1, PER_SEQ);
	per_insn(r, 0x1006, 2, PER_INT)->vector = 0x80;
	per_insn(r, 0x1008, 1, PER_SEQ);
	per_insn(r, 0x1009, 2, PER_WRMSR)->value = CTL_OFF;
	per_insn(r, 0x100b, 1, PER_HLT);
	per_insn(r, HANDLER, 1, PER_SEQ);
	per_insn(r, HANDLER + 1, 1, PER_SEQ);
	struct per_insn *loop = per_insn(r, HANDLER + 2, 2, PER_JCC);
	loop->target = HANDLER + 1;
	loop->taken = 2;
	per_insn(r, HANDLER + 4, 1, PER_IRET);
	per_gate(r, 0x80, HANDLER);
}

static void run(enum pt_step_mech mech, bool cpl, bool block, struct outcome *o)
{
	struct per_rig r;
	size_t len = 0;

	host_env_reset();
	per_setup(&r, mech);
	r.pg->emul.cpl_on = cpl;
	r.pg->emul.blk.enabled = block;
	load_program(&r);
	per_set_cpl(3);
	assert_true(vcpu_pt_wrmsr(r.v, MSR_IA32_RTIT_OUTPUT_BASE, PER_TOPA));
	assert_true(vcpu_pt_wrmsr(r.v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0));
	assert_true(per_run(&r, 0x1000, 300));
	const uint8_t *t = per_trace(&r, &len);
	assert_true(len > 0 && len <= sizeof(o->trace));
	memcpy(o->trace, t, len);
	o->len = len;
	o->step_exits = r.exits[PER_EXIT_DB_BS] + r.exits[PER_EXIT_DB_BP] + r.exits[PER_EXIT_MTF];
	o->ept_exits = r.exits[PER_EXIT_EPT];
	o->st = r.pg->emul.st;
	o->learned = r.pg->emul.view.st.learned;
	/* Everything the engine changed is back: no stepping, the guest's EPT, the guest's TF. */
	assert_false(r.v->pt_stepping);
	assert_false(r.pg->emul.cpl);
	assert_int_equal(per_vmcs(EPT_POINTER), ept_eptp(r.v->mem.ept));
	assert_int_equal(per_vmcs(CPU_BASED_VM_EXEC_CONTROL), PER_CPU_BASED);
	assert_int_equal(per_vmcs(EXCEPTION_BITMAP), PER_EXC_BITMAP);
	assert_int_equal(per_vmcs(GUEST_RFLAGS) & RFLAGS_TF, 0);
	per_teardown(&r);
}

static void check(enum pt_step_mech mech, bool block)
{
	static struct outcome native, stepped;
	struct ptd_result res;
	struct per_rig img;

	run(mech, true, block, &native);
	run(mech, false, block, &stepped);
	/* The step engine is the oracle: the same bytes. */
	assert_int_equal(native.len, stepped.len);
	assert_memory_equal(native.trace, stepped.trace, native.len);
	/* Two INT 0x80s: both handler visits (8 and 4 instructions) run natively, none stepped. */
	assert_int_equal(native.st.cpl, 2);
	assert_int_equal(native.st.cpl_exits, 2);
	assert_int_equal(native.learned, 1);
	/* One EPT violation learns the handler's page, one per IRET hands CPL 3 back. */
	assert_int_equal(native.ept_exits, 3);
	assert_int_equal(stepped.ept_exits, 0);
	assert_int_equal(stepped.st.cpl, 0);
	assert_int_equal(native.st.traced, stepped.st.traced);
	assert_int_equal(stepped.st.steps - native.st.steps, 8 + 4);
	assert_true(native.step_exits < stepped.step_exits);
	/* libipt: the user instructions after the enabling WRMSR; TIP.PGE there and after each IRET, TIP.PGD at
	   each INT and the disabling WRMSR. */
	host_env_reset();
	per_setup(&img, mech);
	load_program(&img);
	memset(&res, 0, sizeof(res));
	ptd_decode(&img.image, native.trace, native.len, ~0ull, &res);
	assert_int_equal(res.first_err, 0);
	static const uint64_t want[] = { 0x1002, 0x1003, 0x1005, 0x1006, 0x1008, 0x1009 };
	assert_int_equal(res.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(res.ips[i], want[i]);
	assert_int_equal(ptd_count(native.trace, native.len, ppt_tip_pgd, NULL, 0), 3);
	assert_int_equal(ptd_count(native.trace, native.len, ppt_tip_pge, NULL, 0), 3);
	ptd_free(&res);
	per_teardown(&img);
}

static void test_cpl_tf_step(void **state)
{
	(void)state;
	check(PT_STEP_TF, false);
}

static void test_cpl_tf_block(void **state)
{
	(void)state;
	check(PT_STEP_TF, true);
}

static void test_cpl_mtf(void **state)
{
	(void)state;
	check(PT_STEP_MTF, false);
	pt_step_mech = PT_STEP_TF;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpl_tf_step),
		cmocka_unit_test(test_cpl_tf_block),
		cmocka_unit_test(test_cpl_mtf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

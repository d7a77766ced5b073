/* The PT packet generator across contexts: interrupts, user-only filtering, BranchEn, CR3, modes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "pt_env.h"

static int setup(void **state)
{
	*state = ptx_env_new();
	return 0;
}

static int teardown(void **state)
{
	ptx_env_free(*state);
	return 0;
}

static bool always(unsigned n)
{
	(void)n;
	return true;
}
static bool never(unsigned n)
{
	(void)n;
	return false;
}

static void assert_flow(struct ptx_env *e)
{
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
	assert_true(e->x.n > 0);
}

static unsigned count(struct ptx_env *e, enum pt_packet_type t)
{
	return ptd_count(e->sink.buf, e->sink.n, t, NULL, 0);
}

struct irq_plan {
	unsigned at;
	uint64_t handler;
};

static void irq_hook(struct ptx_exec *x, void *ctx)
{
	struct irq_plan *p = ctx;

	if (x->steps == p->at)
		ptx_exec_interrupt(x, p->handler, PT_MODE_64);
}

/* User code with an interrupt due before its 5th instruction and an INT3; kernel handlers IRET back. */
static void build_irq(struct ptx_env *e)
{
	struct ptx_insn *j1, *j2, *i3, *hj;
	uint64_t h2;

	j1 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j1->take = always;
	ptx_set_target(&e->prog, j1, ptx_here(&e->prog, e->r64));
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	j2 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j2->take = never;
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_emit(&e->prog, e->r64, PTX_NOP); /* interrupted here */
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	i3 = ptx_emit(&e->prog, e->r64, PTX_INT3);
	i3->mode = PT_MODE_64;
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	ptx_set_target(&e->prog, j2, PTX_R64);

	ptx_emit(&e->prog, e->rk, PTX_NOP);
	hj = ptx_emit(&e->prog, e->rk, PTX_JCC);
	hj->take = always;
	ptx_set_target(&e->prog, hj, ptx_here(&e->prog, e->rk));
	ptx_emit(&e->prog, e->rk, PTX_IRET);
	h2 = ptx_here(&e->prog, e->rk);
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	ptx_emit(&e->prog, e->rk, PTX_IRET);
	ptx_set_target(&e->prog, i3, h2);
}

/* An interrupt with TNT pending (FUP + TIP into a kernel handler, IRET back) and an INT3. */
static void test_interrupt(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct irq_plan plan = { 4, PTX_RK };

	build_irq(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 1000, irq_hook, &plan);
	assert_flow(e);
	assert_int_equal(e->x.n, 14);
	assert_int_equal(e->x.ips[4], PTX_RK); /* the handler ran before the 5th instruction */
	assert_int_equal(e->r.events[ptev_async_branch], 1);
	assert_int_equal(count(e, ppt_fup), 2); /* the interrupt's and the final stop's */
	assert_int_equal(count(e, ppt_tip), 4); /* handler, IRET, INT3, IRET */
}

/*
 * User-only tracing: the interrupt disables asynchronously (FUP + TIP.PGD),
 * the INT3 synchronously (TIP.PGD bound to it), each IRET re-enables (TIP.PGE).
 */
static void test_user_only(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct irq_plan plan = { 4, PTX_RK };
	static const uint64_t want[] = { 0, 6, 7, 13, 14, 15, 16, 17, 18 };

	cfg.os = false;
	build_irq(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	e->x.user_only = true;
	ptx_env_run(e, 1000, irq_hook, &plan);
	assert_flow(e);
	assert_int_equal(e->x.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(e->r.ips[i], PTX_R64 + want[i]);
	assert_int_equal(e->r.events[ptev_enabled], 3);
	assert_int_equal(e->r.events[ptev_disabled], 1);
	assert_int_equal(e->r.events[ptev_async_disabled], 2);
	assert_int_equal(count(e, ppt_tip), 0);
	assert_int_equal(count(e, ppt_tip_pgd), 3);
}

/* Without BranchEn only the enable/disable packets appear; the flow is not traceable. */
static void test_branch_off(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	static const uint8_t tail[] = { 0x02, 0x23, 0x99, 0x01, 0x51, 0x00, 0x10, 0x40, 0x00, 0x3d, 0x13, 0x10, 0x01 };
	struct irq_plan plan = { 4, PTX_RK };

	cfg.branch_en = false;
	cfg.os = false;
	build_irq(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_exec_run(&e->x, 1000, irq_hook, &plan);
	assert_int_equal(e->sink.n, PT_PSB_LEN + sizeof(tail));
	assert_memory_equal(e->sink.buf + PT_PSB_LEN, tail, sizeof(tail));
}

/* An interrupt in 32-bit code into a 64-bit handler and IRET back: FUP, MODE.Exec, TIP each way. */
static void test_interrupt_mode(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct irq_plan plan = { 2, PTX_RK };
	struct ptx_insn *j;
	size_t i;

	ptx_emit(&e->prog, e->r32, PTX_NOP);
	j = ptx_emit(&e->prog, e->r32, PTX_JCC);
	j->take = always;
	ptx_set_target(&e->prog, j, ptx_here(&e->prog, e->r32));
	ptx_emit(&e->prog, e->r32, PTX_NOP); /* interrupted here */
	ptx_emit(&e->prog, e->r32, PTX_HLT);
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	ptx_emit(&e->prog, e->rk, PTX_IRET);

	ptx_env_start(e, &cfg, PTX_R32, PT_MODE_32);
	ptx_env_run(e, 100, irq_hook, &plan);
	assert_flow(e);
	assert_int_equal(e->x.n, 6);
	for (i = 0; i < e->r.n; i++)
		assert_int_equal(e->r.modes[i], e->r.ips[i] < PTX_RK ? ptem_32bit : ptem_64bit);
	assert_int_equal(e->r.modes[2], ptem_64bit);
	assert_int_equal(e->r.modes[4], ptem_32bit);
	assert_int_equal(count(e, ppt_mode), 3);
}

/* MOV CR3 gives PIPs (OS tracing), reported by libipt as paging events with the new CR3. */
static void test_cr3(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *m1, *m2;
	const struct pt_event *ev;

	ptx_emit(&e->prog, e->r64, PTX_NOP);
	m1 = ptx_emit(&e->prog, e->r64, PTX_MOV_CR3);
	m1->target = 0x5000;
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	m2 = ptx_emit(&e->prog, e->r64, PTX_MOV_CR3);
	m2->target = 0x123456789018ull;
	ptx_emit(&e->prog, e->r64, PTX_HLT);

	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100, NULL, NULL);
	assert_flow(e);
	assert_int_equal(count(e, ppt_pip), 3);
	/* The PIP in PSB+ is a status update; the MOV CR3 ones bind to their instruction. */
	ev = ptd_event(&e->r, ptev_async_paging, 0);
	assert_non_null(ev);
	assert_true(ev->status_update);
	assert_int_equal(ev->variant.async_paging.cr3, PTX_CR3);
	ev = ptd_event(&e->r, ptev_paging, 0);
	assert_non_null(ev);
	assert_int_equal(ev->variant.paging.cr3, 0x5000);
	ev = ptd_event(&e->r, ptev_paging, 1);
	assert_non_null(ev);
	assert_int_equal(ev->variant.paging.cr3, 0x123456789000ull);

	/* Without OS tracing there are no PIPs at all. */
	ptx_sink_free(&e->sink);
	ptd_free(&e->r);
	ptx_exec_free(&e->x);
	cfg.os = false;
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100, NULL, NULL);
	assert_flow(e);
	assert_int_equal(count(e, ppt_pip), 0);
}

/* 32-bit code calls, returns and far-jumps into 64-bit code: MODE.Exec before the TIP. */
static void test_mode_switch(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *j, *c, *lj, *j64;
	uint64_t f32, t64;
	size_t i;

	ptx_emit(&e->prog, e->r32, PTX_NOP);
	j = ptx_emit(&e->prog, e->r32, PTX_JCC);
	j->take = always;
	ptx_set_target(&e->prog, j, ptx_here(&e->prog, e->r32));
	c = ptx_emit(&e->prog, e->r32, PTX_CALL);
	lj = ptx_emit(&e->prog, e->r32, PTX_LJMP);
	lj->mode = PT_MODE_64;
	f32 = ptx_here(&e->prog, e->r32);
	ptx_emit(&e->prog, e->r32, PTX_NOP);
	ptx_emit(&e->prog, e->r32, PTX_RET);
	ptx_set_target(&e->prog, c, f32);
	t64 = ptx_here(&e->prog, e->r64);
	ptx_set_target(&e->prog, lj, t64);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	j64 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j64->take = never;
	ptx_set_target(&e->prog, j64, t64);
	ptx_emit(&e->prog, e->r64, PTX_HLT);

	ptx_env_start(e, &cfg, PTX_R32, PT_MODE_32);
	ptx_env_run(e, 100, NULL, NULL);
	assert_flow(e);
	assert_int_equal(e->x.n, 9);
	for (i = 0; i < e->r.n; i++)
		assert_int_equal(e->r.modes[i], e->r.ips[i] < PTX_R64 ? ptem_32bit : ptem_64bit);
	assert_int_equal(e->r.modes[6], ptem_64bit);
	assert_int_equal(count(e, ppt_mode), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_branch_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_switch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

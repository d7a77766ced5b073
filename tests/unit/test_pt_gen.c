/* The PT packet generator, proven by libipt rebuilding the executed flow: branches, calls, returns. */
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
static bool every3(unsigned n)
{
	return n % 3 == 0;
}
static bool below99(unsigned n)
{
	return n < 99;
}
static bool at70(unsigned n)
{
	return n == 70;
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

/* The exact stream for: jnz taken; hlt. */
static void test_exact_stream(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *j;
	static const uint8_t want[] = {
		0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82,                                     /* PSB */
		0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x43, 0x00, 0x01, 0, 0, 0, 0, /* PIP(0x1000) */
		0x02, 0x23,                                                                         /* PSBEND */
		0x99, 0x01,                   /* MODE.Exec 64-bit */
		0x51, 0x00, 0x10, 0x40, 0x00, /* TIP.PGE(0x401000), update-32 */
		0x06,                         /* TNT: taken */
		0x3d, 0x07, 0x10,             /* FUP(0x401007), update-16 */
		0x01,                         /* TIP.PGD, IP suppressed */
	};

	j = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j->take = always;
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	ptx_set_target(&e->prog, j, j->ip + 6);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100, NULL, NULL);
	assert_int_equal(e->sink.n, sizeof(want));
	assert_memory_equal(e->sink.buf, want, sizeof(want));
	assert_int_equal(e->gen.bytes, sizeof(want));
	assert_flow(e);
	assert_int_equal(e->x.n, 2);
	assert_int_equal(e->r.events[ptev_enabled], 1);
	assert_int_equal(e->r.events[ptev_async_disabled], 1);
}

/* 200 conditional results: four full long TNTs, a partial long one, then a short one. */
static void test_tnt_flushes(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *j1, *j2, *ind, *j3;
	uint64_t top = PTX_R64, after;

	j1 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j1->take = every3;
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_set_target(&e->prog, j1, ptx_here(&e->prog, e->r64));
	j2 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j2->take = below99;
	ptx_set_target(&e->prog, j2, top);
	ind = ptx_emit(&e->prog, e->r64, PTX_JMP_IND);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	after = ptx_here(&e->prog, e->r64);
	ind->targets[0] = after;
	ind->ntargets = 1;
	j3 = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j3->take = never;
	ptx_set_target(&e->prog, j3, top);
	ptx_emit(&e->prog, e->r64, PTX_HLT);

	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 10000, NULL, NULL);
	assert_flow(e);
	assert_int_equal(count(e, ppt_tnt_64), 5);
	assert_int_equal(count(e, ppt_tnt_8), 1);
	assert_int_equal(count(e, ppt_tip), 1);
}

/* Direct and indirect calls and jumps, a PIC call, a tampered return; with and without DisRETC. */
static void run_calls(struct ptx_env *e, bool dis_retc)
{
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *cf, *ci, *ji, *ch, *pic, *jend, *cg2, *jend2, *cfg_call, *hret;
	uint64_t f, g, h, l, l2, end;

	cfg.dis_retc = dis_retc;
	cf = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ci = ptx_emit(&e->prog, e->r64, PTX_CALL_IND);
	ji = ptx_emit(&e->prog, e->r64, PTX_JMP_IND);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	l = ptx_here(&e->prog, e->r64);
	ch = ptx_emit(&e->prog, e->r64, PTX_CALL);
	jend = ptx_emit(&e->prog, e->r64, PTX_JMP);
	l2 = ptx_here(&e->prog, e->r64);
	cg2 = ptx_emit(&e->prog, e->r64, PTX_CALL);
	jend2 = ptx_emit(&e->prog, e->r64, PTX_JMP);
	end = ptx_here(&e->prog, e->r64);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	f = ptx_here(&e->prog, e->r64);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	/* call next; pop: the PIC idiom, which must not feed return compression. */
	pic = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ptx_set_target(&e->prog, pic, ptx_here(&e->prog, e->r64));
	ptx_emit(&e->prog, e->r64, PTX_POP);
	cfg_call = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ptx_emit(&e->prog, e->r64, PTX_RET);
	g = ptx_here(&e->prog, e->r64);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_emit(&e->prog, e->r64, PTX_RET);
	h = ptx_here(&e->prog, e->r64);
	hret = ptx_emit(&e->prog, e->r64, PTX_RET);

	ptx_set_target(&e->prog, cf, f);
	ci->targets[0] = g;
	ci->ntargets = 1;
	ji->targets[0] = l;
	ji->ntargets = 1;
	ptx_set_target(&e->prog, ch, h);
	ptx_set_target(&e->prog, jend, end);
	ptx_set_target(&e->prog, cg2, g);
	ptx_set_target(&e->prog, jend2, end);
	ptx_set_target(&e->prog, cfg_call, g);
	hret->target = l2; /* h returns somewhere else than its caller */

	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 1000, NULL, NULL);
	assert_flow(e);
	/* call_ind, jmp_ind and the tampered RET always need a TIP; the five honest RETs only with DisRETC. */
	assert_int_equal(count(e, ppt_tip), dis_retc ? 7 : 3);
	assert_int_equal(count(e, ppt_tnt_8), dis_retc ? 0 : 3);
}

static void test_calls_compressed(void **state)
{
	run_calls(*state, false);
}
static void test_calls_disretc(void **state)
{
	run_calls(*state, true);
}

/* 71 nested calls: the 64 newest returns compress, the 7 oldest need a TIP. */
static void test_deep_recursion(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct ptx_insn *c0, *j, *c1;
	uint64_t f;

	c0 = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	f = ptx_here(&e->prog, e->r64);
	j = ptx_emit(&e->prog, e->r64, PTX_JCC);
	j->take = at70;
	c1 = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ptx_set_target(&e->prog, j, ptx_here(&e->prog, e->r64));
	ptx_emit(&e->prog, e->r64, PTX_RET);
	ptx_set_target(&e->prog, c0, f);
	ptx_set_target(&e->prog, c1, f);

	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 10000, NULL, NULL);
	assert_flow(e);
	assert_int_equal(count(e, ppt_tip), 7);
	assert_int_equal(e->gen.call_n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tnt_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_disretc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_recursion, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

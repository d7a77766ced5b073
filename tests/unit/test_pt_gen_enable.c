/*
 * The PT packet generator at TraceEn 0->1 as Linux's perf drives it: a PSB+ only when
 * IA32_RTIT_STATUS.PacketByteCnt is 0 (perf clears it on a trace's first start only), tracing
 * enabled by the kernel while the User-only filter is not yet met, and sched-out/in in between.
 * Every trace is decoded by libipt against the program that ran.
 */
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

static bool first_three(unsigned n)
{
	return n < 3;
}

static unsigned count(struct ptx_env *e, enum pt_packet_type t)
{
	return ptd_count(e->sink.buf, e->sink.n, t, NULL, 0);
}

/* User code: a loop of four (JCC back three times), a call and a return, HLT. */
static void build_user_loop(struct ptx_env *e)
{
	struct ptx_insn *loop, *call;
	uint64_t top = ptx_here(&e->prog, e->r64), leaf;

	ptx_emit(&e->prog, e->r64, PTX_NOP);
	call = ptx_emit(&e->prog, e->r64, PTX_CALL);
	loop = ptx_emit(&e->prog, e->r64, PTX_JCC);
	loop->take = first_three;
	ptx_set_target(&e->prog, loop, top);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	leaf = ptx_here(&e->prog, e->r64);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_emit(&e->prog, e->r64, PTX_RET);
	ptx_set_target(&e->prog, call, leaf);
}

static void enable(struct ptx_env *e, const struct pt_gen_cfg *cfg, bool in_ctx, uint32_t byte_cnt)
{
	/* The emulated backend starts a fresh generator at every enable (pt_emul_ctl_written). */
	pt_gen_init(&e->gen, cfg, ptx_sink_emit, &e->sink);
	pt_gen_enable(&e->gen, &(struct pt_gen_enable){ .ip = e->x.ip,
							.mode = e->x.mode,
							.cr3 = PTX_CR3,
							.tsc = e->x.tsc,
							.in_ctx = in_ctx,
							.byte_cnt = byte_cnt });
}

/* First enable with PacketByteCnt 0: PSB+, then MODE.Exec and TIP.PGE; the counter moves on. */
static void test_first_enable_psb(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();

	build_user_loop(e);
	ptx_exec_init(&e->x, &e->prog, &e->gen, PTX_R64, PT_MODE_64);
	enable(e, &cfg, true, 0);
	assert_int_equal(e->sink.buf[0], 0x02); /* the PSB comes first */
	assert_int_equal(e->sink.buf[1], 0x82);
	assert_int_equal(pt_gen_byte_cnt(&e->gen), e->sink.n);
	ptx_exec_run(&e->x, 100, NULL, NULL);
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &e->r);
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
	assert_int_equal(count(e, ppt_psb), 1);
	assert_int_equal(count(e, ppt_tip_pge), 1);
	assert_int_equal(pt_gen_byte_cnt(&e->gen), e->sink.n);
}

/*
 * Sched-out (TraceEn cleared: FUP + TIP.PGD) and sched-in with PacketByteCnt > 0 (Linux writes the
 * STATUS it read back): no second PSB, only TSC and TIP.PGE, and the trace still decodes from its one
 * PSB; the counter continues from the value written.
 */
static void test_reenable_no_psb(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	uint32_t cnt;
	size_t before;

	cfg.tsc_en = true;
	build_user_loop(e);
	ptx_exec_init(&e->x, &e->prog, &e->gen, PTX_R64, PT_MODE_64);
	enable(e, &cfg, true, 0);
	for (unsigned i = 0; i < 6; i++)
		assert_true(ptx_exec_step(&e->x));
	pt_gen_stop(&e->gen, e->x.ip);
	cnt = pt_gen_byte_cnt(&e->gen);
	assert_true(cnt > 0);
	before = e->sink.n;
	enable(e, &cfg, true, cnt);
	assert_int_equal(e->sink.buf[before], 0x19); /* TSC, not PSB */
	assert_int_equal(pt_gen_byte_cnt(&e->gen), cnt + (e->sink.n - before));
	ptx_exec_run(&e->x, 100, NULL, NULL);
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &e->r);
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
	assert_int_equal(count(e, ppt_psb), 1);
	assert_int_equal(count(e, ppt_tip_pge), 2);
	assert_int_equal(count(e, ppt_tip_pgd), 2);
	assert_int_equal(e->r.events[ptev_enabled], 2);
}

/* A PacketByteCnt of 0 written before a later enable forces the PSB+ again (Linux's first start). */
static void test_reenable_zero_psb(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();

	build_user_loop(e);
	ptx_exec_init(&e->x, &e->prog, &e->gen, PTX_R64, PT_MODE_64);
	enable(e, &cfg, true, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_true(ptx_exec_step(&e->x));
	pt_gen_stop(&e->gen, e->x.ip);
	enable(e, &cfg, true, 0);
	ptx_exec_run(&e->x, 100, NULL, NULL);
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &e->r);
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
	assert_int_equal(count(e, ppt_psb), 2);
}

/*
 * perf's //u: the kernel sets TraceEn at CPL 0, outside the filter. PSB+ goes out at once (with
 * TSC, no FUP: nothing is traced yet) and nothing else until the IRET to user code: MODE.Exec,
 * TIP.PGE at the return target.
 */
static void test_enable_outside_context(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();

	cfg.os = false;
	cfg.tsc_en = true;
	build_user_loop(e);
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	ptx_emit(&e->prog, e->rk, PTX_IRET);
	ptx_exec_init(&e->x, &e->prog, &e->gen, PTX_RK, PT_MODE_64);
	e->x.user_only = true;
	e->x.frames[0] = PTX_R64;
	e->x.frame_modes[0] = PT_MODE_64;
	e->x.nframes = 1;
	enable(e, &cfg, false, 0);
	assert_int_equal(count(e, ppt_psb), 1);
	assert_int_equal(count(e, ppt_psbend), 1);
	assert_int_equal(count(e, ppt_tsc), 1);
	assert_int_equal(count(e, ppt_fup), 0);
	assert_int_equal(count(e, ppt_tip_pge), 0);
	assert_false(e->gen.on);
	ptx_exec_run(&e->x, 100, NULL, NULL);
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &e->r);
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
	assert_int_equal(e->r.ips[0], PTX_R64); /* nothing of the kernel */
	assert_int_equal(count(e, ppt_tip_pge), 1);
	assert_int_equal(count(e, ppt_pip), 0); /* PIP only with OS */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_enable_psb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reenable_no_psb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reenable_zero_psb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_outside_context, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

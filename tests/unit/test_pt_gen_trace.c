/* The PT packet generator over long runs: disable/enable, PSB+ resync, TSC, overflow, corrupt traces. */
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

static bool loop_n(unsigned n)
{
	return n < 1500;
}
static bool every2(unsigned n)
{
	return n % 2 == 0;
}

/*
 * A loop that makes every kind of packet: an indirect call alternating
 * between a near and a far (kernel) function, a compressed RET, TNT bits.
 */
static void build_loop(struct ptx_env *e)
{
	struct ptx_insn *ci, *back, *fj, *c2;
	uint64_t top = ptx_here(&e->prog, e->r64), f1, f2, g;

	ci = ptx_emit(&e->prog, e->r64, PTX_CALL_IND);
	back = ptx_emit(&e->prog, e->r64, PTX_JCC);
	back->take = loop_n;
	ptx_set_target(&e->prog, back, top);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
	f1 = ptx_here(&e->prog, e->r64);
	c2 = ptx_emit(&e->prog, e->r64, PTX_CALL);
	ptx_emit(&e->prog, e->r64, PTX_RET);
	g = ptx_here(&e->prog, e->r64);
	ptx_emit(&e->prog, e->r64, PTX_NOP);
	ptx_emit(&e->prog, e->r64, PTX_RET);
	ptx_set_target(&e->prog, c2, g);
	f2 = ptx_here(&e->prog, e->rk);
	fj = ptx_emit(&e->prog, e->rk, PTX_JCC);
	fj->take = every2;
	ptx_set_target(&e->prog, fj, ptx_here(&e->prog, e->rk));
	ptx_emit(&e->prog, e->rk, PTX_RET);
	ci->targets[0] = f1;
	ci->targets[1] = f2;
	ci->ntargets = 2;
}

static void assert_flow(struct ptx_env *e)
{
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(ptx_env_mismatch(e), -1);
}

struct onoff {
	unsigned stop_at, on_at;
	bool new_psb;
};

static void onoff_hook(struct ptx_exec *x, void *ctx)
{
	struct onoff *o = ctx;

	if (x->steps == o->stop_at)
		pt_gen_stop(x->gen, x->ip);
	if (x->steps == o->on_at) {
		if (o->new_psb)
			pt_gen_start(x->gen, x->ip, x->mode, x->cr3, x->tsc);
		else
			pt_gen_resume(x->gen, x->ip, x->mode);
	}
}

/* Tracing stops and restarts mid-run, with and without a new PSB+. */
static void run_onoff(struct ptx_env *e, bool new_psb)
{
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct onoff o = { 1000, 1777, new_psb };

	build_loop(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, onoff_hook, &o);
	assert_flow(e);
	assert_int_equal(e->x.n, e->x.steps - 777);
	assert_int_equal(e->r.events[ptev_enabled], 2);
	assert_int_equal(e->r.events[ptev_async_disabled], 2);
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_psb, NULL, 0), new_psb ? 2 : 1);
}

static void test_stop_resume(void **state)
{
	run_onoff(*state, false);
}
static void test_stop_restart(void **state)
{
	run_onoff(*state, true);
}

struct marks {
	size_t n, cap;
	uint64_t *sink_n;
	size_t *exec_n;
	struct ptx_sink *sink;
};

static void mark_hook(struct ptx_exec *x, void *ctx)
{
	struct marks *m = ctx;

	if (m->n < m->cap) {
		m->sink_n[m->n] = m->sink->n;
		m->exec_n[m->n] = x->n;
		m->n++;
	}
}

/* PSB+ every 2K bytes; a decoder that starts at any later PSB follows the rest exactly. */
static void test_psb_resync(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	static uint64_t sink_n[20000];
	static size_t exec_n[20000];
	struct marks m = { 0, 20000, sink_n, exec_n, &e->sink };
	uint64_t offs[16];
	unsigned npsb;

	cfg.psb_freq = 0;
	cfg.tsc_en = true;
	cfg.cbr = 0x20;
	build_loop(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, mark_hook, &m);
	assert_flow(e);
	npsb = ptd_count(e->sink.buf, e->sink.n, ppt_psb, offs, 16);
	assert_true(npsb >= 4);
	assert_int_equal(npsb, 1 + (e->sink.n - 1) / 2048);
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_tsc, NULL, 0), npsb);
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_cbr, NULL, 0), npsb);
	for (unsigned p = 1; p < npsb && p < 16; p++) {
		struct ptd_result r;
		size_t k = 0, first;

		assert_true(offs[p] - offs[p - 1] >= 2048);
		/* The first instruction executed after this PSB was emitted. */
		while (k < m.n && m.sink_n[k] <= offs[p])
			k++;
		assert_true(k < m.n);
		first = m.exec_n[k];
		ptd_decode(&e->prog, e->sink.buf, e->sink.n, offs[p], &r);
		assert_int_equal(r.first_err, 0);
		assert_int_equal(r.n, e->x.n - first);
		assert_memory_equal(r.ips, e->x.ips + first, r.n * sizeof(uint64_t));
		ptd_free(&r);
	}
}

static void tsc_hook(struct ptx_exec *x, void *ctx)
{
	(void)ctx;
	if (x->steps == 50)
		pt_gen_tsc(x->gen, 0x123456789ull);
}

/* TSCEn: a TSC in PSB+ and one on request; libipt's time follows them. */
static void test_tsc(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	uint64_t offs[4];

	cfg.tsc_en = true;
	build_loop(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, tsc_hook, NULL);
	assert_flow(e);
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_tsc, offs, 4), 2);
	assert_int_equal(offs[0], PT_PSB_LEN);            /* right after the PSB */
	assert_int_equal(e->sink.buf[offs[0] + 1], 0x00); /* the start TSC, 0x1000 */
	assert_int_equal(e->sink.buf[offs[0] + 2], 0x10);
	assert_int_equal(e->r.time, 0x123456789ull);

	/* Without TSCEn, no TSC at all, even when asked. */
	ptx_sink_free(&e->sink);
	ptd_free(&e->r);
	ptx_exec_free(&e->x);
	for (unsigned i = 0; i < e->prog.ninsns; i++)
		e->prog.insns[i].count = 0;
	cfg.tsc_en = false;
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, tsc_hook, NULL);
	assert_flow(e);
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_tsc, NULL, 0), 0);
}

struct lost {
	unsigned from, to;
	size_t exec_from, exec_to;
	uint64_t ip;
};

static void lost_hook(struct ptx_exec *x, void *ctx)
{
	struct lost *l = ctx;
	struct ptx_sink *s = x->gen->ctx;

	if (x->steps == l->from) {
		s->drop = true;
		l->exec_from = x->n;
	}
	if (x->steps == l->to) {
		s->drop = false;
		l->exec_to = x->n;
		l->ip = x->ip;
		pt_gen_overflow(x->gen, x->ip, x->tsc);
	}
}

/* Output lost for a while: OVF then FUP; libipt resumes at exactly the right instruction. */
static void test_overflow(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	struct lost l = { 1001, 1500, 0, 0, 0 };
	const struct pt_event *ev;
	uint64_t offs[1];
	size_t tail, head;

	build_loop(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, lost_hook, &l);
	assert_int_equal(e->r.first_err, 0);
	assert_int_equal(e->r.events[ptev_overflow], 1);
	/* After OVF the FUP carries a self-contained (sign-extended 48) IP. */
	assert_int_equal(ptd_count(e->sink.buf, e->sink.n, ppt_ovf, offs, 1), 1);
	assert_int_equal(e->sink.buf[offs[0] + 2], (PT_IPC_SEXT48 << 5) | PT_IP_FUP);
	ev = ptd_event(&e->r, ptev_overflow, 0);
	assert_non_null(ev);
	assert_int_equal(ev->variant.overflow.ip, l.ip);
	/* The decoded flow is an executed prefix, then exactly everything from the resume point. */
	tail = e->x.n - l.exec_to;
	assert_true(e->r.n > tail);
	head = e->r.n - tail;
	assert_true(head <= l.exec_from + 8);
	assert_true(head + 16 >= l.exec_from);
	assert_memory_equal(e->r.ips, e->x.ips, head * sizeof(uint64_t));
	assert_memory_equal(e->r.ips + head, e->x.ips + l.exec_to, tail * sizeof(uint64_t));
}

/* Damaged traces: an IP into unmapped memory and an unknown opcode are reported by libipt. */
static void test_corrupt(void **state)
{
	struct ptx_env *e = *state;
	struct pt_gen_cfg cfg = ptx_cfg_default();
	uint64_t offs[4];
	struct ptd_result r;

	build_loop(e);
	ptx_env_start(e, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(e, 100000, NULL, NULL);
	assert_flow(e);

	/* The first TIP is the CALL to f1; point it into a hole. */
	assert_true(ptd_count(e->sink.buf, e->sink.n, ppt_tip, offs, 4) >= 1);
	assert_int_equal(e->sink.buf[offs[0]] & 0x1f, PT_IP_TIP);
	e->sink.buf[offs[0] + 2] ^= 0x80;
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &r);
	assert_int_equal(r.first_err, -pte_nomap);
	assert_true(r.n < e->x.n);
	ptd_free(&r);
	e->sink.buf[offs[0] + 2] ^= 0x80;

	/* An extended opcode no packet uses, where the TIP was. */
	e->sink.buf[offs[0]] = 0x02;
	e->sink.buf[offs[0] + 1] = 0x02;
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &r);
	assert_int_equal(r.first_err, -pte_bad_opc);
	assert_true(r.n < e->x.n);
	ptd_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psb_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

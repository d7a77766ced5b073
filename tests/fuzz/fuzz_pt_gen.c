/*
 * libFuzzer harness: the PT packet generator (vmm/pt/gen/) against libipt. The input builds a
 * program of real x86 code (tests/model/pt_code.c): a main body of up to 40 slots (NOP, Jcc to any
 * slot, JMP forward, direct and indirect CALLs of leaf functions in user and kernel code, indirect JMPs
 * among the slots, MOV CR3, INT3 into a handler that IRETs, HLT), leaf functions whose RET may be
 * tampered (returns elsewhere), and a loop back to the start. It also gives the generator's
 * configuration (TSCEn, DisRETC, OS, PSBFreq, CBR), every Jcc outcome and indirect target in turn, and
 * a schedule of events before chosen steps: interrupts, tracing stopped and resumed or restarted
 * with a new PSB+, PSB+ and TSC on demand, flushes, and one stretch of lost output ended by an
 * overflow. The reference executor (tests/model/pt_exec.c) runs it and records the IPs executed
 * while tracing; the stream must decode with libipt without error to exactly those IPs, or, after
 * a lost stretch, to exactly those from the overflow on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "pt_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS_MAX  40
#define FUNCS_MAX  6
#define EVENTS_MAX 48
#define STEPS_MAX  1500

enum ev_kind { EV_INTR, EV_STOP, EV_RESUME, EV_RESTART, EV_PSB, EV_TSC, EV_FLUSH, EV_LOSE, EV_KINDS };

struct schedule {
	unsigned step[EVENTS_MAX], n, next;
	enum ev_kind kind[EVENTS_MAX];
	uint64_t handler;
	bool losing, lost;     /* output being dropped; a stretch was lost */
	unsigned lose_end;     /* step at which the lost stretch ends */
	size_t exec_after_ovf; /* executed IPs recorded before the overflow */
	unsigned frames;
};

static struct fuzz_in in;   /* Jcc outcomes come from the input as the executor asks for them */
static struct ptx_env *env; /* one for all runs: allocating it each time costs more than the run */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	ptd_max_ips = 4 * STEPS_MAX; /* more decoded than executed is a mismatch already */
	env = ptx_env_new();
	return 0;
}

static bool take_from_input(unsigned count)
{
	(void)count;
	return fuzz_u8(&in) & 1;
}

struct layout {
	struct ptx_insn *slot_insn[SLOTS_MAX];
	unsigned slot_to[SLOTS_MAX]; /* for direct branches: the target slot */
	uint64_t slot_ip[SLOTS_MAX + 1];
	unsigned nslots;
	uint64_t func[FUNCS_MAX];
	unsigned nfuncs;
};

/* A leaf function: NOPs, a Jcc over some of them, RET (tampered: to a slot of the main body). */
static uint64_t build_func(struct ptx_env *e, unsigned r, const struct layout *l, bool first_pass)
{
	uint64_t at = ptx_here(&e->prog, r);
	unsigned a = fuzz_below(&in, 3), b = fuzz_below(&in, 3);
	uint8_t tamper = fuzz_u8(&in);
	struct ptx_insn *j, *ret;

	for (unsigned i = 0; i < a; i++)
		ptx_emit(&e->prog, r, PTX_NOP);
	j = ptx_emit(&e->prog, r, PTX_JCC);
	j->take = take_from_input;
	for (unsigned i = 0; i < b; i++)
		ptx_emit(&e->prog, r, PTX_NOP);
	ret = ptx_emit(&e->prog, r, PTX_RET);
	ptx_set_target(&e->prog, j, ret->ip);
	if (!first_pass && (tamper & 0xc0) == 0xc0)
		ret->target = l->slot_ip[tamper % l->nslots];
	return at;
}

static void set_targets(struct ptx_env *e, struct layout *l, uint64_t handler)
{
	for (unsigned s = 0; s < l->nslots; s++) {
		struct ptx_insn *x = l->slot_insn[s];
		unsigned k = 1 + fuzz_below(&in, PTX_MAX_TARGETS);

		switch (x->kind) {
		case PTX_JCC:
		case PTX_JMP:
			ptx_set_target(&e->prog, x, l->slot_ip[l->slot_to[s]]);
			break;
		case PTX_CALL:
			ptx_set_target(&e->prog, x, l->func[l->slot_to[s] % l->nfuncs]);
			break;
		case PTX_CALL_IND:
		case PTX_JMP_IND:
			x->ntargets = k;
			for (unsigned t = 0; t < k; t++)
				x->targets[t] = x->kind == PTX_CALL_IND ? l->func[fuzz_below(&in, l->nfuncs)]
									: l->slot_ip[fuzz_below(&in, l->nslots + 1)];
			break;
		case PTX_INT3:
			x->mode = PT_MODE_64;
			ptx_set_target(&e->prog, x, handler);
			break;
		case PTX_MOV_CR3:
			x->target = (uint64_t)fuzz_u16(&in) << 12;
			break;
		default:
			break;
		}
	}
}

static void build_main(struct ptx_env *e, struct layout *l)
{
	static const enum ptx_kind kinds[] = { PTX_NOP,  PTX_NOP,      PTX_JCC,     PTX_JCC,     PTX_JMP,  PTX_CALL,
					       PTX_CALL, PTX_CALL_IND, PTX_JMP_IND, PTX_MOV_CR3, PTX_INT3, PTX_HLT };
	struct ptx_insn *back;

	l->nslots = 1 + fuzz_below(&in, SLOTS_MAX);
	for (unsigned s = 0; s < l->nslots; s++) {
		enum ptx_kind k = kinds[fuzz_below(&in, ARRAY_SIZE(kinds))];

		l->slot_ip[s] = ptx_here(&e->prog, e->r64);
		l->slot_insn[s] = ptx_emit(&e->prog, e->r64, k);
		l->slot_to[s] = fuzz_below(&in, l->nslots + 1);
		/* A direct JMP goes forward: a cycle of direct JMPs alone makes no packet, and no trace
		 * (hardware's included) could tell how often it ran. */
		if (k == PTX_JMP)
			l->slot_to[s] = s + 1 + l->slot_to[s] % (l->nslots - s);
		if (k == PTX_JCC)
			l->slot_insn[s]->take = take_from_input;
	}
	/* The loop: a Jcc back to the first slot, then the end. Slot "nslots" is this Jcc. */
	l->slot_ip[l->nslots] = ptx_here(&e->prog, e->r64);
	back = ptx_emit(&e->prog, e->r64, PTX_JCC);
	back->take = take_from_input;
	ptx_set_target(&e->prog, back, l->slot_ip[0]);
	ptx_emit(&e->prog, e->r64, PTX_HLT);
}

static uint64_t build_program(struct ptx_env *e, struct layout *l)
{
	uint64_t handler;
	struct ptx_insn *j;

	build_main(e, l);
	l->nfuncs = 1 + fuzz_below(&in, FUNCS_MAX);
	for (unsigned f = 0; f < l->nfuncs; f++)
		l->func[f] = build_func(e, fuzz_u8(&in) & 1 ? e->rk : e->r64, l, false);
	/* The interrupt handler (kernel code): a NOP, a Jcc over the next one, IRET. */
	handler = ptx_here(&e->prog, e->rk);
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	j = ptx_emit(&e->prog, e->rk, PTX_JCC);
	j->take = take_from_input;
	ptx_emit(&e->prog, e->rk, PTX_NOP);
	ptx_set_target(&e->prog, j, ptx_emit(&e->prog, e->rk, PTX_IRET)->ip);
	set_targets(e, l, handler);
	return handler;
}

static void read_schedule(struct schedule *s)
{
	unsigned step = 0;

	s->n = fuzz_below(&in, EVENTS_MAX + 1);
	for (unsigned i = 0; i < s->n; i++) {
		step += fuzz_u8(&in);
		s->step[i] = step;
		s->kind[i] = (enum ev_kind)(fuzz_u8(&in) % EV_KINDS);
	}
}

/* Runs the events due before this step, each only where it makes sense in the current state. */
static void event_hook(struct ptx_exec *x, void *ctx)
{
	struct schedule *s = ctx;
	struct ptx_sink *sink = x->gen->ctx;

	if (s->losing && x->steps >= s->lose_end) {
		sink->drop = false;
		s->losing = false;
		s->exec_after_ovf = x->n;
		pt_gen_overflow(x->gen, x->ip, x->tsc);
	}
	while (s->next < s->n && s->step[s->next] <= x->steps) {
		enum ev_kind k = s->kind[s->next++];
		bool on = x->gen->on;

		if (k == EV_INTR && s->frames < 64 && !s->losing) {
			s->frames++;
			ptx_exec_interrupt(x, s->handler, PT_MODE_64);
		} else if (k == EV_STOP && on && !s->losing) {
			pt_gen_stop(x->gen, x->ip);
		} else if (k == EV_RESUME && !on) {
			pt_gen_resume(x->gen, x->ip, x->mode);
		} else if (k == EV_RESTART && !on) {
			pt_gen_start(x->gen, x->ip, x->mode, x->cr3, x->tsc);
		} else if (k == EV_PSB && on && !s->losing) {
			pt_gen_psb(x->gen, x->ip);
		} else if (k == EV_TSC) {
			x->tsc += 1 + fuzz_u16(&in);
			pt_gen_tsc(x->gen, x->tsc);
		} else if (k == EV_FLUSH) {
			pt_gen_flush(x->gen);
		} else if (k == EV_LOSE && on && !s->losing && !s->lost) {
			sink->drop = true;
			s->losing = s->lost = true;
			s->lose_end = x->steps + 1 + fuzz_u8(&in);
		}
	}
}

/* PTV_FUZZ_VERBOSE=1: the program and the events, to read a failing input. */
static void show(const struct ptx_env *e, const struct schedule *s, const struct pt_gen_cfg *cfg)
{
	if (!getenv("PTV_FUZZ_VERBOSE"))
		return;
	fprintf(stderr, "cfg: tsc %d disretc %d os %d psbfreq %u cbr %u\n", cfg->tsc_en, cfg->dis_retc, cfg->os,
		cfg->psb_freq, cfg->cbr);
	for (unsigned i = 0; i < e->prog.ninsns; i++) {
		const struct ptx_insn *x = &e->prog.insns[i];
		fprintf(stderr, "  %#llx kind %d len %u target %#llx ntargets %u\n", (unsigned long long)x->ip, x->kind,
			x->len, (unsigned long long)x->target, x->ntargets);
		for (unsigned t = 0; t < x->ntargets; t++)
			fprintf(stderr, "      -> %#llx\n", (unsigned long long)x->targets[t]);
	}
	for (unsigned i = 0; i < s->n; i++)
		fprintf(stderr, "  event %d before step %u\n", s->kind[i], s->step[i]);
	for (size_t i = 0; i < e->x.n && i < 40; i++)
		fprintf(stderr, "  exec %#llx  decoded %#llx\n", (unsigned long long)e->x.ips[i],
			i < e->r.n ? (unsigned long long)e->r.ips[i] : 0ULL);
}

static void check_flow(const struct ptx_env *e, const struct schedule *s)
{
	if (e->r.first_err != 0)
		fuzz_fail(__FILE__, __LINE__, "libipt: %s after %zu of %zu instructions",
			  pt_errstr(pt_errcode(e->r.first_err)), e->r.n, e->x.n);
	if (!s->lost) {
		FUZZ_CHECK(ptx_env_mismatch(e) == -1);
		return;
	}
	/* The run ended while output was lost: what decodes is a prefix of what ran. */
	size_t tail = s->losing ? 0 : e->x.n - s->exec_after_ovf;
	FUZZ_CHECK(e->r.n >= tail && e->r.n - tail <= e->x.n);
	FUZZ_CHECK(memcmp(e->r.ips, e->x.ips, (e->r.n - tail) * sizeof(uint64_t)) == 0);
	/* Output was lost and the overflow told so: from the overflow on, the flow is exact. */
	FUZZ_CHECK(memcmp(e->r.ips + e->r.n - tail, e->x.ips + s->exec_after_ovf, tail * sizeof(uint64_t)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout l;
	struct schedule s;
	struct pt_gen_cfg cfg;
	uint8_t c;

	in = (struct fuzz_in){ data, size, 0 };
	c = fuzz_u8(&in);
	cfg = (struct pt_gen_cfg){ .branch_en = true,
				   .tsc_en = c & 1,
				   .dis_retc = c & 2,
				   .os = c & 4,
				   .psb_freq = fuzz_u8(&in) % 16,
				   .cbr = c & 8 ? fuzz_u8(&in) : 0 };
	memset(&l, 0, sizeof(l));
	memset(&s, 0, sizeof(s));
	s.handler = build_program(env, &l);
	read_schedule(&s);
	ptx_env_start(env, &cfg, PTX_R64, PT_MODE_64);
	ptx_env_run(env, STEPS_MAX, event_hook, &s);
	show(env, &s, &cfg);
	check_flow(env, &s);
	ptx_env_reset(env);
	return 0;
}

/* The emulated PT backend's packet generator: the state machine from executed instructions to packets. */
#include "pt/gen/pt_gen.h"
#include "lib/string.h"

#define PT_PSB_FREQ_MAX 15

static void out(struct pt_gen *g, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	g->emit(g->ctx, p, n);
	g->since_psb += n;
	g->bytes += n;
}

/*
 * Pending results go out before any other packet so the decoder meets them in
 * execution order (SDM 33.4.2, "Taken/Not-taken (TNT) Packet"): a short TNT
 * when they fit, else a long one.
 */
void pt_gen_flush(struct pt_gen *g)
{
	uint8_t b[PT_PKT_MAX];
	size_t n;

	if (g->tnt_n == 0)
		return;
	if (g->tnt_n <= PT_TNT_SHORT_MAX)
		n = pt_put_tnt_short(b, g->tnt_bits, g->tnt_n);
	else
		n = pt_put_tnt_long(b, g->tnt_bits, g->tnt_n);
	g->tnt_bits = 0;
	g->tnt_n = 0;
	out(g, b, n);
}

static void tnt_add(struct pt_gen *g, bool taken)
{
	g->tnt_bits = (g->tnt_bits << 1) | (taken ? 1 : 0);
	g->tnt_n++;
	if (g->tnt_n == PT_TNT_LONG_MAX)
		pt_gen_flush(g);
}

static void put_ip(struct pt_gen *g, enum pt_ip_pkt type, uint64_t ip)
{
	uint8_t b[PT_PKT_MAX];

	pt_gen_flush(g);
	out(g, b, pt_put_ip(b, type, &g->last, ip));
}

static void put_mode(struct pt_gen *g, enum pt_cpu_mode mode)
{
	uint8_t b[PT_PKT_MAX];

	pt_gen_flush(g);
	g->mode = mode;
	out(g, b, pt_put_mode_exec(b, mode));
}

/* TSC and PIP: the generator's current time and CR3. */
static void put_state(struct pt_gen *g, bool pip)
{
	uint8_t b[PT_PKT_MAX];

	pt_gen_flush(g);
	out(g, b, pip ? pt_put_pip(b, g->cr3, false) : pt_put_tsc(b, g->tsc));
}

/*
 * SDM 33.2.1, "Indirect Transfer COFI": only RETs whose CALL was seen since the last PSB may be
 * compressed, so a decoder that syncs at any PSB can follow; we forget the
 * stack at every PSB, OVF and (re)start.
 */
static void calls_clear(struct pt_gen *g)
{
	g->call_top = 0;
	g->call_n = 0;
}

/* A full stack drops its oldest entry, as libipt's decoder stack does. */
static void calls_push(struct pt_gen *g, uint64_t ret)
{
	g->calls[g->call_top] = ret;
	g->call_top = (g->call_top + 1) % PT_CALL_DEPTH;
	if (g->call_n < PT_CALL_DEPTH)
		g->call_n++;
}

/* Pops and returns true when the RET to target may become a taken TNT bit. */
static bool calls_match(struct pt_gen *g, uint64_t target)
{
	unsigned top = (g->call_top + PT_CALL_DEPTH - 1) % PT_CALL_DEPTH;

	/*
	 * An uncompressed RET leaves the decoder's stack alone (it takes the TIP
	 * and pops nothing), so neither do we, keeping both stacks equal.
	 */
	if (g->cfg.dis_retc || g->call_n == 0 || g->calls[top] != target)
		return false;
	g->call_top = top;
	g->call_n--;
	return true;
}

void pt_gen_init(struct pt_gen *g, const struct pt_gen_cfg *cfg, pt_emit_fn emit, void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (g->cfg.psb_freq > PT_PSB_FREQ_MAX)
		g->cfg.psb_freq = PT_PSB_FREQ_MAX;
	g->emit = emit;
	g->ctx = ctx;
	pt_last_ip_invalidate(&g->last);
}

/*
 * PSB+ (SDM 33.3, "Packet Stream Boundary+ (PSB+)"): PSB, then the
 * state a decoder needs to start here -- TSC, CBR, PIP, and while tracing the
 * MODE.Exec and the FUP of the next instruction -- closed by PSBEND.
 */
void pt_gen_psb(struct pt_gen *g, uint64_t ip)
{
	uint8_t b[PT_PKT_MAX];

	pt_gen_flush(g);
	g->since_psb = 0;
	out(g, b, pt_put_psb(b));
	pt_last_ip_reset(&g->last);
	calls_clear(g);
	if (g->cfg.tsc_en)
		put_state(g, false);
	if (g->cfg.cbr)
		out(g, b, pt_put_cbr(b, g->cfg.cbr));
	if (g->cfg.os)
		put_state(g, true);
	if (g->on) {
		put_mode(g, g->mode);
		put_ip(g, PT_IP_FUP, ip);
	}
	out(g, b, pt_put_psbend(b));
}

static void psb_due(struct pt_gen *g, uint64_t ip)
{
	if (!pt_gen_quiet(g))
		pt_gen_psb(g, ip);
}

void pt_gen_start(struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode, uint64_t cr3, uint64_t tsc)
{
	pt_gen_enable(g, &(struct pt_gen_enable){ .ip = ip, .mode = mode, .cr3 = cr3, .tsc = tsc, .in_ctx = true });
}

/*
 * SDM 33.2.8.3 "Enabling and Disabling Packet Generation with TraceEn": a full PSB+ when
 * PacketByteCnt is 0, else only timing packets (TSC, CBR); then TIP.PGE if the filters pass at once
 * (SDM 33.7 "Packet Generation Scenarios", WRMSR that sets TraceEn).
 */
void pt_gen_enable(struct pt_gen *g, const struct pt_gen_enable *en)
{
	uint8_t b[PT_PKT_MAX];

	g->on = false;
	g->cr3 = en->cr3;
	g->tsc = en->tsc;
	g->mode = en->mode;
	if (en->byte_cnt == 0) {
		pt_gen_psb(g, en->ip);
	} else {
		g->since_psb = en->byte_cnt;
		if (g->cfg.tsc_en)
			put_state(g, false);
		if (g->cfg.cbr)
			out(g, b, pt_put_cbr(b, g->cfg.cbr));
	}
	if (en->in_ctx)
		pt_gen_resume(g, en->ip, en->mode);
}

uint32_t pt_gen_byte_cnt(const struct pt_gen *g)
{
	/* The counter only has to reach the largest PSB period (2K << 5 bytes here); 17 bits hold it. */
	return (uint32_t)(g->since_psb & PT_GEN_BYTE_CNT_MASK);
}

void pt_gen_resume(struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode)
{
	/* MODE.Exec binds to the TIP.PGE after it, giving the mode of the first instruction. */
	put_mode(g, mode);
	put_ip(g, PT_IP_TIP_PGE, ip);
	g->on = true;
}

void pt_gen_stop(struct pt_gen *g, uint64_t ip)
{
	uint8_t b[PT_PKT_MAX];

	if (!g->on)
		return;
	/*
	 * An asynchronous disable: FUP names the first instruction not traced,
	 * TIP.PGD carries no IP (SDM 33.4.2, "Packet Generation Disable (TIP.PGD) Packet").
	 */
	put_ip(g, PT_IP_FUP, ip);
	out(g, b, pt_put_tip_pgd(b, &g->last, ip, true));
	g->on = false;
}

static void branch_tip(struct pt_gen *g, uint64_t target)
{
	if (g->cfg.branch_en)
		put_ip(g, PT_IP_TIP, target);
}

void pt_gen_insn(struct pt_gen *g, const struct pt_step *s)
{
	if (!g->on)
		return;
	g->tsc = s->tsc;
	switch (s->cofi) {
	case PT_COFI_JCC:
		if (g->cfg.branch_en)
			tnt_add(g, s->taken);
		break;
	case PT_COFI_CALL_DIRECT:
		/* libipt does not push a CALL to the next instruction (position-independent code idiom). */
		if (s->next_ip != s->ip + s->len)
			calls_push(g, s->ip + s->len);
		break;
	case PT_COFI_CALL_INDIRECT:
		calls_push(g, s->ip + s->len);
		branch_tip(g, s->next_ip);
		break;
	case PT_COFI_JMP_INDIRECT:
		branch_tip(g, s->next_ip);
		break;
	case PT_COFI_RET:
		if (!g->cfg.branch_en)
			break;
		if (calls_match(g, s->next_ip))
			tnt_add(g, true);
		else
			put_ip(g, PT_IP_TIP, s->next_ip);
		break;
	case PT_COFI_FAR:
		/* MODE.Exec goes right before the TIP it applies to. */
		if (s->mode != g->mode)
			put_mode(g, s->mode);
		branch_tip(g, s->next_ip);
		break;
	case PT_COFI_MOV_CR3:
		g->cr3 = s->cr3;
		if (g->cfg.os)
			put_state(g, true);
		break;
	default: /* PT_COFI_NONE, PT_COFI_JMP_DIRECT: nothing the decoder cannot infer */
		break;
	}
	psb_due(g, s->next_ip);
}

void pt_gen_insn_exit(struct pt_gen *g, const struct pt_step *s)
{
	uint8_t b[PT_PKT_MAX];

	if (!g->on)
		return;
	if (s->cofi != PT_COFI_FAR) {
		pt_gen_insn(g, s);
		pt_gen_stop(g, s->next_ip);
		return;
	}
	/* libipt binds a suppressed TIP.PGD to the far branch before it. */
	g->tsc = s->tsc;
	g->mode = s->mode;
	pt_gen_flush(g);
	out(g, b, pt_put_tip_pgd(b, &g->last, s->next_ip, true));
	g->on = false;
}

void pt_gen_event(struct pt_gen *g, uint64_t from_ip, uint64_t to_ip, enum pt_cpu_mode mode)
{
	if (!g->on)
		return;
	/* SDM 33.2.1, "Far Transfer COFI": asynchronous transfers send FUP(source) then TIP(target). */
	if (g->cfg.branch_en)
		put_ip(g, PT_IP_FUP, from_ip);
	if (mode != g->mode)
		put_mode(g, mode);
	branch_tip(g, to_ip);
	psb_due(g, to_ip);
}

void pt_gen_overflow(struct pt_gen *g, uint64_t ip, uint64_t tsc)
{
	uint8_t b[PT_PKT_MAX];

	if (!g->on)
		return;
	/*
	 * SDM 33.3, "Internal Buffer Overflow": OVF, then FUP while in context.
	 * The pending results belong to the lost stretch; the decoder restarts at the FUP.
	 */
	g->tnt_n = 0;
	g->tnt_bits = 0;
	calls_clear(g);
	pt_last_ip_invalidate(&g->last);
	g->tsc = tsc;
	out(g, b, pt_put_ovf(b));
	if (g->cfg.tsc_en)
		put_state(g, false);
	put_ip(g, PT_IP_FUP, ip);
}

void pt_gen_tsc(struct pt_gen *g, uint64_t tsc)
{
	g->tsc = tsc;
	if (g->on && g->cfg.tsc_en)
		put_state(g, false);
}

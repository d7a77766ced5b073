/*
 * The emulated backend and the debug registers. Event delivery clears
 * RFLAGS.TF (SDM 6.12.1), so TF stepping cannot see an event handler's first
 * instruction; an execute breakpoint on it can. The breakpoint borrows one
 * of DR0-DR3 only for the delivery itself: from the moment the event is known
 * (an INT n about to run, an exception or interrupt being injected) until the
 * handler is reached, during which no guest instruction runs, so the guest
 * can never read the borrowed register or DR7, and a guest switch in that
 * window saves and restores it as this guest's state (vmx/vcpu_switch.c).
 *
 * The guest's own breakpoints keep working while it is traced: a register
 * its DR7 leaves disabled is borrowed when there is one; with all four in
 * use DR3 is borrowed and its execute breakpoint checked in software at both
 * ends of the window (a data breakpoint in DR3 cannot see the delivery's own
 * stack writes: a documented limit). #DB exits do not update DR6 (SDM
 * 27.1), so the guest's conditions are written to DR6 here before its #DB
 * is injected.
 */
#include "pt/emul/pt_emul_int.h"

static bool dr7_enabled(uint64_t dr7, unsigned n)
{
	return dr7 & (DR7_L(n) | DR7_G(n));
}

/* An enabled instruction breakpoint (R/W 00, LEN 00: SDM 17.2.4) in slot n at linear address ip. */
static bool exec_bp_at(uint64_t dr7, unsigned n, uint64_t dr, uint64_t ip)
{
	return dr7_enabled(dr7, n) && !((dr7 >> DR7_RW_SHIFT(n)) & 0xf) && dr == ip;
}

static unsigned pick_slot(uint64_t dr7)
{
	for (unsigned n = 0; n < DR_COUNT; n++)
		if (!dr7_enabled(dr7, n))
			return n;
	return DR_COUNT - 1;
}

/* The guest's DR7: the VMCS's, or the saved one while the handler breakpoint is in the VMCS's. */
static uint64_t guest_dr7(const struct pt_emul *e)
{
	return e->bp.armed ? e->bp.saved_dr7 : vmcs_readnat(GUEST_DR7);
}

void pt_emul_bp_arm(struct pt_emul *e, uint64_t ip, bool frame_err)
{
	struct pt_emul_bp *b = &e->bp;

	if (!b->armed) {
		b->saved_dr7 = vmcs_readnat(GUEST_DR7);
		b->slot = pick_slot(b->saved_dr7);
		b->stolen = dr7_enabled(b->saved_dr7, b->slot);
		b->saved_dr = cpu_read_dr(b->slot);
		b->armed = true;
	}
	b->ip = ip;
	cpu_write_dr(b->slot, ip);
	vmcs_writenat(GUEST_DR7,
		      (b->saved_dr7 & ~(DR7_RW_LEN(b->slot) | DR7_G(b->slot))) | DR7_L(b->slot) | DR7_FIXED1);
	e->bp_frame = true;
	e->bp_frame_err = frame_err;
}

void pt_emul_bp_disarm(struct pt_emul *e)
{
	struct pt_emul_bp *b = &e->bp;

	if (!b->armed)
		return;
	cpu_write_dr(b->slot, b->saved_dr);
	vmcs_writenat(GUEST_DR7, b->saved_dr7);
	b->armed = false;
}

bool pt_emul_bp_would_hide(const struct pt_emul *e, uint64_t ip)
{
	uint64_t dr7 = guest_dr7(e);
	unsigned n = pick_slot(dr7);
	uint64_t dr = e->bp.armed ? e->bp.saved_dr : cpu_read_dr(n);

	/* RF=1 suppresses instruction breakpoints for this instruction (SDM 17.3.1.1). */
	return exec_bp_at(dr7, n, dr, ip) && !(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_RF);
}

uint64_t pt_emul_guest_db_bits(const struct pt_emul *e, uint64_t dr6, uint64_t ip)
{
	uint64_t bits = dr6 & DR6_TRAP_BITS;
	bool any = false;

	if (!bits)
		return 0; /* a plain single step: the common case */
	uint64_t dr7 = guest_dr7(e);

	if (e->bp.armed) {
		/* The borrowed slot reports ours; the guest's breakpoint there is compared by hand. */
		bits &= ~DR6_B(e->bp.slot);
		if (e->bp.stolen && exec_bp_at(dr7, e->bp.slot, e->bp.saved_dr, ip))
			bits |= DR6_B(e->bp.slot);
	}
	for (unsigned n = 0; n < DR_COUNT; n++)
		if ((bits & DR6_B(n)) && dr7_enabled(dr7, n))
			any = true;
	/* B0-B3 may report matches of disabled breakpoints too; they count only beside an enabled one. */
	return any ? bits : 0;
}

void pt_emul_dr6_report(uint64_t bits)
{
	cpu_write_dr(6, (cpu_read_dr(6) & ~DR6_TRAP_BITS) | bits);
}

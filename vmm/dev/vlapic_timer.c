/*
 * The local APIC timer (SDM Vol. 3A 11.5.4 "APIC Timer"): the initial-count register loads the
 * current count, which counts down at the crystal clock divided by the divide configuration; at zero
 * the LVT timer vector is raised, and in periodic mode the count reloads. In TSC-deadline mode
 * (SDM 11.5.4.1) IA32_TSC_DEADLINE arms it instead. Nothing here counts: every state is computed
 * from the guest TSC the caller hands over (vlapic_timer_tick), so the timer runs in real time even
 * while its guest does not.
 */
#include "dev/vlapic.h"

/* Periodic interrupts come at most every 100 us: a tiny count would otherwise take the CPU from everyone. */
#define PERIODIC_MIN_DIV 10000u /* 1 s / 100 us */

static uint32_t timer_mode(const struct vlapic *a)
{
	return a->lvt[LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK;
}

/* Divide configuration bits 3, 1:0 (SDM 11.5.4, Figure 11-10): 000 -> 2 ... 110 -> 128, 111 -> 1. */
static unsigned timer_divisor(uint32_t dcr)
{
	unsigned v = ((dcr >> 1) & 4) | (dcr & 3);

	return 1u << ((v + 1) & 7);
}

/* TSC ticks for `counts` at the divider, rounded up (fits: counts * 128 * tsc_khz < 2^32 * 2^7 * 2^24). */
static uint64_t counts_to_tsc(const struct vlapic *a, uint64_t counts)
{
	uint64_t num = counts * timer_divisor(a->timer_dcr) * a->timer.tsc_khz;

	return (num + a->timer.crystal_khz - 1) / a->timer.crystal_khz;
}

static uint64_t tsc_to_counts(const struct vlapic *a, uint64_t tsc)
{
	return tsc * a->timer.crystal_khz / ((uint64_t)timer_divisor(a->timer_dcr) * a->timer.tsc_khz);
}

static bool counting_mode(const struct vlapic *a)
{
	return timer_mode(a) == APIC_TIMER_ONESHOT || timer_mode(a) == APIC_TIMER_PERIODIC;
}

/* The time between two periodic interrupts. */
static uint64_t periodic_step(const struct vlapic *a)
{
	return MAX(a->timer.period, (uint64_t)a->timer.tsc_khz * 1000 / PERIODIC_MIN_DIV);
}

void vlapic_timer_set_clock(struct vlapic *a, uint32_t tsc_khz, uint32_t crystal_khz)
{
	/* Beyond 2^25 kHz (33 GHz) counts_to_tsc could overflow: such a clock is refused, the timer stops. */
	if (!tsc_khz || !crystal_khz || tsc_khz >= (1u << 25))
		tsc_khz = crystal_khz = 0;
	a->timer.tsc_khz = tsc_khz;
	a->timer.crystal_khz = crystal_khz;
	a->timer.armed = false;
	a->timer.period = 0;
}

static void timer_stop(struct vlapic *a)
{
	a->timer.armed = false;
	a->timer.period = 0;
}

/* The count restarts at `count` now; the full period is that of the initial count. */
static void timer_load(struct vlapic *a, uint32_t count)
{
	if (!a->timer.tsc_khz || !a->timer_icr || !count || !counting_mode(a)) {
		timer_stop(a);
		return;
	}
	a->timer.period = counts_to_tsc(a, a->timer_icr);
	a->timer.expiry = a->timer.now + counts_to_tsc(a, count);
	a->timer.start = a->timer.expiry - a->timer.period;
	a->timer.armed = true;
}

uint32_t vlapic_timer_ccr(const struct vlapic *a)
{
	if (!a->timer.period || !counting_mode(a))
		return 0; /* stopped, expired one-shot, or TSC-deadline mode (SDM 11.5.4.1: reads 0) */
	uint64_t elapsed = a->timer.now - a->timer.start;

	if (elapsed >= a->timer.period)
		return 0;
	uint64_t done = tsc_to_counts(a, elapsed);
	return done >= a->timer_icr ? 0 : a->timer_icr - (uint32_t)done;
}

/* Fixed delivery of the LVT timer vector, unless masked (the count runs on: SDM 11.5.4). */
static bool timer_fire(struct vlapic *a)
{
	uint32_t lvt = a->lvt[LVT_TIMER];

	if ((lvt & APIC_LVT_MASKED) || !(a->svr & APIC_SVR_ENABLE) || !vlapic_hw_enabled(a))
		return false;
	return vlapic_set_irr(a, lvt & APIC_LVT_VECTOR);
}

bool vlapic_timer_tick(struct vlapic *a, uint64_t now)
{
	struct vlapic_timer *t = &a->timer;

	if (now > t->now)
		t->now = now;
	if (!t->armed || t->now < t->expiry)
		return false;
	switch (timer_mode(a)) {
	case APIC_TIMER_PERIODIC: {
		/* Periods missed while nobody looked coalesce into one interrupt, as IRR holds one. */
		uint64_t step = periodic_step(a);
		t->start = t->expiry + (t->now - t->expiry) / step * step;
		t->expiry = t->start + step;
		break;
	}
	case APIC_TIMER_TSC_DEADLINE:
		t->deadline = 0; /* the MSR clears when the timer fires (SDM 11.5.4.1) */
		t->armed = false;
		break;
	default:
		t->armed = false; /* one-shot: the count stays 0 */
		break;
	}
	return timer_fire(a);
}

void vlapic_timer_write_lvt(struct vlapic *a, uint32_t val, uint32_t writable)
{
	uint32_t old = timer_mode(a);

	a->lvt[LVT_TIMER] = (a->lvt[LVT_TIMER] & ~writable) | (val & writable);
	/* "Transitions between TSC-deadline mode and other timer modes also disarm the timer" (SDM 11.5.4.1). */
	if (old != timer_mode(a) && (old == APIC_TIMER_TSC_DEADLINE || timer_mode(a) == APIC_TIMER_TSC_DEADLINE)) {
		timer_stop(a);
		a->timer_icr = 0;
		a->timer.deadline = 0;
	}
	/* Mode 11b is reserved: nothing counts. One-shot <-> periodic only changes what happens at zero. */
	if (!counting_mode(a) && timer_mode(a) != APIC_TIMER_TSC_DEADLINE)
		timer_stop(a);
}

void vlapic_timer_write_icr(struct vlapic *a, uint32_t val)
{
	if (timer_mode(a) == APIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode (SDM 11.5.4.1) */
	a->timer_icr = val;
	timer_load(a, val); /* a write of 0 stops the timer (SDM 11.5.4) */
}

/* A new divider applies to the rest of the current count too. */
void vlapic_timer_write_dcr(struct vlapic *a, uint32_t val)
{
	uint32_t ccr = vlapic_timer_ccr(a);
	bool running = a->timer.armed && counting_mode(a);

	a->timer_dcr = val & 0xbu;
	if (running)
		timer_load(a, ccr);
}

uint64_t vlapic_timer_read_deadline(const struct vlapic *a)
{
	return timer_mode(a) == APIC_TIMER_TSC_DEADLINE ? a->timer.deadline : 0;
}

void vlapic_timer_write_deadline(struct vlapic *a, uint64_t val)
{
	if (timer_mode(a) != APIC_TIMER_TSC_DEADLINE || !a->timer.tsc_khz)
		return; /* "writes ... are ignored" outside TSC-deadline mode (SDM 11.5.4.1) */
	a->timer.deadline = val;
	a->timer.expiry = val;
	a->timer.armed = val != 0; /* 0 disarms; a value already past fires at the next tick */
}

void vlapic_timer_tsc_moved(struct vlapic *a, uint64_t delta)
{
	a->timer.now += delta;
	if (counting_mode(a) && a->timer.period) {
		a->timer.start += delta;
		a->timer.expiry += delta;
	}
}

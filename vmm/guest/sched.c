/*
 * Time-slicing scheduler. All guests share the boot CPU; each runs for a
 * slice of the VMX-preemption timer (SDM 26.5.1) or until it yields (HLT) or
 * stops. A guest asleep in HLT is passed over until its APIC timer is due or
 * it is kicked (vmx/vcpu_time.c); when every guest sleeps the CPU idles until
 * the earliest of their timers (time/idle.c). A guest switch takes the old vCPU off the CPU and puts the new one
 * on (vcpu_put/vcpu_load: VMCS, FPU/XSAVE state, syscall MSRs, DR0-DR3/DR6),
 * so no guest ever sees another's registers. A stop a handler asked for is
 * carried out here, the one place that changes a guest's state.
 *
 * Fairness is in wall time. Each guest's virtual time (sched_vtime) is the wall time of its slices, from
 * the switch to the return from vmx_run_guest(), so the VMM's work for its exits (emulation, output, the
 * emulated PT backend's single steps, which vcpu_time_hide() takes out of the guest's own clock) counts
 * against the guest that caused it. Turns go round robin, but a guest more than two slices (LEAD_TSC) ahead of the
 * guest furthest behind gives up its turn: one exit that outlasts a slice is paid for with turns. A
 * due timer of another guest ends a slice early only while that guest is at most as far ahead of the
 * one running, so interrupts cannot buy a guest more than its share; a guest back from sleep in HLT, or
 * one that gave up the rest of its slice, starts at most a slice behind the others, so neither sleeping
 * nor yielding banks time.
 */
#include "guest/sched.h"
#include "guest/guest.h"
#include "vmx/exit.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_input.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vcpu_time.h"
#include "time/idle.h"

#define SLICE_TSC (1ULL << 22)
/*
 * How far ahead of the guest furthest behind in virtual time a guest may be and still take its turn, or
 * have its due timer end another's slice: one bound for both, so a guest whose timer ended a slice can
 * run next.
 */
#define LEAD_TSC (2 * SLICE_TSC)

static struct guest *current;

static void switch_to(struct guest *g)
{
	if (current != g) {
		if (current) {
			vcpu_pt_descheduled(&current->vcpu);
			vcpu_put(&current->vcpu);
		}
		vcpu_load(&g->vcpu);
		current = g;
	}
	/* The preemption timer is set at every entry, for the slice's end or the guest's next timer interrupt. */
}

/* Awake guests back from a sleep or a yield start at most a slice behind the others awake. */
static void vtime_wake_clamp(void)
{
	uint64_t vmax = 0;

	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].state == GUEST_RUNNABLE && !guests[i].vcpu.halted && !guests[i].sched_slept)
			vmax = MAX(vmax, guests[i].sched_vtime);
	for (unsigned i = 0; i < guest_count; i++) {
		struct guest *g = &guests[i];

		if (g->state != GUEST_RUNNABLE || g->vcpu.halted || !g->sched_slept)
			continue;
		g->sched_slept = false;
		if (vmax > SLICE_TSC)
			g->sched_vtime = MAX(g->sched_vtime, vmax - SLICE_TSC);
	}
}

/* The next awake guest in round-robin order after `after` at most LEAD_TSC ahead of the last. */
static struct guest *pick_next(struct guest *after, uint64_t now)
{
	unsigned start = after ? after->id + 1 : 0;
	uint64_t vmin = UINT64_MAX;

	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].state == GUEST_RUNNABLE && !vcpu_wake_check(&guests[i].vcpu, now))
			guests[i].sched_slept = true;
	vtime_wake_clamp();
	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].state == GUEST_RUNNABLE && !guests[i].vcpu.halted)
			vmin = MIN(vmin, guests[i].sched_vtime);
	for (unsigned i = 0; i < guest_count && vmin != UINT64_MAX; i++) {
		struct guest *g = &guests[(start + i) % guest_count];

		if (g->state == GUEST_RUNNABLE && !g->vcpu.halted && g->sched_vtime - vmin <= LEAD_TSC)
			return g;
	}
	return NULL;
}

/*
 * No guest can run: the CPU idles until the earliest wake-up of the sleeping ones. False when no
 * guest is left. Sleepers that nothing can wake any more (their timer interrupt blocked by their
 * own priority) are woken, as their HLT would end on the next event they ignore.
 */
static bool idle(uint64_t now)
{
	uint64_t wake = VCPU_WAKE_NEVER;
	bool alive = false;

	for (unsigned i = 0; i < guest_count; i++) {
		if (guests[i].state != GUEST_RUNNABLE)
			continue;
		alive = true;
		wake = MIN(wake, vcpu_wake_tsc(&guests[i].vcpu, now));
	}
	if (!alive)
		return false;
	if (wake == VCPU_WAKE_NEVER) {
		for (unsigned i = 0; i < guest_count; i++)
			vcpu_kick(&guests[i].vcpu);
		return true;
	}
	time_idle_until(wake);
	return true;
}

/*
 * The slice ends early when another guest's APIC timer is due, so its interrupt is not held back a
 * slice, but not before the running guest has come within LEAD_TSC of that guest's virtual time:
 * the lead a guest can gain by its interrupts stays bounded, so shares stay equal over time.
 */
static uint64_t slice_end(const struct guest *g, uint64_t start)
{
	uint64_t end = start + SLICE_TSC;

	for (unsigned i = 0; i < guest_count; i++) {
		const struct guest *h = &guests[i];
		uint64_t lead = g->sched_vtime + LEAD_TSC;
		uint64_t ahead = h->sched_vtime > lead ? h->sched_vtime - lead : 0;

		if (h != g && h->state == GUEST_RUNNABLE)
			end = MIN(end, MAX(vcpu_timer_next_host(&h->vcpu), start + ahead));
	}
	return end;
}

static void run_slice(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint64_t start = cpu_rdtsc(), end = slice_end(g, start), now;
	enum exit_action a;

	vcpu_input_poll(); /* host serial input, at least once per slice */
	switch_to(g);
	a = vmx_run_guest(v, end);
	now = cpu_rdtsc();
	g->run_tsc += now - start;
	g->sched_vtime += now - start;
	/* Gave the CPU away before its slice ended (HLT): like a sleeper, it banks no time for later. */
	if (now < end)
		g->sched_slept = true;
	if (a == EXIT_STOPPED)
		guest_stop(g, v->stop.status, "%s", v->stop.reason);
	else if (g->cfg.run_limit && g->run_tsc >= g->cfg.run_limit)
		guest_stop(g, 0, "run-time limit of %lu TSC ticks reached", g->cfg.run_limit);
}

unsigned sched_run(void)
{
	struct guest *g = NULL;
	unsigned ok = 0;

	for (;;) {
		uint64_t now = cpu_rdtsc();
		struct guest *next = pick_next(g, now);

		if (next)
			run_slice(g = next);
		else if (!idle(now))
			break;
	}
	if (current) {
		vcpu_put(&current->vcpu);
		current = NULL;
	}
	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].exit_status == 0 && guests[i].stop_reason[0] && guests[i].vcpu.vmcs_pa)
			ok++;
	return ok;
}

/*
 * Time-slicing scheduler. All guests share the boot CPU; each runs for a
 * slice of the VMX-preemption timer (SDM 26.5.1) or until it yields (HLT) or
 * stops. A guest asleep in HLT is passed over until its APIC timer is due or
 * it is kicked (vmx/vcpu_time.c); when every guest sleeps the CPU idles until
 * the earliest of their timers (time/idle.c). A guest switch takes the old vCPU off the CPU and puts the new one
 * on (vcpu_put/vcpu_load: VMCS, FPU/XSAVE state, syscall MSRs, DR0-DR3/DR6),
 * so no guest ever sees another's registers. A stop a handler asked for is
 * carried out here, the one place that changes a guest's state.
 */
#include "guest/sched.h"
#include "guest/guest.h"
#include "vmx/exit.h"
#include "vmx/vcpu_input.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vcpu_time.h"
#include "time/idle.h"

#define SLICE_TSC (1ULL << 22)

static struct guest *current;

static void switch_to(struct guest *g)
{
	if (current != g) {
		if (current)
			vcpu_put(&current->vcpu);
		vcpu_load(&g->vcpu);
		current = g;
	}
	/* The preemption timer is set at every entry, for the slice's end or the guest's next timer interrupt. */
}

static struct guest *pick_next(struct guest *after, uint64_t now)
{
	unsigned start = after ? after->id + 1 : 0;

	for (unsigned i = 0; i < guest_count; i++) {
		struct guest *g = &guests[(start + i) % guest_count];
		if (g->state == GUEST_RUNNABLE && vcpu_wake_check(&g->vcpu, now))
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

/* The slice ends early when another guest's APIC timer is due: its interrupt is not held back a slice. */
static uint64_t slice_end(const struct guest *g, uint64_t start)
{
	uint64_t end = start + SLICE_TSC;

	for (unsigned i = 0; i < guest_count; i++)
		if (&guests[i] != g && guests[i].state == GUEST_RUNNABLE)
			end = MIN(end, vcpu_timer_next_host(&guests[i].vcpu));
	return end;
}

static void run_slice(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint64_t start = cpu_rdtsc();
	enum exit_action a;

	vcpu_input_poll(); /* host serial input, at least once per slice */
	switch_to(g);
	a = vmx_run_guest(v, slice_end(g, start));
	g->run_tsc += cpu_rdtsc() - start;
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

/*
 * Time-slicing scheduler. All guests share the boot CPU; each runs for a
 * slice of the VMX-preemption timer (SDM 26.5.1) or until it yields (HLT) or
 * stops. A guest switch takes the old vCPU off the CPU and puts the new one
 * on (vcpu_put/vcpu_load: VMCS, FPU/XSAVE state, syscall MSRs, DR0-DR3/DR6),
 * so no guest ever sees another's registers. A stop a handler asked for is
 * carried out here, the one place that changes a guest's state.
 */
#include "guest/sched.h"
#include "guest/guest.h"
#include "vmx/exit.h"
#include "vmx/vcpu_input.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmcs_ops.h"

#define SLICE_TSC (1ULL << 22)

static struct guest *current;

static void slice_timer_start(void)
{
	if (vmx_ctls.preemption_timer)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)(SLICE_TSC >> vmx_ctls.preemption_rate));
}

static void switch_to(struct guest *g)
{
	if (current != g) {
		if (current)
			vcpu_put(&current->vcpu);
		vcpu_load(&g->vcpu);
		current = g;
	}
	/* Every slice starts with a full timer: with "save VMX-preemption timer value" an expired one reads 0. */
	slice_timer_start();
}

static struct guest *pick_next(struct guest *after)
{
	unsigned start = after ? after->id + 1 : 0;

	for (unsigned i = 0; i < guest_count; i++) {
		struct guest *g = &guests[(start + i) % guest_count];
		if (g->state == GUEST_RUNNABLE)
			return g;
	}
	return NULL;
}

static void run_slice(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	uint64_t start = cpu_rdtsc();
	enum exit_action a;

	vcpu_input_poll(); /* host serial input, at least once per slice */
	switch_to(g);
	a = vmx_run_guest(v, start + SLICE_TSC, !vmx_ctls.timer_saved);
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

	while ((g = pick_next(g)) != NULL)
		run_slice(g);
	if (current) {
		vcpu_put(&current->vcpu);
		current = NULL;
	}
	for (unsigned i = 0; i < guest_count; i++)
		if (guests[i].exit_status == 0 && guests[i].stop_reason[0] && guests[i].vcpu.vmcs_pa)
			ok++;
	return ok;
}

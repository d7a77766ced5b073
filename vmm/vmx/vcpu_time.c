/*
 * Guest time. The guest's TSC is the host's plus TSC_OFFSET; its APIC timer (dev/vlapic_timer.c) is
 * computed from that TSC, never counted, so it keeps real time whether the guest runs, waits for the
 * CPU or sleeps. Its interrupts are delivered by two things: before every entry a due one is moved
 * into IRR, and the VMX-preemption timer (SDM 26.5.1 "VMX-Preemption Timer") is set to expire at the
 * next one if that comes before the end of the slice, so a guest spinning on a flag gets its tick.
 * A HLT with nothing to take sleeps the vCPU (not runnable) until its timer, a kick or its poll hook.
 */
#include "vmx/vcpu_time.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmcs_ops.h"

/* A vCPU with a poll hook is looked at every millisecond while it sleeps. */
#define POLL_HZ 1000u

uint64_t vcpu_timer_next_host(const struct vcpu *v)
{
	uint64_t next = vlapic_timer_next(&v->lapic);

	if (next == VLAPIC_TIMER_NONE)
		return VCPU_WAKE_NEVER;
	/* A deadline before the guest's TSC began (guest time below the offset) is due at once. */
	return next >= v->tsc_offset || (int64_t)v->tsc_offset < 0 ? next - v->tsc_offset : 0;
}

static void preemption_timer_set(struct vcpu *v, uint64_t now)
{
	uint64_t end = MIN(v->slice_end, vcpu_timer_next_host(v));
	uint64_t ticks = end > now ? (end - now) >> vmx_ctls.preemption_rate : 0;

	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)MIN(ticks, (uint64_t)UINT32_MAX));
}

void vcpu_time_before_entry(struct vcpu *v, uint64_t now)
{
	/* Also what was raised while the vCPU was off the CPU (vcpu_wake_check, another device): always ask. */
	vlapic_timer_tick(&v->lapic, now + v->tsc_offset);
	vlapic_request_windows(v);
	if (vmx_ctls.preemption_timer)
		preemption_timer_set(v, now);
}

void vcpu_time_hide(struct vcpu *v, uint64_t ticks)
{
	v->tsc_offset -= ticks;
	vmcs_write64(TSC_OFFSET, v->tsc_offset);
}

bool vcpu_can_sleep(const struct vcpu *v)
{
	return vlapic_timer_next(&v->lapic) != VLAPIC_TIMER_NONE || v->poll;
}

void vcpu_kick(struct vcpu *v)
{
	v->halted = false;
}

bool vcpu_wake_check(struct vcpu *v, uint64_t now)
{
	if (!v->halted)
		return true;
	if (v->poll)
		v->poll(v);
	vlapic_timer_tick(&v->lapic, now + v->tsc_offset);
	if (vlapic_pending_vector(&v->lapic) >= 0 || v->lapic.nmi_pending)
		v->halted = false;
	return !v->halted;
}

uint64_t vcpu_wake_tsc(const struct vcpu *v, uint64_t now)
{
	uint64_t t = vcpu_timer_next_host(v);

	if (v->poll && v->lapic.timer.tsc_khz)
		t = MIN(t, now + (uint64_t)v->lapic.timer.tsc_khz * 1000 / POLL_HZ);
	return t;
}

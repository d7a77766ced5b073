/* A vCPU's time: its APIC timer against the real TSC, the VMX-preemption timer, and sleeping in HLT. */
#ifndef PTV_VCPU_TIME_H
#define PTV_VCPU_TIME_H

#include "types.h"
#include "vmx/vcpu.h"

#define VCPU_WAKE_NEVER UINT64_MAX

/*
 * Before an entry (VMCS of v current, `now` the host TSC): a timer interrupt now due goes into IRR and
 * its window is asked for, and the VMX-preemption timer is set to end at the slice's end or the next
 * timer interrupt, whichever comes first.
 */
void vcpu_time_before_entry(struct vcpu *v, uint64_t now);
/*
 * Takes `ticks` of host time out of the guest's clock (TSC_OFFSET lowered; the APIC timer, computed from
 * the guest's TSC, follows): time the VMM spent on work the guest did not ask for, such as the emulated
 * PT backend's single steps, which would otherwise make every traced instruction look a thousand times
 * slower and let timer interrupts starve the traced code. The guest's TSC stays monotonic.
 */
void vcpu_time_hide(struct vcpu *v, uint64_t ticks);
/* The host TSC at which the vCPU's next timer interrupt is due, or VCPU_WAKE_NEVER. */
uint64_t vcpu_timer_next_host(const struct vcpu *v);
/* HLT with IF=1 and nothing pending: whether something (timer, poll hook) can ever wake the vCPU. */
bool vcpu_can_sleep(const struct vcpu *v);
/*
 * Wakes a vCPU sleeping in HLT; no effect on one that runs. A device that raises an interrupt for it
 * from outside (I/O APIC, serial input) calls this after vlapic_set_irr(). Needs no current VMCS.
 */
void vcpu_kick(struct vcpu *v);
/*
 * A sleeping vCPU at host TSC `now`: its poll hook runs, its timer ticks, and an interrupt it can take
 * (or an NMI) wakes it. Returns whether it is awake. Needs no current VMCS.
 */
bool vcpu_wake_check(struct vcpu *v, uint64_t now);
/* When a sleeping vCPU must be looked at again (host TSC): its timer, or soon when it polls. */
uint64_t vcpu_wake_tsc(const struct vcpu *v, uint64_t now);

#endif

/* The emulated PT backend where nothing can be traced: the guest runs natively until that may change. */
#ifndef PTV_PT_EMUL_OUTSIDE_H
#define PTV_PT_EMUL_OUTSIDE_H

#include "types.h"

struct vcpu;
struct pt_guest;

/* CR3-load exiting can be set (IA32_VMX_PROCBASED_CTLS), decided and reported at boot (step_probe.c). */
extern bool pt_outside_cr3_exiting;

/* Nothing can be traced before the guest's next MOV to CR3, and stepping may stop until then. */
bool pt_emul_outside_wanted(const struct pt_guest *pg);
/* Native from here (stepping already disarmed): CR3-load exiting on. */
void pt_emul_outside_enter(struct vcpu *v, struct pt_guest *pg);
/* Back to the step engine or tracing off: CR3-load exiting off. */
void pt_emul_outside_leave(struct vcpu *v, struct pt_guest *pg);

#endif

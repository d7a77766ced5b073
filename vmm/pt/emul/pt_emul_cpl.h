/* The emulated PT backend at a privilege level the CPL filter excludes: native under an EPT view. */
#ifndef PTV_PT_EMUL_CPL_H
#define PTV_PT_EMUL_CPL_H

#include "types.h"

struct vcpu;
struct pt_guest;
struct ept_violation;

/* Nothing can be traced at the current CPL (IA32_RTIT_CTL.OS / User) and stepping may stop until
   the guest fetches code outside the pages learned at this level. */
bool pt_emul_cpl_wanted(const struct pt_guest *pg);
/* Native from here (stepping already disarmed) under the outside view; false if it cannot be built. */
bool pt_emul_cpl_enter(struct vcpu *v, struct pt_guest *pg);
/* Back to the guest's EPT (the step engine takes over, or tracing ends). */
void pt_emul_cpl_leave(struct vcpu *v, struct pt_guest *pg);
/* An EPT violation under the view: an enum ept_fault_result, EPT_FAULT_UNHANDLED when not the view's. */
int pt_emul_cpl_ept(struct vcpu *v, const struct ept_violation *ev);
/* Under the view at a traced CPL (returned there, the first fetch not made yet): the step engine
   takes over at this IP, as the fetch would have made it. */
void pt_emul_cpl_boundary(struct vcpu *v);
/* ptvisor writes the guest page at gpa for it: no longer known code. */
void pt_emul_cpl_written(struct vcpu *v, uint64_t gpa);
/* The guest goes away: the view's tables are freed. */
void pt_emul_cpl_release(struct vcpu *v);

#endif

/* The pt_mode / PT backend decision: every capability gate for tracing, in one place. */
#ifndef PTV_PT_POLICY_H
#define PTV_PT_POLICY_H

#include "types.h"
#include "cmdline.h"
#include "vmx/caps.h"

#define PT_REASON_MAX 256 /* room for a mode fallback plus every missing predicate */

/*
 * What the user asked for and what is in force. Modes (SDM 33.5.2 "Managing
 * Trace Packet Generation Across VMX Transitions"):
 *   system      one host trace of VMM and guests; guests see no PT.
 *   host        host trace of the VMM only; guests see no PT.
 *   host-guest  the VMM traces itself (when it can) and each guest gets its own
 *               PT through guest_backend (hw, emulated or off).
 * system/host fall back to host-guest when the host cannot trace, so guests
 * still get whatever PT the backend request allows.
 */
struct pt_decision {
	enum pt_mode requested, mode;
	enum pt_backend backend_requested, guest_backend;
	bool host_trace;
	bool guest_hw_possible;
	char reason[PT_REASON_MAX];
};

/* Host tracing under VMX: CPUID PT, ToPA output and IA32_VMX_MISC[14]. */
bool pt_host_trace_possible(const struct vmx_caps *c);
/* Hardware guest PT: host PT plus PT-uses-GPA with EPT, load and clear IA32_RTIT_CTL. */
bool pt_guest_hw_possible(const struct vmx_caps *c);
/* Emulated guest PT needs only VMX with EPT. */
bool pt_guest_emulated_possible(const struct vmx_caps *c);
/* Names of the missing hardware-guest-PT predicates, space separated; returns how many. */
unsigned pt_guest_hw_missing(const struct vmx_caps *c, char *buf, size_t size);

void pt_decide(const struct vmx_caps *c, enum pt_mode req, enum pt_backend breq, struct pt_decision *d);
void pt_decision_print(const struct pt_decision *d);

#endif

/* Names the guest-state field that made a VM entry fail, by re-checking the SDM's rules in software. */
#ifndef PTV_VMCS_CHECK_H
#define PTV_VMCS_CHECK_H

#include "types.h"

struct vmx_controls;

/*
 * Checks the current VMCS's guest state against a subset of SDM 27.3.1 "Checks on the Guest State
 * Area" (the ones a VMM is likely to get wrong). Writes the first violated rule, naming the field and
 * its value, and returns true; false when none of these rules is broken.
 */
bool vmcs_guest_state_problem(const struct vmx_controls *c, char *buf, size_t len);

#endif

/* Boot self-test that chooses how the emulated PT backend single-steps guests. */
#ifndef PTV_PT_STEP_PROBE_H
#define PTV_PT_STEP_PROBE_H

#include "vmx/caps.h"

/* Runs a three-instruction guest with MTF armed; sets pt_step_mech and reports the choice. */
void pt_step_probe(const struct vmx_caps *c);

#endif

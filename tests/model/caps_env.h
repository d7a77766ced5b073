/* Shared helpers of the capability tests: capabilities of a fixture CPU, and one line of the probe table. */
#ifndef PTV_CAPS_ENV_H
#define PTV_CAPS_ENV_H

#include "vmx/caps.h"
#include "../fixtures/cpu_fixtures.h"

/* Loads the fixture into the CPU model and reads its capabilities as the VMM does at boot. */
struct vmx_caps caps_env_read(const struct cpu_fixture *f);
/* The captured console line containing `needle`, leading blanks removed; fails the test if absent. */
const char *caps_env_line(const char *needle);
/* cmocka setup: a fresh console capture. */
int caps_env_setup(void **state);

#endif

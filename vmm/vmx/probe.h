/* The boot-time table of CPU, VMX and Intel PT capabilities. */
#ifndef PTV_VMX_PROBE_H
#define PTV_VMX_PROBE_H

#include "vmx/caps.h"

/* Width of the right-aligned label column; every table line is at most 100 columns. */
#define PROBE_LABEL_WIDTH 46
#define PROBE_LINE_MAX    100

void vmx_probe_print(const struct vmx_caps *c);

#endif

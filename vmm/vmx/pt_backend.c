/* The PT backend a vCPU has until one attaches: a CPU without Intel PT (vmx/pt_backend.h). */
#include "vmx/pt_backend.h"

const struct pt_backend_ops pt_backend_none = { .name = "none" };

/* The hypercall that hands the host trace buffer to a privileged guest. */
#ifndef PTV_PT_HC_H
#define PTV_PT_HC_H

#include "types.h"

struct vcpu;

/*
 * PTV_HC_PT_HOST_READ: copies up to `len` bytes of the host trace, from
 * byte `off`, to the caller's GPA. Host tracing pauses for the copy (so the
 * bytes are final) and goes on afterwards. Returns the bytes copied (0 past
 * the end), PTV_HC_EPERM unless the guest is privileged=yes, PTV_HC_ENOSYS
 * without host tracing, PTV_HC_EFAULT if the GPA range is not the caller's RAM.
 */
int64_t pt_hc_host_read(struct vcpu *v, uint64_t gpa, uint64_t len, uint64_t off);

#endif

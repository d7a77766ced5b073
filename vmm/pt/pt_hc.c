/* PTV_HC_PT_HOST_READ: the host trace buffer, read by a guest named privileged on the command line. */
#include "pt/pt_hc.h"
#include "pt/pt_boot.h"
#include "vmx/vcpu.h"
#include "ept/ept_walk.h"
#include "mem/phys.h"
#include "hypercall_abi.h"

#define PT_HC_READ_MAX ((uint64_t)1 << 20) /* per call: keeps one exit short */

int64_t pt_hc_host_read(struct vcpu *v, uint64_t gpa, uint64_t len, uint64_t off)
{
	uint64_t used, n;
	const void *src;
	int64_t ret;

	if (!v->privileged)
		return PTV_HC_EPERM;
	if (!pt_rt.cpu.host_trace || !pt_rt.buf.region)
		return PTV_HC_ENOSYS;
	pt_hw_host_stop(&pt_rt.cpu);
	used = pt_host_buf_used(&pt_rt.buf, &pt_rt.cpu);
	n = off < used ? MIN(MIN(len, used - off), PT_HC_READ_MAX) : 0;
	src = n ? phys_map(pt_rt.buf.region + off, n) : NULL;
	if (n && !src)
		ret = PTV_HC_EFAULT;
	else if (n && ept_write_guest(v->mem.ept, gpa, src, n) != n)
		ret = PTV_HC_EFAULT;
	else
		ret = (int64_t)n;
	pt_hw_host_resume(&pt_rt.cpu);
	return ret;
}

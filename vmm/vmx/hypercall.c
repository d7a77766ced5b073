/* VMCALL: the ptvisor hypercall ABI (vmm/hypercall_abi.h), arguments validated against the caller's RAM. */
#include "vmx/hypercall.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vmcs_ops.h"
#include "ept/ept_walk.h"
#include "hypercall_abi.h"
#include "lib/string.h"
#include "log.h"
#include "mem/frame.h"

static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char buf[PTV_HC_CONSOLE_MAX + 1];

	if (len > PTV_HC_CONSOLE_MAX)
		return PTV_HC_EINVAL;
	if (ept_read_guest(v->mem.ept, gpa, buf, len) != len)
		return PTV_HC_EFAULT;
	buf[len] = '\0';
	for (uint64_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = buf[i] == '\n' ? ' ' : '?';
	log_raw(LOG_ERR, "[%s] (console) %s\n", v->name, buf);
	return (int64_t)len;
}

static int64_t hc_stats(struct vcpu *v, uint64_t gpa)
{
	struct ptv_hc_stats st;
	struct frame_stats fs;

	frame_get_stats(&fs);
	memset(&st, 0, sizeof(st));
	/* Time-slice exits are the VMM's, not the guest's: leaving them out keeps the count exact. */
	st.exits = v->stats.exits - v->stats.by_reason[EXIT_REASON_PREEMPTION_TIMER] -
		   v->stats.by_reason[EXIT_REASON_EXTERNAL_INTERRUPT];
	st.hypercalls = v->stats.hypercalls;
	st.vmm_free_frames = fs.free_frames;
	st.ept_violations = v->stats.ept_violations;
	return ept_write_guest(v->mem.ept, gpa, &st, sizeof(st)) == sizeof(st) ? PTV_HC_OK : PTV_HC_EFAULT;
}

static enum exit_action hypercall(struct vcpu *v) __attribute__((noinline));

enum exit_action handle_vmcall(struct vcpu *v)
{
	if (vcpu_cpl() != 0) {
		vcpu_inject_ud(v);
		return EXIT_RESUME;
	}
	v->stats.hypercalls++;
	/* The null call is the round-trip floor: keep it free of everything else. */
	if ((uint32_t)v->regs.rax == PTV_HC_NULL) {
		v->regs.rax = PTV_HC_OK;
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	return hypercall(v);
}

static enum exit_action hypercall(struct vcpu *v)
{
	bool wide = vcpu_long_mode(v);
	uint64_t nr = (uint32_t)v->regs.rax;
	uint64_t a1 = wide ? v->regs.rbx : (uint32_t)v->regs.rbx;
	uint64_t a2 = wide ? v->regs.rcx : (uint32_t)v->regs.rcx;
	uint64_t a3 = wide ? v->regs.rdx : (uint32_t)v->regs.rdx;
	hypercall_fn fn;
	int64_t ret;

	switch (nr) {
	case PTV_HC_VERSION:
		ret = (PTV_HC_ABI_MAJOR << 16) | PTV_HC_ABI_MINOR;
		v->regs.rbx = PTV_HC_SIGNATURE;
		break;
	case PTV_HC_NULL:
		ret = PTV_HC_OK;
		break;
	case PTV_HC_CONSOLE_WRITE:
		ret = hc_console_write(v, a1, a2);
		break;
	case PTV_HC_SHUTDOWN:
		return vcpu_stop(v, (int)(int32_t)a1, "shutdown hypercall with status %d", (int)(int32_t)a1);
	case PTV_HC_STATS:
		ret = hc_stats(v, a1);
		break;
	default:
		fn = hypercall_registered((unsigned)nr);
		ret = fn ? fn(v, a1, a2, a3) : PTV_HC_ENOSYS;
		break;
	}
	v->regs.rax = wide ? (uint64_t)ret : (uint32_t)ret;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

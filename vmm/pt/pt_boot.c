/* The PT decision made real at boot: VMX controls, guest capability set, host buffer and tracing. */
#include "pt/pt_boot.h"
#include "pt/pt_guest.h"
#include "pt/pt_hc.h"
#include "pt/pt_selftest.h"
#include "vmx/hypercall.h"
#include "vmx/vmxon.h"
#include "hypercall_abi.h"
#include "log.h"

struct pt_runtime pt_rt;

unsigned pt_expected_accesses(enum pt_mode mode, bool host_trace, bool guest_tracing)
{
	if (!host_trace || mode == PT_MODE_SYSTEM)
		return 0; /* the host never stops; or nothing but a lone guest uses the MSRs */
	if (mode == PT_MODE_HOST || !guest_tracing)
		return 2; /* WRMSR CTL=0 before entry, WRMSR CTL=host after exit */
	return 14;        /* plus 3 RDMSR + 3 WRMSR of the outputs each way */
}

static void pt_boot_host(void)
{
	if (pt_host_buf_alloc(&pt_rt.buf, PT_HOST_BUF_SIZE_CODE, true) < 0 ||
	    pt_hw_host_start(&pt_rt.cpu, pt_rt.buf.table) < 0) {
		pt_rt.cpu.host_trace = false;
		pr_warn("PT: host tracing could not start; the VMM is not traced\n");
		return;
	}
	pr_info("PT: host trace into %lu KiB at 0x%lx (ToPA table 0x%lx), IA32_RTIT_CTL 0x%lx\n",
		pt_host_buf_size(&pt_rt.buf) >> 10, pt_rt.buf.region, pt_rt.buf.table, pt_rt.cpu.host_ctl);
}

void pt_boot_init(const struct vmx_caps *c, const struct pt_decision *d)
{
	bool hw_guests = d->mode == PT_MODE_HOST_GUEST && d->guest_backend == PT_BACKEND_HW;

	bool host_trace = d->host_trace;

	pt_rt = (struct pt_runtime){ .d = *d, .host_caps = *c };
	/* Before any other RTIT MSR is touched: firmware may have left a trace running. */
	if (cpu_has_intel_pt(c) && pt_fw_takeover(&pt_rt.fw) < 0 && (host_trace || hw_guests)) {
		pr_err("PT: the RTIT MSRs are not in ptvisor's hands; host tracing and hardware guest PT off\n");
		host_trace = hw_guests = false;
		pt_rt.d.host_trace = false;
		pt_rt.d.guest_backend = PT_BACKEND_OFF;
	}
	pt_vmx_bits(&pt_rt.d, c, &pt_rt.vmx);
	if (hw_guests && pt_vcaps_from_host(&pt_rt.guest_caps, c, NULL) < 0)
		hw_guests = false;
	pt_hw_cpu_init(&pt_rt.cpu, d->mode, host_trace, pt_host_ctl(d->mode));
	pt_rt.hw_active = host_trace || hw_guests;
	hypercall_register(PTV_HC_PT_HOST_READ, pt_hc_host_read);
	if (!pt_rt.hw_active) {
		pr_info("PT: hardware path idle (no host tracing, no hardware guest PT); "
			"RTIT MSR accesses per exit: 0\n");
		return;
	}
	if (host_trace)
		pt_boot_host();
	pr_info("PT: VMX controls + secondary %08x exit %08x entry %08x; RTIT MSR accesses per "
		"exit: %u with the guest not tracing, %u with it tracing\n",
		pt_rt.vmx.cpu2, pt_rt.vmx.exit, pt_rt.vmx.entry,
		pt_expected_accesses(d->mode, pt_rt.cpu.host_trace, false),
		pt_expected_accesses(d->mode, pt_rt.cpu.host_trace, hw_guests));
	if (hw_guests)
		pt_vcaps_print("(default)", &pt_rt.guest_caps);
}

void pt_boot_finish(bool dump)
{
	if (pt_rt.cpu.host_trace) {
		pt_hw_host_stop(&pt_rt.cpu);
		pr_info("PT: host trace stopped: %lu bytes, IA32_RTIT_STATUS 0x%lx, %lu ToPA PMIs\n",
			pt_host_buf_used(&pt_rt.buf, &pt_rt.cpu), pt_rt.cpu.host_status, pt_rt.cpu.host_pmis);
		if (dump)
			pt_host_dump(&pt_rt.buf, &pt_rt.cpu, "host");
	}
	pt_selftest_end();
}

int pt_boot_vmx_enter(const struct vmx_caps *c, void *region, paddr_t region_pa, struct vmxon_report *r, bool dump)
{
	if (vmx_enter(c, region, region_pa, r) == 0)
		return 0;
	pt_boot_finish(dump); /* the host trace started before VMXON: stopped and dumped all the same */
	return -1;
}

void pt_vmx_controls(struct vmx_extra_controls *x)
{
	*x = (struct vmx_extra_controls){ pt_rt.vmx.cpu2, pt_rt.vmx.exit, pt_rt.vmx.entry };
}

/* Intel PT at run time: the boot decision put into effect, and the hooks the VMX core calls. */
#ifndef PTV_PT_BOOT_H
#define PTV_PT_BOOT_H

#include "types.h"
#include "pt/pt_host.h"
#include "pt/hw/pt_fw.h"
#include "vmx/vmcs_init.h"

/* Everything PT that is per boot and per CPU (one CPU today). */
struct pt_runtime {
	bool hw_active; /* the hardware path runs: host tracing or hw guests */
	struct pt_decision d;
	struct pt_hw_cpu cpu;
	struct pt_host_buf buf;
	struct pt_vmx_bits vmx;
	struct pt_vcaps guest_caps; /* the hw guests' default set: the host's, all of it */
	struct vmx_caps host_caps;  /* for per-guest pt_caps= specs */
	struct pt_fw_state fw;      /* what firmware left in the RTIT MSRs */
};

extern struct pt_runtime pt_rt;

/* Default host buffer: 4K << 8 = 1 MiB, stopping when full. */
#define PT_HOST_BUF_SIZE_CODE 8

/*
 * Puts the decision into effect: the VMX control bits, the guests' default
 * set, the host buffer and host tracing. Prints what it did, including the
 * RTIT MSR accesses per exit to expect. Nothing happens on a CPU without PT.
 */
void pt_boot_init(const struct vmx_caps *c, const struct pt_decision *d);
/* At shutdown: stops host tracing and, when asked, dumps the host buffer as a frame. */
void pt_boot_finish(bool dump);
struct vmxon_report;
/*
 * VMXON (vmx_enter); when it fails, pt_boot_finish runs as it would at
 * shutdown, so a host trace started at boot is stopped, reported and
 * dumped (`dump`) before ptvisor powers off. 0 in VMX operation.
 */
int pt_boot_vmx_enter(const struct vmx_caps *c, void *region, paddr_t region_pa, struct vmxon_report *r, bool dump);
/* The PT controls decided at boot, for vmx_controls_decide() (none on Bochs). */
void pt_vmx_controls(struct vmx_extra_controls *x);

/*
 * RTIT MSR accesses per exit/entry pair in steady state, by design (pt_hw.c):
 * the guest not tracing or tracing, alone on the CPU.
 */
unsigned pt_expected_accesses(enum pt_mode mode, bool host_trace, bool guest_tracing);

#endif

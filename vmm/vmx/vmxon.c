/* The VMXON gate: feature control, the region, CR0/CR4, Intel PT under VMX, then VMXON. */
#include <stdarg.h>
#include "vmx/vmxon.h"
#include "cpu.h"
#include "log.h"
#include "msr.h"
#include "lib/format.h"
#include "lib/string.h"

/* The capability MSRs the gate depends on; without them nothing below can be checked. */
#define VMXON_NEEDED_MSRS                                                                     \
	((1u << VMX_CAPS_BASIC) | (1u << VMX_CAPS_CR0_FIXED0) | (1u << VMX_CAPS_CR0_FIXED1) | \
	 (1u << VMX_CAPS_CR4_FIXED0) | (1u << VMX_CAPS_CR4_FIXED1))

static int vmxon_refuse(struct vmxon_report *r, const char *fmt, ...) __printf(2, 3);
static int vmxon_refuse(struct vmxon_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->result = -1;
	pr_err("VMXON refused: %s\n", r->reason);
	return -1;
}

/* SDM 24.7: VMXON #GPs unless IA32_FEATURE_CONTROL is locked with VMX outside SMX enabled. */
static int vmxon_feature_control(struct vmxon_report *r)
{
	uint64_t fc = 0;

	if (!cpu_rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &fc))
		return vmxon_refuse(r, "IA32_FEATURE_CONTROL is not readable (#GP)");
	r->feature_control = fc;
	if (fc & FEATURE_CONTROL_LOCKED) {
		if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
			return vmxon_refuse(r,
					    "VMX disabled in firmware (IA32_FEATURE_CONTROL "
					    "0x%lx is locked with VMX outside SMX clear)",
					    fc);
		return 0;
	}
	fc |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
	if (!cpu_wrmsr_safe(MSR_IA32_FEATURE_CONTROL, fc))
		return vmxon_refuse(r, "IA32_FEATURE_CONTROL could not be locked (WRMSR #GP)");
	r->feature_control_locked_now = true;
	pr_info("IA32_FEATURE_CONTROL was unlocked (0x%lx): enabled VMX outside SMX and locked "
		"it (0x%lx)\n",
		r->feature_control, fc);
	return 0;
}

/* SDM 25.11.5 "VMXON Region" and A.1: size, alignment and address width of the region. */
static int vmxon_check_region(const struct vmx_caps *c, const void *region, struct vmxon_report *r)
{
	unsigned width = vmx_caps_addr_width(c);

	r->region_size = vmx_caps_vmcs_size(c);
	r->revision_id = vmx_caps_revision_id(c);
	if (!region)
		return vmxon_refuse(r, "no VMXON region");
	if (r->region_size == 0 || r->region_size > PAGE_SIZE)
		return vmxon_refuse(r, "IA32_VMX_BASIC[44:32] gives region size %u", r->region_size);
	if (!IS_ALIGNED(r->region_pa, PAGE_SIZE))
		return vmxon_refuse(r, "VMXON region 0x%lx is not 4-KByte aligned", r->region_pa);
	if (width < 64 && ((r->region_pa + r->region_size - 1) >> width))
		return vmxon_refuse(r, "VMXON region 0x%lx lies beyond the %u-bit address width", r->region_pa, width);
	return 0;
}

/* SDM 24.8 "Restrictions on VMX Operation", A.7 and A.8: CR0/CR4 bits fixed in VMX operation. */
static int vmxon_check_crs(const struct vmx_caps *c, struct vmxon_report *r)
{
	uint64_t cr0 = cpu_read_cr0();
	uint64_t cr4 = cpu_read_cr4();
	uint64_t cr0_need1 = c->cr0_fixed0 & ~cr0;
	uint64_t cr0_need0 = cr0 & ~c->cr0_fixed1;
	uint64_t cr4_need0 = cr4 & ~c->cr4_fixed1;

	r->cr0_before = cr0;
	r->cr4_before = cr4;
	/* CR0.NE is the one fixed-1 bit we may just set; PE and PG are already 1 in long mode. */
	if (cr0_need1 & ~CR0_NE)
		return vmxon_refuse(r,
				    "CR0 0x%lx lacks bits 0x%lx fixed to 1 in VMX operation "
				    "(IA32_VMX_CR0_FIXED0)",
				    cr0, cr0_need1 & ~CR0_NE);
	if (cr0_need0)
		return vmxon_refuse(r,
				    "CR0 0x%lx has bits 0x%lx fixed to 0 in VMX operation "
				    "(IA32_VMX_CR0_FIXED1)",
				    cr0, cr0_need0);
	if (!(c->cr4_fixed1 & CR4_VMXE))
		return vmxon_refuse(r, "IA32_VMX_CR4_FIXED1 0x%lx does not allow CR4.VMXE", c->cr4_fixed1);
	if (cr4_need0)
		return vmxon_refuse(r,
				    "CR4 0x%lx has bits 0x%lx fixed to 0 in VMX operation "
				    "(IA32_VMX_CR4_FIXED1)",
				    cr4, cr4_need0);
	r->cr0 = cr0 | c->cr0_fixed0;
	r->cr4 = cr4 | c->cr4_fixed0 | CR4_VMXE;
	return 0;
}

/*
 * With IA32_VMX_MISC[14] = 0, VMXON clears IA32_RTIT_CTL.TraceEn and a WRMSR
 * to IA32_RTIT_CTL (the other RTIT MSRs stay writable) #GPs in VMX operation
 * (SDM A.6 "Miscellaneous Data"; the "VMXON - Enter VMX Operation" pseudocode).
 * Stop the trace ourselves first, so it ends at a known point and its status
 * is saved while it is still ours.
 */
static void vmxon_stop_pt(const struct vmx_caps *c, struct vmxon_report *r)
{
	uint64_t ctl = 0;

	if (!cpu_has_intel_pt(c) || vmx_caps_pt_in_vmx(c))
		return;
	if (!cpu_rdmsr_safe(MSR_IA32_RTIT_CTL, &ctl)) {
		pr_warn("IA32_RTIT_CTL not readable (#GP) although CPUID reports Intel PT\n");
		return;
	}
	r->rtit_ctl = ctl;
	if (!(ctl & RTIT_CTL_TRACEEN))
		return;
	if (!cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, ctl & ~RTIT_CTL_TRACEEN))
		pr_warn("clearing IA32_RTIT_CTL.TraceEn faulted; VMXON will clear it\n");
	(void)cpu_rdmsr_safe(MSR_IA32_RTIT_STATUS, &r->rtit_status);
	r->pt_stopped = true;
	pr_warn("host tracing stopped: Intel PT cannot be used in VMX operation on this CPU "
		"(IA32_VMX_MISC[14]=0); IA32_RTIT_CTL was 0x%lx, IA32_RTIT_STATUS 0x%lx\n",
		r->rtit_ctl, r->rtit_status);
}

static int vmxon_failed(struct vmxon_report *r)
{
	/* Leave the control registers as they were: we are not in VMX operation. */
	cpu_write_cr4(r->cr4_before);
	if (r->cr0 != r->cr0_before)
		cpu_write_cr0(r->cr0_before);
	if (r->status == VMX_FAIL_VALID)
		ptv_snprintf(r->reason, sizeof(r->reason),
			     "VMfailValid: already in VMX root "
			     "operation (error 15 goes to a VMCS we cannot read here)");
	else
		ptv_snprintf(r->reason, sizeof(r->reason),
			     "VMfailInvalid: VMXON pointer or "
			     "revision id rejected (no VMCS, so no VM-instruction error to read)");
	r->result = -1;
	pr_err("VMXON failed: %s\n", r->reason);
	return -1;
}

int vmx_enter(const struct vmx_caps *c, void *region, paddr_t region_pa, struct vmxon_report *r)
{
	memset(r, 0, sizeof(*r));
	r->region_pa = region_pa;
	r->result = -1;
	if (!vmx_caps_has_vmx(c))
		return vmxon_refuse(r, "VMX not supported by this CPU (CPUID.1:ECX.VMX[5]=0)");
	if ((c->msr_read & VMXON_NEEDED_MSRS) != VMXON_NEEDED_MSRS)
		return vmxon_refuse(r, "VMX capability MSRs (IA32_VMX_BASIC, CR fixed bits) "
				       "could not be read");
	if (vmxon_feature_control(r) || vmxon_check_region(c, region, r) || vmxon_check_crs(c, r))
		return -1;
	/* Last step before touching VMX state, so a refusal above never costs the host trace. */
	vmxon_stop_pt(c, r);

	memset(region, 0, r->region_size);
	/* Bits 30:0 hold the revision identifier and bit 31 must be 0 (SDM 25.11.5). */
	*(volatile uint32_t *)region = r->revision_id;
	if (r->cr0 != r->cr0_before)
		cpu_write_cr0(r->cr0);
	cpu_write_cr4(r->cr4);
	r->status = cpu_vmxon(region_pa);
	r->vmxon_executed = true;
	if (r->status != VMX_OK)
		return vmxon_failed(r);
	r->in_vmx = true;
	r->result = 0;
	pr_info("VMXON succeeded: revision id 0x%x, region 0x%lx (%u bytes), CR0 0x%lx, "
		"CR4 0x%lx\n",
		r->revision_id, r->region_pa, r->region_size, r->cr0, r->cr4);
	return 0;
}

int vmx_leave(struct vmxon_report *r)
{
	enum vmx_status st;

	if (!r->in_vmx) {
		pr_err("VMXOFF not executed: this CPU is not in VMX operation\n");
		return -1;
	}
	st = cpu_vmxoff();
	if (st != VMX_OK) {
		pr_err("VMXOFF failed (%s)\n", st == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid");
		return -1;
	}
	r->in_vmx = false;
	cpu_write_cr4(cpu_read_cr4() & ~CR4_VMXE);
	pr_info("VMXOFF succeeded; CR4.VMXE cleared\n");
	if (r->pt_stopped)
		pr_info("host tracing was stopped at VMXON; IA32_RTIT_CTL was 0x%lx\n", r->rtit_ctl);
	return 0;
}

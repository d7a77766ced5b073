/* Prints what vmx_caps_read() found: one fact per line, labels right-aligned on the colon. */
#include <stdarg.h>
#include "vmx/probe.h"
#include "log.h"
#include "msr.h"
#include "lib/format.h"
#include "lib/string.h"

/* "  " + label column + ": " + value stays within PROBE_LINE_MAX columns. */
#define PROBE_VALUE_MAX (PROBE_LINE_MAX - 4 - PROBE_LABEL_WIDTH)

struct probe_bit {
	unsigned bit;
	const char *name;
};

static const struct probe_bit pt_ebx_bits[] = {
	{ 0, "CR3-filter" },  { 1, "PSB/CYC" },          { 2, "IP-filter" },   { 3, "MTC" },         { 4, "PTWRITE" },
	{ 5, "power-event" }, { 6, "PSB/PMI-preserve" }, { 7, "event-trace" }, { 8, "TNT-disable" },
};

static const struct probe_bit pt_ecx_bits[] = {
	{ 0, "ToPA" }, { 1, "ToPA-multi-entry" }, { 2, "single-range" }, { 3, "trace-transport" }, { 31, "IP-is-LIP" },
};

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}
static const char *allowed(bool b)
{
	return b ? "allowed" : "not allowed";
}

static void probe_line(const char *label, const char *fmt, ...) __printf(2, 3);
static void probe_line(const char *label, const char *fmt, ...)
{
	char value[PROBE_VALUE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	log_raw(LOG_INFO, "  %*s%s %s\n", PROBE_LABEL_WIDTH, label, label[0] ? ":" : " ", value);
}

/* The raw register, then the name of each set bit, wrapped onto continuation lines. */
static void probe_words(const char *label, uint32_t raw, const struct probe_bit *bits, size_t n)
{
	char line[PROBE_VALUE_MAX + 1];
	size_t len = (size_t)ptv_snprintf(line, sizeof(line), "0x%08x", raw);

	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(bits[i].name);

		if (!(raw & (1u << bits[i].bit)))
			continue;
		if (len + 1 + w > PROBE_VALUE_MAX) {
			probe_line(label, "%s", line);
			label = "";
			len = 0;
		}
		len += (size_t)ptv_snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "", bits[i].name);
	}
	probe_line(label, "%s", line);
}

/* A 16-bit encoding bitmap from leaf 14H subleaf 1, as the list of encodings it allows. */
static void probe_encodings(const char *label, uint32_t bitmap)
{
	char line[PROBE_VALUE_MAX + 1];
	size_t len = (size_t)ptv_snprintf(line, sizeof(line), "0x%04x:", bitmap);

	for (unsigned enc = 0; enc < 16; enc++) {
		if (bitmap & (1u << enc))
			len += (size_t)ptv_snprintf(line + len, sizeof(line) - len, " %u", enc);
	}
	probe_line(label, "%s", len > 7 ? line : "0x0000: none");
}

static void probe_print_cpu(const struct vmx_caps *c)
{
	probe_line("CPU vendor", "%s", c->vendor);
	probe_line("family / model / stepping", "0x%x / 0x%x / %u (CPUID.1:EAX 0x%08x)", c->family, c->model,
		   c->stepping, c->signature);
	probe_line("CPUID.1:ECX.VMX[5]", "%s", yesno(c->cpuid_vmx));
	probe_line("MAXPHYADDR (CPUID.80000008H:EAX[7:0])", "%u bits", c->maxphyaddr);
}

static bool probe_msr_ok(const struct vmx_caps *c, enum vmx_caps_msr which, const char *label)
{
	if (c->msr_read & (1u << which))
		return true;
	probe_line(label, "%s", (c->msr_faulted & (1u << which)) ? "RDMSR faulted (#GP)" : "not read");
	return false;
}

static void probe_print_basic(const struct vmx_caps *c)
{
	uint64_t fc = c->feature_control;
	unsigned memtype = vmx_caps_vmcs_memtype(c);

	if (probe_msr_ok(c, VMX_CAPS_FEATURE_CONTROL, "IA32_FEATURE_CONTROL"))
		probe_line("IA32_FEATURE_CONTROL", "0x%lx: lock %s, VMX outside SMX %s", fc,
			   yesno(fc & FEATURE_CONTROL_LOCKED), yesno(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX));
	if (!probe_msr_ok(c, VMX_CAPS_BASIC, "IA32_VMX_BASIC"))
		return;
	probe_line("IA32_VMX_BASIC", "0x%016lx", c->basic);
	probe_line("BASIC[30:0] VMCS revision id", "0x%08x", vmx_caps_revision_id(c));
	probe_line("BASIC[44:32] VMXON/VMCS region size", "%u bytes", vmx_caps_vmcs_size(c));
	probe_line("BASIC[53:50] VMCS memory type", "%u (%s)", memtype,
		   memtype == VMX_MEMTYPE_WB   ? "WB"
		   : memtype == VMX_MEMTYPE_UC ? "UC"
					       : "other");
	probe_line("BASIC[55] TRUE control MSRs", "%s", yesno(vmx_caps_has_true_ctls(c)));
	probe_line("BASIC[48] pointers limited to 32 bits", "%s (width %u bits)",
		   yesno(c->basic & VMX_BASIC_ADDR_32BIT), vmx_caps_addr_width(c));
}

static void probe_print_control(const struct vmx_caps *c, enum vmx_caps_msr which, const char *word, uint64_t value)
{
	char label[PROBE_LABEL_WIDTH + 1];

	ptv_snprintf(label, sizeof(label), "%s %s", word, vmx_caps_msr_name(c, which));
	if (probe_msr_ok(c, which, label))
		probe_line(label, "allowed-0 0x%08x allowed-1 0x%08x", vmx_ctl_allowed0(value),
			   vmx_ctl_allowed1(value));
}

static void probe_print_controls(const struct vmx_caps *c)
{
	probe_print_control(c, VMX_CAPS_PINBASED, "pin-based", c->pinbased);
	probe_print_control(c, VMX_CAPS_PROCBASED, "primary", c->procbased);
	if (vmx_caps_has_secondary(c))
		probe_print_control(c, VMX_CAPS_PROCBASED2, "secondary", c->procbased2);
	else
		probe_line("secondary IA32_VMX_PROCBASED_CTLS2", "absent (primary[31] not allowed)");
	probe_print_control(c, VMX_CAPS_EXIT, "VM-exit", c->exit);
	probe_print_control(c, VMX_CAPS_ENTRY, "VM-entry", c->entry);
	probe_line("IA32_VMX_CR0_FIXED0 / FIXED1", "0x%lx / 0x%lx", c->cr0_fixed0, c->cr0_fixed1);
	probe_line("IA32_VMX_CR4_FIXED0 / FIXED1", "0x%lx / 0x%lx", c->cr4_fixed0, c->cr4_fixed1);
	probe_line("EPT / VPID / unrestricted guest", "%s / %s / %s", yesno(vmx_caps_has_ept(c)),
		   yesno(vmx_caps_has_vpid(c)), yesno(vmx_caps_has_unrestricted_guest(c)));
	probe_line("MTF / preemption timer / MSR bitmaps", "%s / %s / %s", yesno(vmx_caps_has_mtf(c)),
		   yesno(vmx_caps_has_preemption_timer(c)), yesno(vmx_caps_has_msr_bitmaps(c)));
}

static void probe_print_ept(const struct vmx_caps *c)
{
	uint64_t cap = c->ept_vpid_cap;

	if (!vmx_caps_has_ept(c) && !vmx_caps_has_vpid(c)) {
		probe_line("IA32_VMX_EPT_VPID_CAP", "absent (no EPT, no VPID)");
		return;
	}
	if (!probe_msr_ok(c, VMX_CAPS_EPT_VPID_CAP, "IA32_VMX_EPT_VPID_CAP"))
		return;
	probe_line("IA32_VMX_EPT_VPID_CAP", "0x%016lx", cap);
	probe_line("EPT 4-level walk / WB / UC", "%s / %s / %s", yesno(cap & EPT_CAP_WALK_4),
		   yesno(cap & EPT_CAP_MEMTYPE_WB), yesno(cap & EPT_CAP_MEMTYPE_UC));
	probe_line("EPT 2M / 1G pages, execute-only", "%s / %s, %s", yesno(cap & EPT_CAP_PDE_2M),
		   yesno(cap & EPT_CAP_PDPTE_1G), yesno(cap & EPT_CAP_EXEC_ONLY));
	probe_line("INVEPT, single-context / all-context", "%s, %s / %s", yesno(cap & EPT_CAP_INVEPT),
		   yesno(cap & EPT_CAP_INVEPT_SINGLE), yesno(cap & EPT_CAP_INVEPT_ALL));
	probe_line("EPT accessed/dirty flags", "%s", yesno(cap & EPT_CAP_ACCESSED_DIRTY));
	probe_line("INVVPID, address / single / all", "%s, %s / %s / %s", yesno(cap & VPID_CAP_INVVPID),
		   yesno(cap & VPID_CAP_INVVPID_ADDR), yesno(cap & VPID_CAP_INVVPID_SINGLE),
		   yesno(cap & VPID_CAP_INVVPID_ALL));
}

static void probe_print_pt(const struct vmx_caps *c)
{
	probe_line("CPUID.7.0:EBX[25] Intel PT", "%s", yesno(c->cpuid_pt));
	if (!c->cpuid_pt)
		return;
	if (c->max_leaf < 0x14) {
		probe_line("CPUID leaf 14H", "absent (max basic leaf 0x%x)", c->max_leaf);
		return;
	}
	probe_line("CPUID.14H.0:EAX max subleaf", "%u", c->pt_leaf0.eax);
	probe_words("CPUID.14H.0:EBX", c->pt_leaf0.ebx, pt_ebx_bits, ARRAY_SIZE(pt_ebx_bits));
	probe_words("CPUID.14H.0:ECX", c->pt_leaf0.ecx, pt_ecx_bits, ARRAY_SIZE(pt_ecx_bits));
	if (c->pt_leaf0.eax < 1)
		return;
	probe_line("CPUID.14H.1:EAX[2:0] address ranges", "%u", pt_caps_addr_ranges(c));
	probe_encodings("CPUID.14H.1:EAX[31:16] MTC period encodings", c->pt_leaf1.eax >> 16);
	probe_encodings("CPUID.14H.1:EBX[15:0] cycle thresholds", c->pt_leaf1.ebx & 0xffff);
	probe_encodings("CPUID.14H.1:EBX[31:16] PSB frequencies", c->pt_leaf1.ebx >> 16);
}

/* The six VMX controls that decide how PT and VMX combine (SDM A.3.3, A.4, A.5, 33.5). */
static void probe_print_pt_controls(const struct vmx_caps *c)
{
	probe_line("secondary[19] conceal VMX from PT", "%s",
		   allowed(vmx_caps_sec_can_set(c, CPU2_CONCEAL_VMX_FROM_PT)));
	probe_line("secondary[24] PT uses guest-physical addresses", "%s",
		   allowed(vmx_caps_sec_can_set(c, CPU2_PT_USE_GPA)));
	probe_line("exit[24] conceal VMX from PT", "%s", allowed(vmx_ctl_can_set(c->exit, EXIT_CONCEAL_VMX_FROM_PT)));
	probe_line("exit[25] clear IA32_RTIT_CTL", "%s", allowed(vmx_caps_has_clear_rtit_ctl(c)));
	probe_line("entry[17] conceal VMX from PT", "%s",
		   allowed(vmx_ctl_can_set(c->entry, ENTRY_CONCEAL_VMX_FROM_PT)));
	probe_line("entry[18] load IA32_RTIT_CTL", "%s", allowed(vmx_caps_has_load_rtit_ctl(c)));
}

void vmx_probe_print(const struct vmx_caps *c)
{
	pr_info("CPU, VMX and Intel PT capabilities:\n");
	probe_print_cpu(c);
	if (c->cpuid_vmx) {
		probe_print_basic(c);
		if (c->msr_read & (1u << VMX_CAPS_BASIC)) {
			probe_print_controls(c);
			probe_print_ept(c);
			if (probe_msr_ok(c, VMX_CAPS_MISC, "IA32_VMX_MISC"))
				probe_line("IA32_VMX_MISC", "0x%016lx", c->misc);
		}
	} else {
		probe_line("VMX capability MSRs", "not read (no VMX)");
	}
	/* Printed on every CPU, so the answer to "can PT run under VMX here?" is always there. */
	probe_line("IA32_VMX_MISC[14] (Intel PT in VMX operation)", "%s", yesno(vmx_caps_pt_in_vmx(c)));
	probe_print_pt(c);
	probe_print_pt_controls(c);
}

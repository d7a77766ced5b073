/* Decides the PT mode and guest backend in force from the capabilities; says why on fallback. */
#include <stdarg.h>
#include "pt/pt_policy.h"
#include "log.h"
#include "lib/format.h"
#include "lib/string.h"

struct pt_predicate {
	const char *name;
	bool (*holds)(const struct vmx_caps *c);
};

static bool has_topa(const struct vmx_caps *c)
{
	return pt_caps_has_topa(c);
}
static bool has_pt_in_vmx(const struct vmx_caps *c)
{
	return vmx_caps_pt_in_vmx(c);
}
static bool has_pt_use_gpa(const struct vmx_caps *c)
{
	return vmx_caps_has_pt_use_gpa(c);
}
static bool has_load_rtit(const struct vmx_caps *c)
{
	return vmx_caps_has_load_rtit_ctl(c);
}
static bool has_clear_rtit(const struct vmx_caps *c)
{
	return vmx_caps_has_clear_rtit_ctl(c);
}
static bool has_cpuid_pt(const struct vmx_caps *c)
{
	return cpu_has_intel_pt(c);
}
static bool has_ept(const struct vmx_caps *c)
{
	return vmx_caps_has_ept(c);
}
static bool has_conceal(const struct vmx_caps *c)
{
	return vmx_caps_has_conceal_pt(c);
}

/*
 * Everything a guest's own hardware PT needs (SDM 33.5.2.4 "Virtualization of
 * Guest Output Packet Streams", 25.5.4 "Intel PT in VMX Non-Root Operation"):
 * output addresses translated through EPT, and IA32_RTIT_CTL swapped by the
 * VM-entry load / VM-exit clear controls; and the three "conceal VMX from PT"
 * controls, without which a VM entry that loads TraceEn=1 writes PIP.NR and a
 * VMCS packet (the VMCS's host-physical address) into the guest's own buffer
 * (SDM 33.5.1 "VMX-Specific Packets and VMCS Controls").
 */
static const struct pt_predicate guest_hw_predicates[] = {
	{ "CPUID.7.EBX[25]", has_cpuid_pt },    { "CPUID.14H:ECX[0]-ToPA", has_topa },
	{ "IA32_VMX_MISC[14]", has_pt_in_vmx }, { "EPT", has_ept },
	{ "secondary[24]", has_pt_use_gpa },    { "entry[18]", has_load_rtit },
	{ "exit[25]", has_clear_rtit },         { "secondary[19]/exit[24]/entry[17]-conceal", has_conceal },
};

bool pt_host_trace_possible(const struct vmx_caps *c)
{
	/* With MISC[14]=0, VMXON clears TraceEn and a WRMSR to IA32_RTIT_CTL #GPs in VMX operation (SDM A.6). */
	return cpu_has_intel_pt(c) && pt_caps_has_topa(c) && vmx_caps_pt_in_vmx(c);
}

unsigned pt_guest_hw_missing(const struct vmx_caps *c, char *buf, size_t size)
{
	unsigned missing = 0;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(guest_hw_predicates); i++) {
		if (guest_hw_predicates[i].holds(c))
			continue;
		if (len < size)
			len += (size_t)ptv_snprintf(buf + len, size - len, "%s%s", missing ? " " : "",
						    guest_hw_predicates[i].name);
		missing++;
	}
	return missing;
}

bool pt_guest_hw_possible(const struct vmx_caps *c)
{
	return pt_guest_hw_missing(c, NULL, 0) == 0;
}

bool pt_guest_emulated_possible(const struct vmx_caps *c)
{
	return vmx_caps_has_vmx(c) && vmx_caps_has_ept(c);
}

/* Why the host cannot trace, most basic cause first. */
static const char *pt_host_blocker(const struct vmx_caps *c)
{
	if (!cpu_has_intel_pt(c))
		return "this CPU has no Intel PT (CPUID.7.EBX[25]=0)";
	if (!pt_caps_has_topa(c))
		return "Intel PT has no ToPA output (CPUID.14H.0:ECX[0]=0)";
	return "Intel PT cannot be used in VMX operation (IA32_VMX_MISC[14]=0)";
}

/* Appends "; <text>" (or just text) to the reason; truncates rather than overflows. */
static void pt_reason_add(struct pt_decision *d, const char *fmt, ...) __printf(2, 3);
static void pt_reason_add(struct pt_decision *d, const char *fmt, ...)
{
	size_t len = strlen(d->reason);
	va_list ap;

	if (len && len + 2 < sizeof(d->reason))
		len += (size_t)ptv_snprintf(d->reason + len, sizeof(d->reason) - len, "; ");
	if (len >= sizeof(d->reason) - 1)
		return;
	va_start(ap, fmt);
	ptv_vsnprintf(d->reason + len, sizeof(d->reason) - len, fmt, ap);
	va_end(ap);
}

static void pt_decide_guest(const struct vmx_caps *c, struct pt_decision *d)
{
	char missing[160];

	switch (d->backend_requested) {
	case PT_BACKEND_AUTO:
	case PT_BACKEND_HW:
		if (d->guest_hw_possible) {
			d->guest_backend = PT_BACKEND_HW;
			return;
		}
		if (d->backend_requested == PT_BACKEND_HW) {
			pt_guest_hw_missing(c, missing, sizeof(missing));
			pt_reason_add(d, "pt_backend=hw unavailable (missing %s); guest PT off", missing);
			d->guest_backend = PT_BACKEND_OFF;
			return;
		}
		/* auto without hardware support tries emulation; say why where PT works in VMX operation */
		if (cpu_has_intel_pt(c) && vmx_caps_pt_in_vmx(c)) {
			pt_guest_hw_missing(c, missing, sizeof(missing));
			pt_reason_add(d, "guest hardware PT refused (missing %s)", missing);
		}
		__attribute__((fallthrough));
	case PT_BACKEND_EMULATED:
		if (pt_guest_emulated_possible(c)) {
			d->guest_backend = PT_BACKEND_EMULATED;
			return;
		}
		pt_reason_add(d,
			      "pt_backend=%s: emulated guest PT needs VMX with EPT; "
			      "guest PT off",
			      pt_backend_name(d->backend_requested));
		d->guest_backend = PT_BACKEND_OFF;
		return;
	case PT_BACKEND_OFF:
	default:
		d->guest_backend = PT_BACKEND_OFF;
		return;
	}
}

void pt_decide(const struct vmx_caps *c, enum pt_mode req, enum pt_backend breq, struct pt_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->requested = req;
	d->mode = req;
	d->backend_requested = breq;
	d->guest_backend = PT_BACKEND_OFF;
	d->host_trace = pt_host_trace_possible(c);
	d->guest_hw_possible = pt_guest_hw_possible(c);

	switch (req) {
	case PT_MODE_SYSTEM:
	case PT_MODE_HOST:
		if (d->host_trace) {
			/* SDM 33.5.2.1: guests of a system-wide trace are told there is no PT. */
			if (breq == PT_BACKEND_HW || breq == PT_BACKEND_EMULATED)
				pt_reason_add(d,
					      "pt_backend=%s ignored: guests get no PT in "
					      "pt_mode=%s",
					      pt_backend_name(breq), pt_mode_name(req));
			break;
		}
		/* The mode still decides what guests see: in system and host modes, no PT. */
		pt_reason_add(d, "pt_mode=%s requested but %s; host tracing off, guests see no PT", pt_mode_name(req),
			      pt_host_blocker(c));
		break;
	case PT_MODE_HOST_GUEST:
		if (!d->host_trace)
			pt_reason_add(d, "host tracing off: %s", pt_host_blocker(c));
		pt_decide_guest(c, d);
		break;
	default:
		d->mode = PT_MODE_HOST_GUEST;
		d->host_trace = false;
		pt_reason_add(d, "unknown pt_mode %d; tracing off", (int)req);
		break;
	}
	/* Without the conceal controls, PIP/VMCS packets of VM entries/exits reach the trace. */
	if (d->host_trace && d->mode != PT_MODE_SYSTEM && !vmx_caps_has_conceal_pt(c))
		pt_reason_add(d, "VMX transitions visible in host trace (conceal controls "
				 "secondary[19] exit[24] entry[17] not all allowed)");
	if (!d->reason[0])
		pt_reason_add(d, "as requested");
}

void pt_decision_print(const struct pt_decision *d)
{
	pr_info("pt_mode in force: %s (requested %s); host tracing %s; guest PT backend %s "
		"(requested %s); %s\n",
		pt_mode_name(d->mode), pt_mode_name(d->requested), d->host_trace ? "on" : "off",
		pt_backend_name(d->guest_backend), pt_backend_name(d->backend_requested), d->reason);
}

/*
 * A guest's Intel PT at creation: which backend serves it (pt_rt's decision,
 * cut down by the guest's own pt= and pt_caps=), what it sees, and the hooks
 * its vCPU calls. Without a backend the guest is a CPU without Intel PT: the
 * leaves read 0 and every RTIT MSR access #GPs (SDM 33.2.8: the MSRs exist
 * only when CPUID enumerates Intel PT).
 */
#include "pt/pt_guest.h"
#include "pt/pt_boot.h"
#include "pt/hw/pt_hw.h"
#include "pt/emul/pt_emul.h"
#include "vmx/pt_backend.h"
#include "log.h"
#include "msr.h"

void pt_guest_attach(struct pt_guest *pg, struct vcpu *v, const struct pt_guest_config *c)
{
	struct pt_vcaps none = { 0 };
	bool hw = pt_rt.d.mode == PT_MODE_HOST_GUEST && pt_rt.d.guest_backend == PT_BACKEND_HW &&
		  pt_rt.guest_caps.enabled && c->pt;
	enum pt_backend backend = hw ? PT_BACKEND_HW : c->pt ? pt_rt.d.guest_backend : PT_BACKEND_OFF;

	pt_hw_guest_init(pg, backend, hw ? &pt_rt.guest_caps : &none);
	pg->pmu = &v->pmu;
	v->pt = pg;
	if (hw) {
		if (c->pt_caps[0] && pt_vcaps_from_host(&pg->caps, &pt_rt.host_caps, c->pt_caps) < 0)
			pr_warn("guest %s: pt_caps=%s refused; the guest gets no Intel PT\n", v->name, c->pt_caps);
		pt_vcaps_print(v->name, &pg->caps);
	} else if (backend == PT_BACKEND_EMULATED) {
		/* The emulated backend's documented set (pt_vcaps_emulated), printed like the hw one. */
		pt_vcaps_emulated(&pg->caps, pt_rt.host_caps.maxphyaddr);
		pg->caps.la57 = pt_rt.host_caps.cpuid_la57; /* leaf 7 ECX passes LA57 through (guest_cpuid.c) */
		pt_vcaps_print(v->name, &pg->caps);
		pt_emul_init(v, c);
	}
	/* While the hardware path runs (host tracing, hw guests) its entry/exit pair serves every guest. */
	if (backend == PT_BACKEND_EMULATED)
		v->pt_ops = pt_rt.hw_active ? &pt_emul_ops_host_traced : &pt_emul_ops;
	else
		v->pt_ops = pt_rt.hw_active ? &pt_hw_ops : &pt_backend_none;
}

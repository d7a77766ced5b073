/* The hardware path behind pt_guest.c: per-guest PT state and the hooks the VMX core calls. */
#include "pt/pt_guest.h"
#include "pt/pt_boot.h"
#include "pt/hw/pt_outbuf.h"
#include "pt/rtit.h"
#include "guest/guest.h"
#include "log.h"
#include "msr.h"

bool pt_hw_hooks_on;
static struct pt_guest pt_guests[GUEST_MAX];
static bool pt_guest_ready[GUEST_MAX];

/* pt_caps= of one guest: the host's set cut down; a bad spec leaves the guest without PT. */
static void pt_guest_hw_caps(struct pt_guest *pg, const char *name, const char *spec)
{
	if (pt_vcaps_from_host(&pg->caps, &pt_rt.host_caps, spec) < 0)
		pr_warn("guest %s: pt_caps=%s refused; the guest gets no Intel PT\n", name, spec);
}

/* First use of a guest: the backend in force and, for the hardware path, the boot's set. */
struct pt_guest *pt_guest_of(struct vcpu *v)
{
	struct guest *g = v ? v->guest : NULL;
	struct pt_vcaps none = { 0 };
	bool hw;

	if (!g || g->id >= GUEST_MAX)
		return NULL;
	if (!pt_guest_ready[g->id]) {
		hw = pt_rt.d.mode == PT_MODE_HOST_GUEST && pt_rt.d.guest_backend == PT_BACKEND_HW &&
		     pt_rt.guest_caps.enabled && g->cfg.pt;
		pt_hw_guest_init(&pt_guests[g->id], hw ? PT_BACKEND_HW :
				 g->cfg.pt ? pt_rt.d.guest_backend : PT_BACKEND_OFF,
				 hw ? &pt_rt.guest_caps : &none);
		pt_guest_ready[g->id] = true;
		if (pt_guests[g->id].backend == PT_BACKEND_EMULATED) {
			/* The emulated backend's documented set (pt_vcaps_emulated), printed like the hw one. */
			pt_vcaps_emulated(&pt_guests[g->id].caps, pt_rt.host_caps.maxphyaddr);
			pt_vcaps_print(g->cfg.name, &pt_guests[g->id].caps);
		}
		if (hw && g->cfg.pt_caps[0])
			pt_guest_hw_caps(&pt_guests[g->id], g->cfg.name, g->cfg.pt_caps);
		if (hw)
			pt_vcaps_print(g->cfg.name, &pt_guests[g->id].caps);
	}
	return &pt_guests[g->id];
}

void pt_guest_release(struct vcpu *v)
{
	struct guest *g = v ? v->guest : NULL;

	if (!g || g->id >= GUEST_MAX || !pt_guest_ready[g->id])
		return;
	pt_hw_guest_release(&pt_rt.cpu, &pt_guests[g->id]);
	pt_guest_ready[g->id] = false;
}

bool pt_guest_is_hw(struct vcpu *v)
{
	struct pt_guest *pg = pt_hw_hooks_on ? pt_guest_of(v) : NULL;

	return pg && pg->backend == PT_BACKEND_HW;
}

bool pt_guest_pmi_pending(struct vcpu *v)
{
	struct pt_guest *pg = pt_guest_of(v);

	return pg && pg->pmi_pending;
}

bool pt_guest_hw_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct pt_guest *pg = pt_guest_of(v);

	if (msr == MSR_IA32_PERF_GLOBAL_STATUS || msr == MSR_IA32_PERF_GLOBAL_STATUS_RESET)
		return pt_hw_perf_rdmsr(pg, msr, val);
	*val = 0;
	return rtit_is_rtit_msr(msr) && pt_hw_rdmsr(&pt_rt.cpu, pg, msr, val);
}

bool pt_guest_hw_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct pt_guest *pg = pt_guest_of(v);

	if (msr == MSR_IA32_PERF_GLOBAL_STATUS || msr == MSR_IA32_PERF_GLOBAL_STATUS_RESET)
		return pt_hw_perf_wrmsr(pg, msr, val);
	return rtit_is_rtit_msr(msr) && pt_hw_wrmsr(&pt_rt.cpu, pg, msr, val);
}

void pt_guest_before_entry(struct vcpu *v)
{
	struct pt_guest *pg = pt_guest_of(v);
	bool load = pg && pg->backend == PT_BACKEND_HW;

	if (pt_hw_before_entry(&pt_rt.cpu, pg, load, &v->stats) < 0)
		panic("PT: VM entry with \"load IA32_RTIT_CTL\" while host TraceEn=1 (SDM 27.2.1.3)");
}

void pt_guest_after_exit(struct vcpu *v)
{
	pt_hw_after_exit(&pt_rt.cpu, pt_guest_of(v));
}

int pt_guest_ept_violation(struct vcpu *v, const struct ept_violation *ev)
{
	struct guest *g = v->guest;
	struct pt_outbuf_mem mem = { &g->ept, g->ram_hpa, g->cfg.mem_size, g->cfg.name };

	if (!pt_guest_is_hw(v))
		return EPT_FAULT_UNHANDLED;
	return pt_outbuf_handle(&pt_rt.cpu, pt_guest_of(v), &mem, ev);
}

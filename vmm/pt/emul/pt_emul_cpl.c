/*
 * No stepping at a privilege level the filter excludes. With IA32_RTIT_CTL.OS
 * clear nothing at CPL 0 is traced, with User clear nothing above it (SDM
 * 33.2.4.1 "CPL Filtering"): for `perf record -e intel_pt//u` every kernel
 * instruction would be stepped for no packet. A CR3 load exits (so
 * pt_emul_outside.c can wait for one) but a return to user code (SYSRET,
 * IRET, SYSEXIT) does not, so instead the guest runs natively under an EPT
 * "outside view" (ept_view.c): its memory with execute access only on the
 * pages it has executed at the excluded level. Fetching from any other page
 * exits (EPT violation, SDM 29.3.3.2): still at the excluded CPL, the page is
 * learned and the fetch retried; at a traced CPL the guest's EPT is back and
 * the step engine takes over at that IP as if it had stepped there
 * (pt_emul_cpl_resume), so the boundary's TIP.PGE/MODE are its own and the
 * trace is the step engine's byte for byte.
 *
 * A learned page is executable and read-only in the view: a write to it, or
 * ptvisor writing it for the guest, unlearns it before code there could run
 * unseen. Kernel and user code must not share a page: a page learned at the
 * excluded level runs natively at the traced one too (README, limits).
 * Events at the excluded CPL need nothing: they are not traced, and one that
 * reaches a traced CPL fetches from a page not learned. But an exit may come
 * between the return to a traced CPL and that fetch (an interrupt window
 * opened by SYSRET's or IRET's RFLAGS.IF): an event injected there is taken
 * by the step engine at that IP, after the boundary (pt_emul_cpl_boundary).
 */
#include "pt/emul/pt_emul_cpl.h"
#include "pt/emul/pt_emul_int.h"
#include "pt/rtit.h"
#include "ept/ept_view.h"
#include "ept/ept_violation.h"
#include "log.h"

static bool cpl_excluded(const struct pt_guest *pg, unsigned cpl)
{
	return cpl == 0 ? !(pg->ctx.ctl & RTIT_CTL_OS) : !(pg->ctx.ctl & RTIT_CTL_USER);
}

bool pt_emul_cpl_wanted(const struct pt_guest *pg)
{
	const struct pt_emul *e = &pg->emul;

	/* TraceStop ranges are looked for at every IP, traced or not (pt_emul_outside.c). */
	return e->cpl_on && !e->stop_ranges && cpl_excluded(pg, vcpu_cpl());
}

bool pt_emul_cpl_enter(struct vcpu *v, struct pt_guest *pg)
{
	struct pt_emul *e = &pg->emul;

	if (!e->view.base && ept_view_init(&e->view, v->mem.ept) < 0) {
		pr_warn("guest %s: PT: no memory for the outside view; stepping at every privilege level\n", v->name);
		ept_view_destroy(&e->view);
		e->cpl_on = false;
		return false;
	}
	e->cpl = true;
	e->st.cpl++;
	vmcs_write64(EPT_POINTER, ept_eptp(&e->view.ept));
	return true;
}

void pt_emul_cpl_leave(struct vcpu *v, struct pt_guest *pg)
{
	if (!pg->emul.cpl)
		return;
	pg->emul.cpl = false;
	vmcs_write64(EPT_POINTER, ept_eptp(v->mem.ept));
}

int pt_emul_cpl_ept(struct vcpu *v, const struct ept_violation *ev)
{
	struct pt_guest *pg = v->pt;
	struct pt_emul *e = &pg->emul;

	if (!e->cpl)
		return EPT_FAULT_UNHANDLED;
	switch (ept_view_fault(&e->view, ev)) {
	case EPT_VIEW_RETRY:
		v->hide_exit_time = true;
		return EPT_FAULT_RETRY;
	case EPT_VIEW_FETCH:
		v->hide_exit_time = true;
		if (cpl_excluded(pg, vcpu_cpl())) {
			ept_view_learn(&e->view, ev->gpa);
			return EPT_FAULT_RETRY;
		}
		/* Code at a traced level: the step engine takes it from here. */
		pt_emul_cpl_boundary(v);
		return EPT_FAULT_RETRY;
	case EPT_VIEW_BASE:
	default:
		return EPT_FAULT_UNHANDLED;
	}
}

void pt_emul_cpl_boundary(struct vcpu *v)
{
	struct pt_guest *pg = v->pt;

	if (!pg->emul.cpl || cpl_excluded(pg, vcpu_cpl()))
		return;
	pg->emul.st.cpl_exits++;
	pt_emul_cpl_leave(v, pg);
	pt_emul_cpl_resume(v, pg);
}

void pt_emul_cpl_written(struct vcpu *v, uint64_t gpa)
{
	struct pt_emul *e = &v->pt->emul;

	if (e->view.base)
		ept_view_written(&e->view, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
}

void pt_emul_cpl_release(struct vcpu *v)
{
	struct pt_emul *e = &v->pt->emul;

	if (e->view.base)
		ept_view_destroy(&e->view);
}

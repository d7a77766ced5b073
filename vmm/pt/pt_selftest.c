/*
 * selftest=pt. No PT-in-VMX silicon was available to develop the hardware
 * path on; this is what the first user with an Ice Lake or later machine runs
 * (the GRUB entry "ptvisor (Intel PT silicon self-test: selftest=pt)", with a
 * ptwork guest that traces itself and dumps its trace framed for
 * tools/ptdecode). Each check prints one line, "PT self-test: PASS name" or
 * "PT self-test: FAIL name: what was found".
 */
#include "pt/pt_selftest.h"
#include "pt/pt_boot.h"
#include "pt/rtit.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_init.h"
#include "mem/phys.h"
#include "lib/format.h"
#include "log.h"
#include "msr.h"

#define PSB_LEN 16

static struct {
	bool active;
	unsigned passed, failed;
} st;

static void verdict(bool ok, const char *name, const char *detail)
{
	if (ok)
		st.passed++;
	else
		st.failed++;
	pr_info("PT self-test: %s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
}

bool pt_selftest_is_psb(const uint8_t *p)
{
	for (unsigned i = 0; i < PSB_LEN; i += 2)
		if (p[i] != 0x02 || p[i + 1] != 0x82)
			return false;
	return true;
}

/* Why this boot cannot test the hardware path: the CPU's missing capabilities, or the options. */
static void selftest_explain(void)
{
	char missing[160];

	if (pt_guest_hw_missing(&pt_rt.host_caps, missing, sizeof(missing)))
		pr_info("PT self-test: the hardware PT path cannot be tested on this CPU: it lacks %s\n", missing);
	else
		pr_info("PT self-test: the hardware PT path cannot be tested with pt_mode=%s pt_backend=%s: it "
			"needs pt_mode=host-guest and pt_backend=auto or hw\n",
			pt_mode_name(pt_rt.d.mode), pt_backend_name(pt_rt.d.backend_requested));
	pr_info("PT self-test: no PASS/FAIL lines; guests get the %s PT backend (%s)\n",
		pt_backend_name(pt_rt.d.guest_backend), pt_rt.d.reason);
}

void pt_selftest_begin(void)
{
	char detail[96];
	uint64_t ctl = 0;
	bool read;

	st = (typeof(st)){ .active = pt_rt.d.mode == PT_MODE_HOST_GUEST && pt_rt.d.guest_backend == PT_BACKEND_HW };
	if (!st.active) {
		selftest_explain();
		return;
	}
	pr_info("PT self-test: hardware PT path in force; checking it\n");
	ptv_snprintf(detail, sizeof(detail), "firmware left IA32_RTIT_CTL 0x%lx and it could not be cleared",
		     pt_rt.fw.ctl);
	verdict(pt_rt.fw.readable && pt_rt.fw.cleared, "RTIT MSRs taken over from firmware", detail);
	if (!pt_rt.d.host_trace)
		return;
	read = cpu_rdmsr_safe(MSR_IA32_RTIT_CTL, &ctl);
	ptv_snprintf(detail, sizeof(detail), "IA32_RTIT_CTL 0x%lx, wanted 0x%lx", ctl, pt_rt.cpu.host_ctl);
	verdict(pt_rt.cpu.host_trace && read && ctl == pt_rt.cpu.host_ctl, "host trace running", detail);
}

/* The first bytes of the guest's first ToPA output region, in its RAM; NULL when outside it. */
static const uint8_t *guest_trace_start(const struct vcpu *v, uint64_t *region_gpa)
{
	uint64_t table = ALIGN_DOWN(v->pt->ctx.output_base, PAGE_SIZE), entry;

	*region_gpa = 0;
	if (table + 8 > v->mem.size)
		return NULL;
	entry = *(const uint64_t *)phys_map(v->mem.ram_hpa + table, 8);
	*region_gpa = entry & TOPA_BASE_MASK;
	if ((entry & TOPA_END) || *region_gpa + PSB_LEN > v->mem.size)
		return NULL;
	return phys_map(v->mem.ram_hpa + *region_gpa, PSB_LEN);
}

void pt_selftest_guest(const struct vcpu *v)
{
	const uint32_t cpu2 = CPU2_CONCEAL_VMX_FROM_PT | CPU2_PT_USE_GPA;
	const uint32_t entry = ENTRY_CONCEAL_VMX_FROM_PT | ENTRY_LOAD_RTIT_CTL;
	const uint32_t exit = EXIT_CONCEAL_VMX_FROM_PT | EXIT_CLEAR_RTIT_CTL;
	const struct pt_guest *g = v->pt;
	const uint8_t *start;
	uint64_t region;
	char detail[96];

	if (!st.active || !g || g->backend != PT_BACKEND_HW)
		return;
	pr_info("PT self-test: guest %s\n", v->name);
	ptv_snprintf(detail, sizeof(detail), "secondary 0x%x entry 0x%x exit 0x%x", v->cpu2_controls, v->entry_controls,
		     vmx_ctls.exit);
	verdict((v->cpu2_controls & cpu2) == cpu2 && (v->entry_controls & entry) == entry &&
			(vmx_ctls.exit & exit) == exit,
		"VMX controls: conceal VMX from PT, PT uses guest-physical addresses, load/clear IA32_RTIT_CTL",
		detail);
	verdict(g->traced_exits > 0, "guest traced on the hardware path (TraceEn=1 at a VM exit)",
		"no VM exit found the guest's TraceEn set");
	ptv_snprintf(detail, sizeof(detail), "IA32_RTIT_STATUS 0x%lx", g->ctx.status);
	verdict(!(g->ctx.status & RTIT_STATUS_ERROR), "guest trace has no operational error", detail);
	ptv_snprintf(detail, sizeof(detail), "%lu outside its RAM, %lu not mapped back", g->outbuf.outside,
		     g->outbuf.failed);
	verdict(!g->outbuf.outside && !g->outbuf.failed, "every trace-output EPT violation resolved", detail);
	start = guest_trace_start(v, &region);
	ptv_snprintf(detail, sizeof(detail), "first region at GPA 0x%lx (OUTPUT_BASE 0x%lx)", region,
		     g->ctx.output_base);
	verdict(start && pt_selftest_is_psb(start), "guest trace starts with PSB", detail);
}

void pt_selftest_end(void)
{
	char detail[64];

	if (!st.active)
		return;
	if (pt_rt.cpu.host_trace) {
		uint64_t used = pt_host_buf_used(&pt_rt.buf, &pt_rt.cpu);

		ptv_snprintf(detail, sizeof(detail), "IA32_RTIT_STATUS 0x%lx", pt_rt.cpu.host_status);
		verdict(!(pt_rt.cpu.host_status & RTIT_STATUS_ERROR), "host trace has no operational error", detail);
		ptv_snprintf(detail, sizeof(detail), "%lu bytes in the host buffer", used);
		verdict(used >= PSB_LEN && pt_selftest_is_psb(phys_map(pt_rt.buf.region, PSB_LEN)),
			"host trace starts with PSB", detail);
	}
	pr_info("PT self-test: %u passed, %u failed (guest traces: PTV-TRACE frames for tools/ptextract.py "
		"and build/ptdecode)\n",
		st.passed, st.failed);
	st.active = false;
}

/*
 * ToPA PMIs on the hardware path (SDM 33.2.7.2 "Table of Physical Addresses (ToPA)", "ToPA PMI"):
 * a filled region with INT=1 sets IA32_PERF_GLOBAL_STATUS[55] and signals the PMI through the local
 * APIC's LVT performance-counter entry, which masks itself on delivery.
 *
 * ptvisor programs LVT PC for NMI delivery, not a fixed vector:
 * - the VMM runs with IF=0 everywhere but the idle wait, so a fixed-vector PMI raised in root would
 *   wait in the IRR for the next VM entry (and the idle wait's IDT would eat it); an NMI is taken at
 *   once, in root as in the guest, whatever the guest's or the VMM's IF;
 * - NMI exiting is already on wherever guests get NMIs (virtual NMIs, vmx_caps_has_virtual_nmis), so a
 *   PMI during guest execution exits with no new VM-execution control, and Bochs' entry checks see the
 *   controls they always saw; guest NMIs stay virtual;
 * - it is what Linux perf uses, so firmware and errata are tested against that setting.
 * Without virtual NMIs (or without a usable local APIC) nothing can take the PMI in every mode:
 * LVT PC is then masked, and the host's ToPA has no INT region.
 *
 * Attribution: a PMI belongs to the ToPA that was being written, i.e. the owner of the output MSRs
 * (cpu->outputs, NULL = the host buffer). The outputs change owner only with TraceEn=0, and
 * pt_hw_pmi_poll collects a set bit 55 for the old owner right before they do, so a PMI that is
 * delivered late (after the VM exit, in root, after the host took its outputs back) finds its status
 * already given to the guest and is only acknowledged.
 */
#include "pt/hw/pt_hw.h"
#include "dev/vlapic.h"
#include "vmx/caps.h"
#include "log.h"
#include "msr.h"
#include "nmi.h"

#define LVT_PC_NMI (APIC_DM_NMI << 8) /* delivery mode NMI, unmasked; the vector field is ignored */

static struct pt_hw_cpu *pmi_cpu; /* one CPU today */

static void pmi_record(struct pt_hw_cpu *cpu, struct pt_guest *owner)
{
	if (owner) {
		owner->pmi_pending = true;
		cpu->guest_pmis++;
	} else {
		cpu->host_pmi_pending = true;
		cpu->host_pmis++;
	}
}

/* Takes IA32_PERF_GLOBAL_STATUS[55] if set (clearing it, SDM 20.2.2 "..._STATUS_RESET"); true if it was. */
static bool pmi_take_status(void)
{
	uint64_t st = 0;

	if (!cpu_rdmsr_safe(MSR_IA32_PERF_GLOBAL_STATUS, &st) || !(st & PERF_GLOBAL_STATUS_TOPA_PMI))
		return false;
	(void)cpu_wrmsr_safe(MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI);
	return true;
}

bool pt_hw_pmi_setup(struct pt_hw_cpu *cpu, const struct vmx_caps *c)
{
	uint32_t lvt = 0;
	const char *why = NULL;

	cpu->pmi_owned = false;
	pmi_cpu = cpu;
	if (!cpu_lapic_read(APIC_LVT_PC, &lvt)) {
		pr_warn("PT: no enabled local APIC: no ToPA PMIs (guests' INT regions raise none)\n");
		return false;
	}
	if (!(lvt & APIC_LVT_MASKED))
		pr_info("PT: firmware left LVT PC unmasked (0x%x, delivery mode %u); ptvisor takes it over\n", lvt,
			(lvt >> 8) & 7);
	if (!vmx_caps_has_virtual_nmis(c))
		why = "no virtual NMIs, so an NMI during a guest would not exit";
	/* A PMI left pending from before (firmware's tracing) is nobody's. */
	if (pmi_take_status())
		pr_info("PT: a ToPA PMI was pending at boot; cleared\n");
	if (why) {
		(void)cpu_lapic_write(APIC_LVT_PC, APIC_LVT_MASKED);
		pr_warn("PT: ToPA PMIs off (%s): LVT PC masked, host ToPA without INT, a guest's filled INT "
			"region reaches it only at the next output switch\n",
			why);
		return false;
	}
	(void)cpu_lapic_write(APIC_LVT_PC, LVT_PC_NMI);
	nmi_set_claimant(pt_hw_pmi_claim);
	cpu->pmi_owned = true;
	pr_info("PT: ToPA PMIs by NMI through LVT PC (NMI exiting during guests); host ToPA region has INT\n");
	return true;
}

/*
 * An NMI taken between this RDMSR and its RESET finds the bit too and records it for the same owner:
 * pmi_pending is set twice (harmless), the counters count it twice.
 */
void pt_hw_pmi_poll(struct pt_hw_cpu *cpu)
{
	if (pmi_take_status())
		pmi_record(cpu, cpu->outputs);
}

enum pt_pmi_result pt_hw_pmi(struct pt_hw_cpu *cpu)
{
	uint32_t lvt = 0;

	if (pmi_take_status()) {
		pmi_record(cpu, cpu->outputs);
	} else if (!cpu_lapic_read(APIC_LVT_PC, &lvt) || !(lvt & APIC_LVT_MASKED) || !cpu->pmi_owned) {
		/* LVT PC still armed: this NMI did not come through it. */
		return PT_PMI_NONE;
	} else {
		cpu->late_pmis++; /* delivered after pt_hw_pmi_poll gave its status to its owner */
		(void)cpu_lapic_write(APIC_LVT_PC, LVT_PC_NMI);
		return PT_PMI_LATE;
	}
	/* Delivery set LVT PC's mask bit (SDM 11.5.1 "Local Vector Table", Figure 11-8): arm it again. */
	if (cpu->pmi_owned)
		(void)cpu_lapic_write(APIC_LVT_PC, LVT_PC_NMI);
	return cpu->outputs ? PT_PMI_GUEST : PT_PMI_HOST;
}

bool pt_hw_pmi_claim(bool in_guest)
{
	enum pt_pmi_result r;

	if (!pmi_cpu)
		return false;
	r = pt_hw_pmi(pmi_cpu);
	if (r != PT_PMI_NONE && !in_guest)
		pmi_cpu->root_pmis++;
	return r != PT_PMI_NONE;
}

void pt_hw_pmi_report(struct pt_hw_cpu *cpu)
{
	if (!cpu->host_pmi_pending)
		return;
	cpu->host_pmi_pending = false;
	if (cpu->host_pmis == 1)
		pr_info("PT: the host trace buffer is full (its ToPA INT region filled; PMI acknowledged); "
			"pt_dump=on dumps it at shutdown; further host PMIs are counted there\n");
}

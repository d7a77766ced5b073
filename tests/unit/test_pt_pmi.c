/*
 * ToPA PMIs on the hardware path, end to end on the CPU model: a region with INT=1 fills (the model's
 * ToPA walker), IA32_PERF_GLOBAL_STATUS[55] is set and the host APIC's LVT PC signals an NMI, which
 * exits the guest (NMI exiting) or lands in root; ptvisor's claimant clears the real bit, re-arms LVT
 * PC and gives the PMI to the ToPA's owner: the guest's virtual PMU and LVT PC, or the host buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_hw_rig.h"
#include "pt_topa_model.h"
#include "msr.h"
#include "nmi.h"
#include "dev/vlapic.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "pt/pt_boot.h"
#include "pt/pt_guest.h"
#include "pt/pt_host.h"
#include "vmx/pt_backend.h"
#include "vmx/vmcs.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB         (1024ULL * 1024)
#define ARENA       (32 * MiB)
#define LVT_PC_NMI  0x400u /* delivery mode NMI, unmasked */
#define GUEST_PMI_V 0xeeu  /* the guest's LVT PC vector (fixed mode) */

static struct vmx_caps caps;
static struct pt_decision d;
static struct cpu_model *m;
static struct vcpu v;
static struct pt_guest pg;
static unsigned nmis_into_guest, root_claimed, root_stray, exit_claimed, exit_stray;

/* Firmware's leftovers before ptvisor boots. */
struct firmware {
	uint32_t lvt_pc;
	bool stale_pmi;
	bool no_virtual_nmis;
	bool no_lapic;
	bool host_trace;
};

static void clear_allowed1(uint32_t msr, uint64_t bits)
{
	struct cpu_model_msr *e = cpu_model_msr(m, msr);

	if (e)
		e->value &= ~(bits << 32);
}

static void boot(const struct firmware *fw)
{
	const struct mem_range map[] = { { 1 * MiB, 31 * MiB, MEM_USABLE } };

	host_env_reset();
	phys_arena_init(ARENA);
	frame_init(map, 1, NULL, 0);
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	cpu_model_map_phys(m, 0, phys_map(0, ARENA), ARENA);
	m->lapic[APIC_LVT_PC >> 4] = fw->lvt_pc;
	m->lapic_off = fw->no_lapic;
	if (fw->stale_pmi)
		cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = PERF_GLOBAL_STATUS_TOPA_PMI;
	if (fw->no_virtual_nmis) {
		clear_allowed1(MSR_IA32_VMX_TRUE_PINBASED_CTLS, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
		clear_allowed1(MSR_IA32_VMX_PINBASED_CTLS, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
	}
	vmx_caps_read(&caps);
	pt_decide(&caps, PT_MODE_HOST_GUEST, PT_BACKEND_HW, &d);
	d.host_trace = fw->host_trace;
	pt_boot_init(&caps, &d);
	nmis_into_guest = root_claimed = root_stray = exit_claimed = exit_stray = 0;
	/* The VMCS as vmcs_init.c fills it: NMI exiting with virtual NMIs, the PT controls of the boot. */
	cpu_vmwrite(PIN_BASED_VM_EXEC_CONTROL,
		    PIN_EXT_INTR_EXITING | (vmx_caps_has_virtual_nmis(&caps) ? PIN_NMI_EXITING | PIN_VIRTUAL_NMIS : 0));
	cpu_vmwrite(CPU_BASED_VM_EXEC_CONTROL, CPU_ACTIVATE_SECONDARY);
	cpu_vmwrite(SECONDARY_VM_EXEC_CONTROL, CPU2_ENABLE_EPT | pt_rt.vmx.cpu2);
	cpu_vmwrite(VM_EXIT_CONTROLS, pt_rt.vmx.exit);
	cpu_vmwrite(VM_ENTRY_CONTROLS, pt_rt.vmx.entry);
}

static int teardown(void **state)
{
	(void)state;
	nmi_set_claimant(NULL);
	phys_arena_free();
	return 0;
}

static uint32_t host_lvt_pc(void)
{
	return m->lapic[APIC_LVT_PC >> 4];
}

static uint64_t real_status(void)
{
	return cpu_model_msr_value(m, MSR_IA32_PERF_GLOBAL_STATUS, 0);
}

/* A guest with PT on the hardware path whose LVT PC takes the PMI as `lvt_pc` (its APIC enabled). */
static void guest_attach(uint32_t lvt_pc)
{
	struct pt_guest_config c = { .pt = true, .pt_caps = "", .outside = true };

	memset(&v, 0, sizeof(v));
	v.name = "g";
	v.pt_ops = &pt_backend_none;
	vlapic_reset(&v.lapic, 0);
	vlapic_write(&v.lapic, APIC_SVR, APIC_SVR_ENABLE | 0xff);
	vlapic_write(&v.lapic, APIC_LVT_PC, lvt_pc);
	pt_guest_attach(&pg, &v, &c);
	assert_ptr_equal(v.pt_ops, &pt_hw_ops);
}

/* The guest's own ToPA: one 4K region with INT=1, then END back to the table (a ring, as Linux's AUX). */
static void guest_trace_start(void)
{
	paddr_t table = frame_alloc(), region = frame_alloc();
	uint64_t *t = phys_map(table, PAGE_SIZE);

	assert_true(table && region && t);
	t[0] = region | TOPA_INT;
	t[1] = table | TOPA_END;
	assert_true(vcpu_pt_wrmsr(&v, MSR_IA32_RTIT_OUTPUT_BASE, table));
	assert_true(vcpu_pt_wrmsr(&v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0x7f));
	assert_true(vcpu_pt_wrmsr(&v, MSR_IA32_RTIT_CTL,
				  RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_USER | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN));
}

/* Boots (firmware left LVT PC masked) with or without host tracing; a guest whose LVT PC is `lvt_pc` traces. */
static void traced_guest(bool host_trace, uint32_t lvt_pc)
{
	boot(&(struct firmware){ .lvt_pc = APIC_LVT_MASKED, .host_trace = host_trace });
	guest_attach(lvt_pc);
	guest_trace_start();
}

/* NMIs the model left pending are taken in VMX root: the IDT's vector 2, as trap_dispatch hands it on. */
static void root_nmis(void)
{
	while (m->nmi_pending) {
		m->nmi_pending--;
		if (nmi_claim(false))
			root_claimed++;
		else
			root_stray++;
	}
}

/*
 * One time slice of v: the VMX core's entry hook, the modelled entry, `bytes` of guest trace, the exit
 * (an NMI exit when an NMI is pending and NMI exiting is on, SDM 27.2 "Other Causes of VM Exits"; without
 * it the NMI goes through the guest's IDT), the exit hook, then what handle_exception does for an NMI
 * exit. early_root: an NMI signalled at the exit is taken before the exit hook runs, else after it.
 */
static bool slice(uint64_t bytes, bool early_root)
{
	bool nmi_exit;

	vcpu_pt_before_entry(&v);
	assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
	pt_model_output(m, bytes);
	nmi_exit = m->nmi_pending && (pt_model_field(m, PIN_BASED_VM_EXEC_CONTROL) & PIN_NMI_EXITING);
	if (m->nmi_pending) {
		m->nmi_pending--;
		nmis_into_guest += !nmi_exit;
	}
	pt_model_vmexit(m);
	if (early_root)
		root_nmis();
	vcpu_pt_after_exit(&v);
	if (nmi_exit) {
		if (nmi_claim(true))
			exit_claimed++;
		else
			exit_stray++;
	}
	root_nmis();
	return nmi_exit;
}

/* Item 2: LVT PC is ptvisor's before tracing starts, and the host ToPA has INT only when it owns the PMI. */
static void test_boot_takes_lvt_pc(void **state)
{
	const uint64_t *t;
	(void)state;
	/* Firmware left LVT PC unmasked in NMI mode and a PMI pending: taken over, the stale bit cleared. */
	boot(&(struct firmware){ .lvt_pc = LVT_PC_NMI, .stale_pmi = true, .host_trace = true });
	assert_true(host_console_contains("PT: firmware left LVT PC unmasked (0x400, delivery mode 4)"));
	assert_true(host_console_contains("PT: a ToPA PMI was pending at boot; cleared"));
	assert_true(host_console_contains("PT: ToPA PMIs by NMI through LVT PC"));
	assert_int_equal(real_status() & PERF_GLOBAL_STATUS_TOPA_PMI, 0);
	assert_int_equal(host_lvt_pc(), LVT_PC_NMI);
	assert_true(pt_rt.cpu.pmi_owned);
	t = phys_map(pt_rt.buf.table, PAGE_SIZE);
	assert_true(t[0] & TOPA_INT);
	/* No virtual NMIs: an NMI during a guest would not exit. LVT PC masked, no INT on the host's ToPA. */
	boot(&(struct firmware){ .lvt_pc = LVT_PC_NMI, .no_virtual_nmis = true, .host_trace = true });
	assert_true(host_console_contains("PT: ToPA PMIs off (no virtual NMIs"));
	assert_true(host_lvt_pc() & APIC_LVT_MASKED);
	assert_false(pt_rt.cpu.pmi_owned);
	t = phys_map(pt_rt.buf.table, PAGE_SIZE);
	assert_false(t[0] & TOPA_INT);
	assert_true(t[0] & TOPA_STOP);
	/* No enabled local APIC: nothing could deliver the PMI either. */
	boot(&(struct firmware){ .no_lapic = true, .host_trace = true });
	assert_true(host_console_contains("PT: no enabled local APIC: no ToPA PMIs"));
	assert_false(pt_rt.cpu.pmi_owned);
	assert_false(((const uint64_t *)phys_map(pt_rt.buf.table, PAGE_SIZE))[0] & TOPA_INT);
	/* The host fills its whole buffer: no INT, no PMI reaches anybody. */
	pt_model_output(m, pt_host_buf_size(&pt_rt.buf));
	assert_true(cpu_model_msr_value(m, MSR_IA32_RTIT_STATUS, 0) & RTIT_STATUS_STOPPED);
	assert_int_equal(m->pmis_signalled + m->nmi_pending, 0);
}

/* Item 2: the host's INT region fills while the VMM runs: the NMI in root is the host's, handled and reported. */
static void test_host_region_pmi(void **state)
{
	(void)state;
	boot(&(struct firmware){ .lvt_pc = APIC_LVT_MASKED, .host_trace = true });
	pt_model_output(m, pt_host_buf_size(&pt_rt.buf));
	assert_int_equal(m->nmi_pending, 1);
	root_nmis();
	assert_int_equal(root_claimed, 1);
	assert_int_equal(pt_rt.cpu.host_pmis, 1);
	assert_int_equal(pt_rt.cpu.root_pmis, 1);
	assert_int_equal(real_status() & PERF_GLOBAL_STATUS_TOPA_PMI, 0);
	assert_int_equal(host_lvt_pc(), LVT_PC_NMI); /* re-armed after it masked itself */
	/* Reported once, outside NMI context: at the next exit. */
	guest_attach(APIC_LVT_MASKED);
	slice(0x100, false);
	assert_true(host_console_contains("PT: the host trace buffer is full"));
	assert_int_equal(pt_rt.cpu.guest_pmis, 0);
}

/* Item 1: the guest's INT region fills while it runs: NMI exit, real bit 55 cleared, its virtual PMI raised. */
static void test_guest_region_pmi_exits(void **state)
{
	(void)state;
	for (unsigned host = 0; host < 2; host++) {
		traced_guest(host, GUEST_PMI_V);
		assert_false(slice(0x800, false)); /* half the region: no PMI */
		assert_int_equal(m->pmis_signalled, 0);
		assert_true(slice(0x800, false)); /* the region fills: the PMI exits the guest */
		assert_int_equal(nmis_into_guest, 0);
		assert_int_equal(exit_claimed, 1);
		assert_int_equal(pt_rt.cpu.guest_pmis, 1);
		assert_int_equal(pt_rt.cpu.host_pmis, 0);
		assert_int_equal(real_status() & PERF_GLOBAL_STATUS_TOPA_PMI, 0);
		assert_int_equal(host_lvt_pc(), LVT_PC_NMI);
		assert_true(pg.pmi_pending);
		/* The next entry hands it to the guest: virtual GLOBAL_STATUS[55] and its LVT PC interrupt. */
		assert_false(slice(0x100, false));
		assert_false(pg.pmi_pending);
		assert_int_equal(v.pmu.global_status, PERF_GLOBAL_STATUS_TOPA_PMI);
		assert_true(vlapic_read(&v.lapic, APIC_IRR + (GUEST_PMI_V / 32) * 0x10) & BIT(GUEST_PMI_V % 32));
		assert_true(vlapic_read(&v.lapic, APIC_LVT_PC) & APIC_LVT_MASKED); /* masked itself, as on hardware */
		assert_int_equal(pt_rt.cpu.guest_pmis + pt_rt.cpu.host_pmis, 1);
		vcpu_pt_release(&v);
	}
	/* A guest whose LVT PC is in NMI mode (as Linux's) gets a virtual NMI. */
	traced_guest(true, APIC_DM_NMI << 8);
	assert_true(slice(0x1000, false));
	slice(0x10, false);
	assert_true(v.lapic.nmi_pending);
	vcpu_pt_release(&v);
}

/* Item 1: a PMI of the guest's ToPA that arrives in root after the exit is the guest's, before or after the switch. */
static void test_pmi_after_exit(void **state)
{
	(void)state;
	for (unsigned early = 0; early < 2; early++) {
		traced_guest(true, GUEST_PMI_V);
		m->pmi_skid = true; /* the PMI reaches the APIC only after the VM exit */
		assert_false(slice(0x1000, early));
		assert_int_equal(root_claimed, 1);
		assert_int_equal(pt_rt.cpu.guest_pmis, 1);
		assert_int_equal(pt_rt.cpu.host_pmis, 0);
		/* After the host took its outputs back, the poll gave the status to the guest: the NMI is late. */
		assert_int_equal(pt_rt.cpu.late_pmis, early ? 0 : 1);
		assert_int_equal(host_lvt_pc(), LVT_PC_NMI);
		assert_int_equal(real_status() & PERF_GLOBAL_STATUS_TOPA_PMI, 0);
		slice(0x10, false);
		assert_int_equal(v.pmu.global_status, PERF_GLOBAL_STATUS_TOPA_PMI);
		vcpu_pt_release(&v);
	}
}

/* An NMI that is not a ToPA PMI is nobody's here: nothing recorded, nothing cleared, LVT PC untouched. */
static void test_stray_nmi(void **state)
{
	(void)state;
	traced_guest(true, GUEST_PMI_V);
	cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS)->value = BIT(0); /* a counter's overflow, not PT's */
	m->nmi_pending = 1;                                            /* e.g. a platform NMI */
	assert_true(slice(0x100, false));
	assert_int_equal(exit_stray, 1);
	m->nmi_pending = 1;
	root_nmis();
	assert_int_equal(root_stray, 1);
	assert_int_equal(pt_rt.cpu.guest_pmis + pt_rt.cpu.host_pmis + pt_rt.cpu.late_pmis, 0);
	assert_false(pg.pmi_pending);
	assert_int_equal(real_status(), BIT(0));
	assert_int_equal(host_lvt_pc(), LVT_PC_NMI);
	vcpu_pt_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_boot_takes_lvt_pc, teardown),
		cmocka_unit_test_teardown(test_host_region_pmi, teardown),
		cmocka_unit_test_teardown(test_guest_region_pmi_exits, teardown),
		cmocka_unit_test_teardown(test_pmi_after_exit, teardown),
		cmocka_unit_test_teardown(test_stray_nmi, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

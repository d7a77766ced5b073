/* The virtual xAPIC's VMX side on the CPU model: MMIO, the ToPA PMI, and injection at the interrupt window. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cpu_model.h"
#include "../fixtures/cpu_fixtures.h"
#include "host_env.h"
#include "vmx/pt_backend.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_init.h"

struct vmx_controls vmx_ctls; /* the VMX decisions: virtual NMIs or not (per test) */

#define RFLAGS_IF BIT(9)
#define APIC(off) (VLAPIC_BASE_GPA + (off))

static struct vcpu v;
static unsigned injected[4], ninjected;

/* A PT backend that only listens: the VMX core tells it every injection (vmx/pt_backend.h). */
static void heard(struct vcpu *vc, unsigned vector)
{
	assert_ptr_equal(vc, &v);
	if (ninjected < ARRAY_SIZE(injected))
		injected[ninjected++] = vector;
}

static const struct pt_backend_ops listener = { .name = "listener", .event_injected = heard };

static int setup(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_bochs_tigerlake);

	(void)state;
	host_env_reset();
	m->vmx_operation = true;
	m->current_vmcs = 0x5000;
	memset(&v, 0, sizeof(v));
	v.id = 2;
	v.name = "t";
	v.pt_ops = &listener;
	ninjected = 0;
	cpu_vmwrite(CPU_BASED_VM_EXEC_CONTROL, CPU_HLT_EXITING);
	cpu_vmwrite(GUEST_RFLAGS, RFLAGS_IF | 2);
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vlapic_reset(&v.lapic, v.id);
	v.window_exiting = true;
	vmx_ctls.virtual_nmis = true;
	return 0;
}

static uint64_t rd(unsigned field)
{
	uint64_t val;

	cpu_vmread(field, &val);
	return val;
}

static bool window_on(void)
{
	return rd(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING;
}

static void enable_pmi(uint32_t lvt)
{
	vlapic_mmio_write(&v, APIC(APIC_SVR), 4, 0x1ff);
	vlapic_mmio_write(&v, APIC(APIC_LVT_PC), 4, lvt);
}

static void test_mmio(void **state)
{
	(void)state;
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_ID), 4), 0x02000000);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_ID + 3), 1), 0x02); /* byte 3 of the ID */
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_VERSION), 2), 0x0014);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_VERSION), 8), 0x00050014);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_VERSION + 4), 4), 0);
	/* Narrow and misaligned stores are dropped; an 8-byte store writes its low half. */
	vlapic_mmio_write(&v, APIC(APIC_TPR), 1, 0x30);
	vlapic_mmio_write(&v, APIC(APIC_TPR + 4), 4, 0x30);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_TPR), 4), 0);
	vlapic_mmio_write(&v, APIC(APIC_TPR), 8, 0xffffffff00000040ull);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_TPR), 4), 0x40);
	assert_true(vlapic_claims(0xfee00000) && vlapic_claims(0xfee00fff));
	assert_false(vlapic_claims(0xfee01000) || vlapic_claims(0xfedfffff) || vlapic_claims(0xfec00000));
}

static void test_pmi_injected_at_window(void **state)
{
	(void)state;
	enable_pmi(0xf0);
	assert_false(window_on());
	vlapic_pmi(&v);
	assert_true(window_on());
	assert_true(vlapic_has_deliverable(&v));
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_LVT_PC), 4), 0x100f0);
	assert_int_equal(handle_interrupt_window(&v), EXIT_RESUME);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0xf0);
	assert_int_equal(ninjected, 1);
	assert_int_equal(injected[0], 0xf0);
	assert_false(window_on());
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_ISR + 0x70), 4), 1u << 16);
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_IRR + 0x70), 4), 0);
	/* The PMI masked LVT PC: a second one is not delivered. */
	vlapic_pmi(&v);
	assert_false(window_on());
	assert_int_equal(vlapic_mmio_read(&v, APIC(APIC_IRR + 0x70), 4), 0);
}

static void test_window_closed(void **state)
{
	(void)state;
	enable_pmi(0x80);
	vlapic_pmi(&v);
	/* STI shadow: nothing injected, still waiting. */
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_STI);
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_int_equal(ninjected, 0);
	assert_true(window_on());
	/* IF=0: the same. */
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	cpu_vmwrite(GUEST_RFLAGS, 2);
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), 0);
	/* An event already queued for this entry is never overwritten. */
	cpu_vmwrite(GUEST_RFLAGS, RFLAGS_IF | 2);
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6);
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6);
	assert_true(window_on());
	/* Open: injected. */
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x80);
	assert_false(window_on());
}

static void test_priorities_through_mmio(void **state)
{
	(void)state;
	vlapic_mmio_write(&v, APIC(APIC_SVR), 4, 0x1ff);
	/* TPR 0x50 holds back a self-IPI of class 5 ... */
	vlapic_mmio_write(&v, APIC(APIC_TPR), 4, 0x50);
	vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, (1u << 18) | 0x55);
	assert_false(window_on());
	assert_false(vlapic_has_deliverable(&v));
	/* ... until TPR drops. */
	vlapic_mmio_write(&v, APIC(APIC_TPR), 4, 0);
	assert_true(window_on());
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x55);
	/* A lower vector waits for the EOI of 0x55. */
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, (1u << 18) | 0x52);
	assert_false(window_on());
	vlapic_mmio_write(&v, APIC(APIC_EOI), 4, 0);
	assert_true(window_on());
	handle_interrupt_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x52);
}

static void test_no_window_exiting(void **state)
{
	(void)state;
	v.window_exiting = false;
	enable_pmi(0xf0);
	vlapic_pmi(&v);
	assert_false(window_on());
	assert_true(host_console_contains("no interrupt-window exiting"));
	assert_true(vlapic_has_deliverable(&v));
}

static bool nmi_window_on(void)
{
	return rd(CPU_BASED_VM_EXEC_CONTROL) & CPU_NMI_WINDOW_EXITING;
}

#define NMI_INFO (INTR_INFO_VALID | INTR_TYPE_NMI | 2)

/* An NMI to self through the ICR (shorthand self, or its own APIC ID) waits for the NMI window (SDM 27.7.6). */
static void test_nmi_self_ipi(void **state)
{
	static const uint32_t icr[] = { (1u << 18) | (4u << 8), (2u << 18) | (4u << 8) | 0x33, 4u << 8 };

	(void)state;
	vlapic_mmio_write(&v, APIC(APIC_SVR), 4, 0x1ff);
	for (unsigned i = 0; i < ARRAY_SIZE(icr); i++) {
		vlapic_mmio_write(&v, APIC(APIC_ICR_HI), 4, 2u << 24); /* destination: itself (ID 2) */
		vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, icr[i]);
		assert_true(nmi_window_on());
		assert_true(vlapic_nmi_pending(&v));
		assert_false(window_on());
		cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
		assert_int_equal(handle_nmi_window(&v), EXIT_RESUME);
		assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), NMI_INFO);
		assert_false(nmi_window_on());
		assert_false(vlapic_nmi_pending(&v));
	}
	assert_int_equal(ninjected, 3);
	assert_int_equal(injected[0], 2);
	/* To another APIC ID, or logical: not this vCPU's. */
	vlapic_mmio_write(&v, APIC(APIC_ICR_HI), 4, 3u << 24);
	vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, 4u << 8);
	vlapic_mmio_write(&v, APIC(APIC_ICR_HI), 4, 2u << 24);
	vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, (4u << 8) | BIT(11));
	assert_false(vlapic_nmi_pending(&v));
}

/* Blocking by NMI (the guest has not IRETed yet), MOV SS or a queued event keep the NMI pending. */
static void test_nmi_blocked(void **state)
{
	(void)state;
	vlapic_mmio_write(&v, APIC(APIC_ICR_LO), 4, (1u << 18) | (4u << 8));
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
	handle_nmi_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_true(nmi_window_on());
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 13);
	handle_nmi_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 13);
	assert_true(nmi_window_on());
	/* STI blocking does not hold an NMI off; it is dropped for the injection (SDM 27.3.1.5). */
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_STI);
	handle_nmi_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), NMI_INFO);
	assert_int_equal(rd(GUEST_INTERRUPTIBILITY_INFO), 0);
	assert_false(nmi_window_on());
}

/* LVT PC in NMI delivery mode: the PMI arrives as an NMI; without virtual NMIs it is dropped with a report. */
static void test_pmi_as_nmi(void **state)
{
	(void)state;
	enable_pmi(4u << 8);
	vlapic_pmi(&v);
	assert_true(nmi_window_on());
	assert_false(window_on());
	handle_nmi_window(&v);
	assert_int_equal(rd(VM_ENTRY_INTR_INFO_FIELD), NMI_INFO);
	vmx_ctls.virtual_nmis = false;
	cpu_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	enable_pmi(4u << 8);
	vlapic_pmi(&v);
	assert_false(nmi_window_on());
	assert_false(vlapic_nmi_pending(&v));
	assert_true(host_console_contains("no virtual NMIs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mmio, setup),
		cmocka_unit_test_setup(test_pmi_injected_at_window, setup),
		cmocka_unit_test_setup(test_window_closed, setup),
		cmocka_unit_test_setup(test_priorities_through_mmio, setup),
		cmocka_unit_test_setup(test_no_window_exiting, setup),
		cmocka_unit_test_setup(test_nmi_self_ipi, setup),
		cmocka_unit_test_setup(test_nmi_blocked, setup),
		cmocka_unit_test_setup(test_pmi_as_nmi, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

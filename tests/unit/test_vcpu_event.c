/*
 * Events as the CPU delivers them (vcpu_event.c) on the CPU model: RF in fault frames, re-injection of an
 * event whose delivery an exit interrupted, and the double- and triple-fault rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu_event.h"
#include "vmx/vlapic_vmx.h"

#define EXC(vec)      (INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (vec))
#define EXC_CODE(vec) (EXC(vec) | INTR_INFO_DELIVER_CODE)
#define EXT_INTR(vec) (INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (vec))
#define NMI           (INTR_INFO_VALID | INTR_TYPE_NMI | 2)
#define SW_INTR(vec)  (INTR_INFO_VALID | INTR_TYPE_SW_INTR | (vec))

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, 0, 0);
	vmw(GUEST_INTERRUPTIBILITY_INFO, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

static void vectoring(uint32_t info, uint32_t code, uint32_t len)
{
	vmw(IDT_VECTORING_INFO_FIELD, info);
	vmw(IDT_VECTORING_ERROR_CODE, code);
	vmw(VM_EXIT_INSTRUCTION_LEN, len);
	vcpu_requeue_vectoring(&v);
}

/* SDM 18.3.1.1: RF=1 in the frame of a fault, not of a trap; real mode has no RF. */
static void test_rf_for_faults_only(void **state)
{
	static const unsigned faults[] = { 0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19 };
	static const unsigned others[] = { 1, 3, 4, 8, 18 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(faults); i++) {
		vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
		vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
		vcpu_inject_exception(&v, faults[i], false, 0);
		assert_int_equal(vmr(GUEST_RFLAGS), RFLAGS_FIXED1 | RFLAGS_RF);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(others); i++) {
		vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
		vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
		vcpu_inject_exception(&v, others[i], false, 0);
		assert_int_equal(vmr(GUEST_RFLAGS), RFLAGS_FIXED1);
	}
	env_guest16(&v);
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
	vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
	vcpu_inject_exception(&v, X86_VEC_GP, true, 0);
	assert_int_equal(vmr(GUEST_RFLAGS), RFLAGS_FIXED1);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), EXC(X86_VEC_GP));
}

/* SDM 28.2.4: the event in the IDT-vectoring field goes back into the entry fields as it was. */
static void test_requeue(void **state)
{
	(void)state;
	vectoring(0, 0x1234, 2);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);
	vectoring(EXC_CODE(X86_VEC_PF) | BIT(12), 0x6, 2);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), EXC_CODE(X86_VEC_PF));
	assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), 0x6);
	assert_int_equal(v.idt_vectoring, EXC_CODE(X86_VEC_PF) | BIT(12));
	vectoring(SW_INTR(0x80), 0, 2);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), SW_INTR(0x80));
	assert_int_equal(vmr(VM_ENTRY_INSTRUCTION_LEN), 2);
	vectoring(EXT_INTR(0x41), 0, 0);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), EXT_INTR(0x41));
	vectoring(NMI, 0, 0);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), NMI);
}

/* SDM 6.15 Table 6-5: contributory + contributory and #PF + (#PF or contributory) give #DF(0). */
static void test_double_fault(void **state)
{
	static const struct {
		unsigned first, second, result;
	} cases[] = {
		{ X86_VEC_GP, X86_VEC_NP, X86_VEC_DF }, { X86_VEC_DE, X86_VEC_GP, X86_VEC_DF },
		{ X86_VEC_PF, X86_VEC_PF, X86_VEC_DF }, { X86_VEC_PF, X86_VEC_GP, X86_VEC_DF },
		{ X86_VEC_GP, X86_VEC_PF, X86_VEC_PF }, { X86_VEC_UD, X86_VEC_GP, X86_VEC_GP },
		{ X86_VEC_PF, X86_VEC_UD, X86_VEC_UD }, { X86_VEC_BP, X86_VEC_PF, X86_VEC_PF },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		vectoring(EXC_CODE(cases[i].first), 0x10, 0);
		vcpu_inject_exception(&v, cases[i].second, true, 0x18);
		uint32_t info = vmr(VM_ENTRY_INTR_INFO_FIELD);
		assert_int_equal(info & 0xff, cases[i].result);
		assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), cases[i].result == X86_VEC_DF ? 0 : 0x18);
	}
	assert_false(v.stop.requested);
}

/* An exception while a #DF is being delivered is a triple fault: the guest stops (SDM 6.15 "Interrupt 8"). */
static void test_triple_fault(void **state)
{
	(void)state;
	vectoring(EXC_CODE(X86_VEC_DF), 0, 0);
	vcpu_inject_exception(&v, X86_VEC_GP, true, 0);
	assert_true(v.stop.requested);
	assert_non_null(strstr(v.stop.reason, "triple fault"));
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);
}

/* An exception displacing a re-queued interrupt or NMI leaves it pending, not lost. */
static void test_displaced_events_stay_pending(void **state)
{
	(void)state;
	v.window_exiting = true;
	vlapic_write(&v.lapic, APIC_SVR, 0x1ff);
	vlapic_set_irr(&v.lapic, 0x41);
	vlapic_accept(&v.lapic, 0x41);
	vectoring(EXT_INTR(0x41), 0, 0);
	vcpu_inject_exception(&v, X86_VEC_PF, true, 2);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), EXC_CODE(X86_VEC_PF));
	assert_int_equal(vlapic_pending_vector(&v.lapic), 0x41);
	assert_true(vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING);
	vectoring(NMI, 0, 0);
	vcpu_inject_exception(&v, X86_VEC_GP, true, 0);
	assert_true(vlapic_nmi_pending(&v));
	assert_true(vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_NMI_WINDOW_EXITING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rf_for_faults_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_displaced_events_stay_pending, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

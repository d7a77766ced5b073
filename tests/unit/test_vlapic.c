/* The virtual xAPIC register model: reset values, read-only and reserved registers, priorities, EOI, PMI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "dev/vlapic.h"

static struct vlapic a;

static int setup(void **state)
{
	(void)state;
	vlapic_reset(&a, 3);
	return 0;
}

static void enable(void)
{
	vlapic_write(&a, APIC_SVR, 0x1ff);
}

static void test_reset_values(void **state)
{
	(void)state;
	assert_int_equal(vlapic_read(&a, APIC_ID), 0x03000000);
	assert_int_equal(vlapic_read(&a, APIC_VERSION), 0x00050014);
	assert_int_equal(vlapic_read(&a, APIC_SVR), 0xff);
	assert_int_equal(vlapic_read(&a, APIC_DFR), 0xffffffff);
	assert_int_equal(vlapic_read(&a, APIC_TPR), 0);
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0);
	for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
		assert_int_equal(vlapic_read(&a, off), 0x10000);
	assert_int_equal(vlapic_read(&a, APIC_LVT_CMCI), 0x10000);
	for (uint32_t off = APIC_ISR; off < APIC_IRR + 0x80; off += 0x10)
		assert_int_equal(vlapic_read(&a, off), 0);
	assert_int_equal(vlapic_pending_vector(&a), -1);
}

static void test_read_only_and_reserved(void **state)
{
	(void)state;
	enable();
	vlapic_write(&a, APIC_ID, 0x5000000);
	vlapic_write(&a, APIC_VERSION, 0);
	vlapic_write(&a, APIC_PPR, 0xff);
	vlapic_write(&a, APIC_IRR + 0x70, 0xffffffff);
	vlapic_write(&a, APIC_ISR, 0xffffffff);
	vlapic_write(&a, APIC_TIMER_CCR, 1234);
	vlapic_write(&a, 0x040, 0xdead);
	vlapic_write(&a, 0x3f0, 0xdead);
	assert_int_equal(vlapic_read(&a, APIC_ID), 0x03000000);
	assert_int_equal(vlapic_read(&a, APIC_VERSION), 0x00050014);
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x70), 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR), 0);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_read(&a, 0x040), 0);
	assert_int_equal(vlapic_read(&a, 0x3f0), 0);
	assert_int_equal(vlapic_read(&a, APIC_EOI), 0);
	assert_int_equal(vlapic_read(&a, APIC_ID + 4), 0); /* not on a 16-byte boundary */
	/* Timer registers hold what is written; divide configuration keeps bits 0, 1 and 3. */
	vlapic_write(&a, APIC_TIMER_ICR, 0x12345678);
	vlapic_write(&a, APIC_TIMER_DCR, 0xff);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_ICR), 0x12345678);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_DCR), 0xb);
	vlapic_write(&a, APIC_LDR, 0xffffffff);
	vlapic_write(&a, APIC_DFR, 0);
	assert_int_equal(vlapic_read(&a, APIC_LDR), 0xff000000);
	assert_int_equal(vlapic_read(&a, APIC_DFR), 0x0fffffff);
}

static void test_lvt_writes(void **state)
{
	(void)state;
	/* Software disabled: the mask stays set whatever is written (SDM 11.4.7.2). */
	vlapic_write(&a, APIC_LVT_PC, 0xf0);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0x100f0);
	enable();
	vlapic_write(&a, APIC_LVT_PC, 0xffffffff);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0x107ff); /* delivery status (12) is read-only */
	vlapic_write(&a, APIC_LVT_PC, 0xf0);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0xf0);
	vlapic_write(&a, APIC_LVT_TIMER, 0xffffffff);
	assert_int_equal(vlapic_read(&a, APIC_LVT_TIMER), 0x700ff);
	vlapic_write(&a, APIC_LVT_LINT0, 0xffffffff);
	assert_int_equal(vlapic_read(&a, APIC_LVT_LINT0), 0x1a7ff);
	vlapic_write(&a, APIC_LVT_ERROR, 0xffffffff);
	assert_int_equal(vlapic_read(&a, APIC_LVT_ERROR), 0x100ff);
	/* Clearing SVR[8] masks every entry again. */
	vlapic_write(&a, APIC_SVR, 0xff);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0x100f0);
}

static void test_priority_and_eoi(void **state)
{
	(void)state;
	enable();
	assert_true(vlapic_set_irr(&a, 0x41));
	assert_true(vlapic_set_irr(&a, 0x85));
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x20), 1u << 1);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x40), 1u << 5);
	assert_int_equal(vlapic_pending_vector(&a), 0x85);
	/* TPR class 8 blocks class 8, not class 9 and up. */
	vlapic_write(&a, APIC_TPR, 0x8f);
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0x8f);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	vlapic_write(&a, APIC_TPR, 0x20);
	vlapic_accept(&a, 0x85);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x40), 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR + 0x40), 1u << 5);
	/* In service 0x85: PPR = 0x80, so 0x41 waits. */
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0x80);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	vlapic_write(&a, APIC_EOI, 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR + 0x40), 0);
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0x20);
	assert_int_equal(vlapic_pending_vector(&a), 0x41);
	/* Nested: EOI retires the highest in-service vector first. */
	vlapic_accept(&a, 0x41);
	vlapic_set_irr(&a, 0x90);
	vlapic_accept(&a, 0x90);
	vlapic_write(&a, APIC_EOI, 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR + 0x40), 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR + 0x20), 1u << 1);
	vlapic_write(&a, APIC_EOI, 0);
	assert_int_equal(vlapic_read(&a, APIC_ISR + 0x20), 0);
	vlapic_write(&a, APIC_EOI, 0); /* nothing in service: harmless */
	assert_int_equal(vlapic_read(&a, APIC_PPR), 0x20);
}

static void test_illegal_vector_and_esr(void **state)
{
	(void)state;
	enable();
	assert_false(vlapic_set_irr(&a, 7));
	assert_int_equal(vlapic_read(&a, APIC_IRR), 0);
	assert_int_equal(vlapic_read(&a, APIC_ESR), 0); /* not latched until ESR is written */
	vlapic_write(&a, APIC_ESR, 0);
	assert_int_equal(vlapic_read(&a, APIC_ESR), APIC_ESR_RECV_ILLEGAL);
	vlapic_write(&a, APIC_ESR, 0);
	assert_int_equal(vlapic_read(&a, APIC_ESR), 0);
	vlapic_write(&a, APIC_ICR_LO, (1u << 18) | 3); /* self-IPI, vector 3 */
	vlapic_write(&a, APIC_ESR, 0);
	assert_int_equal(vlapic_read(&a, APIC_ESR), APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL);
}

static void test_icr(void **state)
{
	(void)state;
	enable();
	/* Physical destination 0, no shorthand: no other vCPU, nothing happens. */
	vlapic_write(&a, APIC_ICR_HI, 0x01ffffff);
	vlapic_write(&a, APIC_ICR_LO, 0x4050);
	assert_int_equal(vlapic_read(&a, APIC_ICR_HI), 0x01000000);
	assert_int_equal(vlapic_read(&a, APIC_ICR_LO), 0x4050);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	/* Shorthand "all excluding self", and a self NMI: not delivered here. */
	vlapic_write(&a, APIC_ICR_LO, (3u << 18) | 0x51);
	vlapic_write(&a, APIC_ICR_LO, (1u << 18) | (4u << 8) | 0x52);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	/* Fixed self-IPI: IRR. */
	vlapic_write(&a, APIC_ICR_LO, (1u << 18) | 0x53 | (1u << 12));
	assert_int_equal(vlapic_read(&a, APIC_ICR_LO) & (1u << 12), 0);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x20), 1u << 19);
	assert_int_equal(vlapic_pending_vector(&a), 0x53);
	/* A software-disabled APIC accepts no fixed interrupt from a self-IPI. */
	vlapic_reset(&a, 3);
	vlapic_write(&a, APIC_ICR_LO, (1u << 18) | 0x60);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x30), 0);
}

static void test_pmi(void **state)
{
	bool nmi = true;

	(void)state;
	/* Masked at reset: no interrupt. */
	assert_false(vlapic_lvt_pc_fire(&a, &nmi));
	assert_false(nmi);
	enable();
	vlapic_write(&a, APIC_LVT_PC, 0xf0);
	assert_true(vlapic_lvt_pc_fire(&a, &nmi));
	assert_false(nmi);
	assert_int_equal(vlapic_read(&a, APIC_IRR + 0x70), 1u << 16);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0x100f0); /* masked by the PMI */
	assert_false(vlapic_lvt_pc_fire(&a, &nmi));              /* until software unmasks it */
	assert_int_equal(vlapic_pending_vector(&a), 0xf0);
	vlapic_write(&a, APIC_LVT_PC, 4u << 8); /* NMI delivery mode */
	assert_true(vlapic_lvt_pc_fire(&a, &nmi));
	assert_true(nmi);
	assert_int_equal(vlapic_read(&a, APIC_LVT_PC), 0x10400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_read_only_and_reserved, setup),
		cmocka_unit_test_setup(test_lvt_writes, setup),
		cmocka_unit_test_setup(test_priority_and_eoi, setup),
		cmocka_unit_test_setup(test_illegal_vector_and_esr, setup),
		cmocka_unit_test_setup(test_icr, setup),
		cmocka_unit_test_setup(test_pmi, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

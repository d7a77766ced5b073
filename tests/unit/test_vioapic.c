/* The virtual I/O APIC: registers, redirection, edge and level pins, Remote IRR and the local APIC's EOI, masking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "dev/vioapic.h"

struct board {
	struct vlapic lapic;
	struct vioapic io;
};

static void board(struct board *b, unsigned apic_id)
{
	host_env_reset();
	memset(b, 0, sizeof(*b));
	vlapic_reset(&b->lapic, apic_id);
	vioapic_reset(&b->io, &b->lapic, VIOAPIC_ID);
	vlapic_write(&b->lapic, APIC_SVR, APIC_SVR_ENABLE | 0xff);
}

static uint32_t ind_read(struct vioapic *io, unsigned reg)
{
	vioapic_write(io, IOAPIC_REGSEL, reg);
	return vioapic_read(io, IOAPIC_WIN);
}

static bool ind_write(struct vioapic *io, unsigned reg, uint32_t val)
{
	vioapic_write(io, IOAPIC_REGSEL, reg);
	return vioapic_write(io, IOAPIC_WIN, val);
}

static void route(struct vioapic *io, unsigned pin, uint32_t lo, uint8_t dest)
{
	ind_write(io, IOAPIC_REG_REDTBL + 2 * pin + 1, (uint32_t)dest << 24);
	ind_write(io, IOAPIC_REG_REDTBL + 2 * pin, lo);
}

static bool irr(const struct vlapic *a, unsigned v)
{
	return vlapic_read(a, APIC_IRR + ((v >> 5) << 4)) & (1u << (v & 31));
}

static bool tmr(const struct vlapic *a, unsigned v)
{
	return vlapic_read(a, APIC_TMR + ((v >> 5) << 4)) & (1u << (v & 31));
}

/* The local APIC takes the interrupt and the guest's handler writes EOI. */
static void take_and_eoi(struct vlapic *a, unsigned v)
{
	assert_int_equal(vlapic_pending_vector(a), (int)v);
	vlapic_accept(a, v);
	vlapic_write(a, APIC_EOI, 0);
}

static void test_registers(void **state)
{
	struct board b;
	(void)state;
	board(&b, 0);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_ID), VIOAPIC_ID << 24);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_VER), 0x00170011);
	ind_write(&b.io, IOAPIC_REG_ID, 0xff000000u);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_ID), 0x0f000000u);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_ARB), 0x0f000000u);
	ind_write(&b.io, IOAPIC_REG_VER, 0);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_VER), 0x00170011);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(ind_read(&b.io, IOAPIC_REG_REDTBL + 2 * pin), IOREDTBL_MASK);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS), 0); /* past pin 23 */
	/* Delivery status and Remote IRR are read only; the high dword keeps the destination only. */
	ind_write(&b.io, IOAPIC_REG_REDTBL + 2 * 5, 0xffffffffu);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_REDTBL + 2 * 5), 0x1afff);
	ind_write(&b.io, IOAPIC_REG_REDTBL + 2 * 5 + 1, 0xffffffffu);
	assert_int_equal(ind_read(&b.io, IOAPIC_REG_REDTBL + 2 * 5 + 1), 0xff000000u);
	vioapic_write(&b.io, IOAPIC_REGSEL, 0x1234);
	assert_int_equal(vioapic_read(&b.io, IOAPIC_REGSEL), 0x34);
	assert_int_equal(vioapic_read(&b.io, 0x20), 0);
}

static void test_edge_delivery_and_mask(void **state)
{
	struct board b;
	(void)state;
	board(&b, 2);
	/* Masked at reset: the edge is lost. */
	assert_false(vioapic_set_line(&b.io, 4, true));
	assert_false(vioapic_set_line(&b.io, 4, false));
	route(&b.io, 4, 0x24, 2); /* fixed, physical, edge, high, vector 24H, APIC 2 */
	assert_true(vioapic_set_line(&b.io, 4, true));
	assert_true(irr(&b.lapic, 0x24));
	assert_false(tmr(&b.lapic, 0x24));
	/* Held high: no new edge. */
	take_and_eoi(&b.lapic, 0x24);
	assert_false(vioapic_set_line(&b.io, 4, true));
	assert_false(irr(&b.lapic, 0x24));
	assert_false(vioapic_set_line(&b.io, 4, false));
	assert_true(vioapic_set_line(&b.io, 4, true));
	take_and_eoi(&b.lapic, 0x24);
	/* Another APIC's ID, then the broadcast ID. */
	vioapic_set_line(&b.io, 4, false);
	route(&b.io, 4, 0x24, 3);
	assert_false(vioapic_set_line(&b.io, 4, true));
	vioapic_set_line(&b.io, 4, false);
	route(&b.io, 4, 0x24, 0xff);
	assert_true(vioapic_set_line(&b.io, 4, true));
	/* Active low: the falling edge of the line is the rising edge of the signal. */
	take_and_eoi(&b.lapic, 0x24);
	route(&b.io, 4, 0x24 | IOREDTBL_INTPOL, 2);
	assert_true(vioapic_set_line(&b.io, 4, false));
	assert_false(vioapic_set_line(&b.io, 4, true));
	assert_int_equal(b.io.delivered, 4);
}

static void test_logical_destinations(void **state)
{
	struct board b;
	(void)state;
	board(&b, 0);
	vlapic_write(&b.lapic, APIC_LDR, 0x01000000u); /* flat model: bit 0 */
	route(&b.io, 1, 0x31 | IOREDTBL_DESTMOD, 0x01);
	assert_true(vioapic_set_line(&b.io, 1, true));
	route(&b.io, 2, 0x32 | IOREDTBL_DESTMOD, 0x02);
	assert_false(vioapic_set_line(&b.io, 2, true));
	/* Cluster model: cluster 1, member bit 1 (LDR 12H). */
	vlapic_write(&b.lapic, APIC_DFR, 0x0fffffffu);
	vlapic_write(&b.lapic, APIC_LDR, 0x12000000u);
	route(&b.io, 3, 0x33 | IOREDTBL_DESTMOD, 0x13);
	assert_true(vioapic_set_line(&b.io, 3, true));
	route(&b.io, 5, 0x35 | IOREDTBL_DESTMOD, 0x22);
	assert_false(vioapic_set_line(&b.io, 5, true));
	/* Lowest priority reaches the one APIC; NMI makes an NMI pending; ExtINT has no target. */
	route(&b.io, 6, 0x36 | (IOAPIC_DM_LOWEST << 8), 0);
	assert_true(vioapic_set_line(&b.io, 6, true));
	route(&b.io, 7, IOAPIC_DM_NMI << 8, 0);
	assert_true(vioapic_set_line(&b.io, 7, true));
	assert_true(vlapic_take_nmi(&b.lapic));
	route(&b.io, 8, 0x38 | (7u << 8), 0);
	assert_false(vioapic_set_line(&b.io, 8, true));
}

/* Level pins: Remote IRR holds the pin until the local APIC's EOI; still asserted, it fires again. */
static void test_level_remote_irr_eoi(void **state)
{
	struct board b;
	(void)state;
	board(&b, 0);
	route(&b.io, 9, 0x49 | IOREDTBL_TRIGGER, 0);
	assert_true(vioapic_set_line(&b.io, 9, true));
	assert_true(tmr(&b.lapic, 0x49));
	assert_true(ind_read(&b.io, IOAPIC_REG_REDTBL + 18) & IOREDTBL_REMOTE_IRR);
	assert_false(vioapic_set_line(&b.io, 9, true)); /* Remote IRR: no second message */
	vlapic_accept(&b.lapic, 0x49);
	vlapic_write(&b.lapic, APIC_EOI, 0); /* still asserted: delivered again at EOI */
	assert_true(irr(&b.lapic, 0x49));
	assert_true(ind_read(&b.io, IOAPIC_REG_REDTBL + 18) & IOREDTBL_REMOTE_IRR);
	vioapic_set_line(&b.io, 9, false);
	take_and_eoi(&b.lapic, 0x49);
	assert_false(ind_read(&b.io, IOAPIC_REG_REDTBL + 18) & IOREDTBL_REMOTE_IRR);
	assert_false(irr(&b.lapic, 0x49));
	assert_int_equal(b.io.delivered, 2);
}

/* An edge vector's EOI leaves the I/O APIC alone; a level vector from another pin is not this one's. */
static void test_eoi_only_level_vector(void **state)
{
	struct board b;
	(void)state;
	board(&b, 0);
	route(&b.io, 10, 0x50 | IOREDTBL_TRIGGER, 0);
	route(&b.io, 11, 0x60, 0);
	assert_true(vioapic_set_line(&b.io, 10, true));
	assert_true(vioapic_set_line(&b.io, 11, true));
	take_and_eoi(&b.lapic, 0x60);
	assert_true(ind_read(&b.io, IOAPIC_REG_REDTBL + 20) & IOREDTBL_REMOTE_IRR);
	assert_false(vioapic_eoi(&b.io, 0x51));
	assert_true(ind_read(&b.io, IOAPIC_REG_REDTBL + 20) & IOREDTBL_REMOTE_IRR);
}

/* A masked asserted level pin fires when unmasked; Linux's pre-20H EOI (mask + edge, then restore) clears Remote IRR. */
static void test_level_unmask_and_edge_switch(void **state)
{
	struct board b;
	uint32_t lo = 0x41 | IOREDTBL_TRIGGER;
	(void)state;
	board(&b, 0);
	route(&b.io, 12, lo | IOREDTBL_MASK, 0);
	assert_false(vioapic_set_line(&b.io, 12, true));
	assert_false(irr(&b.lapic, 0x41));
	assert_true(ind_write(&b.io, IOAPIC_REG_REDTBL + 24, lo));
	assert_true(irr(&b.lapic, 0x41));
	vlapic_accept(&b.lapic, 0x41);
	vioapic_set_line(&b.io, 12, false);
	ind_write(&b.io, IOAPIC_REG_REDTBL + 24, 0x41 | IOREDTBL_MASK);
	assert_false(ind_read(&b.io, IOAPIC_REG_REDTBL + 24) & IOREDTBL_REMOTE_IRR);
	assert_false(ind_write(&b.io, IOAPIC_REG_REDTBL + 24, lo));
	/* An APIC software disabled takes nothing, and no Remote IRR is left behind. */
	vlapic_write(&b.lapic, APIC_EOI, 0);
	vlapic_write(&b.lapic, APIC_SVR, 0xff);
	assert_false(vioapic_set_line(&b.io, 12, true));
	assert_false(ind_read(&b.io, IOAPIC_REG_REDTBL + 24) & IOREDTBL_REMOTE_IRR);
	vlapic_write(&b.lapic, APIC_SVR, 0x1ff);
	assert_true(ind_write(&b.io, IOAPIC_REG_REDTBL + 24, lo));
}

/* TMR follows the last acceptance: a self-IPI (edge) on a level vector clears it. */
static void test_tmr_follows_acceptance(void **state)
{
	struct board b;
	(void)state;
	board(&b, 0);
	assert_true(vlapic_deliver(&b.lapic, 0x70, true));
	assert_true(tmr(&b.lapic, 0x70));
	assert_true(vlapic_set_irr(&b.lapic, 0x70));
	assert_false(tmr(&b.lapic, 0x70));
	assert_false(vlapic_deliver(&b.lapic, 0x05, true)); /* illegal vector */
	assert_false(vioapic_set_line(&b.io, VIOAPIC_PINS, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_edge_delivery_and_mask),
		cmocka_unit_test(test_logical_destinations),
		cmocka_unit_test(test_level_remote_irr_eoi),
		cmocka_unit_test(test_eoi_only_level_vector),
		cmocka_unit_test(test_level_unmask_and_edge_switch),
		cmocka_unit_test(test_tmr_follows_acceptance),
	};
	return cmocka_run_group_tests_name("vioapic", tests, NULL, NULL);
}

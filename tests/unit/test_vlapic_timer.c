/*
 * The APIC timer (dev/vlapic_timer.c) on a clock of 50 MHz TSC and a 25 MHz crystal, so one count
 * at divide-by-1 is 2 TSC ticks: one-shot, periodic, TSC-deadline, the divider, the current count,
 * masking, mode transitions and TSC writes (SDM 11.5.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "dev/vlapic.h"

#define VEC   0x40
#define T0    1000000ull /* guest TSC when each test starts */
#define DIV1  0xb        /* divide configuration 1011b: by 1 */
#define DIV16 0x3        /* 0011b: by 16 */
#define DIV2  0x0

static struct vlapic a;

static int setup(void **state)
{
	(void)state;
	memset(&a, 0, sizeof(a)); /* the clock and its time survive vlapic_reset: start from none */
	vlapic_timer_set_clock(&a, 50000, 25000);
	vlapic_reset(&a, 0);
	vlapic_write(&a, APIC_SVR, 0x1ff);
	vlapic_timer_tick(&a, T0);
	return 0;
}

static bool irr_has(unsigned vec)
{
	return vlapic_read(&a, APIC_IRR + (vec >> 5) * 0x10) & (1u << (vec & 31));
}

static void take(unsigned vec)
{
	vlapic_accept(&a, vec);
	vlapic_write(&a, APIC_EOI, 0);
}

static void test_divide_values(void **state)
{
	static const uint32_t dcr[8] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	static const uint64_t div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };

	(void)state;
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	for (int i = 0; i < 8; i++) {
		uint64_t t = T0 + (uint64_t)i * 100000000;
		vlapic_timer_tick(&a, t);
		vlapic_write(&a, APIC_TIMER_DCR, dcr[i] | 0xf0); /* bits above 3 are not stored */
		assert_int_equal(vlapic_read(&a, APIC_TIMER_DCR), dcr[i]);
		vlapic_write(&a, APIC_TIMER_ICR, 1000);
		/* 1000 counts * divisor * 2 TSC ticks */
		assert_int_equal(vlapic_timer_next(&a), t + 1000 * div[i] * 2);
	}
}

static void test_oneshot(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV16);
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 500); /* 500 * 16 * 2 = 16000 TSC ticks */
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 500);
	assert_int_equal(vlapic_timer_next(&a), T0 + 16000);
	assert_false(vlapic_timer_tick(&a, T0 + 8000));
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 250);
	assert_false(vlapic_timer_tick(&a, T0 + 15999));
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 1);
	assert_false(irr_has(VEC));
	assert_true(vlapic_timer_tick(&a, T0 + 16000));
	assert_true(irr_has(VEC));
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	take(VEC);
	assert_false(vlapic_timer_tick(&a, T0 + 100000));
	assert_false(irr_has(VEC));
	assert_int_equal(vlapic_read(&a, APIC_TIMER_ICR), 500);
}

static void test_icr_zero_stops(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_TIMER_ICR, 100);
	vlapic_timer_tick(&a, T0 + 50);
	vlapic_write(&a, APIC_TIMER_ICR, 0);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	assert_false(vlapic_timer_tick(&a, T0 + 1000));
	/* a new initial count restarts the count from now */
	vlapic_write(&a, APIC_TIMER_ICR, 100);
	assert_int_equal(vlapic_timer_next(&a), T0 + 1000 + 200);
}

static void test_periodic(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV2);
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_PERIODIC);
	vlapic_write(&a, APIC_TIMER_ICR, 2500); /* 2500 * 2 * 2 = 10000 TSC ticks = 200 us */
	for (int i = 1; i <= 5; i++) {
		assert_false(vlapic_timer_tick(&a, T0 + i * 10000ull - 1));
		assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 1);
		assert_true(vlapic_timer_tick(&a, T0 + i * 10000ull));
		assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 2500); /* reloaded */
		assert_int_equal(vlapic_timer_next(&a), T0 + (i + 1) * 10000ull);
		take(VEC);
	}
	vlapic_timer_tick(&a, T0 + 55000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 1250);
	/* Periods missed while nobody looked coalesce into one interrupt; the phase is kept. */
	assert_true(vlapic_timer_tick(&a, T0 + 95000));
	assert_int_equal(vlapic_timer_next(&a), T0 + 100000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 1250);
}

static void test_periodic_minimum(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_PERIODIC);
	vlapic_write(&a, APIC_TIMER_ICR, 1); /* 2 TSC ticks: held to 100 us = 5000 ticks */
	assert_true(vlapic_timer_tick(&a, T0 + 2));
	assert_int_equal(vlapic_timer_next(&a), T0 + 2 + 5000);
}

static void test_masked_counts_without_interrupt(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_LVT_MASKED | APIC_TIMER_PERIODIC);
	vlapic_write(&a, APIC_TIMER_ICR, 10000);                    /* 20000 ticks */
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE); /* nothing to wake anyone for */
	vlapic_timer_tick(&a, T0 + 10000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 5000);
	assert_false(vlapic_timer_tick(&a, T0 + 20000));
	assert_false(irr_has(VEC));
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 10000);
	/* unmasked, it goes on in phase */
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_PERIODIC);
	assert_int_equal(vlapic_timer_next(&a), T0 + 40000);
	assert_true(vlapic_timer_tick(&a, T0 + 40000));
	assert_true(irr_has(VEC));
	/* a software-disabled APIC masks the entry; the count keeps running */
	take(VEC);
	vlapic_write(&a, APIC_SVR, 0xff);
	assert_false(vlapic_timer_tick(&a, T0 + 60000));
	assert_false(irr_has(VEC));
}

static void test_divide_change_mid_count(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 1000); /* 2000 ticks */
	vlapic_timer_tick(&a, T0 + 1000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 500);
	vlapic_write(&a, APIC_TIMER_DCR, DIV2); /* the remaining 500 counts now take 2000 ticks */
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 500);
	assert_int_equal(vlapic_timer_next(&a), T0 + 3000);
	vlapic_timer_tick(&a, T0 + 2000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 250);
}

static void test_tsc_deadline(void **state)
{
	(void)state;
	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes (SDM 11.5.4.1). */
	vlapic_timer_write_deadline(&a, T0 + 500);
	assert_int_equal(vlapic_timer_read_deadline(&a), 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);

	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_TSC_DEADLINE);
	vlapic_write(&a, APIC_TIMER_ICR, 1000); /* ignored in this mode */
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	vlapic_timer_write_deadline(&a, T0 + 500);
	assert_int_equal(vlapic_timer_read_deadline(&a), T0 + 500);
	assert_int_equal(vlapic_timer_next(&a), T0 + 500);
	assert_false(vlapic_timer_tick(&a, T0 + 499));
	assert_true(vlapic_timer_tick(&a, T0 + 500));
	assert_true(irr_has(VEC));
	assert_int_equal(vlapic_timer_read_deadline(&a), 0); /* cleared when it fires */
	take(VEC);
	/* A deadline already past fires at the next tick; 0 disarms. */
	vlapic_timer_write_deadline(&a, 5);
	assert_true(vlapic_timer_tick(&a, T0 + 501));
	take(VEC);
	vlapic_timer_write_deadline(&a, T0 + 900);
	vlapic_timer_write_deadline(&a, 0);
	assert_false(vlapic_timer_tick(&a, T0 + 1000));
	assert_false(irr_has(VEC));
}

static void test_mode_transitions_disarm(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_TSC_DEADLINE);
	vlapic_timer_write_deadline(&a, T0 + 500);
	vlapic_write(&a, APIC_LVT_TIMER, VEC); /* to one-shot: disarmed */
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	assert_false(vlapic_timer_tick(&a, T0 + 600));
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_TIMER_ICR, 100);
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_TSC_DEADLINE); /* and back: the count stops */
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_read_deadline(&a), 0);
	/* one-shot <-> periodic keeps the count running */
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 100);
	vlapic_write(&a, APIC_LVT_TIMER, VEC | APIC_TIMER_PERIODIC);
	assert_int_equal(vlapic_timer_next(&a), T0 + 600 + 200);
}

static void test_tsc_write_keeps_real_time(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 1000); /* due at T0 + 2000 */
	vlapic_timer_tsc_moved(&a, 1000000);    /* the guest set its TSC 1M ahead */
	assert_int_equal(vlapic_timer_next(&a), T0 + 1000000 + 2000);
	vlapic_timer_tick(&a, T0 + 1000000 + 1000);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 500);
}

static void test_reset_keeps_clock(void **state)
{
	(void)state;
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 10);
	vlapic_reset(&a, 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	assert_int_equal(vlapic_read(&a, APIC_LVT_TIMER), APIC_LVT_MASKED);
	vlapic_write(&a, APIC_SVR, 0x1ff);
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_DCR, DIV1);
	vlapic_write(&a, APIC_TIMER_ICR, 10);
	assert_int_equal(vlapic_timer_next(&a), T0 + 20);
}

static void test_no_clock_never_counts(void **state)
{
	(void)state;
	vlapic_timer_set_clock(&a, 0, 0);
	vlapic_write(&a, APIC_LVT_TIMER, VEC);
	vlapic_write(&a, APIC_TIMER_ICR, 10);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_ICR), 10);
	assert_int_equal(vlapic_read(&a, APIC_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_next(&a), VLAPIC_TIMER_NONE);
	assert_false(vlapic_timer_tick(&a, T0 + 1000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_divide_values, setup),
		cmocka_unit_test_setup(test_oneshot, setup),
		cmocka_unit_test_setup(test_icr_zero_stops, setup),
		cmocka_unit_test_setup(test_periodic, setup),
		cmocka_unit_test_setup(test_periodic_minimum, setup),
		cmocka_unit_test_setup(test_masked_counts_without_interrupt, setup),
		cmocka_unit_test_setup(test_divide_change_mid_count, setup),
		cmocka_unit_test_setup(test_tsc_deadline, setup),
		cmocka_unit_test_setup(test_mode_transitions_disarm, setup),
		cmocka_unit_test_setup(test_tsc_write_keeps_real_time, setup),
		cmocka_unit_test_setup(test_reset_keeps_clock, setup),
		cmocka_unit_test_setup(test_no_clock_never_counts, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

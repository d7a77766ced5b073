/*
 * The scheduler's fairness (guest/sched.c) against a model clock: guests whose exits outlast a slice,
 * a guest whose due timer would end others' slices, a guest that yields, each beside one that computes.
 * Shares are wall time up to the moment the first guest reaches its run limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "guest/guest.h"
#include "guest/sched.h"
#include "time/idle.h"
#include "vmx/exit.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_input.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vcpu_time.h"

#define SLICE (1ULL << 22)

struct guest guests[GUEST_MAX];
unsigned guest_count;

enum behaviour { COMPUTE, LONG_EXITS, TIMER_STORM, YIELDER };

static uint64_t clock_now;
static enum behaviour kind[GUEST_MAX];
static uint64_t timer_due[GUEST_MAX]; /* TIMER_STORM: its next timer interrupt */
static uint64_t first_stop;
static uint64_t ran_before_first_stop[GUEST_MAX];

uint64_t cpu_rdtsc(void)
{
	return clock_now;
}

bool vcpu_input_poll(void)
{
	return false;
}

/* The backend hears that a vCPU leaves the CPU before its state is put away (its VMCS still current). */
static unsigned put_calls, descheduled, loaded = ~0u;

static void count_descheduled(struct vcpu *v)
{
	assert_int_equal(v->id, loaded);
	descheduled++;
}

static const struct pt_backend_ops counting_pt = { .name = "counting", .descheduled = count_descheduled };

void vcpu_put(struct vcpu *v)
{
	(void)v;
	put_calls++;
	loaded = ~0u;
}

void vcpu_load(struct vcpu *v)
{
	loaded = v->id;
}

bool vcpu_wake_check(struct vcpu *v, uint64_t now)
{
	(void)now;
	return !v->halted;
}

uint64_t vcpu_timer_next_host(const struct vcpu *v)
{
	return kind[v->id] == TIMER_STORM ? timer_due[v->id] : VCPU_WAKE_NEVER;
}

uint64_t vcpu_wake_tsc(const struct vcpu *v, uint64_t now)
{
	(void)v;
	return now;
}

void vcpu_kick(struct vcpu *v)
{
	v->halted = false;
}

void time_idle_until(uint64_t tsc)
{
	clock_now = tsc;
}

void guest_stop(struct guest *g, int status, const char *fmt, ...)
{
	(void)status;
	(void)fmt;
	g->state = GUEST_STOPPED;
	if (!first_stop)
		first_stop = clock_now;
}

/* One slice of the modelled guest: the clock moves as its exits and its computing would move it. */
enum exit_action vmx_run_guest(struct vcpu *v, uint64_t end)
{
	unsigned id = v->id;
	uint64_t start = clock_now;

	switch (kind[id]) {
	case LONG_EXITS: /* one exit of three slices, whatever the slice's end */
		clock_now += 3 * SLICE;
		break;
	case TIMER_STORM: /* runs to its end; its timer is always re-armed 1000 ticks ahead */
		clock_now = end > clock_now ? end : clock_now + 100;
		timer_due[id] = clock_now + 1000;
		break;
	case YIELDER: /* a little work, then HLT with nothing pending: gives the CPU away */
		clock_now += 5000;
		break;
	default:
		clock_now = end > clock_now ? end : clock_now + 100;
		break;
	}
	if (!first_stop)
		ran_before_first_stop[id] += clock_now - start;
	return EXIT_YIELD;
}

static void setup_guests(enum behaviour a, enum behaviour b, uint64_t limit)
{
	__builtin_memset(guests, 0, sizeof(guests));
	__builtin_memset(ran_before_first_stop, 0, sizeof(ran_before_first_stop));
	__builtin_memset(timer_due, 0, sizeof(timer_due));
	clock_now = 1000000;
	first_stop = 0;
	guest_count = 2;
	kind[0] = a;
	kind[1] = b;
	for (unsigned i = 0; i < guest_count; i++) {
		guests[i].id = i;
		guests[i].vcpu.id = i;
		guests[i].vcpu.pt_ops = &counting_pt;
		guests[i].state = GUEST_RUNNABLE;
		guests[i].cfg.run_limit = limit;
	}
	timer_due[0] = timer_due[1] = clock_now + 1000;
	put_calls = descheduled = 0;
	loaded = ~0u;
}

/* The computing guest (1) got at least `permille` of the wall time before the first guest stopped. */
static void assert_share(unsigned permille)
{
	uint64_t total = ran_before_first_stop[0] + ran_before_first_stop[1];

	assert_true(total > 0);
	assert_true(ran_before_first_stop[1] * 1000 >= total * permille);
	/* Every switch away told the backend first (the last put, after all stopped, is no switch). */
	assert_true(descheduled > 0);
	assert_int_equal(descheduled, put_calls - 1);
}

static void test_long_exits_pay_with_turns(void **state)
{
	(void)state;
	setup_guests(LONG_EXITS, COMPUTE, 60 * SLICE);
	sched_run();
	assert_share(450);
}

static void test_timer_storm_cannot_cut_every_slice(void **state)
{
	(void)state;
	setup_guests(TIMER_STORM, COMPUTE, 60 * SLICE);
	sched_run();
	assert_share(450);
}

/* A guest that yields each turn costs the others nothing and is not starved either. */
static void test_yielder_beside_compute(void **state)
{
	(void)state;
	setup_guests(YIELDER, COMPUTE, 40 * SLICE);
	sched_run();
	assert_share(950);
	assert_true(guests[0].run_tsc >= 30 * 5000); /* a turn at least every other slice */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_exits_pay_with_turns),
		cmocka_unit_test(test_timer_storm_cannot_cut_every_slice),
		cmocka_unit_test(test_yielder_beside_compute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

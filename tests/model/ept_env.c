/* Shared fixture of the EPT unit tests (see ept_env.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ept_env.h"
#include "host_env.h"
#include "phys_arena.h"
#include "mem/frame.h"

const struct ept_caps ept_caps_all = { .pages_2m = true, .pages_1g = true, .wb = true, .uc = true };
const struct ept_caps ept_caps_2m = { .pages_2m = true, .wb = true };
const struct ept_caps ept_caps_4k = { .wb = true };
uint64_t ept_env_initial_free;

uint64_t ept_env_free_frames(void)
{
	struct frame_stats st;

	frame_get_stats(&st);
	return st.free_frames;
}

int ept_env_setup(void **state)
{
	(void)state;
	host_env_reset();
	phys_arena_init(64 * MiB);
	const struct mem_range map[] = { { 1 * MiB, 63 * MiB, MEM_USABLE } };
	ept_env_initial_free = frame_init(map, 1, NULL, 0);
	return 0;
}

int ept_env_teardown(void **state)
{
	(void)state;
	phys_arena_free();
	return 0;
}

void expect_xlate(const struct ept *e, uint64_t gpa, paddr_t hpa, unsigned perms, unsigned level)
{
	struct ept_xlate x;

	assert_true(ept_translate(e, gpa, &x));
	assert_true(x.present);
	assert_false(x.misconfig);
	assert_int_equal(x.hpa, hpa);
	assert_int_equal(x.perms, perms);
	assert_int_equal(x.level, level);
}

void expect_absent(const struct ept *e, uint64_t gpa)
{
	struct ept_xlate x;

	assert_false(ept_translate(e, gpa, &x));
	assert_false(x.present);
	assert_false(x.misconfig);
}

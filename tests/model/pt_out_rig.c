/* Test rig for the emulated PT output writer: guest RAM behind an EPT, a pt_out and a pt_vctx. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_out_rig.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"
#include "msr.h"

struct ept rig_ept;
struct pt_out rig_out;
struct pt_vctx rig_ctx;
uint8_t rig_buf[96 * 4096];
static uint8_t *snap;

int rig_setup(void **state)
{
	static const struct ept_caps caps = { .pages_2m = true, .pages_1g = true, .wb = true };
	const struct mem_range map[] = { { 1 * MiB, 15 * MiB, MEM_USABLE } };

	(void)state;
	host_env_reset();
	phys_arena_init(RIG_ARENA);
	frame_init(map, 1, NULL, 0);
	assert_int_equal(ept_init(&rig_ept, &caps), 0);
	assert_int_equal(ept_map(&rig_ept, 0, RIG_RAM_HPA, RIG_RAM_SIZE, EPT_RWX, EPT_MT_WB), 0);
	rig_out = (struct pt_out){ .ept = &rig_ept, .maxphyaddr = 36 };
	pt_vctx_reset(&rig_ctx);
	rig_ctx.ctl = RTIT_CTL_TRACEEN;
	snap = NULL;
	return 0;
}

int rig_teardown(void **state)
{
	(void)state;
	free(snap);
	snap = NULL;
	ept_destroy(&rig_ept);
	phys_arena_free();
	return 0;
}

void rig_restart(void **state)
{
	rig_teardown(state);
	rig_setup(state);
}

uint8_t *rig_guest(uint64_t gpa)
{
	struct ept_xlate x;

	assert_true(ept_translate(&rig_ept, gpa, &x));
	return phys_arena_at(x.hpa);
}

void rig_assert_guest_equal(uint64_t gpa, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*rig_guest(gpa + i) != want[i])
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(gpa + i), *rig_guest(gpa + i),
				 want[i]);
}

void rig_assert_guest_zero(uint64_t gpa, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*rig_guest(gpa + i))
			fail_msg("GPA 0x%llx written", (unsigned long long)(gpa + i));
}

const uint8_t *rig_pattern(size_t n, unsigned seed)
{
	assert_true(n <= sizeof(rig_buf));
	for (size_t i = 0; i < n; i++)
		rig_buf[i] = (uint8_t)((i * 13 + seed * 71 + 1) % 251 + 1);
	return rig_buf;
}

void rig_snapshot(void)
{
	free(snap);
	snap = malloc(RIG_ARENA);
	assert_non_null(snap);
	memcpy(snap, phys_arena_at(0), RIG_ARENA);
}

void rig_assert_unchanged(void)
{
	assert_non_null(snap);
	assert_memory_equal(phys_arena_at(0), snap, RIG_ARENA);
}

uint64_t rig_ptrs(uint64_t index_or_mask, uint64_t off)
{
	return (off << 32) | (index_or_mask << 7) | RTIT_MASK_PTRS_LOWER;
}

void rig_single(uint64_t base, uint64_t size, uint64_t off)
{
	rig_ctx.ctl = RTIT_CTL_TRACEEN;
	rig_ctx.output_base = base;
	rig_ctx.output_mask_ptrs = (off << 32) | (size - 1);
}

void rig_topa(uint64_t table, uint64_t index, uint64_t off)
{
	rig_ctx.ctl = RTIT_CTL_TRACEEN | RTIT_CTL_TOPA;
	rig_ctx.output_base = table;
	rig_ctx.output_mask_ptrs = rig_ptrs(index, off);
}

uint64_t rig_topa_region(uint64_t gpa, unsigned size_enc, uint64_t flags)
{
	return gpa | ((uint64_t)size_enc << TOPA_SIZE_SHIFT) | flags;
}

void rig_topa_set(uint64_t table, unsigned index, uint64_t entry)
{
	memcpy(rig_guest(table + index * 8), &entry, 8);
}

void rig_expect_error(const uint8_t *p, size_t n, uint64_t gpa, const char *what)
{
	uint64_t base = rig_ctx.output_base, mp = rig_ctx.output_mask_ptrs;

	rig_snapshot();
	assert_int_equal(pt_out_write(&rig_out, &rig_ctx, p, n), PT_OUT_ERROR);
	assert_int_equal(rig_ctx.status, RTIT_STATUS_ERROR);
	assert_int_equal(rig_out.error_gpa, gpa);
	assert_string_equal(rig_out.error_what, what);
	assert_int_equal(rig_out.st.errors, 1);
	assert_int_equal(rig_out.st.dropped, n);
	assert_int_equal(rig_out.st.bytes, 0);
	assert_false(rig_out.pmi);
	assert_int_equal(rig_ctx.output_base, base);
	assert_int_equal(rig_ctx.output_mask_ptrs, mp);
	rig_assert_unchanged();
}

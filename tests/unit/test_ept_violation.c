/* EPT violations: qualification decoding, formatting, the GPA claim registry, misconfiguration reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "ept/ept.h"
#include "ept/ept_walk.h"
#include "ept/ept_violation.h"
#include "mem/frame.h"

#define MiB (1ULL << 20)

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static void expect_format(uint64_t qual, uint64_t gpa, uint64_t gla, const char *text)
{
	struct ept_violation v;
	char buf[160];

	ept_violation_decode(qual, gpa, gla, &v);
	assert_int_equal(ept_violation_format(&v, buf, sizeof(buf)), (int)strlen(text));
	assert_string_equal(buf, text);
}

static void test_decode_read_translation(void **state)
{
	(void)state;
	struct ept_violation v;

	ept_violation_decode(0x181, 0x1000, 0x7fff1000, &v);
	assert_true(v.read);
	assert_false(v.write || v.fetch);
	assert_true(v.gla_valid);
	assert_true(v.translation);
	assert_false(v.async || v.nmi_unblock || v.entry_user_exec || v.shadow_stack);
	assert_false(v.gla_supervisor || v.gla_writable || v.gla_nx);
	assert_int_equal(v.entry_perms, 0);
	assert_int_equal(v.gpa, 0x1000);
	assert_int_equal(v.gla, 0x7fff1000);
	assert_false(ept_violation_is_async(&v));
	expect_format(0x181, 0x1000, 0x7fff1000, "read at GPA 0x1000 (GLA 0x7fff1000): entry permissions ---");
}

static void test_decode_async_write(void **state)
{
	(void)state;
	struct ept_violation v;

	/* A trace-output write to a read-only page: bit 16 set, no linear address (bit 7 clear). */
	ept_violation_decode(0x1000a, 0x12345000, 0xdead0000, &v);
	assert_true(v.write);
	assert_false(v.read || v.fetch);
	assert_true(v.async);
	assert_true(ept_violation_is_async(&v));
	assert_false(v.gla_valid);
	assert_false(v.translation);
	assert_int_equal(v.gla, 0);
	assert_int_equal(v.entry_perms, EPT_R);
	expect_format(0x1000a, 0x12345000, 0xdead0000, "write at GPA 0x12345000: entry permissions r--, asynchronous");
	expect_format(0x10002, 0x12345000, 0, "write at GPA 0x12345000: entry permissions ---, asynchronous");
}

static void test_decode_other_bits(void **state)
{
	(void)state;
	struct ept_violation v;

	/* Fetch from an r-x-u page, translation with advanced information, NMI unblocking. */
	ept_violation_decode(0x4 | 0x28 | 0x40 | 0x180 | 0xe00 | 0x1000 | 0x2000, 0x3000, 0x401000, &v);
	assert_true(v.fetch);
	assert_int_equal(v.entry_perms, EPT_R | EPT_X);
	assert_true(v.entry_user_exec);
	assert_true(v.gla_supervisor && v.gla_writable && v.gla_nx);
	assert_true(v.nmi_unblock);
	assert_true(v.shadow_stack);
	assert_false(v.async);
	expect_format(0x4 | 0x28 | 0x1180, 0x3000, 0x401000,
		      "fetch at GPA 0x3000 (GLA 0x401000): entry permissions r-x, NMI unblocked by IRET");

	/* Bits 9-11 mean nothing for a paging-structure access (bit 8 clear). */
	ept_violation_decode(0x83 | 0xe00, 0x5000, 0xffff800000001000ULL, &v);
	assert_true(v.read && v.write && v.gla_valid);
	assert_false(v.translation || v.gla_supervisor || v.gla_writable || v.gla_nx);
	expect_format(0x83 | 0xe00, 0x5000, 0xffff800000001000ULL,
		      "read/write at GPA 0x5000 (GLA 0xffff800000001000): entry permissions ---, "
		      "guest paging-structure access");
	/* Bit 8 without bit 7 is ignored. */
	ept_violation_decode(0x100 | 0x38, 0x6000, 0x1234, &v);
	assert_false(v.translation || v.gla_valid);
	assert_int_equal(v.gla, 0);
	expect_format(0x38, 0x6000, 0, "access at GPA 0x6000: entry permissions rwx");
	expect_format(0x7 | 0x10, 0x7000, 0, "read/write/fetch at GPA 0x7000: entry permissions -w-");
}

static void test_format_truncates(void **state)
{
	(void)state;
	struct ept_violation v;
	char buf[12];

	memset(buf, 'X', sizeof(buf));
	ept_violation_decode(0x181, 0x1000, 0x7fff1000, &v);
	assert_int_equal(ept_violation_format(&v, buf, sizeof(buf)), 58); /* the untruncated length */
	assert_string_equal(buf, "read at GPA");
}

struct handler_ctx {
	int calls;
	uint64_t last_gpa;
	enum ept_fault_result ret;
};

static enum ept_fault_result handler(void *ctx, const struct ept_violation *v)
{
	struct handler_ctx *h = ctx;

	h->calls++;
	h->last_gpa = v->gpa;
	return h->ret;
}

static void test_claims(void **state)
{
	(void)state;
	struct ept_claims c;
	struct handler_ctx a = { .ret = EPT_FAULT_RETRY }, b = { .ret = EPT_FAULT_SKIP };
	struct ept_violation v;

	ept_claims_init(&c);
	assert_int_equal(ept_claim(&c, 0x1000, 0x2000, "pt-output", handler, &a), 0);
	assert_int_equal(ept_claim(&c, 0x3000, 0x1000, "mmio", handler, &b), 0); /* adjacent is fine */
	assert_int_equal(ept_claim(&c, 0x2000, 1, "x", handler, &b), -1);        /* inside */
	assert_int_equal(ept_claim(&c, 0x0, 0x1001, "x", handler, &b), -1);      /* front */
	assert_int_equal(ept_claim(&c, 0x3fff, 0x10, "x", handler, &b), -1);     /* back */
	assert_int_equal(ept_claim(&c, 0x0, 0x100000, "x", handler, &b), -1);    /* around */
	assert_true(host_console_contains("overlaps the claim of pt-output"));
	assert_int_equal(ept_claim(&c, 0x9000, 0, "x", handler, &b), -1);             /* empty */
	assert_int_equal(ept_claim(&c, ~0ULL - 0xfff, 0x2000, "x", handler, &b), -1); /* wraps */
	assert_int_equal(ept_claim(&c, 0x9000, 0x1000, "x", NULL, &b), -1);
	assert_string_equal(ept_claims_find(&c, 0x2fff)->owner, "pt-output");
	assert_null(ept_claims_find(&c, 0x4000));
	assert_null(ept_claims_find(&c, 0xfff));

	ept_violation_decode(0x2, 0x2fff, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_RETRY);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.last_gpa, 0x2fff);
	ept_violation_decode(0x1, 0x3000, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_SKIP);
	assert_int_equal(b.calls, 1);
	ept_violation_decode(0x1, 0x4000, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_UNHANDLED);
	assert_int_equal(a.calls + b.calls, 2);

	/* SKIP on an asynchronous access would skip an innocent instruction. */
	ept_violation_decode(0x10002, 0x3800, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_RETRY);
	assert_true(host_console_contains("mmio asked to skip an asynchronous access"));
	b.ret = (enum ept_fault_result)42;
	ept_violation_decode(0x1, 0x3800, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_UNHANDLED);
	b.ret = EPT_FAULT_STOP_GUEST;
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_STOP_GUEST);

	assert_int_equal(ept_unclaim(&c, 0x1000, 0x1000), -1); /* not the same range */
	assert_int_equal(ept_unclaim(&c, 0x1000, 0x2000), 0);
	assert_int_equal(ept_unclaim(&c, 0x1000, 0x2000), -1);
	ept_violation_decode(0x2, 0x1000, 0, &v);
	assert_int_equal(ept_claims_dispatch(&c, &v), EPT_FAULT_UNHANDLED);
	assert_int_equal(a.calls, 1);
	assert_int_equal(ept_claim(&c, 0x0, 0x3000, "again", handler, &a), 0);
}

static void test_claims_full(void **state)
{
	(void)state;
	struct ept_claims c;
	struct handler_ctx h = { .ret = EPT_FAULT_RETRY };

	ept_claims_init(&c);
	for (unsigned i = 0; i < EPT_CLAIMS_MAX; i++)
		assert_int_equal(ept_claim(&c, i * 0x10000ULL, 0x1000, "n", handler, &h), 0);
	assert_int_equal(ept_claim(&c, 0x900000, 0x1000, "n", handler, &h), -1);
	assert_true(host_console_contains("all 16 claims are taken"));
	assert_int_equal(ept_unclaim(&c, 5 * 0x10000ULL, 0x1000), 0);
	assert_int_equal(ept_claim(&c, 0x900000, 0x1000, "n", handler, &h), 0);
	assert_string_equal(ept_claims_find(&c, 0x900fff)->owner, "n");
}

static void test_misconfig_describe(void **state)
{
	(void)state;
	const struct ept_caps caps = { .pages_2m = true, .wb = true };
	struct ept e;
	char buf[160];

	phys_arena_init(16 * MiB);
	const struct mem_range map[] = { { 1 * MiB, 7 * MiB, MEM_USABLE } };
	frame_init(map, 1, NULL, 0);
	assert_int_equal(ept_init(&e, &caps), 0);
	assert_int_equal(ept_map(&e, 0x5000, 0x9000, 0x1000, EPT_R, EPT_MT_WB), 0);

	ept_misconfig_describe(&e, 0x5000, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x5000: no misconfigured entry (maps HPA 0x9000)");
	ept_misconfig_describe(&e, 0x6000, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x6000: no misconfigured entry (PTE not present)");
	ept_misconfig_describe(&e, 1ULL << 40, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x10000000000: no misconfigured entry (PML4E not present)");
	ept_misconfig_describe(&e, 1ULL << 48, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x1000000000000: outside the EPT");

	/* Find the PTE and the PDE through the tables and break them. */
	uint64_t *pml4 = (uint64_t *)phys_arena_at(e.pml4);
	uint64_t *pdpt = (uint64_t *)phys_arena_at(pml4[0] & EPT_E_ADDR);
	uint64_t *pd = (uint64_t *)phys_arena_at(pdpt[0] & EPT_E_ADDR);
	uint64_t *pt = (uint64_t *)phys_arena_at(pd[0] & EPT_E_ADDR);
	pt[5] = 0x9000 | EPT_W | (6 << 3);
	ept_misconfig_describe(&e, 0x5000, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x5000: level 1 PTE 0x9032: write permission without read permission");
	pt[5] = 0x9000 | EPT_R | (7 << 3);
	ept_misconfig_describe(&e, 0x5abc, buf, sizeof(buf));
	assert_string_equal(buf, "GPA 0x5abc: level 1 PTE 0x9039: reserved memory type (2, 3 or 7)");
	pt[5] = 0x9000 | EPT_R | (6 << 3);
	uint64_t pde = pd[0];
	pd[0] |= BIT(4);
	ept_misconfig_describe(&e, 0x5000, buf, sizeof(buf));
	char expect[120];
	snprintf(expect, sizeof(expect), "GPA 0x5000: level 2 PDE 0x%lx: reserved bits 6:3 set in a non-leaf entry",
		 (unsigned long)pd[0]);
	assert_string_equal(buf, expect);
	pd[0] = pde;
	ept_destroy(&e);
	phys_arena_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_decode_read_translation, setup),
		cmocka_unit_test_setup(test_decode_async_write, setup),
		cmocka_unit_test_setup(test_decode_other_bits, setup),
		cmocka_unit_test_setup(test_format_truncates, setup),
		cmocka_unit_test_setup(test_claims, setup),
		cmocka_unit_test_setup(test_claims_full, setup),
		cmocka_unit_test_setup(test_misconfig_describe, setup),
	};
	return cmocka_run_group_tests_name("ept_violation", tests, NULL, NULL);
}

/*
 * The VMM's own accesses to guest-linear memory (gva.c) on the CPU model: each page through its own
 * translation, and an access that runs into an unmapped page or past the end of RAM copies the part
 * before it and says how much (the one rule for partial accesses).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/gva.h"

#define PT     0x6000ULL /* a page table for linear 2 MiB-4 MiB */
#define LIN    0x200000ULL
#define PAGE_A 0x300000ULL             /* linear page 0 */
#define PAGE_B 0x250000ULL             /* linear page 1: not next to page 0 */
#define LAST   (ENV_RAM_SIZE - 0x1000) /* linear page 3: RAM's last page; page 4 is past RAM */
#define PTE_RW 0x63ULL                 /* P, RW, A, D */

static struct vcpu v;

static int setup(void **state)
{
	uint64_t *pd, *pt;

	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	env_guest64(&v);
	pd = env_gpa(ENV_PML4 + 0x2000);
	pt = env_gpa(PT);
	memset(pt, 0, PAGE_SIZE);
	pt[0] = PAGE_A | PTE_RW;
	pt[1] = PAGE_B | PTE_RW;
	/* pt[2] not present */
	pt[3] = LAST | PTE_RW;
	pt[4] = ENV_RAM_SIZE | PTE_RW;
	pd[1] = PT | 0x23;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

/* Four bytes across linear pages 0 and 1 land at the end of page A and the start of page B. */
static void test_store_split_per_page(void **state)
{
	uint32_t back = 0;

	(void)state;
	memset(env_gpa(PAGE_A + 0xffc), 0, 4);
	memset(env_gpa(PAGE_B), 0, 4);
	memset(env_gpa(PAGE_A + 0x1000), 0, 4);
	assert_int_equal(vcpu_store(&v, LIN + 0xffe, "ABCD", 4), 4);
	assert_memory_equal(env_gpa(PAGE_A + 0xffe), "AB", 2);
	assert_memory_equal(env_gpa(PAGE_B), "CD", 2);
	assert_memory_equal(env_gpa(PAGE_A + 0x1000), "\0\0\0\0", 4); /* not through page 0's translation */
	assert_int_equal(vcpu_fetch(&v, LIN + 0xffe, &back, 4), 4);
	assert_memory_equal(&back, "ABCD", 4);
}

/* Into an unmapped page, or past the end of RAM: the part before is written and counted. */
static void test_store_partial(void **state)
{
	uint8_t *end = env_gpa(ENV_RAM_SIZE - 2);
	uint32_t back = 0xffffffff;

	(void)state;
	memset(env_gpa(PAGE_B + 0xffe), 0, 2);
	assert_int_equal(vcpu_store(&v, LIN + 0x1ffe, "WXYZ", 4), 2);
	assert_memory_equal(env_gpa(PAGE_B + 0xffe), "WX", 2);
	memset(end, 0, 2);
	assert_int_equal(vcpu_store(&v, LIN + 0x3ffe, "wxyz", 4), 2);
	assert_memory_equal(end, "wx", 2);
	assert_int_equal(vcpu_fetch(&v, LIN + 0x3ffe, &back, 4), 2);
	assert_int_equal(back & 0xffff, 0x7877);
	/* Nothing at all where the first byte is unmapped. */
	assert_int_equal(vcpu_store(&v, LIN + 0x2000, "q", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_split_per_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_partial, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Thousands of random corruptions of good guest images: refused, or loaded within bounds under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest_image_build.h"
#include "guest_image_check.h"

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

/* A checked image's invariants: everything the loader will touch is in bounds. */
static void assert_checked_sane(const struct guest_image *g, size_t size, uint64_t mem)
{
	const char *why = guest_image_insane(g, size, mem);

	if (why)
		fail_msg("%s", why);
}

static void mutate(uint8_t *b, size_t size)
{
	unsigned n = 1 + (unsigned)rand() % 6;

	for (unsigned k = 0; k < n; k++) {
		/* Mostly the headers, where the interesting fields are. */
		size_t off = rand() % 3 ? (size_t)rand() % 0x100 : (size_t)rand() % size;
		if (rand() % 4 == 0)
			off = HDR_OFF + (size_t)rand() % 0x40;
		if (off >= size)
			off = (size_t)rand() % size;
		switch (rand() % 4) {
		case 0:
			b[off] = (uint8_t)rand();
			break;
		case 1:
			b[off] ^= (uint8_t)(1u << (rand() % 8));
			break;
		default: {
			static const uint32_t words[] = { 0,        1,      0xffffffff, 0x80000000, 0x7fffffff, 0x1000,
							  0x100000, 0x8000, 0xfff000,   0x2100,     0xfffffff0 };
			uint32_t v = words[rand() % (sizeof(words) / sizeof(words[0]))];
			if (off + 4 <= size)
				memcpy(b + (off & ~(size_t)3), &v, 4);
			break;
		}
		}
	}
}

/* Thousands of random corruptions: each is refused or loads within bounds; ASan sees every read. */
static void test_random_mutations(void **state)
{
	const uint64_t mem = 4 * MiB;
	struct guest_mem gm = { malloc(mem), mem };
	struct tb_image base[4];
	unsigned ok = 0, refused = 0;
	(void)state;

	elf_build(false, 0);
	mb1_put(HDR_OFF, 3);
	base[0] = tb;
	elf_build(true, HIGH_HALF);
	mb2_simple(HDR_OFF);
	base[1] = tb;
	memset(&tb, 0, sizeof(tb));
	tb.size = 0x1800;
	mb1_put_aout(0x10, 0x200010, 0x200000, 0x201800, 0x203000, 0x200100);
	base[2] = tb;
	memset(&tb, 0, sizeof(tb));
	tb.size = 0x2000;
	mb2_begin(0x40);
	mb2_tag(MB2_HTAG_ADDRESS, 0, 24, (const uint32_t[]){ 0x400040, 0xFFFFFFFF, 0, 0x404000 }, 4);
	mb2_tag(MB2_HTAG_ENTRY_ADDRESS, 0, 12, (const uint32_t[]){ 0x400400 }, 1);
	mb2_end();
	base[3] = tb;

	srand(4242);
	for (int iter = 0; iter < 8000; iter++) {
		const struct tb_image *b = &base[iter % 4];
		size_t size = b->size;

		if (rand() % 8 == 0)
			size = 1 + (size_t)rand() % size;
		/* An exact-size heap copy, so any read past the end is an ASan error. */
		uint8_t *copy = malloc(size);
		memcpy(copy, b->b, size);
		mutate(copy, size);
		host_env_reset();
		if (guest_image_check("fuzz", copy, size, mem, &tb_gi) == 0) {
			assert_checked_sane(&tb_gi, size, mem);
			assert_int_equal(guest_image_load("fuzz", copy, size, &tb_gi, &gm), 0);
			ok++;
		} else {
			assert_true(host_console_contains("ptvisor: error: guest fuzz: refused: "));
			refused++;
		}
		free(copy);
	}
	/* Both outcomes must really occur, or the mutations test nothing. */
	assert_true(ok > 500);
	assert_true(refused > 2000);
	free(gm.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_random_mutations, setup),
	};
	return cmocka_run_group_tests_name("guest_image_fuzz", tests, NULL, NULL);
}

/* Mutated and random multiboot2 blocks under ASan/UBSan: no crash, no read past avail, sane result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "boot_info.h"
#include "boot_info_check.h"
#include "host_env.h"
#include "mb2_blob.h"

static struct mb2_blob seed, work;
static struct boot_info bi;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

/* One block with every tag the parser reads, so mutations reach every handler. */
static void build_seed(void)
{
	static const struct mb2_range map[] = { { 0x100000, 0x1000000, 1 }, { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 } };
	static const struct mb2_range efi[] = { { 7, 0x1000, 0x9f }, { 3, 0, 1 }, { 10, 0x100000, 4 } };
	static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
	uint8_t w[8];

	mb2_blob_init(&seed);
	mb2_blob_str(&seed, 1, "/boot/ptvisor.elf pt_mode=host");
	mb2_blob_str(&seed, 2, "GRUB 2.12");
	mb2_put32(w, 639);
	mb2_put32(w + 4, 129920);
	mb2_blob_tag(&seed, 4, w, 8);
	mb2_blob_mmap(&seed, 24, map, 3);
	mb2_blob_module(&seed, 0x200000, 0x201000, "guest.bin a=1");
	mb2_blob_fb(&seed, &(struct mb2_fb_spec){ 0x80000000ULL, 4096, 1024, 768, 32, 1, rgb });
	mb2_blob_rsdp(&seed, 14, 0, 20);
	mb2_blob_rsdp(&seed, 15, 2, 36);
	mb2_put64(w, 0x7fe00018ULL);
	mb2_blob_tag(&seed, 12, w, 8);
	mb2_blob_efi_mmap(&seed, 48, efi, 3);
	mb2_blob_tag(&seed, 18, NULL, 0);
	mb2_blob_tag(&seed, 21, w, 4);
	mb2_blob_end(&seed);
}

static void check_result(int rc)
{
	const char *why = boot_info_insane(rc, &bi);

	if (why)
		fail_msg("%s", why);
	boot_info_print(&bi);
}

static const uint32_t interesting[] = { 0,  1,  7,  8,  12,         15,         16,         20,      24,
					31, 32, 38, 40, 0x7fffffff, 0xfffffff8, 0xffffffff, 1u << 20 };

/* Byte flips, plus header words overwritten with edge values. */
static void mutate(struct mb2_blob *x)
{
	unsigned n = 1 + rnd() % 8;

	for (unsigned i = 0; i < n; i++) {
		size_t off = rnd() % x->len;
		if (rnd() & 1)
			x->b[off] ^= (uint8_t)(1u << (rnd() % 8));
		else
			mb2_put32(x->b + (off & ~(size_t)3) % (x->len - 3),
				  interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))]);
	}
}

static void test_mutated(void **state)
{
	(void)state;
	build_seed();
	assert_int_equal(mb2_blob_parse(&seed, &bi), 0);
	assert_int_equal(bi.problems, 0);
	for (int iter = 0; iter < 4000; iter++) {
		work = seed;
		mutate(&work);
		if (iter % 3 == 0)
			mb2_blob_set_total(&work, (uint32_t)work.len); /* keep the walk going */
		check_result(mb2_blob_parse(&work, &bi));
		if (iter % 64 == 0)
			host_env_reset();
	}
}

static void test_truncated(void **state)
{
	(void)state;
	build_seed();
	for (size_t avail = 0; avail <= seed.len; avail++) {
		work = seed;
		if (avail >= 4)
			mb2_blob_set_total(&work, (uint32_t)avail);
		check_result(mb2_blob_parse_avail(&work, avail, &bi));
		host_env_reset();
	}
}

/* Tags of random type and size over random bytes. */
static void test_random_tags(void **state)
{
	uint8_t payload[96];
	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		unsigned ntags = rnd() % 12;

		mb2_blob_init(&work);
		for (unsigned t = 0; t < ntags; t++) {
			size_t plen = rnd() % sizeof(payload);
			uint32_t type = 1 + rnd() % 24, size = (uint32_t)(8 + plen);

			for (size_t i = 0; i < plen; i++)
				payload[i] = (uint8_t)rnd();
			if (rnd() % 8 == 0)
				size = rnd() % 128;
			mb2_blob_tag_sized(&work, type, size, payload, plen);
		}
		if (rnd() % 4)
			mb2_blob_end(&work);
		else
			mb2_blob_set_total(&work, (uint32_t)work.len);
		check_result(mb2_blob_parse(&work, &bi));
		if (iter % 64 == 0)
			host_env_reset();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mutated, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_random_tags, setup),
	};
	return cmocka_run_group_tests_name("boot_fuzz", tests, NULL, NULL);
}

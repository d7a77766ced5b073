/* Placement of a guest's boot information and modules: the rule of layout.h, refusals, copying. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/layout.h"
#include "guest/mbinfo.h"

#define MiB (1ULL << 20)
#define KiB (1ULL << 10)

static struct guest_image img;
static struct guest_layout lay;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	memset(&img, 0, sizeof(img));
	memset(&lay, 0, sizeof(lay));
	return 0;
}

/* An image of the given [gpa, gpa+size) segments, as guest_image_check() leaves it. */
static void image(unsigned n, const uint64_t (*segs)[2])
{
	img.nseg = n;
	img.load_lo = UINT64_MAX;
	img.load_hi = 0;
	for (unsigned i = 0; i < n; i++) {
		img.seg[i].gpa = segs[i][0];
		img.seg[i].memsz = segs[i][1];
		img.load_lo = segs[i][0] < img.load_lo ? segs[i][0] : img.load_lo;
		if (segs[i][0] + segs[i][1] - 1 > img.load_hi)
			img.load_hi = segs[i][0] + segs[i][1] - 1;
	}
}

static void add_module(uint64_t size, const char *string, unsigned line)
{
	lay.mod[lay.nmods++] = (struct guest_module){ .size = size, .string = string, .line = line };
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* Everything placed is page aligned, in RAM, clear of page 0, the hole, the image and each other. */
static void assert_layout_sane(uint64_t mem)
{
	uint64_t lo[1 + GUEST_MODS_MAX], len[1 + GUEST_MODS_MAX];
	unsigned n = 0;

	lo[n] = lay.info_gpa;
	len[n++] = lay.info_size;
	for (unsigned i = 0; i < lay.nmods; i++) {
		lo[n] = lay.mod[i].gpa;
		len[n++] = lay.mod[i].size ? (lay.mod[i].size + 0xfff) & ~0xfffULL : 0x1000;
	}
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(lo[i] % 0x1000, 0);
		assert_true(lo[i] >= 0x1000 && lo[i] + len[i] <= mem);
		assert_false(overlaps(lo[i], len[i], 0x9f000, 0x61000));
		for (unsigned s = 0; s < img.nseg; s++)
			assert_false(overlaps(lo[i], len[i], img.seg[s].gpa, img.seg[s].memsz));
		for (unsigned j = 0; j < i; j++)
			assert_false(overlaps(lo[i], len[i], lo[j], len[j]));
	}
}

/* The usual kernel at 1 MiB: the information stays at 0x8000, modules follow the image. */
static void test_kernel_at_1m(void **state)
{
	static const uint64_t segs[][2] = { { 0x100000, 0x1000 }, { 0x101000, 0x2800 } };
	(void)state;

	image(2, segs);
	add_module(0x2001, "a", 1);
	add_module(10, "b", 2);
	assert_int_equal(guest_layout_place("g", &img, 16 * MiB, &lay), 0);
	assert_int_equal(lay.info_gpa, 0x8000);
	assert_int_equal(lay.info_size, 0x1000);
	assert_int_equal(lay.mod[0].gpa, 0x104000); /* the image ends at 0x103800: next page */
	assert_int_equal(lay.mod[1].gpa, 0x107000); /* 0x2001 bytes take three pages */
	assert_layout_sane(16 * MiB);
	assert_string_equal(host_console_text(), "");
}

/* A kernel linked at 0x8000 (the old info area) loads; the information moves to the first page above it. */
static void test_kernel_at_0x8000(void **state)
{
	static const uint64_t segs[][2] = { { 0x8000, 0x3000 }, { 0xb000, 0x10400 } };
	(void)state;

	image(2, segs);
	add_module(100, "conf", 0);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), 0);
	assert_int_equal(lay.info_gpa, 0x1c000);
	assert_int_equal(lay.mod[0].gpa, 0x100000);
	assert_layout_sane(2 * MiB);
}

/* Low memory full up to the hole: the information goes to the lowest free page above 1 MiB. */
static void test_low_memory_full(void **state)
{
	static const uint64_t segs[][2] = { { 0x1000, 0x9e000 }, { 0x100000, 0x1000 } };
	(void)state;

	image(2, segs);
	add_module(0, "", 4);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), 0);
	assert_int_equal(lay.info_gpa, 0x101000);
	assert_int_equal(lay.mod[0].gpa, 0x102000);
	assert_layout_sane(2 * MiB);
}

/*
 * RAM above 1 MiB full: modules fall back to the lowest free range from
 * 0x1000, around the information; two empty modules get a page each.
 */
static void test_modules_fall_back_low(void **state)
{
	static const uint64_t segs[][2] = { { 0x100000, 0x100000 } };
	(void)state;

	image(1, segs);
	add_module(0x7000, "fits below the info", 1);
	add_module(0x10000, "goes above the info", 2);
	add_module(0, "", 3);
	add_module(0, "", 4);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), 0);
	assert_int_equal(lay.info_gpa, 0x8000);
	assert_int_equal(lay.mod[0].gpa, 0x1000);
	assert_int_equal(lay.mod[1].gpa, 0x9000);
	assert_int_equal(lay.mod[2].gpa, 0x19000);
	assert_int_equal(lay.mod[3].gpa, 0x1a000);
	assert_layout_sane(2 * MiB);
}

/* A module as big as the free RAM above the image still fits; one page more is refused by name. */
static void test_module_too_big(void **state)
{
	static const uint64_t segs[][2] = { { 0x100000, 0x1000 } };
	char expect[256];
	(void)state;

	image(1, segs);
	add_module(2 * MiB - 0x101000, "exact", 7);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), 0);
	assert_int_equal(lay.mod[0].gpa, 0x101000);
	memset(&lay, 0, sizeof(lay));
	add_module(2 * MiB - 0x101000 + 1, "too big", 7);
	host_env_reset();
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), -1);
	snprintf(expect, sizeof(expect),
		 "ptvisor: error: guest g: refused: module 7 (%llu bytes) does not fit in a free range of its 2048 "
		 "KiB of RAM (image at [0x100000, 0x100fff], 0 module(s) placed before it); give it more mem=\n",
		 (unsigned long long)(2 * MiB - 0x101000 + 1));
	assert_string_equal(host_console_text(), expect);
	/* Larger than all of RAM, or than anything addressable. */
	memset(&lay, 0, sizeof(lay));
	add_module(4 * MiB, "", 1);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), -1);
	memset(&lay, 0, sizeof(lay));
	add_module(UINT64_MAX, "", 1);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), -1);
	/* The second of two modules that each fit alone. */
	memset(&lay, 0, sizeof(lay));
	add_module(0xf0000, "", 1);
	add_module(0xf0000, "", 2);
	host_env_reset();
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, &lay), -1);
	assert_true(host_console_contains("module 2 (983040 bytes) does not fit"));
	assert_true(host_console_contains("1 module(s) placed before it"));
}

/* No free page at all for the information: refused by name. */
static void test_info_does_not_fit(void **state)
{
	static const uint64_t segs[][2] = { { 0x1000, 0xf000 } };
	(void)state;

	image(1, segs);
	host_env_reset();
	assert_int_equal(guest_layout_place("g", &img, 0x10000, &lay), -1);
	assert_string_equal(host_console_text(), "ptvisor: error: guest g: refused: no free range of its 64 KiB of RAM "
						 "holds its boot information (4 KiB)\n");
	/* Bad arguments are refused, not followed. */
	assert_int_equal(guest_layout_place("g", NULL, 2 * MiB, &lay), -1);
	assert_int_equal(guest_layout_place("g", &img, 2 * MiB, NULL), -1);
	lay.nmods = GUEST_MODS_MAX + 1;
	assert_int_equal(guest_layout_place(NULL, &img, 2 * MiB, &lay), -1);
	assert_true(host_console_contains("guest ?: refused: "));
}

/* Module strings enlarge the information area: 15 long strings need a second page. */
static void test_info_grows_with_strings(void **state)
{
	static const uint64_t segs[][2] = { { 0x100000, 0x1000 } };
	static char s[256];
	(void)state;

	memset(s, 's', 255);
	image(1, segs);
	for (unsigned i = 0; i < GUEST_MODS_MAX; i++)
		add_module(1, s, i);
	assert_int_equal(guest_layout_place("g", &img, 16 * MiB, &lay), 0);
	assert_int_equal(lay.info_size, 0x2000);
	assert_true(lay.info_size >= guest_mbinfo_size_max(&lay));
	assert_layout_sane(16 * MiB);
}

/* Random images and module sizes: every success satisfies the rule's invariants; refusals are named. */
static void test_random_layouts(void **state)
{
	unsigned ok = 0, refused = 0;
	(void)state;

	srand(1234);
	for (unsigned iter = 0; iter < 20000; iter++) {
		uint64_t mem = (uint64_t)(1 + rand() % 8) * 2 * MiB, segs[4][2];
		unsigned nseg = 1 + (unsigned)rand() % 4, placed = 0;

		for (unsigned i = 0; i < nseg; i++) {
			/* Somewhere in low memory or above 1 MiB, never in the hole: what the checker lets through. */
			uint64_t lo_room = 0x9f000 - 0x1000, hi_room = mem - 0x100000;
			uint64_t len = 1 + (uint64_t)rand() % 0x40000;

			if (rand() % 2 && len < lo_room) {
				segs[placed][0] = 0x1000 + (uint64_t)rand() % (lo_room - len + 1);
			} else if (len < hi_room) {
				segs[placed][0] = 0x100000 + (uint64_t)rand() % (hi_room - len + 1);
			} else {
				continue;
			}
			segs[placed++][1] = len;
		}
		if (!placed)
			continue;
		memset(&img, 0, sizeof(img));
		memset(&lay, 0, sizeof(lay));
		image(placed, (const uint64_t(*)[2])segs);
		unsigned nmods = (unsigned)rand() % (GUEST_MODS_MAX + 1);
		for (unsigned i = 0; i < nmods; i++)
			add_module(rand() % 4 ? (uint64_t)rand() % 0x30000 : (uint64_t)rand() % mem, "", i);
		host_env_reset();
		if (guest_layout_place("r", &img, mem, &lay) == 0) {
			assert_layout_sane(mem);
			assert_string_equal(host_console_text(), "");
			ok++;
		} else {
			assert_true(host_console_contains("ptvisor: error: guest r: refused: "));
			refused++;
		}
	}
	/* Both outcomes were exercised many times. */
	assert_true(ok > 2000 && refused > 2000);
}

/* Loading copies each module's bytes to its address; a module outside RAM is refused. */
static void test_load(void **state)
{
	struct guest_mem gm = { malloc(2 * MiB), 2 * MiB };
	static const char a[] = "module bytes";
	(void)state;

	memset(gm.host, 0xAA, 2 * MiB);
	add_module(sizeof(a), "", 1);
	lay.mod[0].data = a;
	lay.mod[0].gpa = 0x100000;
	add_module(0, "", 2);
	lay.mod[1].gpa = 0x101000;
	assert_int_equal(guest_layout_load("g", &lay, &gm), 0);
	assert_memory_equal((uint8_t *)gm.host + 0x100000, a, sizeof(a));
	assert_int_equal(((uint8_t *)gm.host)[0x100000 + sizeof(a)], 0xAA);
	assert_int_equal(((uint8_t *)gm.host)[0x101000], 0xAA);
	lay.mod[1].gpa = 2 * MiB;
	lay.mod[1].size = 1;
	lay.mod[1].data = a;
	host_env_reset();
	assert_int_equal(guest_layout_load("g", &lay, &gm), -1);
	assert_string_equal(host_console_text(), "ptvisor: error: guest g: load failed: module 2 (1 bytes at 0x200000) "
						 "is not inside its memory\n");
	lay.mod[1].gpa = 0x101000;
	lay.mod[1].data = NULL;
	host_env_reset();
	assert_int_equal(guest_layout_load("g", &lay, &gm), -1);
	assert_string_equal(host_console_text(),
			    "ptvisor: error: guest g: load failed: module 2 cannot be mapped to be read\n");
	free(gm.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kernel_at_1m, setup),
		cmocka_unit_test_setup(test_kernel_at_0x8000, setup),
		cmocka_unit_test_setup(test_low_memory_full, setup),
		cmocka_unit_test_setup(test_modules_fall_back_low, setup),
		cmocka_unit_test_setup(test_module_too_big, setup),
		cmocka_unit_test_setup(test_info_does_not_fit, setup),
		cmocka_unit_test_setup(test_info_grows_with_strings, setup),
		cmocka_unit_test_setup(test_random_layouts, setup),
		cmocka_unit_test_setup(test_load, setup),
	};
	return cmocka_run_group_tests_name("guest_layout", tests, NULL, NULL);
}

/* The synthesized multiboot1/multiboot2 information, parsed back field by field from guest memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/mbinfo.h"
#include "guest/multiboot.h"

#define MiB (1ULL << 20)
/* Where these tests put the information: the 32 KiB at 0x8000 (the layout's choice is tested elsewhere). */
#define INFO_GPA 0x8000u
#define INFO_END 0x10000u

static struct guest_mem gm;
static struct guest_config cfg;
static struct guest_image img;
static struct guest_layout lay;

static uint32_t r32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, (uint8_t *)gm.host + gpa, 4);
	return v;
}
static uint64_t r64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, (uint8_t *)gm.host + gpa, 8);
	return v;
}
static const char *rstr(uint64_t gpa)
{
	return (const char *)gm.host + gpa;
}

static void guest_setup(uint64_t size, enum boot_proto proto, const char *cmdline)
{
	free(gm.host);
	gm.host = malloc(size);
	gm.size = size;
	memset(gm.host, 0xAA, size);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "g");
	cfg.mem_size = size;
	strcpy(cfg.guest_cmdline, cmdline);
	memset(&img, 0, sizeof(img));
	img.proto = proto;
	memset(&lay, 0, sizeof(lay));
	lay.info_gpa = INFO_GPA;
	lay.info_size = INFO_END - INFO_GPA;
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(gm.host);
	gm.host = NULL;
	return 0;
}

/* The string at gpa must be NUL-terminated inside the info area. */
static void assert_info_string(uint32_t gpa, const char *expect)
{
	assert_true(gpa >= INFO_GPA && gpa + strlen(expect) + 1 <= INFO_END);
	assert_string_equal(rstr(gpa), expect);
}

static void test_mb1(void **state)
{
	(void)state;
	guest_setup(16 * MiB, BOOT_MULTIBOOT1, "console=ttyS0 debug");
	uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);

	assert_int_equal(info, INFO_GPA);
	assert_int_equal(guest_mbinfo_magic(&img), 0x2BADB002);
	assert_int_equal(r32(info + 0), (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
	assert_int_equal(r32(info + 4), 636);                     /* mem_lower: 0x9f000 / 1024 */
	assert_int_equal(r32(info + 8), (16 * MiB - MiB) / 1024); /* mem_upper: 15360 */
	assert_int_equal(r32(info + 20), 0);                      /* no modules */
	assert_int_equal(r32(info + 52), 0);                      /* no drives */
	assert_info_string(r32(info + 16), "console=ttyS0 debug");
	assert_info_string(r32(info + 64), "ptvisor");

	/* The memory map: entries stepped by size + 4, as the specification says a reader must. */
	uint32_t len = r32(info + 44), addr = r32(info + 48);
	assert_int_equal(len, 3 * 24);
	assert_true(addr >= INFO_GPA && addr + len <= INFO_END);
	assert_int_equal(addr % 8, 0);
	static const uint64_t expect[3][3] = {
		{ 0, 0x9f000, 1 },
		{ 0x9f000, 0x61000, 2 },
		{ 0x100000, 15 * MiB, 1 },
	};
	unsigned n = 0;
	for (uint32_t p = addr; p < addr + len; p += r32(p) + 4, n++) {
		assert_true(n < 3);
		assert_int_equal(r32(p), 20);
		assert_int_equal(r64(p + 4), expect[n][0]);
		assert_int_equal(r64(p + 12), expect[n][1]);
		assert_int_equal(r32(p + 20), expect[n][2]);
	}
	assert_int_equal(n, 3);
	/* Nothing written outside the info area. */
	assert_int_equal(((uint8_t *)gm.host)[INFO_GPA - 1], 0xAA);
	assert_int_equal(((uint8_t *)gm.host)[INFO_END], 0xAA);
	/* Areas the structure does not use are zero (the area is cleared first). */
	assert_int_equal(r32(info + 12), 0);
	assert_int_equal(r32(info + 88), 0);
}

/* Walks the multiboot2 tags; returns how many were seen and checks framing and alignment. */
static unsigned mb2_walk(uint32_t info, uint32_t *types, uint32_t *offs, unsigned max)
{
	uint32_t total = r32(info), p = info + 8;
	unsigned n = 0;

	assert_int_equal(info % 8, 0);
	assert_int_equal(r32(info + 4), 0);
	assert_true(total >= 16 && info + total <= INFO_END);
	while (p < info + total) {
		assert_int_equal(p % 8, 0);
		assert_true(n < max);
		types[n] = r32(p);
		offs[n] = p;
		uint32_t size = r32(p + 4);
		assert_true(size >= 8 && p + size <= info + total);
		n++;
		if (r32(p) == 0) {
			assert_int_equal(size, 8);
			assert_int_equal(p + 8, info + total); /* end tag closes the block exactly */
			break;
		}
		p += (size + 7) & ~7u;
	}
	return n;
}

static void test_mb2(void **state)
{
	uint32_t types[16], offs[16];
	(void)state;
	guest_setup(64 * MiB, BOOT_MULTIBOOT2, "quiet");
	uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);

	assert_int_equal(info, INFO_GPA);
	assert_int_equal(guest_mbinfo_magic(&img), 0x36d76289);
	unsigned n = mb2_walk(info, types, offs, 16);
	assert_int_equal(n, 5);
	assert_int_equal(types[0], 1);
	assert_int_equal(types[1], 2);
	assert_int_equal(types[2], 4);
	assert_int_equal(types[3], 6);
	assert_int_equal(types[4], 0);

	assert_int_equal(r32(offs[0] + 4), 8 + 6);
	assert_string_equal(rstr(offs[0] + 8), "quiet");
	assert_int_equal(r32(offs[1] + 4), 8 + 8);
	assert_string_equal(rstr(offs[1] + 8), "ptvisor");
	assert_int_equal(r32(offs[2] + 4), 16);
	assert_int_equal(r32(offs[2] + 8), 636);
	assert_int_equal(r32(offs[2] + 12), (64 * MiB - MiB) / 1024);

	uint32_t mm = offs[3];
	assert_int_equal(r32(mm + 4), 16 + 3 * 24);
	assert_int_equal(r32(mm + 8), 24);
	assert_int_equal(r32(mm + 12), 0);
	static const uint64_t expect[3][3] = {
		{ 0, 0x9f000, 1 },
		{ 0x9f000, 0x61000, 2 },
		{ 0x100000, 63 * MiB, 1 },
	};
	for (unsigned i = 0; i < 3; i++) {
		uint32_t e = mm + 16 + i * 24;
		assert_int_equal(r64(e), expect[i][0]);
		assert_int_equal(r64(e + 8), expect[i][1]);
		assert_int_equal(r32(e + 16), expect[i][2]);
		assert_int_equal(r32(e + 20), 0);
	}
	/* Fixed header + cmdline 14->16 + name 16 + meminfo 16 + mmap 88 + end 8. */
	assert_int_equal(r32(info), 8 + 16 + 16 + 16 + 88 + 8);
	assert_int_equal(((uint8_t *)gm.host)[info + r32(info)], 0);
	assert_int_equal(((uint8_t *)gm.host)[INFO_END], 0xAA);
}

/* An empty command line is still a valid (empty) string; the longest one fits. */
static void test_cmdline_edges(void **state)
{
	uint32_t types[16], offs[16];
	char longest[256];
	(void)state;

	guest_setup(2 * MiB, BOOT_MULTIBOOT2, "");
	uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);
	assert_int_equal(info, INFO_GPA);
	assert_int_equal(mb2_walk(info, types, offs, 16), 5);
	assert_int_equal(r32(offs[0] + 4), 9);
	assert_string_equal(rstr(offs[0] + 8), "");
	assert_int_equal(r32(offs[2] + 12), 1024); /* 2 MiB guest: 1 MiB above 1 MiB */

	memset(longest, 'x', 255);
	longest[255] = '\0';
	guest_setup(2 * MiB, BOOT_MULTIBOOT1, longest);
	info = guest_mbinfo_build(&img, &cfg, &gm, &lay);
	assert_int_equal(info, INFO_GPA);
	assert_info_string(r32(info + 16), longest);
	assert_int_equal(r32(info + 8), 1024);
	/* An unterminated config string is cut at its buffer, not read past it. */
	memset(cfg.guest_cmdline, 'y', sizeof(cfg.guest_cmdline));
	info = guest_mbinfo_build(&img, &cfg, &gm, &lay);
	assert_int_equal(strlen(rstr(r32(info + 16))), 255);
}

/* Memory too small for the info area, or missing arguments: 0, nothing written. */
static void test_does_not_fit(void **state)
{
	(void)state;
	guest_setup(0xC000, BOOT_MULTIBOOT1, "a");
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	assert_int_equal(((uint8_t *)gm.host)[INFO_GPA], 0xAA);
	guest_setup(2 * MiB, BOOT_MULTIBOOT2, "a");
	assert_int_equal(guest_mbinfo_build(NULL, &cfg, &gm, &lay), 0);
	assert_int_equal(guest_mbinfo_build(&img, NULL, &gm, &lay), 0);
	assert_int_equal(guest_mbinfo_build(&img, &cfg, NULL, &lay), 0);
	img.proto = (enum boot_proto)7;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, NULL), 0);
	/* An area too small for even the fixed part. */
	guest_setup(2 * MiB, BOOT_MULTIBOOT1, "a");
	lay.info_size = 64;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	lay.info_size = 0;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	/* An area running past the end of RAM, or placed above 4 GiB. */
	lay.info_gpa = 2 * MiB - 0x1000;
	lay.info_size = 0x2000;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	lay.info_gpa = 1ULL << 32;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	assert_int_equal(((uint8_t *)gm.host)[2 * MiB - 0x1000], 0xAA);
}

/* Two modules: 5 bytes with a string, and an empty one with none. */
static void modules_setup(enum boot_proto proto)
{
	guest_setup(16 * MiB, proto, "root=x");
	lay.nmods = 2;
	lay.mod[0] = (struct guest_module){ .size = 5, .string = "cfg one", .line = 1, .gpa = 0x100000 };
	lay.mod[1] = (struct guest_module){ .size = 0, .string = "", .line = 3, .gpa = 0x101000 };
}

/* Multiboot 3.3: flags bit 3, mods_count, and mods_addr's {mod_start, mod_end, string, reserved} entries. */
static void test_mb1_modules(void **state)
{
	(void)state;
	modules_setup(BOOT_MULTIBOOT1);
	uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);

	assert_int_equal(info, INFO_GPA);
	assert_int_equal(r32(info + 0), (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	assert_int_equal(r32(info + 20), 2);
	uint32_t mods = r32(info + 24);
	assert_true(mods >= INFO_GPA && mods + 32 <= INFO_END);
	assert_int_equal(mods % 4, 0);
	assert_int_equal(r32(mods + 0), 0x100000);
	assert_int_equal(r32(mods + 4), 0x100005); /* end: the first byte after the module */
	assert_info_string(r32(mods + 8), "cfg one");
	assert_int_equal(r32(mods + 12), 0);
	assert_int_equal(r32(mods + 16), 0x101000);
	assert_int_equal(r32(mods + 20), 0x101000);
	assert_info_string(r32(mods + 24), "");
	assert_int_equal(r32(mods + 28), 0);
	/* The entries, the strings and the rest do not overlap the other fields. */
	assert_info_string(r32(info + 16), "root=x");
	assert_info_string(r32(info + 64), "ptvisor");
	assert_int_equal(r32(info + 44), 3 * 24);
	uint32_t mmap = r32(info + 48);
	assert_true(mmap + 72 <= mods || mods + 32 <= mmap);
}

/* Multiboot2 3.6.6: a type 3 tag per module, in order, with its string after mod_start and mod_end. */
static void test_mb2_modules(void **state)
{
	uint32_t types[16], offs[16];
	(void)state;
	modules_setup(BOOT_MULTIBOOT2);
	uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);

	assert_int_equal(info, INFO_GPA);
	unsigned n = mb2_walk(info, types, offs, 16);
	assert_int_equal(n, 7);
	static const uint32_t expect[7] = { 1, 2, 3, 3, 4, 6, 0 };
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(types[i], expect[i]);
	assert_int_equal(r32(offs[2] + 4), 16 + 8);
	assert_int_equal(r32(offs[2] + 8), 0x100000);
	assert_int_equal(r32(offs[2] + 12), 0x100005);
	assert_string_equal(rstr(offs[2] + 16), "cfg one");
	assert_int_equal(r32(offs[3] + 4), 16 + 1);
	assert_int_equal(r32(offs[3] + 8), 0x101000);
	assert_int_equal(r32(offs[3] + 12), 0x101000);
	assert_string_equal(rstr(offs[3] + 16), "");
	assert_string_equal(rstr(offs[0] + 8), "root=x");
}

/* The most the information can hold (15 modules with 255-byte strings, the longest command line) fits the
 * size guest_mbinfo_size_max() asks for, in both protocols, and a bad module entry is refused. */
static void test_modules_limits(void **state)
{
	static char strings[GUEST_MODS_MAX][256];
	uint32_t types[32], offs[32];
	char longest[256];
	(void)state;

	memset(longest, 'c', 255);
	longest[255] = '\0';
	for (enum boot_proto proto = BOOT_MULTIBOOT1; proto <= BOOT_MULTIBOOT2; proto++) {
		guest_setup(64 * MiB, proto, longest);
		lay.nmods = GUEST_MODS_MAX;
		for (unsigned i = 0; i < GUEST_MODS_MAX; i++) {
			memset(strings[i], 'a' + (char)i, 255);
			strings[i][255] = '\0';
			lay.mod[i] =
				(struct guest_module){ .size = 0x1000, .string = strings[i], .gpa = (i + 1) * MiB };
		}
		lay.info_size = guest_mbinfo_size_max(&lay);
		assert_true(lay.info_size < 0x2000);
		uint32_t info = guest_mbinfo_build(&img, &cfg, &gm, &lay);
		assert_int_equal(info, INFO_GPA);
		if (proto == BOOT_MULTIBOOT2) {
			assert_int_equal(mb2_walk(info, types, offs, 32), 4 + GUEST_MODS_MAX + 1);
			assert_true(r32(info) <= lay.info_size);
			assert_string_equal(rstr(offs[2 + GUEST_MODS_MAX - 1] + 16), strings[GUEST_MODS_MAX - 1]);
		} else {
			assert_int_equal(r32(info + 20), GUEST_MODS_MAX);
			assert_string_equal(rstr(r32(r32(info + 24) + 14 * 16 + 8)), strings[14]);
		}
		/* A quarter of the bound does not hold it. */
		lay.info_size /= 4;
		assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	}
	/* A module outside RAM, one without a string, too many modules: nothing is built. */
	modules_setup(BOOT_MULTIBOOT2);
	lay.mod[1].gpa = 16 * MiB;
	lay.mod[1].size = 1;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	modules_setup(BOOT_MULTIBOOT1);
	lay.mod[0].string = NULL;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	modules_setup(BOOT_MULTIBOOT1);
	lay.nmods = GUEST_MODS_MAX + 1;
	assert_int_equal(guest_mbinfo_build(&img, &cfg, &gm, &lay), 0);
	assert_int_equal(((uint8_t *)gm.host)[INFO_GPA], 0xAA);
}

static void test_guest_mem_ptr(void **state)
{
	uint8_t buf[64];
	struct guest_mem g = { buf, sizeof(buf) };
	(void)state;

	assert_ptr_equal(guest_mem_ptr(&g, 0, 64), buf);
	assert_ptr_equal(guest_mem_ptr(&g, 60, 4), buf + 60);
	assert_null(guest_mem_ptr(&g, 60, 5));
	assert_null(guest_mem_ptr(&g, 65, 0));
	assert_null(guest_mem_ptr(&g, 8, UINT64_MAX));
	assert_null(guest_mem_ptr(&g, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(NULL, 0, 1));
	g.host = NULL;
	assert_null(guest_mem_ptr(&g, 0, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mb1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_does_not_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modules_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_mem_ptr, setup, teardown),
	};
	return cmocka_run_group_tests_name("guest_mbinfo", tests, NULL, NULL);
}

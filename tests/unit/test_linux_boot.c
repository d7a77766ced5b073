/* The Linux boot protocol: bzImage recognition, placement and refusals, and the zero page ptvisor writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/linux_boot.h"
#include "lib/bytes.h"

#define MiB         (1ULL << 20)
#define IMG_SIZE    0x8000u
#define SETUP_SECTS 4u

static uint8_t bz[IMG_SIZE];
static struct guest_image img;

/* A bzImage as Debian's 6.1 kernel has it (protocol 2.15), shrunk: 4 setup sectors and a small payload. */
static void make_bz(void)
{
	memset(bz, 0, sizeof(bz));
	for (unsigned i = 0; i < IMG_SIZE; i++)
		bz[i] = (uint8_t)(i * 7 + 3);
	bz[LX_SETUP_SECTS] = SETUP_SECTS;
	put_le16(bz + LX_BOOT_FLAG, 0xaa55);
	bz[LX_JUMP] = 0xeb;
	bz[LX_JUMP + 1] = 0x6a; /* header ends at 0x26c */
	put_le32(bz + LX_HEADER, LX_HEADER_MAGIC);
	put_le16(bz + LX_VERSION, 0x020f);
	bz[LX_TYPE_OF_LOADER] = 0;
	bz[LX_LOADFLAGS] = LX_LOADED_HIGH;
	put_le32(bz + LX_CODE32_START, 0x100000);
	put_le32(bz + LX_RAMDISK_IMAGE, 0);
	put_le32(bz + LX_RAMDISK_SIZE, 0);
	put_le32(bz + LX_CMD_LINE_PTR, 0);
	put_le32(bz + LX_INITRD_ADDR_MAX, 0x7fffffff);
	put_le32(bz + LX_KERNEL_ALIGN, 0x200000);
	bz[LX_RELOCATABLE] = 1;
	put_le32(bz + LX_CMDLINE_SIZE, 0x7ff);
	put_le64(bz + LX_PREF_ADDRESS, 0x1000000);
	put_le32(bz + LX_INIT_SIZE, 0x3f98000);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	make_bz();
	memset(&img, 0, sizeof(img));
	return 0;
}

static void test_accepts_and_places(void **state)
{
	(void)state;
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	assert_int_equal(img.kind, IMAGE_BZIMAGE);
	assert_int_equal(img.proto, BOOT_LINUX);
	assert_int_equal(img.nseg, 1);
	assert_int_equal(img.seg[0].file_off, (SETUP_SECTS + 1) * 512);
	assert_int_equal(img.seg[0].filesz, IMG_SIZE - (SETUP_SECTS + 1) * 512);
	assert_int_equal(img.seg[0].gpa, 0x1000000);
	assert_int_equal(img.seg[0].memsz, 0x3f98000);
	assert_int_equal(img.entry, 0x1000000);
	assert_int_equal(img.load_lo, 0x1000000);
	assert_int_equal(img.load_hi, 0x1000000 + 0x3f98000 - 1);
	assert_int_equal(img.lx.hdr_end, 0x26c);
	assert_int_equal(img.lx.cmdline_size, 0x7ff);
	assert_int_equal(img.lx.initrd_max, 0x7fffffff);
	assert_string_equal(host_console_text(), "");
	/* setup_sects 0 means 4, as boot.rst says. */
	bz[LX_SETUP_SECTS] = 0;
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	assert_int_equal(img.seg[0].file_off, 5 * 512);
	/* A preferred address below 1 MiB or off the kernel's alignment: the kernel goes to 1 MiB. */
	put_le64(bz + LX_PREF_ADDRESS, 0x8000);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	assert_int_equal(img.entry, 0x100000);
	put_le64(bz + LX_PREF_ADDRESS, 0x1001000);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	assert_int_equal(img.entry, 0x100000);
	/* init_size smaller than the payload: the payload's size is what it takes. */
	put_le32(bz + LX_INIT_SIZE, 0x10);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	assert_int_equal(img.seg[0].memsz, img.seg[0].filesz);
}

static void test_not_a_bzimage(void **state)
{
	(void)state;
	put_le32(bz + LX_HEADER, 0x53726449);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 0);
	make_bz();
	put_le16(bz + LX_BOOT_FLAG, 0x55aa);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 0);
	make_bz();
	assert_int_equal(linux_image_check("lx", bz, LX_HEADER + 3, 256 * MiB, &img), 0);
	assert_int_equal(linux_image_check("lx", NULL, sizeof(bz), 256 * MiB, &img), 0);
	assert_string_equal(host_console_text(), "");
}

static void test_refusals(void **state)
{
	(void)state;
	put_le16(bz + LX_VERSION, 0x0209);
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), -1);
	assert_string_equal(host_console_text(), "ptvisor: error: guest lx: refused: Linux boot protocol 2.09 is too "
						 "old (2.10 or later is needed)\n");
	make_bz();
	host_env_reset();
	bz[LX_LOADFLAGS] = 0;
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), -1);
	assert_true(host_console_contains("not loadable high"));
	make_bz();
	host_env_reset();
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 64 * MiB, &img), -1);
	assert_string_equal(host_console_text(),
			    "ptvisor: error: guest lx: refused: this Linux kernel needs [0x1000000, 0x4f98000) of RAM "
			    "to start (its preferred address and init_size); give the guest mem=80M or more\n");
	/* The header must reach init_size, and the setup sectors must leave a payload. */
	make_bz();
	host_env_reset();
	bz[LX_JUMP + 1] = 0x20;
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), -1);
	assert_true(host_console_contains("setup header is malformed (header ends at 0x222"));
	make_bz();
	bz[LX_SETUP_SECTS] = 63;
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), -1);
	make_bz();
	assert_int_equal(linux_image_check("lx", bz, (SETUP_SECTS + 1) * 512, 256 * MiB, &img), -1);
}

/* Random headers with the magic in place: never a read outside the image, never a segment outside RAM. */
static void test_random_headers(void **state)
{
	(void)state;
	srand(12345);
	for (unsigned round = 0; round < 20000; round++) {
		make_bz();
		for (unsigned k = 0; k < 6; k++) {
			unsigned off = LX_SETUP_SECTS + (unsigned)rand() % (0x270 - LX_SETUP_SECTS);
			if (off >= LX_BOOT_FLAG && off < LX_BOOT_FLAG + 2)
				continue;
			if (off >= LX_HEADER && off < LX_HEADER + 4)
				continue;
			bz[off] = (uint8_t)rand();
		}
		size_t size = LX_HEADER + 4 + (size_t)rand() % (IMG_SIZE - LX_HEADER - 4);
		uint64_t mem = (2 + (uint64_t)(rand() % 512)) * MiB;
		int r = linux_image_check("lx", bz, size, mem, &img);
		assert_true(r == 1 || r == -1);
		if (r == 1) {
			assert_true(img.seg[0].file_off + img.seg[0].filesz == size);
			assert_true(img.seg[0].gpa >= MiB && img.seg[0].gpa + img.seg[0].memsz <= mem);
			assert_true(img.lx.hdr_end <= img.seg[0].file_off);
		}
		host_env_reset();
	}
}

static uint8_t ram[128 * MiB / 64]; /* 2 MiB of guest RAM is plenty for the zero page tests */

static void zp_setup(struct guest_config *c, struct guest_mem *gm, struct guest_layout *l)
{
	memset(c, 0, sizeof(*c));
	memset(l, 0, sizeof(*l));
	memset(ram, 0xcc, sizeof(ram));
	strcpy(c->name, "lx");
	gm->host = ram;
	gm->size = sizeof(ram);
	l->info_gpa = 0x8000;
	l->info_size = LX_INFO_SIZE;
}

static void test_zero_page(void **state)
{
	struct guest_config c;
	struct guest_mem gm;
	struct guest_layout l;
	(void)state;

	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	zp_setup(&c, &gm, &l);
	strcpy(c.guest_cmdline, "console=ttyS0 quiet");
	l.nmods = 1;
	l.mod[0] = (struct guest_module){ .size = 12345, .gpa = 0x5000000, .initrd = true, .line = 2 };
	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	/* The RAM here is smaller than the guest's; the zero page only needs its own pages. */
	gm.size = 0x200000;
	uint32_t zp_gpa = linux_zeropage_build(&img, bz, &c, &gm, &l);
	assert_int_equal(zp_gpa, 0x8000);
	const uint8_t *zp = ram + 0x8000;
	/* Outside the header and the fields ptvisor owns, the zero page is zero. */
	for (unsigned i = 0; i < 0x1e0; i++)
		assert_int_equal(zp[i], 0);
	/* The header as in the image, but for the loader's fields. */
	assert_memory_equal(zp + LX_SETUP_SECTS, bz + LX_SETUP_SECTS, LX_TYPE_OF_LOADER - LX_SETUP_SECTS);
	assert_int_equal(zp[LX_TYPE_OF_LOADER], 0xff);
	assert_int_equal(zp[LX_LOADFLAGS], LX_LOADED_HIGH);
	assert_int_equal(get_le32(zp + LX_CODE32_START), 0x1000000);
	assert_int_equal(get_le32(zp + LX_RAMDISK_IMAGE), 0x5000000);
	assert_int_equal(get_le32(zp + LX_RAMDISK_SIZE), 12345);
	assert_int_equal(get_le32(zp + LX_CMD_LINE_PTR), 0x9000);
	assert_string_equal((const char *)ram + 0x9000, "console=ttyS0 quiet");
	assert_int_equal(get_le64(zp + LX_PREF_ADDRESS), 0x1000000);
	assert_int_equal(get_le32(zp + LX_INIT_SIZE), 0x3f98000);
	/* Past the header's end nothing of the image is copied. */
	for (unsigned i = 0x26c; i < LX_ZP_E820_TABLE; i++)
		assert_int_equal(zp[i], 0);
	assert_int_equal(get_le32(zp + LX_ZP_ALT_MEM_K), (0x200000 - MiB) >> 10);
	assert_int_equal(zp[LX_ZP_E820_ENTRIES], 3);
	static const uint64_t want[3][3] = { { 0, 0x9f000, 1 }, { 0x9f000, 0x61000, 2 }, { 0x100000, 0x100000, 1 } };
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *e = zp + LX_ZP_E820_TABLE + 20 * i;
		assert_int_equal(get_le64(e), want[i][0]);
		assert_int_equal(get_le64(e + 8), want[i][1]);
		assert_int_equal(get_le32(e + 16), want[i][2]);
	}
	/* No initrd: its fields stay zero. */
	l.nmods = 0;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0x8000);
	assert_int_equal(get_le32(zp + LX_RAMDISK_IMAGE), 0);
	assert_int_equal(get_le32(zp + LX_RAMDISK_SIZE), 0);
	assert_string_equal(host_console_text(), "");
}

static void test_zero_page_refusals(void **state)
{
	struct guest_config c;
	struct guest_mem gm;
	struct guest_layout l;
	(void)state;

	assert_int_equal(linux_image_check("lx", bz, sizeof(bz), 256 * MiB, &img), 1);
	zp_setup(&c, &gm, &l);
	memset(c.guest_cmdline, 'x', 40);
	img.lx.cmdline_size = 39;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0);
	assert_string_equal(host_console_text(),
			    "ptvisor: error: guest lx: refused: its kernel command line (40 bytes) "
			    "is longer than the kernel takes (39)\n");
	img.lx.cmdline_size = 40;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0x8000);
	host_env_reset();
	l.nmods = 1;
	l.mod[0] = (struct guest_module){ .size = 0x1000, .gpa = 0x100000, .initrd = true };
	img.lx.initrd_max = 0x100ffe;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0);
	assert_true(host_console_contains("its initrd at [0x100000, 0x101000) is above the kernel's initrd_addr_max "
					  "0x100ffe"));
	img.lx.initrd_max = 0x100fff;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0x8000);
	/* Not a Linux image, an info area too small or outside RAM: nothing written. */
	img.proto = BOOT_MULTIBOOT2;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0);
	img.proto = BOOT_LINUX;
	l.info_size = 0x1000;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0);
	l.info_size = LX_INFO_SIZE;
	l.info_gpa = gm.size - 0x1000;
	assert_int_equal(linux_zeropage_build(&img, bz, &c, &gm, &l), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_accepts_and_places, setup),
		cmocka_unit_test_setup(test_not_a_bzimage, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_random_headers, setup),
		cmocka_unit_test_setup(test_zero_page, setup),
		cmocka_unit_test_setup(test_zero_page_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The multiboot2 parser: good BIOS and UEFI blocks, refused headers, and tag walk failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "boot_info.h"
#include "host_env.h"
#include "mb2_blob.h"

static struct mb2_blob blob;
static struct boot_info bi;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	mb2_blob_init(&blob);
	return 0;
}

static void build_bios(struct mb2_blob *x)
{
	static const struct mb2_range map[] = {
		{ 0x100000, 0x7ee0000, 1 },
		{ 0x0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
	};
	uint8_t meminfo[8], base[4];

	mb2_blob_str(x, 1, "/boot/ptvisor.elf pt_mode=host");
	mb2_blob_str(x, 2, "GRUB 2.12");
	mb2_put32(meminfo, 639);
	mb2_put32(meminfo + 4, 129920);
	mb2_blob_tag(x, 4, meminfo, 8);
	mb2_blob_mmap(x, 24, map, 3);
	mb2_blob_module(x, 0x200000, 0x201000, "guest.bin a=1");
	mb2_blob_module(x, 0x300000, 0x300800, "fixture");
	mb2_blob_fb(x, &(struct mb2_fb_spec){ 0xb8000, 160, 80, 25, 16, 2, NULL });
	mb2_blob_rsdp(x, 14, 0, 20);
	mb2_blob_tag(x, 9, "elfsects", 8); /* known, not needed */
	mb2_blob_tag(x, 99, "future", 6);  /* unknown */
	mb2_put32(base, 0x100000);
	mb2_blob_tag(x, 21, base, 4);
	mb2_blob_end(x);
}

static void test_good_bios(void **state)
{
	(void)state;
	build_bios(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 0);
	assert_false(host_console_contains("warning"));
	assert_int_equal(bi.magic, MB2_BOOTLOADER_MAGIC);
	assert_int_equal(bi.info_addr, 0x9000);
	assert_int_equal(bi.info_size, blob.len);
	assert_string_equal(bi.cmdline, "/boot/ptvisor.elf pt_mode=host");
	assert_string_equal(bi.loader_name, "GRUB 2.12");
	assert_int_equal(bi.mem_lower_kb, 639);
	assert_int_equal(bi.mem_upper_kb, 129920);
	assert_int_equal(bi.mmap_count, 3);
	assert_false(bi.mmap_from_efi);
	assert_int_equal(bi.efi_mmap_count, 0);
	assert_int_equal(bi.mmap[0].base, 0);
	assert_int_equal(bi.mmap[0].len, 0x9fc00);
	assert_int_equal(bi.mmap[0].type, MEM_USABLE);
	assert_int_equal(bi.mmap[1].base, 0x9fc00);
	assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
	assert_int_equal(bi.mmap[2].base, 0x100000);
	assert_int_equal(bi.mmap[2].len, 0x7ee0000);
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x201000);
	assert_string_equal(bi.modules[0].cmdline, "guest.bin a=1");
	assert_int_equal(bi.modules[1].start, 0x300000);
	assert_string_equal(bi.modules[1].cmdline, "fixture");
	assert_int_equal(bi.fb.type, BOOT_FB_EGA_TEXT);
	assert_int_equal(bi.fb.addr, 0xb8000);
	assert_int_equal(bi.fb.width, 80);
	assert_int_equal(bi.fb.height, 25);
	assert_int_equal(bi.fb.pitch, 160);
	assert_int_equal(bi.rsdp_len, 20);
	assert_int_equal(bi.rsdp_revision, 0);
	assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
	assert_int_equal(bi.rsdp[16], 0x00);
	assert_int_equal(bi.rsdp[17], 0x00);
	assert_int_equal(bi.rsdp[18], 0x0e);
	assert_false(bi.efi_booted);
	assert_int_equal(bi.load_base_addr, 0x100000);
	assert_true(host_console_contains("tag 9 (ELF sections) at offset"));
	assert_true(host_console_contains("tag 99 (unknown) at offset"));
}

static void test_print(void **state)
{
	(void)state;
	build_bios(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	host_env_reset();
	boot_info_print(&bi);
	assert_true(host_console_contains("ptvisor: boot: BIOS boot by 'GRUB 2.12'\n"));
	assert_true(host_console_contains("boot: cmdline '/boot/ptvisor.elf pt_mode=host'\n"));
	assert_true(host_console_contains("boot: memory map, 3 ranges from the multiboot2 map:\n"));
	assert_true(host_console_contains("  0000000000000000-000000000009fbff    639 KiB  usable\n"));
	assert_true(host_console_contains("  000000000009fc00-000000000009ffff      1 KiB  reserved\n"));
	assert_true(host_console_contains("  0000000000100000-0000000007fdffff    126 MiB  usable\n"));
	assert_true(host_console_contains("boot: usable memory 127 MiB\n"));
	assert_true(host_console_contains("boot: module 0: 0x200000-0x201000 (4 KiB) 'guest.bin a=1'\n"));
	assert_true(host_console_contains("boot: module 1: 0x300000-0x300800 (2 KiB) 'fixture'\n"));
	assert_true(host_console_contains("boot: framebuffer EGA text 80x25x16 at 0xb8000, pitch 160\n"));
	assert_true(host_console_contains("boot: ACPI RSDP revision 0 (20-byte copy)\n"));
	assert_string_equal(mem_type_name(MEM_ACPI_NVS), "ACPI NVS");
	assert_string_equal(mem_type_name(MEM_FIRMWARE), "firmware");
	assert_string_equal(mem_type_name(MEM_MMIO), "MMIO");
	assert_string_equal(mem_type_name(0), "unknown");
	assert_string_equal(mem_type_name(99), "unknown");
}

static void test_good_uefi(void **state)
{
	static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
	static const struct mb2_range efi[] = {
		{ 7, 0x1000, 0x9f },
		{ 3, 0x0, 1 },
		{ 5, 0x100000, 0x10 },
		{ 10, 0x110000, 4 },
	};
	uint8_t st[8];
	(void)state;
	mb2_blob_str(&blob, 2, "GRUB 2.12");
	mb2_put64(st, 0x7fe00018ULL);
	mb2_blob_tag(&blob, 12, st, 8);
	mb2_blob_efi_mmap(&blob, 48, efi, 4);
	mb2_blob_fb(&blob, &(struct mb2_fb_spec){ 0x80000000ULL, 4096, 1024, 768, 32, 1, rgb });
	mb2_blob_rsdp(&blob, 15, 2, 36);
	mb2_blob_tag(&blob, 18, NULL, 0);
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 0);
	assert_true(bi.efi_booted);
	assert_int_equal(bi.efi_system_table, 0x7fe00018ULL);
	assert_true(bi.efi_boot_services);
	assert_true(host_console_contains("the loader left EFI boot services running"));
	assert_true(bi.mmap_from_efi);
	assert_int_equal(bi.efi_mmap_count, 4);
	assert_int_equal(bi.mmap_count, 3);
	assert_int_equal(bi.mmap[0].base, 0); /* boot services code + conventional, merged */
	assert_int_equal(bi.mmap[0].len, 0xa0000);
	assert_int_equal(bi.mmap[0].type, MEM_USABLE);
	assert_int_equal(bi.mmap[1].base, 0x100000);
	assert_int_equal(bi.mmap[1].len, 0x10000);
	assert_int_equal(bi.mmap[1].type, MEM_FIRMWARE);
	assert_int_equal(bi.mmap[2].type, MEM_ACPI_NVS);
	assert_int_equal(bi.fb.type, BOOT_FB_RGB);
	assert_int_equal(bi.fb.addr, 0x80000000ULL);
	assert_int_equal(bi.fb.width, 1024);
	assert_int_equal(bi.fb.height, 768);
	assert_int_equal(bi.fb.bpp, 32);
	assert_int_equal(bi.fb.pitch, 4096);
	assert_int_equal(bi.fb.red_pos, 16);
	assert_int_equal(bi.fb.green_pos, 8);
	assert_int_equal(bi.fb.blue_pos, 0);
	assert_int_equal(bi.fb.blue_size, 8);
	assert_int_equal(bi.rsdp_len, 36);
	assert_int_equal(bi.rsdp_revision, 2);
	assert_int_equal(bi.rsdp[24], 0x00);
	assert_int_equal(bi.rsdp[25], 0x10);
	assert_int_equal(bi.rsdp[26], 0x0e);
	host_env_reset();
	boot_info_print(&bi);
	assert_true(host_console_contains("boot: EFI boot by 'GRUB 2.12'\n"));
	assert_true(host_console_contains("boot: memory map, 3 ranges from the EFI map:\n"));
	assert_true(host_console_contains("boot: framebuffer RGB 1024x768x32 at 0x80000000, pitch 4096\n"));
	assert_true(host_console_contains("boot: EFI system table at 0x7fe00018, boot services still running\n"));
}

static void test_refused_headers(void **state)
{
	uint8_t small[4] = { 0 };
	(void)state;
	build_bios(&blob);
	assert_int_equal(boot_info_parse(0x2badb002, blob.b, blob.len, 0, &bi), -1);
	assert_true(host_console_contains("ptvisor: error: multiboot2: bad magic 0x2badb002 (expected 0x36d76289)"));
	assert_int_equal(bi.problems, 1);
	assert_int_equal(bi.mmap_count, 0);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, NULL, 64, 0, &bi), -1);
	assert_true(host_console_contains("multiboot2: no boot information (null pointer)\n"));
	assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, small, sizeof(small), 0, &bi), -1);
	assert_true(host_console_contains("multiboot2: only 4 bytes readable, less than the 8-byte header\n"));
	assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, blob.b, blob.len, 0, NULL), -1);
	assert_true(host_console_contains("nowhere to store"));

	/* total_size beyond what is readable: nothing of the block may be used. */
	assert_int_equal(mb2_blob_parse_avail(&blob, blob.len - 8, &bi), -1);
	char msg[96];
	snprintf(msg, sizeof(msg), "multiboot2: total_size %zu larger than the %zu bytes readable\n", blob.len,
		 blob.len - 8);
	assert_true(host_console_contains(msg));
	assert_int_equal(bi.module_count, 0);
	assert_string_equal(bi.loader_name, "");

	mb2_blob_set_total(&blob, 12);
	assert_int_equal(mb2_blob_parse(&blob, &bi), -1);
	assert_true(host_console_contains("multiboot2: total_size 12 too small (at least 16)\n"));
	mb2_blob_set_total(&blob, 0x7fffffff);
	assert_int_equal(mb2_blob_parse(&blob, &bi), -1);
	assert_true(host_console_contains("multiboot2: total_size 2147483647 above the 1048576-byte limit\n"));
}

static void test_tag_overruns(void **state)
{
	(void)state;
	mb2_blob_str(&blob, 2, "GRUB");
	mb2_blob_tag_sized(&blob, 1, 200, "pt_mode=host", 13);
	mb2_blob_str(&blob, 1, "never seen");
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_string_equal(bi.loader_name, "GRUB");
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.problems, 1);
	assert_true(host_console_contains(
		"multiboot2: tag 1 (cmdline) at offset 24: size 200 runs past total_size 80, parsing stopped\n"));
	assert_false(host_console_contains("no end tag"));
}

static void test_tag_too_small(void **state)
{
	(void)state;
	mb2_blob_tag_sized(&blob, 2, 4, NULL, 0);
	mb2_blob_str(&blob, 1, "never seen");
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_int_equal(bi.problems, 1);
	assert_true(host_console_contains(
		"multiboot2: tag 2 (boot loader name) at offset 8: size 4 below the 8-byte tag header, parsing stopped\n"));
	assert_string_equal(bi.cmdline, "");

	/* A module tag too small for mod_start and mod_end. */
	host_env_reset();
	mb2_blob_init(&blob);
	mb2_blob_str(&blob, 1, "kept");
	mb2_blob_tag(&blob, 3, "\0\0\x10\0", 4);
	mb2_blob_str(&blob, 2, "never seen");
	mb2_blob_end(&blob);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_string_equal(bi.cmdline, "kept");
	assert_string_equal(bi.loader_name, "");
	assert_int_equal(bi.module_count, 0);
	assert_true(host_console_contains(
		"multiboot2: tag 3 (module) at offset 24: size 12 smaller than its fixed fields (16), parsing stopped\n"));
}

static void test_missing_end(void **state)
{
	(void)state;
	mb2_blob_str(&blob, 1, "a=1");
	mb2_blob_set_total(&blob, (uint32_t)blob.len);
	assert_int_equal(mb2_blob_parse(&blob, &bi), 0);
	assert_string_equal(bi.cmdline, "a=1");
	assert_int_equal(bi.problems, 1);
	assert_true(host_console_contains("multiboot2: no end tag before total_size 24\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good_bios, setup),    cmocka_unit_test_setup(test_print, setup),
		cmocka_unit_test_setup(test_good_uefi, setup),    cmocka_unit_test_setup(test_refused_headers, setup),
		cmocka_unit_test_setup(test_tag_overruns, setup), cmocka_unit_test_setup(test_tag_too_small, setup),
		cmocka_unit_test_setup(test_missing_end, setup),
	};
	return cmocka_run_group_tests_name("boot_info", tests, NULL, NULL);
}

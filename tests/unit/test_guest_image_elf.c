/* ELF guest images refused, each with its exact named reason. */
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

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	return 0;
}

static void test_elf_ident_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, 0);
	tb.b[1] = 'X';
	expect_refused(MEM, "not an ELF file (no \\x7fELF magic)");
	tb.b[1] = 'E';
	tb.b[4] = 3;
	expect_refused(MEM, "ELF class 3 is neither ELFCLASS32 (1) nor ELFCLASS64 (2)");
	tb.b[4] = 1;
	tb.b[5] = 2;
	expect_refused(MEM, "ELF data encoding 2 is not little-endian (1)");
	tb.b[5] = 1;
	tb.b[6] = 0;
	expect_refused(MEM, "ELF identification version 0 is not 1");
	tb.b[6] = 1;
	w16(18, 62);
	expect_refused(MEM, "ELF machine 62 is not EM_386 (3) for ELF32");
	w16(18, 3);
	w16(16, 3);
	expect_refused(MEM, "ELF type 3 is not an executable (ET_EXEC, 2)");
	w16(16, 2);
	w32(20, 2);
	expect_refused(MEM, "ELF version 2 is not 1");
	w32(20, 1);
	expect_ok(MEM);

	elf_build(true, 0);
	mb1_put(HDR_OFF, 0);
	w16(18, 3);
	expect_refused(MEM, "ELF machine 3 is not EM_X86_64 (62) for ELF64");

	/* A file too short for its ELF header (with a multiboot header to get that far). */
	memset(&tb, 0, sizeof(tb));
	mb1_put(0x10, 0);
	memcpy(tb.b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	tb.size = 0x30;
	expect_refused(MEM, "ELF header truncated (image is 0x30 bytes, header needs 0x40)");
}

static void test_phdr_table_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, 0);
	w16(eh_phentsize(), 40);
	expect_refused(MEM, "ELF program header size 40 is not 32");
	w16(eh_phentsize(), 32);
	w16(eh_phnum(), 0);
	expect_refused(MEM, "ELF has no program headers");
	w16(eh_phnum(), 0xffff);
	expect_refused(MEM, "ELF has 65535 program headers (at most 64 supported)");
	w16(eh_phnum(), 2);
	w32(eh_phoff(), IMG_SIZE - 40);
	expect_refused(
		MEM,
		"ELF program headers extend past the end of the image (offset 0x20d8, 2 x 32 bytes, image 0x2100 bytes)");
	w32(eh_phoff(), 0xffffffff);
	expect_refused(
		MEM,
		"ELF program headers extend past the end of the image (offset 0xffffffff, 2 x 32 bytes, image 0x2100 bytes)");
	w32(eh_phoff(), 64);
	set_ph(0, PH_TYPE, 4);
	set_ph(1, PH_TYPE, 6);
	expect_refused(MEM, "ELF has no loadable (PT_LOAD) segment");

	/* ELF64: the program header offset is 64-bit. */
	elf_build(true, 0);
	mb1_put(HDR_OFF, 0);
	w64(eh_phoff(), 0xfffffffffffffff0ULL);
	expect_refused(
		MEM,
		"ELF program headers extend past the end of the image (offset 0xfffffffffffffff0, 2 x 56 bytes, image 0x2100 bytes)");
}

static void test_segment_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, 0);
	tb.size = 0x2080;
	expect_refused(MEM, "ELF program header 1 extends past the end of the image (offset 0x2000, size 0x100)");
	tb.size = IMG_SIZE;
	set_ph(1, PH_MEMSZ, 0x80);
	expect_refused(MEM, "ELF program header 1 has file size 0x100 above its memory size 0x80");
	set_ph(1, PH_MEMSZ, 0x3000);
	set_ph(1, PH_PADDR, 0xfff000);
	expect_refused(MEM, "ELF program header 1 [0xfff000, 0x1002000) extends past guest memory (0x1000000 bytes)");
	expect_ok(32 * MiB);
	/* Low memory is the image's as on a PC: the boot information moves out of its way (layout.c). */
	set_ph(1, PH_PADDR, 0x8000);
	expect_ok(MEM);
	assert_int_equal(tb_gi.load_lo, 0x8000);
	set_ph(1, PH_PADDR, 0x1000);
	expect_ok(MEM); /* the lowest page that may be loaded */
	set_ph(1, PH_PADDR, 0x9c000);
	expect_ok(MEM); /* [0x9c000, 0x9f000) ends where the hole begins */
	set_ph(1, PH_MEMSZ, 0x3001);
	expect_refused(
		MEM, "ELF program header 1 [0x9c000, 0x9f001) overlaps the reserved legacy region [0x9f000, 0x100000)");
	set_ph(1, PH_MEMSZ, 0x3000);
	set_ph(1, PH_PADDR, 0x100000 - 0x1000);
	expect_refused(
		MEM,
		"ELF program header 1 [0xff000, 0x102000) overlaps the reserved legacy region [0x9f000, 0x100000)");
	set_ph(1, PH_PADDR, 0x800);
	expect_refused(MEM, "ELF program header 1 loads at 0x800, below 0x1000");
	set_ph(1, PH_PADDR, 0x9e000);
	expect_refused(
		MEM, "ELF program header 1 [0x9e000, 0xa1000) overlaps the reserved legacy region [0x9f000, 0x100000)");
	set_ph(1, PH_PADDR, SEG1_PA);
	/* A zero-sized PT_LOAD occupies nothing and is skipped. */
	set_ph(1, PH_FILESZ, 0);
	set_ph(1, PH_MEMSZ, 0);
	set_ph(1, PH_PADDR, 0);
	expect_ok(MEM);
	assert_int_equal(tb_gi.nseg, 1);

	/* ELF64: 64-bit overflow of p_paddr + p_memsz and of p_offset + p_filesz. */
	elf_build(true, 0);
	mb1_put(HDR_OFF, 0);
	set_ph(1, PH_PADDR, 0xfffffffffffff000ULL);
	set_ph(1, PH_MEMSZ, 0x2000);
	expect_refused(MEM, "ELF program header 1: physical address 0xfffffffffffff000 + size 0x2000 overflows");
	set_ph(1, PH_PADDR, SEG1_PA);
	set_ph(1, PH_OFFSET, 0xffffffffffffff80ULL);
	expect_refused(
		MEM, "ELF program header 1 extends past the end of the image (offset 0xffffffffffffff80, size 0x100)");
	set_ph(1, PH_OFFSET, SEG1_OFF);
	set_ph(1, PH_PADDR, 0x100000000ULL);
	expect_refused(MEM,
		       "ELF program header 1 [0x100000000, 0x100002000) extends past guest memory (0x1000000 bytes)");
}

static void test_entry_refusals(void **state)
{
	(void)state;
	elf_build(false, 0);
	mb1_put(HDR_OFF, 0);
	set_entry(SEG1_PA + 4); /* inside the data segment, which is not executable */
	expect_refused(MEM, "entry point 0x101004 is not inside a loaded executable segment");
	set_entry(0x500000);
	expect_refused(MEM, "entry point 0x500000 is not inside a loaded executable segment");
	set_entry(SEG0_PA + 0xfff);
	expect_ok(MEM);
	assert_int_equal(tb_gi.entry, SEG0_PA + 0xfff);
	set_entry(SEG0_PA + 0x1000);
	expect_refused(MEM, "entry point 0x101000 is not inside a loaded executable segment");

	/* ELF64: the physical address of a higher-half entry is used, the link address is not. */
	elf_build(true, HIGH_HALF);
	mb2_simple(HDR_OFF);
	set_entry(ENTRY_PA);
	expect_refused(MEM, "entry point 0x100100 is not inside a loaded executable segment");
	mb2_begin(HDR_OFF);
	mb2_tag(MB2_HTAG_ENTRY_ADDRESS, 0, 12, (const uint32_t[]){ SEG1_PA }, 1);
	mb2_end();
	expect_refused(MEM, "entry point 0x101000 is not inside a loaded executable segment");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_elf_ident_refusals, setup),
		cmocka_unit_test_setup(test_phdr_table_refusals, setup),
		cmocka_unit_test_setup(test_segment_refusals, setup),
		cmocka_unit_test_setup(test_entry_refusals, setup),
	};
	return cmocka_run_group_tests_name("guest_image_elf", tests, NULL, NULL);
}

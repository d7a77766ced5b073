/*
 * libFuzzer harness: the multiboot2 info block parser (vmm/boot_info.c and its tag parsers). The
 * input is the block itself, in a heap buffer of exactly its size so ASan sees any read past it;
 * the parsed result must keep every invariant of boot_info_insane() and parse the same way twice.
 */
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "boot_info.h"
#include "boot_info_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct boot_info bi, again;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc = boot_info_parse(MB2_BOOTLOADER_MAGIC, data, size, 0x9000, &bi);
	const char *why = boot_info_insane(rc, &bi);

	if (why)
		fuzz_fail(__FILE__, __LINE__, "%s", why);
	boot_info_print(&bi);
	FUZZ_CHECK(boot_info_parse(MB2_BOOTLOADER_MAGIC, data, size, 0x9000, &again) == rc);
	FUZZ_CHECK(memcmp(&bi, &again, sizeof(bi)) == 0);
	/* A wrong magic is refused whatever follows (Multiboot2 Specification 3.3 "I386 machine state"). */
	FUZZ_CHECK(boot_info_parse(MB2_BOOTLOADER_MAGIC ^ 1, data, size, 0x9000, &again) == -1);
	return 0;
}

/* Internals shared by the multiboot2 tag parsers: bounded field readers and problem reports. */
#ifndef PTV_BOOT_PARSE_H
#define PTV_BOOT_PARSE_H

#include "types.h"
#include "lib/bytes.h"
#include "boot_info.h"
#include "lib/string.h"
#include "log.h"

/*
 * Multiboot2 tag types (Multiboot2 Specification, section 3.6 "Boot
 * information format").
 */
enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_BOOTDEV = 5,
	MB2_TAG_MMAP = 6,
	MB2_TAG_VBE = 7,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ELF_SECTIONS = 9,
	MB2_TAG_APM = 10,
	MB2_TAG_EFI32 = 11,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_SMBIOS = 13,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_NETWORK = 16,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
	MB2_TAG_EFI32_IH = 19,
	MB2_TAG_EFI64_IH = 20,
	MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* Every tag starts with {u32 type, u32 size}; size counts this header but not the padding. */
#define MB2_TAG_HDR_SIZE 8u
/* The fixed part of the info block: {u32 total_size, u32 reserved}. */
#define MB2_INFO_HDR_SIZE 8u
#define MB2_TAG_ALIGN     8u

/* One tag, already checked to lie wholly inside the info block. */
struct mb2_tag {
	const uint8_t *p; /* first byte of the tag header */
	uint32_t type;
	uint32_t size; /* as declared, >= the handler's fixed size */
	uint32_t off;  /* offset from the start of the info block */
	const char *name;
};

/* A problem with the info as a whole: reported and counted. */
#define BOOT_PROBLEM(bi, fmt, ...)                          \
	do {                                                \
		pr_warn("multiboot2: " fmt, ##__VA_ARGS__); \
		(bi)->problems++;                           \
	} while (0)

/* A problem inside one tag: the message names the tag and where it is. */
#define TAG_PROBLEM(bi, t, fmt, ...)                                                                                  \
	do {                                                                                                          \
		pr_warn("multiboot2: tag %u (%s) at offset %u: " fmt, (t)->type, (t)->name, (t)->off, ##__VA_ARGS__); \
		(bi)->problems++;                                                                                     \
	} while (0)

#endif

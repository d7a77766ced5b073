/* Multiboot 1 and 2 layouts a guest loader needs: the OS image header and the info handed over. */
#ifndef PTV_GUEST_MULTIBOOT_H
#define PTV_GUEST_MULTIBOOT_H

#include "types.h"

/*
 * Multiboot Specification 0.6.96, section 3.1 "OS image format": the header
 * is 32-bit aligned and lies wholly inside the first 8192 bytes of the image.
 */
#define MB1_HEADER_MAGIC     0x1BADB002u
#define MB1_BOOTLOADER_MAGIC 0x2BADB002u
#define MB1_HEADER_SEARCH    8192u
#define MB1_HEADER_ALIGN     4u

/* Header fields (sections 3.1.1 "The layout of Multiboot header", 3.1.3 "The address fields"). */
#define MB1_HDR_MAGIC         0
#define MB1_HDR_FLAGS         4
#define MB1_HDR_CHECKSUM      8
#define MB1_HDR_HEADER_ADDR   12
#define MB1_HDR_LOAD_ADDR     16
#define MB1_HDR_LOAD_END_ADDR 20
#define MB1_HDR_BSS_END_ADDR  24
#define MB1_HDR_ENTRY_ADDR    28
#define MB1_HDR_SIZE          12u /* magic, flags, checksum */
#define MB1_HDR_SIZE_AOUT     32u /* ... plus the address fields of flags bit 16 */

/* Header flags (section 3.1.2 "The magic fields of Multiboot header"): bits 0-15 are requirements. */
#define MB1_FLAG_PAGE_ALIGN  BIT(0)
#define MB1_FLAG_MEMORY_INFO BIT(1)
#define MB1_FLAG_VIDEO_MODE  BIT(2)
#define MB1_FLAG_AOUT_KLUDGE BIT(16)
#define MB1_FLAGS_REQUIRED   0xFFFFu

/* Boot information (section 3.3 "Boot information format"): flags say which fields are valid. */
#define MB1_INFO_MEMORY           BIT(0)
#define MB1_INFO_BOOTDEV          BIT(1)
#define MB1_INFO_CMDLINE          BIT(2)
#define MB1_INFO_MODS             BIT(3)
#define MB1_INFO_MEM_MAP          BIT(6)
#define MB1_INFO_DRIVES           BIT(7)
#define MB1_INFO_BOOT_LOADER_NAME BIT(9)
#define MB1_INFO_FRAMEBUFFER      BIT(12)

#define MB1_INFO_FLAGS         0
#define MB1_INFO_MEM_LOWER     4
#define MB1_INFO_MEM_UPPER     8
#define MB1_INFO_BOOT_DEVICE   12
#define MB1_INFO_CMDLINE_ADDR  16
#define MB1_INFO_MODS_COUNT    20
#define MB1_INFO_MODS_ADDR     24
#define MB1_INFO_MMAP_LENGTH   44
#define MB1_INFO_MMAP_ADDR     48
#define MB1_INFO_DRIVES_LENGTH 52
#define MB1_INFO_DRIVES_ADDR   56
#define MB1_INFO_LOADER_NAME   64
#define MB1_INFO_SIZE          116u /* through the framebuffer colour info */

/* A module entry of the mods_addr array: start, end (exclusive), string address, reserved. */
#define MB1_MOD_ENTRY_SIZE 16u
#define MB1_MOD_START      0
#define MB1_MOD_END        4
#define MB1_MOD_STRING     8

/* A memory map entry: the size field (not counting itself) comes first. */
#define MB1_MMAP_ENTRY_SIZE 24u
#define MB1_MMAP_SIZE       0
#define MB1_MMAP_BASE       4
#define MB1_MMAP_LENGTH     12
#define MB1_MMAP_TYPE       20

/* Memory map entry types, the same numbers in both specifications. */
#define MB_MEMORY_AVAILABLE 1u
#define MB_MEMORY_RESERVED  2u

/*
 * Multiboot2 Specification 1.0, section 3.1 "OS image format": the header is
 * 64-bit aligned and lies wholly inside the first 32768 bytes of the image.
 */
#define MB2_HEADER_MAGIC  0xE85250D6u
#define MB2_HEADER_SEARCH 32768u
#define MB2_HEADER_ALIGN  8u
#define MB2_ARCH_I386     0u

/* Header fields (section 3.1.2 "The magic fields of Multiboot2 header"). */
#define MB2_HDR_MAGIC    0
#define MB2_HDR_ARCH     4
#define MB2_HDR_LENGTH   8
#define MB2_HDR_CHECKSUM 12
#define MB2_HDR_FIXED    16u

/* Header tags ("General tag structure" and the tag sections after it): {u16 type, u16 flags, u32 size}. */
enum mb2_header_tag {
	MB2_HTAG_END = 0,
	MB2_HTAG_INFO_REQUEST = 1,
	MB2_HTAG_ADDRESS = 2,
	MB2_HTAG_ENTRY_ADDRESS = 3,
	MB2_HTAG_CONSOLE_FLAGS = 4,
	MB2_HTAG_FRAMEBUFFER = 5,
	MB2_HTAG_MODULE_ALIGN = 6,
	MB2_HTAG_EFI_BS = 7,
	MB2_HTAG_ENTRY_ADDRESS_EFI32 = 8,
	MB2_HTAG_ENTRY_ADDRESS_EFI64 = 9,
	MB2_HTAG_RELOCATABLE = 10,
};

#define MB2_HTAG_TYPE     0
#define MB2_HTAG_FLAGS    2
#define MB2_HTAG_SIZE     4
#define MB2_HTAG_HDR      8u
#define MB2_HTAG_ALIGN    8u
#define MB2_HTAG_OPTIONAL BIT(0)
/* Console flags tag: bit 0 says a console must be described in the boot information. */
#define MB2_CONSOLE_REQUIRED BIT(0)
/* Address tag (section 3.1.5): a load_addr of -1 means "load the file from its beginning". */
#define MB2_LOAD_FROM_START 0xFFFFFFFFu

/* Multiboot2 "Modules" tag (3.6.6): mod_start, mod_end, then the module's string. */
#define MB2_MOD_START     8
#define MB2_MOD_END       12
#define MB2_MOD_STRING    16
#define MB2_MOD_TAG_FIXED 16u

/* Boot information memory map entries (Multiboot2 "Memory map" tag). */
#define MB2_MMAP_ENTRY_SIZE    24u
#define MB2_MMAP_ENTRY_VERSION 0u

#endif

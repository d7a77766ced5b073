/* Multiboot1 and multiboot2 boot information as a 32-bit guest gets it (paging off: addresses are pointers). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include "types.h"

/* EAX at entry (Multiboot spec 0.6.96 3.2 "Machine state"; Multiboot2 spec 3.3 "I386 machine state"). */
#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36D76289u

/* Multiboot2 spec 3.6 "Boot information format": tag types. */
#define MB2_TAG_END     0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER  2
#define MB2_TAG_MODULE  3
#define MB2_TAG_MEMINFO 4
#define MB2_TAG_MMAP    6

#define MB_MEMORY_AVAILABLE 1 /* memory map type of usable RAM, in both specs */

struct mb2_info {
	uint32_t total_size;
	uint32_t reserved;
};

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_tag_string { /* cmdline and boot loader name */
	struct mb2_tag tag;
	char string[];
};

struct mb2_tag_module { /* Multiboot2 spec 3.6.6 "Modules" */
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end; /* the first byte after the module */
	char string[];
};

struct mb2_tag_meminfo {
	struct mb2_tag tag;
	uint32_t mem_lower; /* KiB from 0 */
	uint32_t mem_upper; /* KiB from 1 MiB */
};

struct mb2_mmap_entry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
	/* entries follow, entry_size bytes apart */
};

/* Multiboot spec 0.6.96 3.3 "Boot information format". */
#define MB1_INFO_MEMORY  BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS    BIT(3)
#define MB1_INFO_MMAP    BIT(6)
#define MB1_INFO_LOADER  BIT(9)

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

/* An entry of the mods_addr array (Multiboot spec 0.6.96 3.3). */
struct mb1_module {
	uint32_t mod_start;
	uint32_t mod_end; /* the first byte after the module */
	uint32_t string;  /* address of its NUL-terminated string */
	uint32_t reserved;
};

/* Each entry is preceded by its size, which does not count the size field itself. */
struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __packed;

/* Which header the image carries: 1 or 2 (defined by mb1_header.asm / mb2_header.asm). */
extern const uint32_t guest_boot_protocol;

/*
 * The first tag of `type` in the multiboot2 information at `info`, or NULL.
 * Walks at most total_size bytes and stops at the end tag or a malformed size.
 */
const struct mb2_tag *mb2_find_tag(uint32_t info, uint32_t type);
/* The next tag of `type` after `prev` (NULL: the first), with the same checks: how to visit every module. */
const struct mb2_tag *mb2_next_tag(uint32_t info, const struct mb2_tag *prev, uint32_t type);
/* The command line string of the multiboot2 information, or "" when it has none. */
const char *mb2_cmdline(uint32_t info);

/*
 * Copies the value of `key=` from a command line into out (NUL terminated).
 * Only the part after a "--" word is searched when there is one (the guest's own
 * arguments); values end at a space. Returns false when the key is absent.
 */
bool cmdline_get_arg(const char *cmdline, const char *key, char *out, size_t size);
/* The decimal (or 0x hex) value of `key=` as cmdline_get_arg() finds it, or dflt. */
uint32_t cmdline_get_u32(const char *cmdline, const char *key, uint32_t dflt);

#endif

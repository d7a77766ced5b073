/*
 * Boot information, parsed once from the multiboot2 info block into a neutral
 * struct; nothing past boot_info_parse() sees multiboot.
 */
#ifndef PTV_BOOT_INFO_H
#define PTV_BOOT_INFO_H

#include "types.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MMAP_MAX    160
#define BOOT_MODULES_MAX 16
#define BOOT_MODCMD_MAX  256
#define BOOT_LOADER_MAX  64
/* Anything larger than this is not a plausible multiboot2 info block. */
#define BOOT_INFO_MAX_SIZE (1u << 20)

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIMABLE = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
	MEM_MMIO = 6,     /* from the EFI map */
	MEM_FIRMWARE = 7, /* EFI runtime services code/data */
};

struct mem_range {
	paddr_t base;
	uint64_t len;
	uint32_t type; /* enum mem_type */
};

struct boot_module {
	paddr_t start;
	paddr_t end; /* exclusive */
	char cmdline[BOOT_MODCMD_MAX];
};

enum boot_fb_type {
	BOOT_FB_NONE = 0,
	BOOT_FB_RGB = 1,
	BOOT_FB_EGA_TEXT = 2,
	BOOT_FB_INDEXED = 3,
};

struct boot_fb {
	enum boot_fb_type type;
	paddr_t addr;
	uint32_t pitch;
	uint32_t width;
	uint32_t height;
	uint8_t bpp;
	uint8_t red_pos, red_size;
	uint8_t green_pos, green_size;
	uint8_t blue_pos, blue_size;
};

struct boot_info {
	uint32_t magic;
	paddr_t info_addr;
	uint32_t info_size;

	char cmdline[BOOT_CMDLINE_MAX];
	char loader_name[BOOT_LOADER_MAX];

	/* Memory map: from the multiboot2 mmap tag, or else the EFI map, sorted by base. */
	struct mem_range mmap[BOOT_MMAP_MAX];
	unsigned mmap_count;
	bool mmap_from_efi;
	unsigned efi_mmap_count;             /* descriptors in the EFI memory map tag, 0 if absent */
	uint64_t mem_lower_kb, mem_upper_kb; /* basic meminfo tag, if present */

	struct boot_module modules[BOOT_MODULES_MAX];
	unsigned module_count;

	/* A copy of the RSDP the loader placed in the info (old: 20 bytes, new: 36). */
	uint8_t rsdp[36];
	unsigned rsdp_len; /* 0 if no ACPI tag */
	unsigned rsdp_revision;

	struct boot_fb fb;
	bool efi_booted; /* an EFI system table tag was present */
	paddr_t efi_system_table;
	bool efi_boot_services; /* tag 18: the loader left EFI boot services running */
	paddr_t load_base_addr; /* tag 21: where the loader put our image, 0 if absent */

	unsigned problems; /* malformed items reported and skipped */
};

/*
 * Parses the info block at `mbi`, of which at most `avail` bytes are readable.
 * Returns 0 on success (possibly with problems reported and skipped), or -1
 * when the block is unusable (bad magic, null, truncated header): then `out`
 * still holds a safe, empty result.
 */
int boot_info_parse(uint32_t magic, const void *mbi, size_t avail, paddr_t mbi_phys, struct boot_info *out);

const char *mem_type_name(uint32_t type);
/* Prints a short readable summary of the parsed boot info with pr_info. */
void boot_info_print(const struct boot_info *bi);

#endif

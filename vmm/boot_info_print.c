/* Prints the parsed boot info, so a boot log shows what the loader handed us. */
#include "boot_info.h"
#include "lib/format.h"
#include "log.h"

const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_USABLE:
		return "usable";
	case MEM_RESERVED:
		return "reserved";
	case MEM_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MEM_ACPI_NVS:
		return "ACPI NVS";
	case MEM_BAD:
		return "bad";
	case MEM_MMIO:
		return "MMIO";
	case MEM_FIRMWARE:
		return "firmware";
	default:
		return "unknown";
	}
}

static const char *fb_type_name(enum boot_fb_type type)
{
	switch (type) {
	case BOOT_FB_RGB:
		return "RGB";
	case BOOT_FB_EGA_TEXT:
		return "EGA text";
	case BOOT_FB_INDEXED:
		return "indexed";
	case BOOT_FB_NONE:
	default:
		return "none";
	}
}

/* In the largest whole unit, rounded down: the VMM has no floating point. */
static void format_size(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= (1ULL << 30))
		ptv_snprintf(buf, size, "%lu GiB", bytes >> 30);
	else if (bytes >= (1ULL << 20))
		ptv_snprintf(buf, size, "%lu MiB", bytes >> 20);
	else if (bytes >= (1ULL << 10))
		ptv_snprintf(buf, size, "%lu KiB", bytes >> 10);
	else
		ptv_snprintf(buf, size, "%lu B", bytes);
}

static void print_mmap(const struct boot_info *bi)
{
	uint64_t usable = 0;
	char sz[24];

	pr_info("boot: memory map, %u ranges from the %s map:\n", bi->mmap_count,
		bi->mmap_from_efi ? "EFI" : "multiboot2");
	for (unsigned i = 0; i < bi->mmap_count && i < BOOT_MMAP_MAX; i++) {
		const struct mem_range *r = &bi->mmap[i];

		format_size(sz, sizeof(sz), r->len);
		log_raw(LOG_INFO, "  %016lx-%016lx %10s  %s\n", r->base, r->base + r->len - 1, sz,
			mem_type_name(r->type));
		if (r->type == MEM_USABLE)
			usable += r->len;
	}
	pr_info("boot: usable memory %lu MiB\n", usable >> 20);
	if (bi->efi_mmap_count)
		pr_info("boot: EFI memory map had %u descriptors\n", bi->efi_mmap_count);
}

static void print_modules(const struct boot_info *bi)
{
	char sz[24];

	for (unsigned i = 0; i < bi->module_count && i < BOOT_MODULES_MAX; i++) {
		const struct boot_module *m = &bi->modules[i];

		format_size(sz, sizeof(sz), m->end - m->start);
		pr_info("boot: module %u: 0x%lx-0x%lx (%s) '%s'\n", i, m->start, m->end, sz, m->cmdline);
	}
}

static void print_fb(const struct boot_info *bi)
{
	const struct boot_fb *fb = &bi->fb;

	if (fb->type == BOOT_FB_NONE) {
		pr_info("boot: no framebuffer\n");
		return;
	}
	pr_info("boot: framebuffer %s %ux%ux%u at 0x%lx, pitch %u\n", fb_type_name(fb->type), fb->width, fb->height,
		fb->bpp, fb->addr, fb->pitch);
}

void boot_info_print(const struct boot_info *bi)
{
	pr_info("boot: %s boot by '%s'\n", bi->efi_booted ? "EFI" : "BIOS",
		bi->loader_name[0] ? bi->loader_name : "unknown loader");
	pr_info("boot: cmdline '%s'\n", bi->cmdline);
	print_mmap(bi);
	if (bi->module_count)
		print_modules(bi);
	else
		pr_info("boot: no modules\n");
	print_fb(bi);
	if (bi->rsdp_len)
		pr_info("boot: ACPI RSDP revision %u (%u-byte copy)\n", bi->rsdp_revision, bi->rsdp_len);
	else
		pr_info("boot: no ACPI RSDP from the loader\n");
	if (bi->efi_booted)
		pr_info("boot: EFI system table at 0x%lx%s\n", bi->efi_system_table,
			bi->efi_boot_services ? ", boot services still running" : "");
	if (bi->problems)
		pr_warn("boot: %u problems in the boot info were reported and skipped\n", bi->problems);
}

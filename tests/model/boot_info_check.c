/* The invariants of a parsed multiboot2 info block: bounded counts, terminated strings, a sorted map. */
#include <string.h>
#include "boot_info_check.h"

static const char *modules_insane(const struct boot_info *bi)
{
	if (bi->module_count > BOOT_MODULES_MAX)
		return "too many modules";
	for (unsigned i = 0; i < bi->module_count; i++) {
		if (strnlen(bi->modules[i].cmdline, BOOT_MODCMD_MAX) >= BOOT_MODCMD_MAX)
			return "module command line not terminated";
		if (bi->modules[i].end < bi->modules[i].start)
			return "module ends before it starts";
	}
	return NULL;
}

static const char *mmap_insane(const struct boot_info *bi)
{
	if (bi->mmap_count > BOOT_MMAP_MAX)
		return "too many memory ranges";
	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct mem_range *r = &bi->mmap[i];

		if (r->len == 0)
			return "empty memory range";
		if (r->len > UINT64_MAX - r->base)
			return "memory range wraps";
		if (r->type < MEM_USABLE || r->type > MEM_FIRMWARE)
			return "memory range of unknown type";
		if (i && bi->mmap[i - 1].base > r->base)
			return "memory map not sorted";
	}
	return NULL;
}

const char *boot_info_insane(int rc, const struct boot_info *bi)
{
	const char *why;

	if (rc != 0 && rc != -1)
		return "return value neither 0 nor -1";
	if ((why = modules_insane(bi)) || (why = mmap_insane(bi)))
		return why;
	if (strnlen(bi->cmdline, BOOT_CMDLINE_MAX) >= BOOT_CMDLINE_MAX)
		return "command line not terminated";
	if (strnlen(bi->loader_name, BOOT_LOADER_MAX) >= BOOT_LOADER_MAX)
		return "loader name not terminated";
	if (bi->rsdp_len != 0 && bi->rsdp_len != 20 && bi->rsdp_len != 36)
		return "RSDP copy neither 20 nor 36 bytes";
	if (bi->fb.type > BOOT_FB_INDEXED)
		return "unknown framebuffer type";
	if (bi->fb.type == BOOT_FB_NONE && bi->fb.addr != 0)
		return "framebuffer address without a framebuffer";
	if (rc == -1 && (bi->mmap_count || bi->module_count || bi->cmdline[0]))
		return "refused block left a non-empty result";
	return NULL;
}

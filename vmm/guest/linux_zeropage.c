/*
 * The zero page of a Linux guest (Documentation/arch/x86/zero-page.rst, boot.rst "Details of Header
 * Fields"): the image's setup header with the fields a boot loader writes, the command line after
 * `--`, the initrd (an initrd-of= module) and an e820 map of the guest's own RAM.
 */
#include "guest/linux_boot.h"
#include "lib/bytes.h"
#include "lib/string.h"

#define SZ_1M ((uint64_t)0x100000)

static void e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = zp[LX_ZP_E820_ENTRIES];
	uint8_t *e = zp + LX_ZP_E820_TABLE + 20u * n;

	put_le64(e, addr);
	put_le64(e + 8, size);
	put_le32(e + 16, type);
	zp[LX_ZP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/* The one module of a Linux guest, or NULL; two or more is refused by the caller. */
static const struct guest_module *the_initrd(const struct guest_layout *l)
{
	return l->nmods ? &l->mod[0] : NULL;
}

uint32_t linux_zeropage_build(const struct guest_image *img, const void *image, const struct guest_config *c,
			      const struct guest_mem *gm, const struct guest_layout *l)
{
	const char *guest = c ? c->name : "?";

	if (!img || img->proto != BOOT_LINUX || !image || !c || !gm || !l || l->info_size < LX_INFO_SIZE)
		return 0;
	uint8_t *zp = guest_mem_ptr(gm, l->info_gpa, LX_INFO_SIZE);
	if (!zp || l->info_gpa > UINT32_MAX - LX_INFO_SIZE)
		return 0;
	uint64_t cmd_gpa = l->info_gpa + LX_ZP_SIZE;
	size_t cmd_len = strnlen(c->guest_cmdline, sizeof(c->guest_cmdline));
	if (cmd_len > img->lx.cmdline_size || cmd_len >= LX_ZP_SIZE) {
		guest_image_refuse(guest, "its kernel command line (%zu bytes) is longer than the kernel takes (%u)",
				   cmd_len, img->lx.cmdline_size);
		return 0;
	}
	const struct guest_module *rd = the_initrd(l);
	if (rd && rd->size && (rd->gpa + rd->size - 1 > img->lx.initrd_max)) {
		guest_image_refuse(guest, "its initrd at [0x%lx, 0x%lx) is above the kernel's initrd_addr_max 0x%x",
				   rd->gpa, rd->gpa + rd->size, img->lx.initrd_max);
		return 0;
	}

	memset(zp, 0, LX_INFO_SIZE);
	/* boot.rst: copy the setup header as the image has it, then fill in what the loader owns. */
	memcpy(zp + LX_SETUP_SECTS, (const uint8_t *)image + LX_SETUP_SECTS, img->lx.hdr_end - LX_SETUP_SECTS);
	zp[LX_TYPE_OF_LOADER] = LX_LOADER_UNDEF;
	put_le32(zp + LX_CODE32_START, img->entry);
	put_le32(zp + LX_CMD_LINE_PTR, (uint32_t)cmd_gpa);
	memcpy(zp + LX_ZP_SIZE, c->guest_cmdline, cmd_len);
	if (rd) {
		put_le32(zp + LX_RAMDISK_IMAGE, (uint32_t)rd->gpa);
		put_le32(zp + LX_RAMDISK_SIZE, (uint32_t)rd->size);
	}
	put_le32(zp + LX_ZP_ALT_MEM_K, (uint32_t)((gm->size - SZ_1M) >> 10));
	/* The same map the multiboot guests get: RAM, the legacy hole reserved, RAM from 1 MiB. */
	e820_add(zp, 0, GUEST_LEGACY_LO, LX_E820_RAM);
	e820_add(zp, GUEST_LEGACY_LO, GUEST_LEGACY_HI - GUEST_LEGACY_LO, LX_E820_RESERVED);
	e820_add(zp, GUEST_LEGACY_HI, gm->size - GUEST_LEGACY_HI, LX_E820_RAM);
	return (uint32_t)l->info_gpa;
}

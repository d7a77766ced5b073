/*
 * bzImage recognition and placement (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"
 * and "Loading The Rest of The Kernel"): the protected-mode part after the setup sectors loads at the
 * kernel's preferred address and needs init_size bytes there; the 32-bit entry is its first byte.
 */
#include "guest/linux_boot.h"
#include "lib/bytes.h"
#include "lib/string.h"

#define SECTOR 512u
#define SZ_1M  ((uint64_t)0x100000)

/* The header must reach init_size: the last field ptvisor reads. */
#define LX_HEADER_NEEDED (LX_INIT_SIZE + 4)

static bool is_bzimage(const uint8_t *d, size_t size)
{
	return size >= LX_HEADER + 4 && get_le16(d + LX_BOOT_FLAG) == LX_BOOT_FLAG_MAGIC &&
	       get_le32(d + LX_HEADER) == LX_HEADER_MAGIC;
}

int linux_image_check(const char *guest, const uint8_t *d, size_t size, uint64_t mem_size, struct guest_image *img)
{
	if (!d || !is_bzimage(d, size))
		return 0;
	uint16_t version = get_le16(d + LX_VERSION);
	if (version < LX_VERSION_MIN) {
		guest_image_refuse(guest, "Linux boot protocol %u.%02u is too old (2.10 or later is needed)",
				   version >> 8, version & 0xff);
		return -1;
	}
	/* The jump at 0x200 skips the header: its 8-bit displacement says where the header ends. */
	uint32_t hdr_end = LX_HEADER + d[LX_JUMP + 1];
	unsigned setup_sects = d[LX_SETUP_SECTS] ? d[LX_SETUP_SECTS] : 4;
	uint64_t kernel_off = (uint64_t)(setup_sects + 1) * SECTOR;
	if (hdr_end < LX_HEADER_NEEDED || hdr_end > kernel_off || kernel_off >= size) {
		guest_image_refuse(guest,
				   "bzImage setup header is malformed (header ends at 0x%x, setup is %u sectors, "
				   "image is %zu bytes)",
				   hdr_end, setup_sects, size);
		return -1;
	}
	if (!(d[LX_LOADFLAGS] & LX_LOADED_HIGH)) {
		guest_image_refuse(guest, "bzImage is not loadable high (loadflags.LOADED_HIGH clear: a zImage)");
		return -1;
	}
	uint64_t load = get_le64(d + LX_PREF_ADDRESS);
	uint64_t init_size = get_le32(d + LX_INIT_SIZE);
	uint64_t payload = size - kernel_off;
	uint32_t align = get_le32(d + LX_KERNEL_ALIGN);
	if (load < SZ_1M || (align && (align & (align - 1))) || (align && load % align))
		load = SZ_1M; /* boot.rst: 1 MiB is where a loader puts a kernel without another wish */
	if (init_size < payload)
		init_size = payload;
	if (load > mem_size || init_size > mem_size - load) {
		guest_image_refuse(guest,
				   "this Linux kernel needs [0x%lx, 0x%lx) of RAM to start (its preferred address "
				   "and init_size); give the guest mem=%luM or more",
				   load, load + init_size, ALIGN_UP(load + init_size, 2 * SZ_1M) >> 20);
		return -1;
	}
	img->kind = IMAGE_BZIMAGE;
	img->proto = BOOT_LINUX;
	img->lx.hdr_end = hdr_end;
	img->lx.version = version;
	img->lx.cmdline_size = get_le32(d + LX_CMDLINE_SIZE);
	img->lx.initrd_max = get_le32(d + LX_INITRD_ADDR_MAX);
	img->nseg = 1;
	img->seg[0] = (struct guest_seg){ .file_off = kernel_off,
					  .filesz = payload,
					  .gpa = load,
					  .memsz = init_size,
					  .vaddr = load,
					  .exec = true,
					  .phdr = -1 };
	img->entry = (uint32_t)load;
	img->load_lo = load;
	img->load_hi = load + init_size - 1;
	return 1;
}

/* Locates and checks multiboot headers: magic, checksum, placement, and every flag or tag a guest demands. */
#include "guest/mbheader.h"
#include "guest/multiboot.h"
#include "lib/bytes.h"
#include "boot_parse.h"

/* Headers found past the search window are still looked for this far, to say why they do not count. */
#define MBH_DIAG_SCAN (1u << 20)

/* Info tags guest_mbinfo_build() provides; a guest without modules honours a module request trivially. */
#define MB2_INFO_SUPPORTED                                                                          \
	(BIT(MB2_TAG_END) | BIT(MB2_TAG_CMDLINE) | BIT(MB2_TAG_LOADER_NAME) | BIT(MB2_TAG_MODULE) | \
	 BIT(MB2_TAG_BASIC_MEMINFO) | BIT(MB2_TAG_MMAP))

static const char *const mb2_info_names[] = {
	[MB2_TAG_END] = "end",
	[MB2_TAG_CMDLINE] = "command line",
	[MB2_TAG_LOADER_NAME] = "boot loader name",
	[MB2_TAG_MODULE] = "modules",
	[MB2_TAG_BASIC_MEMINFO] = "basic memory information",
	[MB2_TAG_BOOTDEV] = "BIOS boot device",
	[MB2_TAG_MMAP] = "memory map",
	[MB2_TAG_VBE] = "VBE info",
	[MB2_TAG_FRAMEBUFFER] = "framebuffer info",
	[MB2_TAG_ELF_SECTIONS] = "ELF symbols",
	[MB2_TAG_APM] = "APM table",
	[MB2_TAG_EFI32] = "EFI 32-bit system table",
	[MB2_TAG_EFI64] = "EFI 64-bit system table",
	[MB2_TAG_SMBIOS] = "SMBIOS tables",
	[MB2_TAG_ACPI_OLD] = "ACPI old RSDP",
	[MB2_TAG_ACPI_NEW] = "ACPI new RSDP",
	[MB2_TAG_NETWORK] = "networking information",
	[MB2_TAG_EFI_MMAP] = "EFI memory map",
	[MB2_TAG_EFI_BS] = "EFI boot services not terminated",
	[MB2_TAG_EFI32_IH] = "EFI 32-bit image handle",
	[MB2_TAG_EFI64_IH] = "EFI 64-bit image handle",
	[MB2_TAG_LOAD_BASE_ADDR] = "image load base address",
};

/* Smallest size of each header tag we interpret (the sections on each tag give the layouts). */
static const uint8_t mb2_htag_min[] = {
	[MB2_HTAG_INFO_REQUEST] = 8,
	[MB2_HTAG_ADDRESS] = 24,
	[MB2_HTAG_ENTRY_ADDRESS] = 12,
	[MB2_HTAG_CONSOLE_FLAGS] = 12,
	[MB2_HTAG_FRAMEBUFFER] = 20,
	[MB2_HTAG_MODULE_ALIGN] = 8,
	[MB2_HTAG_EFI_BS] = 8,
	[MB2_HTAG_ENTRY_ADDRESS_EFI32] = 12,
	[MB2_HTAG_ENTRY_ADDRESS_EFI64] = 12,
	[MB2_HTAG_RELOCATABLE] = 24,
};

const char *guest_mb2_info_name(uint32_t type)
{
	return type < ARRAY_SIZE(mb2_info_names) && mb2_info_names[type] ? mb2_info_names[type] : "unknown";
}

/* What a scan for one magic found: offsets, or -1. */
struct mbh_scan {
	long valid; /* first header inside the window with a good checksum */
	long bad;   /* first magic inside the window whose checksum fails */
	long late;  /* first good header that starts or ends past the window */
	uint32_t bad_sum;
};

/* The fixed words of both headers, magic included, sum to zero (mod 2^32) in a real header. */
static uint32_t mbh_sum(const uint8_t *p, unsigned words)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < words; i++)
		sum += get_le32(p + 4 * i);
	return sum;
}

/* How each header is searched for: its magic, alignment, search window and fixed part. */
struct mbh_kind {
	uint32_t magic, align, window, fixed;
};

static const struct mbh_kind mb1_kind = { MB1_HEADER_MAGIC, MB1_HEADER_ALIGN, MB1_HEADER_SEARCH, MB1_HDR_SIZE };
static const struct mbh_kind mb2_kind = { MB2_HEADER_MAGIC, MB2_HEADER_ALIGN, MB2_HEADER_SEARCH, MB2_HDR_FIXED };

static void mbh_scan(const uint8_t *d, size_t size, const struct mbh_kind *k, struct mbh_scan *r)
{
	size_t limit = MIN(size, (size_t)MBH_DIAG_SCAN);

	r->valid = r->bad = r->late = -1;
	for (size_t off = 0; off + k->fixed <= limit; off += k->align) {
		if (get_le32(d + off) != k->magic)
			continue;
		uint32_t sum = mbh_sum(d + off, k->fixed / 4);
		bool inside = off + k->fixed <= k->window;

		if (inside && sum == 0) {
			r->valid = (long)off;
			break;
		} else if (inside && sum != 0 && r->bad < 0) {
			r->bad = (long)off;
			r->bad_sum = sum;
		} else if (!inside && sum == 0 && r->late < 0) {
			r->late = (long)off;
		}
		/* Past the window only the first good header is of interest, to name it. */
		if (!inside && r->late >= 0)
			break;
	}
}

static int mb1_parse(const char *guest, const uint8_t *d, size_t size, uint32_t off, struct guest_image *img)
{
	const uint8_t *h = d + off;
	uint32_t flags = get_le32(h + MB1_HDR_FLAGS);
	uint32_t unmet = flags & MB1_FLAGS_REQUIRED & ~(uint32_t)(MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO);

	img->proto = BOOT_MULTIBOOT1;
	img->mbh.offset = off;
	img->mbh.mb1_flags = flags;
	/* Bits 0-15 are requirements: one we cannot meet must stop the load ("The magic fields"). */
	if (unmet & MB1_FLAG_VIDEO_MODE) {
		guest_image_refuse(
			guest,
			"multiboot1 header requires video mode information (flags bit 2), which ptvisor cannot provide");
		return -1;
	}
	for (unsigned bit = 0; bit < 16; bit++) {
		if (unmet & BIT(bit)) {
			guest_image_refuse(guest, "multiboot1 header requires unsupported feature flags bit %u", bit);
			return -1;
		}
	}
	if (!(flags & MB1_FLAG_AOUT_KLUDGE))
		return 0;
	if (off + MB1_HDR_SIZE_AOUT > MIN(size, (size_t)MB1_HEADER_SEARCH)) {
		guest_image_refuse(guest,
				   "multiboot1 header at offset 0x%x: its address fields (flags bit 16) extend past %s",
				   off, size < MB1_HEADER_SEARCH ? "the end of the image" : "the first 8192 bytes");
		return -1;
	}
	img->mbh.has_addr = img->mbh.has_entry = true;
	img->mbh.header_addr = get_le32(h + MB1_HDR_HEADER_ADDR);
	img->mbh.load_addr = get_le32(h + MB1_HDR_LOAD_ADDR);
	img->mbh.load_end_addr = get_le32(h + MB1_HDR_LOAD_END_ADDR);
	img->mbh.bss_end_addr = get_le32(h + MB1_HDR_BSS_END_ADDR);
	img->mbh.entry_addr = get_le32(h + MB1_HDR_ENTRY_ADDR);
	return 0;
}

/* Every requested type must be one we provide, unless the request is optional. */
static int mb2_take_requests(const char *guest, const uint8_t *t, uint32_t tsize, uint32_t pos, bool optional,
			     struct guest_image *img)
{
	if ((tsize - MB2_HTAG_HDR) % 4) {
		guest_image_refuse(
			guest,
			"multiboot2 information request tag at offset 0x%x has size %u, not 8 plus a multiple of 4",
			pos, tsize);
		return -1;
	}
	for (uint32_t i = MB2_HTAG_HDR; i < tsize; i += 4) {
		uint32_t type = get_le32(t + i);

		if (type < 32 && (MB2_INFO_SUPPORTED & BIT(type))) {
			img->mbh.mb2_requests |= (uint32_t)BIT(type);
		} else if (!optional) {
			guest_image_refuse(
				guest,
				"multiboot2 header requires information tag type %u (%s), which ptvisor cannot provide",
				type, guest_mb2_info_name(type));
			return -1;
		}
	}
	return 0;
}

static int mb2_take_tag(const char *guest, const uint8_t *t, uint32_t pos, uint32_t tsize, struct guest_image *img)
{
	uint16_t type = get_le16(t + MB2_HTAG_TYPE);
	bool optional = get_le16(t + MB2_HTAG_FLAGS) & MB2_HTAG_OPTIONAL;

	if (type < ARRAY_SIZE(mb2_htag_min) && tsize < mb2_htag_min[type]) {
		guest_image_refuse(guest, "multiboot2 header tag type %u at offset 0x%x has size %u, needs %u", type,
				   pos, tsize, mb2_htag_min[type]);
		return -1;
	}
	switch (type) {
	case MB2_HTAG_INFO_REQUEST:
		return mb2_take_requests(guest, t, tsize, pos, optional, img);
	case MB2_HTAG_ADDRESS:
		img->mbh.has_addr = true;
		img->mbh.header_addr = get_le32(t + 8);
		img->mbh.load_addr = get_le32(t + 12);
		img->mbh.load_end_addr = get_le32(t + 16);
		img->mbh.bss_end_addr = get_le32(t + 20);
		return 0;
	case MB2_HTAG_ENTRY_ADDRESS:
		img->mbh.has_entry = true;
		img->mbh.entry_addr = get_le32(t + 8);
		return 0;
	case MB2_HTAG_CONSOLE_FLAGS:
		if (!optional && (get_le32(t + 8) & MB2_CONSOLE_REQUIRED)) {
			guest_image_refuse(
				guest,
				"multiboot2 header requires a console described in the boot information (flags tag), which ptvisor cannot provide");
			return -1;
		}
		return 0;
	case MB2_HTAG_FRAMEBUFFER:
		if (!optional) {
			guest_image_refuse(
				guest,
				"multiboot2 header requires a framebuffer (framebuffer tag), which ptvisor cannot provide");
			return -1;
		}
		return 0;
	/* Module alignment is moot without modules; the EFI tags only apply to a loader running on EFI. */
	case MB2_HTAG_MODULE_ALIGN:
	case MB2_HTAG_EFI_BS:
	case MB2_HTAG_ENTRY_ADDRESS_EFI32:
	case MB2_HTAG_ENTRY_ADDRESS_EFI64:
	/* Relocation is the loader's choice: the image runs where it was linked. */
	case MB2_HTAG_RELOCATABLE:
		return 0;
	default:
		if (!optional) {
			guest_image_refuse(guest, "multiboot2 header requires unsupported tag type %u (at offset 0x%x)",
					   type, pos);
			return -1;
		}
		return 0;
	}
}

static int mb2_parse(const char *guest, const uint8_t *d, size_t size, uint32_t off, struct guest_image *img)
{
	uint32_t arch = get_le32(d + off + MB2_HDR_ARCH), hlen = get_le32(d + off + MB2_HDR_LENGTH);
	size_t limit = MIN(size, (size_t)MB2_HEADER_SEARCH), pos, end;

	img->proto = BOOT_MULTIBOOT2;
	img->mbh.offset = off;
	if (arch != MB2_ARCH_I386) {
		guest_image_refuse(guest, "multiboot2 header architecture %u is not i386 (0)", arch);
		return -1;
	}
	if (hlen < MB2_HDR_FIXED + MB2_HTAG_HDR) {
		guest_image_refuse(guest, "multiboot2 header length 0x%x leaves no room for the end tag", hlen);
		return -1;
	}
	if (hlen > limit - off) {
		guest_image_refuse(guest, "multiboot2 header at offset 0x%x (length 0x%x) extends past %s", off, hlen,
				   size < MB2_HEADER_SEARCH ? "the end of the image" : "the first 32768 bytes");
		return -1;
	}
	end = off + hlen;
	/* Tags follow the magic fields, each padded to 8 bytes, up to a type 0 tag of size 8. */
	for (pos = off + MB2_HDR_FIXED; pos <= end && end - pos >= MB2_HTAG_HDR;
	     pos += ALIGN_UP(get_le32(d + pos + MB2_HTAG_SIZE), MB2_HTAG_ALIGN)) {
		uint32_t tsize = get_le32(d + pos + MB2_HTAG_SIZE);
		uint16_t type = get_le16(d + pos + MB2_HTAG_TYPE);

		if (tsize < MB2_HTAG_HDR || tsize > end - pos) {
			guest_image_refuse(
				guest, "multiboot2 header tag type %u at offset 0x%zx has size %u outside [8, 0x%zx]",
				type, pos, tsize, end - pos);
			return -1;
		}
		if (type == MB2_HTAG_END) {
			if (tsize == MB2_HTAG_HDR)
				return 0;
			guest_image_refuse(guest, "multiboot2 header end tag at offset 0x%zx has size %u, not 8", pos,
					   tsize);
			return -1;
		}
		if (mb2_take_tag(guest, d + pos, (uint32_t)pos, tsize, img))
			return -1;
	}
	guest_image_refuse(guest, "multiboot2 header at offset 0x%x has no end tag within its length 0x%x", off, hlen);
	return -1;
}

int guest_mbh_find(const char *guest, const uint8_t *data, size_t size, struct guest_image *img)
{
	struct mbh_scan s2, s1;

	mbh_scan(data, size, &mb2_kind, &s2);
	mbh_scan(data, size, &mb1_kind, &s1);
	if (s2.valid >= 0)
		return mb2_parse(guest, data, size, (uint32_t)s2.valid, img);
	if (s1.valid >= 0)
		return mb1_parse(guest, data, size, (uint32_t)s1.valid, img);
	if (s2.bad >= 0) {
		guest_image_refuse(guest,
				   "multiboot2 header at offset 0x%lx has a bad checksum (fields sum to 0x%x, not 0)",
				   s2.bad, s2.bad_sum);
		return -1;
	}
	if (s1.bad >= 0) {
		guest_image_refuse(guest,
				   "multiboot1 header at offset 0x%lx has a bad checksum (fields sum to 0x%x, not 0)",
				   s1.bad, s1.bad_sum);
		return -1;
	}
	if (s2.late >= 0) {
		guest_image_refuse(guest, "multiboot2 header at offset 0x%lx is not within the first 32768 bytes",
				   s2.late);
		return -1;
	}
	if (s1.late >= 0) {
		guest_image_refuse(guest, "multiboot1 header at offset 0x%lx is not within the first 8192 bytes",
				   s1.late);
		return -1;
	}
	guest_image_refuse(
		guest,
		"no multiboot header (neither multiboot2 in the first 32768 bytes nor multiboot1 in the first 8192)");
	return -1;
}

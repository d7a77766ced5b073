/* Guest image validation and loading: one multiboot header, ELF or address-field segments, safe placement. */
#include <stdarg.h>
#include "guest/image.h"
#include "guest/image_elf.h"
#include "guest/linux_boot.h"
#include "guest/mbheader.h"
#include "guest/multiboot.h"
#include "lib/format.h"
#include "lib/string.h"

static const char *const kind_names[] = {
	[IMAGE_ELF32] = "ELF32",
	[IMAGE_ELF64] = "ELF64",
	[IMAGE_FLAT] = "flat",
	[IMAGE_BZIMAGE] = "bzImage",
};

static const char *const proto_names[] = {
	[BOOT_MULTIBOOT1] = "multiboot1",
	[BOOT_MULTIBOOT2] = "multiboot2",
	[BOOT_LINUX] = "Linux boot protocol",
};

const char *guest_image_kind_name(enum image_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "?";
}

const char *guest_boot_proto_name(enum boot_proto proto)
{
	return (unsigned)proto < ARRAY_SIZE(proto_names) ? proto_names[proto] : "?";
}

void guest_image_refuse(const char *guest, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pr_err("guest %s: refused: %s\n", guest, why);
}

/* Names a segment in messages the way the user can find it in the file. */
static void seg_describe(char *buf, size_t size, const struct guest_seg *s)
{
	if (s->phdr >= 0)
		ptv_snprintf(buf, size, "ELF program header %d", s->phdr);
	else
		ptv_snprintf(buf, size, "the multiboot load range");
}

static bool spans_overlap(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* The segment must lie in guest RAM, clear of page 0 and the legacy hole; the boot information moves out of its way. */
static int seg_check_place(const char *guest, const struct guest_seg *s, uint64_t mem_size)
{
	char what[40];
	uint64_t end;

	seg_describe(what, sizeof(what), s);
	if (s->memsz > UINT64_MAX - s->gpa) {
		guest_image_refuse(guest, "%s: physical address 0x%lx + size 0x%lx overflows", what, s->gpa, s->memsz);
		return -1;
	}
	end = s->gpa + s->memsz;
	if (s->gpa < GUEST_LOAD_MIN) {
		guest_image_refuse(guest, "%s loads at 0x%lx, below 0x%x", what, s->gpa, GUEST_LOAD_MIN);
		return -1;
	}
	if (end > mem_size) {
		guest_image_refuse(guest, "%s [0x%lx, 0x%lx) extends past guest memory (0x%lx bytes)", what, s->gpa,
				   end, mem_size);
		return -1;
	}
	if (spans_overlap(s->gpa, end, GUEST_LEGACY_LO, GUEST_LEGACY_HI)) {
		guest_image_refuse(guest, "%s [0x%lx, 0x%lx) overlaps the reserved legacy region [0x%x, 0x%x)", what,
				   s->gpa, end, GUEST_LEGACY_LO, GUEST_LEGACY_HI);
		return -1;
	}
	return 0;
}

/*
 * The address fields say where the header itself goes, so the header's file
 * offset fixes the whole mapping (Multiboot "The address fields", 3.1.3).
 */
static int flat_make_seg(const char *guest, size_t size, struct guest_image *img)
{
	const struct guest_mbh *h = &img->mbh;
	uint64_t load = h->load_addr, delta, file_off, filesz, memsz;

	if (img->proto == BOOT_MULTIBOOT2 && h->load_addr == MB2_LOAD_FROM_START) {
		if (h->header_addr < h->offset) {
			guest_image_refuse(guest, "multiboot header_addr 0x%x is below the header's file offset 0x%x",
					   h->header_addr, h->offset);
			return -1;
		}
		load = h->header_addr - h->offset;
	}
	if (load > h->header_addr) {
		guest_image_refuse(guest, "multiboot load_addr 0x%lx is above header_addr 0x%x", load, h->header_addr);
		return -1;
	}
	delta = h->header_addr - load;
	if (delta > h->offset) {
		guest_image_refuse(guest,
				   "multiboot header_addr - load_addr (0x%lx) exceeds the header's file offset 0x%x",
				   delta, h->offset);
		return -1;
	}
	file_off = h->offset - delta;
	if (h->load_end_addr == 0) {
		filesz = size - file_off;
	} else if (h->load_end_addr <= load) {
		guest_image_refuse(guest, "multiboot load_end_addr 0x%x is not above load_addr 0x%lx", h->load_end_addr,
				   load);
		return -1;
	} else {
		filesz = h->load_end_addr - load;
	}
	if (filesz > size - file_off) {
		guest_image_refuse(guest,
				   "multiboot load range needs 0x%lx bytes from file offset 0x%lx, image has 0x%zx",
				   filesz, file_off, size);
		return -1;
	}
	memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < load + filesz) {
			guest_image_refuse(guest,
					   "multiboot bss_end_addr 0x%x is below the end of the loaded data 0x%lx",
					   h->bss_end_addr, load + filesz);
			return -1;
		}
		memsz = h->bss_end_addr - load;
	}
	img->kind = IMAGE_FLAT;
	img->nseg = 1;
	img->seg[0] = (struct guest_seg){ .file_off = file_off,
					  .filesz = filesz,
					  .gpa = load,
					  .memsz = memsz,
					  .vaddr = load,
					  .exec = true,
					  .phdr = -1 };
	return 0;
}

/*
 * A physical entry from the header must be inside a loaded executable
 * segment; an ELF e_entry is a link address, translated through the segment
 * that holds it, as GRUB does for higher-half kernels.
 */
static int image_find_entry(const char *guest, struct guest_image *img, uint64_t entry, bool physical)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct guest_seg *s = &img->seg[i];
		uint64_t base = physical ? s->gpa : s->vaddr;

		if (!s->exec || entry < base || entry - base >= s->memsz)
			continue;
		uint64_t pa = entry - base + s->gpa;
		if (pa > UINT32_MAX) {
			guest_image_refuse(guest, "entry point 0x%lx is above 4 GiB", pa);
			return -1;
		}
		img->entry = (uint32_t)pa;
		return 0;
	}
	guest_image_refuse(guest, "entry point 0x%lx is not inside a loaded executable segment", entry);
	return -1;
}

int guest_image_check(const char *guest, const void *data, size_t size, uint64_t mem_size, struct guest_image *img)
{
	const uint8_t *d = data;
	uint64_t entry = 0;
	bool physical = true;

	if (!guest)
		guest = "?";
	if (!img)
		return -1;
	memset(img, 0, sizeof(*img));
	if (!size) {
		guest_image_refuse(guest, "the image is empty");
		return -1;
	}
	if (!data) {
		guest_image_refuse(guest, "the image's memory cannot be mapped");
		return -1;
	}
	int lx = linux_image_check(guest, d, size, mem_size, img);
	if (lx)
		return lx > 0 ? 0 : -1;
	if (guest_mbh_find(guest, d, size, img))
		return -1;
	if (img->mbh.has_addr) {
		if (!img->mbh.has_entry) {
			guest_image_refuse(guest, "multiboot2 address tag without an entry address tag");
			return -1;
		}
		if (flat_make_seg(guest, size, img))
			return -1;
	} else if (guest_elf_parse(guest, d, size, img, &entry)) {
		return -1;
	} else {
		physical = false;
	}
	if (img->mbh.has_entry) {
		entry = img->mbh.entry_addr;
		physical = true;
	}
	img->load_lo = UINT64_MAX;
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct guest_seg *s = &img->seg[i];

		if (seg_check_place(guest, s, mem_size))
			return -1;
		img->load_lo = MIN(img->load_lo, s->gpa);
		img->load_hi = MAX(img->load_hi, s->gpa + s->memsz - 1);
	}
	return image_find_entry(guest, img, entry, physical);
}

int guest_image_load(const char *guest, const void *data, size_t size, const struct guest_image *img,
		     const struct guest_mem *gm)
{
	const uint8_t *d = data;

	if (!guest)
		guest = "?";
	if (!img || !data || img->nseg > GUEST_IMAGE_SEGS_MAX) {
		pr_err("guest %s: load failed: no checked image\n", guest);
		return -1;
	}
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct guest_seg *s = &img->seg[i];
		uint8_t *dst = guest_mem_ptr(gm, s->gpa, s->memsz);

		/* Checked before, but the caller could pass other bytes or memory: check again. */
		if (s->file_off > size || s->filesz > size - s->file_off || s->filesz > s->memsz || !dst) {
			pr_err("guest %s: load failed: segment %u (0x%lx bytes at 0x%lx) does not fit the image or guest memory\n",
			       guest, i, s->memsz, s->gpa);
			return -1;
		}
		memcpy(dst, d + s->file_off, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

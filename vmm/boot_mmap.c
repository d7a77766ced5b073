/* Builds the sorted memory map from the multiboot2 mmap tag or, failing that, the EFI map. */
#include "boot_mmap.h"

/* Multiboot2 Specification 3.6.8 "Memory map": {u64 base_addr, u64 length, u32 type, u32 reserved}. */
#define MB2_MMAP_ENTRY_MIN 24u
#define MB2_MMAP_FIXED     16u /* tag header, entry_size, entry_version */

/*
 * UEFI Specification 7.2 "EFI_BOOT_SERVICES.GetMemoryMap()": EFI_MEMORY_DESCRIPTOR
 * is {u32 Type, u32 pad, u64 PhysicalStart, u64 VirtualStart, u64 NumberOfPages,
 * u64 Attribute}; the map's DescriptorSize may be larger, so it is the stride.
 */
#define EFI_DESC_MIN   40u
#define EFI_PAGE_SHIFT 12

enum efi_memory_type {
	EFI_RESERVED_MEMORY_TYPE = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
	EFI_MEMORY_MAPPED_IO = 11,
	EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
};

uint32_t boot_mmap_convert_efi_type(uint32_t efi_type)
{
	switch (efi_type) {
	/* Once boot services have exited, loader and boot-services memory is free (UEFI 7.2). */
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MEM_USABLE;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MEM_ACPI_RECLAIMABLE;
	case EFI_ACPI_MEMORY_NVS:
		return MEM_ACPI_NVS;
	case EFI_RUNTIME_SERVICES_CODE:
	case EFI_RUNTIME_SERVICES_DATA:
		return MEM_FIRMWARE;
	case EFI_MEMORY_MAPPED_IO:
	case EFI_MEMORY_MAPPED_IO_PORT_SPACE:
		return MEM_MMIO;
	case EFI_UNUSABLE_MEMORY:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

/* Zero-length ranges carry nothing; a range past 2^64 cannot be represented. */
static bool range_acceptable(struct boot_info *bi, const struct mb2_tag *t, unsigned idx, uint64_t base, uint64_t len)
{
	if (len == 0) {
		pr_dbg("multiboot2: %s entry %u at 0x%lx has zero length, dropped\n", t->name, idx, base);
		return false;
	}
	if (len > UINT64_MAX - base) {
		TAG_PROBLEM(bi, t, "entry %u base 0x%lx length 0x%lx runs past 2^64, dropped\n", idx, base, len);
		return false;
	}
	return true;
}

/* Insertion sort by base: at most BOOT_MMAP_MAX entries, and no recursion. */
static void mmap_sort(struct boot_info *bi)
{
	for (unsigned i = 1; i < bi->mmap_count; i++) {
		struct mem_range r = bi->mmap[i];
		unsigned j = i;

		while (j > 0 && (bi->mmap[j - 1].base > r.base ||
				 (bi->mmap[j - 1].base == r.base && bi->mmap[j - 1].len > r.len))) {
			bi->mmap[j] = bi->mmap[j - 1];
			j--;
		}
		bi->mmap[j] = r;
	}
}

/* Overlaps are kept (we cannot tell which side is right) but reported. */
static void mmap_report_overlaps(struct boot_info *bi)
{
	unsigned widest = 0;

	for (unsigned i = 1; i < bi->mmap_count; i++) {
		const struct mem_range *a = &bi->mmap[widest], *b = &bi->mmap[i];

		if (b->base < a->base + a->len)
			BOOT_PROBLEM(bi, "memory map ranges overlap: [0x%lx-0x%lx) %s and [0x%lx-0x%lx) %s\n", a->base,
				     a->base + a->len, mem_type_name(a->type), b->base, b->base + b->len,
				     mem_type_name(b->type));
		if (b->base + b->len > a->base + a->len)
			widest = i;
	}
}

bool boot_mmap_parse_mb2(struct boot_info *bi, const struct mb2_tag *t)
{
	uint32_t esize = get_le32(t->p + 8);
	unsigned n, dropped = 0;

	bi->mmap_count = 0;
	if (esize < MB2_MMAP_ENTRY_MIN || esize % 8) {
		TAG_PROBLEM(bi, t, "entry_size %u is not a multiple of 8 that is at least %u, map ignored\n", esize,
			    MB2_MMAP_ENTRY_MIN);
		return false;
	}
	n = (t->size - MB2_MMAP_FIXED) / esize;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = t->p + MB2_MMAP_FIXED + (size_t)i * esize;
		uint64_t base = get_le64(e), len = get_le64(e + 8);
		uint32_t type = get_le32(e + 16);

		if (!range_acceptable(bi, t, i, base, len))
			continue;
		if (bi->mmap_count == BOOT_MMAP_MAX) {
			dropped++;
			continue;
		}
		/* Multiboot2 3.6.8: types other than 1-5 are reserved; treat them so. */
		if (type < MEM_USABLE || type > MEM_BAD) {
			pr_dbg("multiboot2: memory map entry %u has type %u, taken as reserved\n", i, type);
			type = MEM_RESERVED;
		}
		bi->mmap[bi->mmap_count++] = (struct mem_range){ base, len, type };
	}
	if (dropped)
		TAG_PROBLEM(bi, t, "%u more ranges than the %u kept, dropped\n", dropped, BOOT_MMAP_MAX);
	mmap_sort(bi);
	mmap_report_overlaps(bi);
	return true;
}

void boot_mmap_count_efi(struct boot_info *bi, const struct mb2_tag *t)
{
	uint32_t dsize = get_le32(t->p + 8);

	if (dsize < EFI_DESC_MIN || dsize % 8) {
		TAG_PROBLEM(bi, t, "descriptor_size %u is not a multiple of 8 that is at least %u, map ignored\n",
			    dsize, EFI_DESC_MIN);
		bi->efi_mmap_count = 0;
		return;
	}
	bi->efi_mmap_count = (t->size - MB2_MMAP_FIXED) / dsize;
}

/* Grows an existing range of the same type that touches [base, base+len), if any. */
static bool mmap_merge_into(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	for (unsigned i = 0; i < bi->mmap_count; i++) {
		struct mem_range *r = &bi->mmap[i];

		if (r->type != type)
			continue;
		if (r->base + r->len == base) {
			r->len += len;
			return true;
		}
		if (base + len == r->base) {
			r->base = base;
			r->len += len;
			return true;
		}
	}
	return false;
}

/* After sorting, chains that met out of order are joined. */
static void mmap_merge_sorted(struct boot_info *bi)
{
	unsigned w = 0;

	for (unsigned i = 0; i < bi->mmap_count; i++) {
		struct mem_range *prev = w ? &bi->mmap[w - 1] : NULL;

		if (prev && prev->type == bi->mmap[i].type && prev->base + prev->len == bi->mmap[i].base)
			prev->len += bi->mmap[i].len;
		else
			bi->mmap[w++] = bi->mmap[i];
	}
	bi->mmap_count = w;
}

void boot_mmap_parse_efi(struct boot_info *bi, const struct mb2_tag *t)
{
	uint32_t dsize = get_le32(t->p + 8);
	unsigned dropped = 0;

	bi->mmap_count = 0;
	if (!bi->efi_mmap_count)
		return; /* boot_mmap_count_efi() already reported why */
	bi->mmap_from_efi = true;
	for (unsigned i = 0; i < bi->efi_mmap_count; i++) {
		const uint8_t *d = t->p + MB2_MMAP_FIXED + (size_t)i * dsize;
		uint32_t type = boot_mmap_convert_efi_type(get_le32(d));
		uint64_t base = get_le64(d + 8), pages = get_le64(d + 24);

		if (pages > (UINT64_MAX >> EFI_PAGE_SHIFT)) {
			TAG_PROBLEM(bi, t, "descriptor %u at 0x%lx has %lu pages, beyond 2^64, dropped\n", i, base,
				    pages);
			continue;
		}
		if (!range_acceptable(bi, t, i, base, pages << EFI_PAGE_SHIFT))
			continue;
		if (mmap_merge_into(bi, base, pages << EFI_PAGE_SHIFT, type))
			continue;
		if (bi->mmap_count == BOOT_MMAP_MAX) {
			dropped++;
			continue;
		}
		bi->mmap[bi->mmap_count++] = (struct mem_range){ base, pages << EFI_PAGE_SHIFT, type };
	}
	if (dropped)
		TAG_PROBLEM(bi, t, "%u more ranges than the %u kept, dropped\n", dropped, BOOT_MMAP_MAX);
	mmap_sort(bi);
	mmap_merge_sorted(bi);
	mmap_report_overlaps(bi);
}

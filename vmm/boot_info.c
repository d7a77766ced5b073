/* Parses the multiboot2 boot information block into struct boot_info, trusting nothing in it. */
#include "boot_info.h"
#include "boot_fb.h"
#include "boot_mmap.h"
#include "boot_parse.h"

/* ACPI Specification 5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
#define RSDP_REVISION_OFF 15
#define RSDP_V1_LEN       20
#define RSDP_V2_LEN       36

/* Module addresses below this are in the null page: no loader puts a module there. */
#define MODULE_MIN_ADDR 0x1000u

struct mb2_walk {
	struct boot_info *bi;
	struct mb2_tag mmap_tag, efi_mmap_tag;
	bool have_mmap, have_efi_mmap;
	bool rsdp_from_new;
};

typedef void (*mb2_tag_handler)(struct mb2_walk *w, const struct mb2_tag *t);

struct mb2_tag_kind {
	const char *name;
	uint32_t min_size;      /* header plus the fixed fields the handler reads */
	mb2_tag_handler handle; /* NULL: known but not needed, skipped */
};

/*
 * Copies a string that starts `off` bytes into the tag; the loader promises
 * NUL termination (Multiboot2 3.6.3) but the copy never relies on it.
 */
static void tag_copy_string(struct boot_info *bi, const struct mb2_tag *t, uint32_t off, char *dst, size_t dst_size)
{
	const char *s = (const char *)t->p + off;
	size_t room = t->size - off, len = strnlen(s, room);

	if (len == room)
		TAG_PROBLEM(bi, t, "string is not NUL-terminated within the tag, truncated\n");
	if (len >= dst_size) {
		TAG_PROBLEM(bi, t, "string of %zu bytes longer than %zu, truncated\n", len, dst_size - 1);
		len = dst_size - 1;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void tag_cmdline(struct mb2_walk *w, const struct mb2_tag *t)
{
	tag_copy_string(w->bi, t, MB2_TAG_HDR_SIZE, w->bi->cmdline, sizeof(w->bi->cmdline));
}

static void tag_loader_name(struct mb2_walk *w, const struct mb2_tag *t)
{
	tag_copy_string(w->bi, t, MB2_TAG_HDR_SIZE, w->bi->loader_name, sizeof(w->bi->loader_name));
}

/* Multiboot2 3.6.6 "Modules": {u32 mod_start, u32 mod_end, string}; mod_end is exclusive. */
static void tag_module(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	uint32_t start = get_le32(t->p + 8), end = get_le32(t->p + 12);
	char name[BOOT_MODCMD_MAX];

	tag_copy_string(bi, t, 16, name, sizeof(name));
	if (end < start) {
		TAG_PROBLEM(bi, t, "module '%s' ends at 0x%x before it starts at 0x%x, refused\n", name, end, start);
		return;
	}
	/* GRUB gives an empty file start = end = 0: no byte to read there, so no null page to fear. */
	if (start < MODULE_MIN_ADDR && end != start) {
		TAG_PROBLEM(bi, t, "module '%s' starts at 0x%x in the null page, refused\n", name, start);
		return;
	}
	if (bi->module_count == BOOT_MODULES_MAX) {
		TAG_PROBLEM(bi, t, "module '%s' dropped: only %u modules are kept\n", name, BOOT_MODULES_MAX);
		return;
	}
	struct boot_module *m = &bi->modules[bi->module_count++];
	m->start = start;
	m->end = end;
	/* Only the string: the rest of name is stack bytes, and the result must not depend on them. */
	memcpy(m->cmdline, name, strlen(name) + 1);
}

static void tag_meminfo(struct mb2_walk *w, const struct mb2_tag *t)
{
	w->bi->mem_lower_kb = get_le32(t->p + 8);
	w->bi->mem_upper_kb = get_le32(t->p + 12);
}

/* Both maps are parsed after the walk: the multiboot2 one wins wherever it sits. */
static void tag_mmap(struct mb2_walk *w, const struct mb2_tag *t)
{
	w->mmap_tag = *t;
	w->have_mmap = true;
}

static void tag_efi_mmap(struct mb2_walk *w, const struct mb2_tag *t)
{
	w->efi_mmap_tag = *t;
	w->have_efi_mmap = true;
}

static void tag_framebuffer(struct mb2_walk *w, const struct mb2_tag *t)
{
	boot_fb_parse(w->bi, t);
}

/* Multiboot2 3.6.14/3.6.15: EFI 32-bit and 64-bit system table pointers. */
static void tag_efi_system_table(struct mb2_walk *w, const struct mb2_tag *t)
{
	w->bi->efi_booted = true;
	w->bi->efi_system_table = t->type == MB2_TAG_EFI64 ? get_le64(t->p + 8) : get_le32(t->p + 8);
}

/* A v2 RSDP (revision >= 2) is 36 bytes; an older one is 20. The new-RSDP tag wins. */
static void tag_acpi(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	const uint8_t *r = t->p + MB2_TAG_HDR_SIZE;
	uint32_t have = t->size - MB2_TAG_HDR_SIZE;
	unsigned rev = r[RSDP_REVISION_OFF];
	uint32_t need = rev >= 2 ? RSDP_V2_LEN : RSDP_V1_LEN;
	bool is_new = t->type == MB2_TAG_ACPI_NEW;

	if (have < need) {
		TAG_PROBLEM(bi, t, "RSDP copy of %u bytes too short for revision %u (%u needed), dropped\n", have, rev,
			    need);
		return;
	}
	if (!is_new && w->rsdp_from_new) {
		pr_dbg("multiboot2: old RSDP copy ignored, a new one is present\n");
		return;
	}
	memset(bi->rsdp, 0, sizeof(bi->rsdp));
	memcpy(bi->rsdp, r, need);
	bi->rsdp_len = need;
	bi->rsdp_revision = rev;
	w->rsdp_from_new = is_new;
}

static void tag_efi_bs(struct mb2_walk *w, const struct mb2_tag *t)
{
	(void)t;
	w->bi->efi_boot_services = true;
	pr_warn("multiboot2: the loader left EFI boot services running\n");
}

static void tag_load_base(struct mb2_walk *w, const struct mb2_tag *t)
{
	w->bi->load_base_addr = get_le32(t->p + 8);
}

/* Indexed by tag type; sizes from Multiboot2 section 3.6. */
static const struct mb2_tag_kind tag_kinds[] = {
	[MB2_TAG_END] = { "end", 8, NULL },
	[MB2_TAG_CMDLINE] = { "cmdline", 8, tag_cmdline },
	[MB2_TAG_LOADER_NAME] = { "boot loader name", 8, tag_loader_name },
	[MB2_TAG_MODULE] = { "module", 16, tag_module },
	[MB2_TAG_BASIC_MEMINFO] = { "basic meminfo", 16, tag_meminfo },
	[MB2_TAG_BOOTDEV] = { "boot device", 8, NULL },
	[MB2_TAG_MMAP] = { "memory map", 16, tag_mmap },
	[MB2_TAG_VBE] = { "VBE info", 8, NULL },
	[MB2_TAG_FRAMEBUFFER] = { "framebuffer", 32, tag_framebuffer },
	[MB2_TAG_ELF_SECTIONS] = { "ELF sections", 8, NULL },
	[MB2_TAG_APM] = { "APM table", 8, NULL },
	[MB2_TAG_EFI32] = { "EFI32 system table", 12, tag_efi_system_table },
	[MB2_TAG_EFI64] = { "EFI64 system table", 16, tag_efi_system_table },
	[MB2_TAG_SMBIOS] = { "SMBIOS tables", 8, NULL },
	[MB2_TAG_ACPI_OLD] = { "ACPI old RSDP", 8 + RSDP_V1_LEN, tag_acpi },
	[MB2_TAG_ACPI_NEW] = { "ACPI new RSDP", 8 + RSDP_V1_LEN, tag_acpi },
	[MB2_TAG_NETWORK] = { "network info", 8, NULL },
	[MB2_TAG_EFI_MMAP] = { "EFI memory map", 16, tag_efi_mmap },
	[MB2_TAG_EFI_BS] = { "EFI boot services not terminated", 8, tag_efi_bs },
	[MB2_TAG_EFI32_IH] = { "EFI32 image handle", 12, NULL },
	[MB2_TAG_EFI64_IH] = { "EFI64 image handle", 16, NULL },
	[MB2_TAG_LOAD_BASE_ADDR] = { "load base address", 12, tag_load_base },
};

static const struct mb2_tag_kind unknown_kind = { "unknown", 8, NULL };

static const struct mb2_tag_kind *tag_kind_of(uint32_t type)
{
	return type < ARRAY_SIZE(tag_kinds) ? &tag_kinds[type] : &unknown_kind;
}

/*
 * Walks the 8-byte-aligned tags after the fixed header (Multiboot2 3.6.1).
 * Once one tag's size is wrong no later offset can be trusted, so it stops.
 */
static void mb2_walk_tags(struct mb2_walk *w, const uint8_t *info, uint32_t total)
{
	struct boot_info *bi = w->bi;
	uint64_t off = MB2_INFO_HDR_SIZE;

	while (total - off >= MB2_TAG_HDR_SIZE) {
		struct mb2_tag t = { info + off, get_le32(info + off), get_le32(info + off + 4), (uint32_t)off, NULL };
		const struct mb2_tag_kind *k = tag_kind_of(t.type);

		t.name = k->name;
		if (t.size < MB2_TAG_HDR_SIZE) {
			TAG_PROBLEM(bi, &t, "size %u below the 8-byte tag header, parsing stopped\n", t.size);
			return;
		}
		if (t.size > total - off) {
			TAG_PROBLEM(bi, &t, "size %u runs past total_size %u, parsing stopped\n", t.size, total);
			return;
		}
		if (t.type == MB2_TAG_END)
			return;
		if (t.size < k->min_size) {
			TAG_PROBLEM(bi, &t, "size %u smaller than its fixed fields (%u), parsing stopped\n", t.size,
				    k->min_size);
			return;
		}
		if (k->handle)
			k->handle(w, &t);
		else
			pr_dbg("multiboot2: tag %u (%s) at offset %u skipped\n", t.type, t.name, t.off);
		off += ALIGN_UP((uint64_t)t.size, MB2_TAG_ALIGN);
		if (off > total)
			break;
	}
	BOOT_PROBLEM(bi, "no end tag before total_size %u\n", total);
}

/* The multiboot2 map is preferred; the EFI map stands in when it is missing or unusable. */
static void mb2_finish_mmap(struct mb2_walk *w)
{
	bool have_map = false;

	if (w->have_efi_mmap)
		boot_mmap_count_efi(w->bi, &w->efi_mmap_tag);
	if (w->have_mmap)
		have_map = boot_mmap_parse_mb2(w->bi, &w->mmap_tag);
	if (!have_map && w->have_efi_mmap)
		boot_mmap_parse_efi(w->bi, &w->efi_mmap_tag);
}

/* Reports why the whole block is refused; `out` stays the zeroed safe result. */
#define REFUSE(out, fmt, ...)                              \
	do {                                               \
		pr_err("multiboot2: " fmt, ##__VA_ARGS__); \
		(out)->problems = 1;                       \
		return -1;                                 \
	} while (0)

int boot_info_parse(uint32_t magic, const void *mbi, size_t avail, paddr_t mbi_phys, struct boot_info *out)
{
	struct mb2_walk w;
	uint32_t total;

	if (!out) {
		pr_err("multiboot2: nowhere to store the boot info\n");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (magic != MB2_BOOTLOADER_MAGIC)
		REFUSE(out, "bad magic 0x%x (expected 0x%x): not started by a multiboot2 loader\n", magic,
		       MB2_BOOTLOADER_MAGIC);
	if (!mbi)
		REFUSE(out, "no boot information (null pointer)\n");
	if (avail < MB2_INFO_HDR_SIZE)
		REFUSE(out, "only %zu bytes readable, less than the 8-byte header\n", avail);
	total = get_le32(mbi);
	if (total < MB2_INFO_HDR_SIZE + MB2_TAG_HDR_SIZE)
		REFUSE(out, "total_size %u too small (at least 16)\n", total);
	if (total > BOOT_INFO_MAX_SIZE)
		REFUSE(out, "total_size %u above the %u-byte limit\n", total, BOOT_INFO_MAX_SIZE);
	if (total > avail)
		REFUSE(out, "total_size %u larger than the %zu bytes readable\n", total, avail);

	out->magic = magic;
	out->info_addr = mbi_phys;
	out->info_size = total;
	memset(&w, 0, sizeof(w));
	w.bi = out;
	mb2_walk_tags(&w, mbi, total);
	mb2_finish_mmap(&w);
	pr_dbg("multiboot2: %u bytes parsed, %u problems\n", total, out->problems);
	return 0;
}

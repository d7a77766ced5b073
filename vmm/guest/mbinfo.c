/* Builds the guest's multiboot1 or multiboot2 boot information: memory facts, command line, modules, loader name. */
#include "guest/mbinfo.h"
#include "lib/bytes.h"
#include "guest/multiboot.h"
#include "boot_info.h"
#include "boot_parse.h"
#include "lib/string.h"

/* The guest's memory map: RAM, the legacy hole, RAM above 1 MiB. */
#define GUEST_MMAP_MAX 3

struct guest_mmap_entry {
	uint64_t base, len;
	uint32_t type;
};

/* The fixed parts of either protocol's information with the longest command line, with room to spare. */
#define MBINFO_FIXED_MAX 1024u
/* Per module at most: an mb1 entry or an mb2 tag header (16 bytes), tag padding (7), the string's NUL (1). */
#define MBINFO_MOD_MAX 24u

/* A bump allocator over the info area; everything placed is 8-byte aligned unless asked otherwise. */
struct info_buf {
	uint8_t *p;
	uint32_t base; /* the area's GPA */
	uint32_t pos, cap;
	bool failed;
};

static uint8_t *info_take(struct info_buf *b, uint32_t len, uint32_t align)
{
	uint32_t at = (uint32_t)ALIGN_UP(b->pos, align);

	if (b->failed || at > b->cap || len > b->cap - at) {
		b->failed = true;
		return NULL;
	}
	b->pos = at + len;
	return b->p + at;
}

static uint32_t info_gpa(const struct info_buf *b, const uint8_t *at)
{
	return b->base + (uint32_t)(at - b->p);
}

static unsigned guest_mmap_build(uint64_t mem_size, struct guest_mmap_entry *e)
{
	unsigned n = 0;

	if (mem_size)
		e[n++] = (struct guest_mmap_entry){ 0, MIN(mem_size, GUEST_LEGACY_LO), MB_MEMORY_AVAILABLE };
	if (mem_size > GUEST_LEGACY_LO)
		e[n++] = (struct guest_mmap_entry){ GUEST_LEGACY_LO, MIN(mem_size, GUEST_LEGACY_HI) - GUEST_LEGACY_LO,
						    MB_MEMORY_RESERVED };
	if (mem_size > GUEST_LEGACY_HI)
		e[n++] = (struct guest_mmap_entry){ GUEST_LEGACY_HI, mem_size - GUEST_LEGACY_HI, MB_MEMORY_AVAILABLE };
	return n;
}

/* mem_lower and mem_upper in KiB: conventional memory, and memory from 1 MiB to the first hole. */
static void guest_mem_kib(uint64_t mem_size, uint32_t *lower, uint32_t *upper)
{
	uint64_t up = mem_size > GUEST_LEGACY_HI ? (mem_size - GUEST_LEGACY_HI) >> 10 : 0;

	*lower = (uint32_t)(MIN(mem_size, GUEST_LEGACY_LO) >> 10);
	*upper = (uint32_t)MIN(up, UINT32_MAX);
}

/* Copies a string into the area; returns its GPA, or 0 when it does not fit. */
static uint32_t info_put_string(struct info_buf *b, const char *s, size_t max)
{
	uint32_t len = (uint32_t)strnlen(s, max);
	uint8_t *p = info_take(b, len + 1, 1);

	if (!p)
		return 0;
	memcpy(p, s, len);
	p[len] = '\0';
	return info_gpa(b, p);
}

/* Multiboot "Boot information format" (3.3): a flags word says which fields are valid. */
static uint32_t mbinfo_build_mb1(struct info_buf *b, const struct guest_config *c, uint64_t mem_size,
				 const struct guest_layout *l)
{
	struct guest_mmap_entry map[GUEST_MMAP_MAX];
	unsigned n = guest_mmap_build(mem_size, map);
	uint8_t *info = info_take(b, MB1_INFO_SIZE, 8);
	uint8_t *mmap = info_take(b, n * MB1_MMAP_ENTRY_SIZE, 8);
	uint8_t *mods = info_take(b, l->nmods * MB1_MOD_ENTRY_SIZE, 8);
	uint32_t cmdline = info_put_string(b, c->guest_cmdline, sizeof(c->guest_cmdline) - 1);
	uint32_t name = info_put_string(b, GUEST_LOADER_NAME, sizeof(GUEST_LOADER_NAME));
	uint32_t flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MEM_MAP | MB1_INFO_BOOT_LOADER_NAME;
	uint32_t lower, upper;

	/* "Boot information format" (3.3), mods_addr: {mod_start, mod_end, string, reserved} per module. */
	for (unsigned i = 0; i < l->nmods && !b->failed; i++) {
		const struct guest_module *m = &l->mod[i];
		uint8_t *e = mods + i * MB1_MOD_ENTRY_SIZE;

		put_le32(e + MB1_MOD_START, (uint32_t)m->gpa);
		put_le32(e + MB1_MOD_END, (uint32_t)(m->gpa + m->size));
		put_le32(e + MB1_MOD_STRING, info_put_string(b, m->string, GUEST_MOD_STRING_SIZE - 1));
	}
	if (b->failed)
		return 0;
	if (l->nmods) {
		flags |= MB1_INFO_MODS;
		put_le32(info + MB1_INFO_MODS_COUNT, l->nmods);
		put_le32(info + MB1_INFO_MODS_ADDR, info_gpa(b, mods));
	}
	guest_mem_kib(mem_size, &lower, &upper);
	/* Each entry's size field counts the bytes after it, so a reader steps by size + 4. */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = mmap + i * MB1_MMAP_ENTRY_SIZE;

		put_le32(e + MB1_MMAP_SIZE, MB1_MMAP_ENTRY_SIZE - 4);
		put_le64(e + MB1_MMAP_BASE, map[i].base);
		put_le64(e + MB1_MMAP_LENGTH, map[i].len);
		put_le32(e + MB1_MMAP_TYPE, map[i].type);
	}
	put_le32(info + MB1_INFO_FLAGS, flags);
	put_le32(info + MB1_INFO_MEM_LOWER, lower);
	put_le32(info + MB1_INFO_MEM_UPPER, upper);
	put_le32(info + MB1_INFO_CMDLINE_ADDR, cmdline);
	put_le32(info + MB1_INFO_MMAP_LENGTH, n * MB1_MMAP_ENTRY_SIZE);
	put_le32(info + MB1_INFO_MMAP_ADDR, info_gpa(b, mmap));
	put_le32(info + MB1_INFO_LOADER_NAME, name);
	return info_gpa(b, info);
}

/* One multiboot2 tag: {u32 type, u32 size}, 8-byte aligned; size excludes the padding. */
static uint8_t *mb2_put_tag(struct info_buf *b, uint32_t type, uint32_t size)
{
	uint8_t *t = info_take(b, size, MB2_TAG_ALIGN);

	if (t) {
		put_le32(t, type);
		put_le32(t + 4, size);
	}
	return t;
}

static void mb2_put_string_tag(struct info_buf *b, uint32_t type, const char *s, size_t max)
{
	uint32_t len = (uint32_t)strnlen(s, max);
	uint8_t *t = mb2_put_tag(b, type, MB2_TAG_HDR_SIZE + len + 1);

	if (t) {
		memcpy(t + MB2_TAG_HDR_SIZE, s, len);
		t[MB2_TAG_HDR_SIZE + len] = '\0';
	}
}

/* Multiboot2 "Boot information format": a fixed header, then tags up to an end tag. */
static uint32_t mbinfo_build_mb2(struct info_buf *b, const struct guest_config *c, uint64_t mem_size,
				 const struct guest_layout *l)
{
	struct guest_mmap_entry map[GUEST_MMAP_MAX];
	unsigned n = guest_mmap_build(mem_size, map);
	uint8_t *hdr = info_take(b, MB2_INFO_HDR_SIZE, MB2_TAG_ALIGN), *t;
	uint32_t lower, upper;

	mb2_put_string_tag(b, MB2_TAG_CMDLINE, c->guest_cmdline, sizeof(c->guest_cmdline) - 1);
	mb2_put_string_tag(b, MB2_TAG_LOADER_NAME, GUEST_LOADER_NAME, sizeof(GUEST_LOADER_NAME));
	/* "Modules" (3.6.6): one tag per module, its string after mod_start and mod_end. */
	for (unsigned i = 0; i < l->nmods; i++) {
		const struct guest_module *m = &l->mod[i];
		uint32_t len = (uint32_t)strnlen(m->string, GUEST_MOD_STRING_SIZE - 1);

		t = mb2_put_tag(b, MB2_TAG_MODULE, MB2_MOD_TAG_FIXED + len + 1);
		if (!t)
			break;
		put_le32(t + MB2_MOD_START, (uint32_t)m->gpa);
		put_le32(t + MB2_MOD_END, (uint32_t)(m->gpa + m->size));
		memcpy(t + MB2_MOD_STRING, m->string, len);
		t[MB2_MOD_STRING + len] = '\0';
	}
	t = mb2_put_tag(b, MB2_TAG_BASIC_MEMINFO, 16);
	if (t) {
		guest_mem_kib(mem_size, &lower, &upper);
		put_le32(t + 8, lower);
		put_le32(t + 12, upper);
	}
	t = mb2_put_tag(b, MB2_TAG_MMAP, 16 + n * MB2_MMAP_ENTRY_SIZE);
	if (t) {
		put_le32(t + 8, MB2_MMAP_ENTRY_SIZE);
		put_le32(t + 12, MB2_MMAP_ENTRY_VERSION);
		for (unsigned i = 0; i < n; i++) {
			uint8_t *e = t + 16 + i * MB2_MMAP_ENTRY_SIZE;

			put_le64(e, map[i].base);
			put_le64(e + 8, map[i].len);
			put_le32(e + 16, map[i].type);
			put_le32(e + 20, 0);
		}
	}
	mb2_put_tag(b, MB2_TAG_END, MB2_TAG_HDR_SIZE);
	if (b->failed)
		return 0;
	put_le32(hdr, b->pos - (uint32_t)(hdr - b->p));
	put_le32(hdr + 4, 0);
	return info_gpa(b, hdr);
}

uint64_t guest_mbinfo_size_max(const struct guest_layout *l)
{
	uint64_t size = MBINFO_FIXED_MAX;

	for (unsigned i = 0; l && i < l->nmods && i < GUEST_MODS_MAX; i++)
		size += MBINFO_MOD_MAX + strnlen(l->mod[i].string, GUEST_MOD_STRING_SIZE - 1);
	return size;
}

uint32_t guest_mbinfo_build(const struct guest_image *img, const struct guest_config *c, const struct guest_mem *gm,
			    const struct guest_layout *l)
{
	struct info_buf b = { 0 };

	if (!img || !c || !gm || !l || l->nmods > GUEST_MODS_MAX)
		return 0;
	/* The information and everything it points to stay below 4 GiB: its addresses are 32-bit. */
	if (l->info_size > UINT32_MAX || l->info_gpa > UINT32_MAX - l->info_size || gm->size > UINT32_MAX)
		return 0;
	for (unsigned i = 0; i < l->nmods; i++)
		if (!guest_mem_ptr(gm, l->mod[i].gpa, l->mod[i].size) || !l->mod[i].string)
			return 0;
	b.base = (uint32_t)l->info_gpa;
	b.cap = (uint32_t)l->info_size;
	b.p = guest_mem_ptr(gm, b.base, b.cap);
	if (!b.p || !b.cap)
		return 0;
	/* The layout keeps the image and the modules out of this area, so clearing it destroys nothing. */
	memset(b.p, 0, b.cap);
	switch (img->proto) {
	case BOOT_MULTIBOOT1:
		return mbinfo_build_mb1(&b, c, gm->size, l);
	case BOOT_MULTIBOOT2:
		return mbinfo_build_mb2(&b, c, gm->size, l);
	default:
		return 0;
	}
}

uint32_t guest_mbinfo_magic(const struct guest_image *img)
{
	return img && img->proto == BOOT_MULTIBOOT2 ? MB2_BOOTLOADER_MAGIC : MB1_BOOTLOADER_MAGIC;
}

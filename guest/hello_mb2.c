/* hello: checks the multiboot2 information (Multiboot2 spec 3.6 "Boot information format"). */
#include "serial.h"
#include "test.h"
#include "multiboot.h"
#include "hello.h"

#define MB2_TAG_ALIGN      8
#define MB2_INFO_MAX       (64u * 1024)
#define MB2_MMAP_ENTRY_MIN 24

/* Walks every tag: sizes sane, 8-byte aligned steps, the end tag exactly at total_size. */
static bool mb2_check_structure(uint32_t info)
{
	const struct mb2_info *hdr = (const struct mb2_info *)info;
	uint32_t off = sizeof(*hdr), tags = 0;

	if (!check(hdr->total_size >= 16 && hdr->total_size <= MB2_INFO_MAX, "info total_size %u is sane",
		   hdr->total_size))
		return false;
	while (off + sizeof(struct mb2_tag) <= hdr->total_size) {
		const struct mb2_tag *tag = (const struct mb2_tag *)(info + off);

		if (tag->size < sizeof(*tag) || tag->size > hdr->total_size - off)
			break;
		tags++;
		if (tag->type == MB2_TAG_END)
			return check(tag->size == 8 && off + 8 == hdr->total_size,
				     "%u tags, end tag of size 8 at total_size", tags);
		off += (uint32_t)ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	return check(false, "tag list ends with an end tag (stopped at offset %u)", off);
}

static void mb2_check_mmap(uint32_t info, const struct hello_env *env)
{
	const struct mb2_tag_mmap *mm = (const struct mb2_tag_mmap *)mb2_find_tag(info, MB2_TAG_MMAP);
	const struct mb2_tag_meminfo *mi = (const struct mb2_tag_meminfo *)mb2_find_tag(info, MB2_TAG_MEMINFO);
	struct hello_mmap m = { 0 };

	if (!check(mm != NULL, "memory map tag (type 6) present"))
		return;
	if (!check(mm->entry_size >= MB2_MMAP_ENTRY_MIN && mm->entry_size % 8 == 0 && mm->entry_version == 0,
		   "memory map entry_size %u, entry_version %u", mm->entry_size, mm->entry_version))
		return;
	for (uint32_t off = sizeof(*mm); off + mm->entry_size <= mm->tag.size; off += mm->entry_size) {
		const struct mb2_mmap_entry *e = (const struct mb2_mmap_entry *)((uint32_t)mm + off);

		serial_printf("  mmap 0x%016llx-0x%016llx type %u\n", (unsigned long long)e->base_addr,
			      (unsigned long long)(e->base_addr + e->length), e->type);
		hello_mmap_add(&m, e->base_addr, e->length, e->type);
	}
	hello_check_mmap(&m, env, mi != NULL, mi ? mi->mem_lower : 0, mi ? mi->mem_upper : 0);
}

void hello_check_mb2(uint32_t magic, uint32_t info, const struct hello_env *env)
{
	const struct mb2_tag *tag;

	check_eq(magic, MB2_BOOT_MAGIC, "multiboot2 magic in EAX");
	if (!check(info != 0 && info % MB2_TAG_ALIGN == 0, "info address 0x%x is 8-byte aligned", info))
		return;
	if (!mb2_check_structure(info))
		return;
	tag = mb2_find_tag(info, MB2_TAG_CMDLINE);
	if (check(tag != NULL, "command line tag (type 1) present"))
		serial_printf("cmdline: \"%s\"\n", mb2_cmdline(info));
	tag = mb2_find_tag(info, MB2_TAG_LOADER);
	if (check(tag != NULL, "boot loader name tag (type 2) present"))
		hello_check_loader(((const struct mb2_tag_string *)tag)->string, env);
	mb2_check_mmap(info, env);
}

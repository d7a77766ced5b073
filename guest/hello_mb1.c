/* hello-mb1: checks the multiboot1 information (Multiboot spec 0.6.96 3.3 "Boot information format"). */
#include "serial.h"
#include "test.h"
#include "multiboot.h"
#include "hello.h"

#define MB1_MMAP_ENTRY_MIN 20 /* base, length, type: the size field does not count itself */
#define MB1_MMAP_MAX       4096

static void mb1_check_mmap(const struct mb1_info *mb, const struct hello_env *env)
{
	struct hello_mmap m = { 0 };
	uint32_t off = 0;
	bool ok = true;

	if (!check(mb->mmap_length > 0 && mb->mmap_length <= MB1_MMAP_MAX && mb->mmap_addr != 0,
		   "memory map at 0x%x, %u bytes", mb->mmap_addr, mb->mmap_length))
		return;
	while (off + sizeof(uint32_t) <= mb->mmap_length) {
		const struct mb1_mmap_entry *e = (const struct mb1_mmap_entry *)(mb->mmap_addr + off);

		if (e->size < MB1_MMAP_ENTRY_MIN || off + 4 + e->size > mb->mmap_length) {
			ok = false;
			break;
		}
		serial_printf("  mmap 0x%016llx-0x%016llx type %u\n", (unsigned long long)e->base_addr,
			      (unsigned long long)(e->base_addr + e->length), e->type);
		hello_mmap_add(&m, e->base_addr, e->length, e->type);
		off += 4 + e->size;
	}
	if (!check(ok && off == mb->mmap_length, "memory map entries fill mmap_length (stopped at %u)", off))
		return;
	hello_check_mmap(&m, env, true, mb->mem_lower, mb->mem_upper);
}

void hello_check_mb1(uint32_t magic, uint32_t info, const struct hello_env *env)
{
	const struct mb1_info *mb = (const struct mb1_info *)info;

	check_eq(magic, MB1_BOOT_MAGIC, "multiboot1 magic in EAX");
	if (!check(info != 0, "info address 0x%x is not 0", info))
		return;
	serial_printf("flags 0x%x\n", mb->flags);
	check(mb->flags & MB1_INFO_MEMORY, "flags bit 0: mem_lower/mem_upper valid");
	check(mb->flags & MB1_INFO_MMAP, "flags bit 6: memory map valid");
	if (check(mb->flags & MB1_INFO_CMDLINE, "flags bit 2: command line valid") && mb->cmdline)
		serial_printf("cmdline: \"%s\"\n", (const char *)mb->cmdline);
	if (mb->flags & MB1_INFO_LOADER)
		hello_check_loader((const char *)mb->boot_loader_name, env);
	if ((mb->flags & (MB1_INFO_MEMORY | MB1_INFO_MMAP)) == (MB1_INFO_MEMORY | MB1_INFO_MMAP))
		mb1_check_mmap(mb, env);
}

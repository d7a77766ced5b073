/* A tiny host-side ELF reader for the decoder corpus test: just enough to find .text. */
#include "elf_text.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Section headers normalised to what we need, whatever the class. */
struct shdr {
	uint64_t name, addr, off, size;
};

static int get_shdr(const struct elf_text *et, uint64_t shoff, unsigned entsz, unsigned i, struct shdr *s)
{
	uint64_t at = shoff + (uint64_t)i * entsz;

	if (at + entsz > et->file_size)
		return -1;
	if (et->elf_class == 64) {
		Elf64_Shdr h;
		memcpy(&h, et->file + at, sizeof(h));
		*s = (struct shdr){ h.sh_name, h.sh_addr, h.sh_offset, h.sh_size };
	} else {
		Elf32_Shdr h;
		memcpy(&h, et->file + at, sizeof(h));
		*s = (struct shdr){ h.sh_name, h.sh_addr, h.sh_offset, h.sh_size };
	}
	return s->off + s->size <= et->file_size ? 0 : -1;
}

int elf_text_load(const char *path, struct elf_text *et)
{
	uint64_t shoff;
	unsigned shnum, shstrndx, entsz;
	struct shdr strtab, s;

	memset(et, 0, sizeof(*et));
	et->file = read_file(path, &et->file_size);
	if (!et->file)
		return -1;
	if (et->file_size < sizeof(Elf64_Ehdr) || memcmp(et->file, ELFMAG, SELFMAG) != 0)
		goto bad;
	if (et->file[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr h;
		memcpy(&h, et->file, sizeof(h));
		et->elf_class = 64;
		shoff = h.e_shoff, shnum = h.e_shnum, shstrndx = h.e_shstrndx, entsz = sizeof(Elf64_Shdr);
	} else if (et->file[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr h;
		memcpy(&h, et->file, sizeof(h));
		et->elf_class = 32;
		shoff = h.e_shoff, shnum = h.e_shnum, shstrndx = h.e_shstrndx, entsz = sizeof(Elf32_Shdr);
	} else {
		goto bad;
	}
	if (shstrndx >= shnum || get_shdr(et, shoff, entsz, shstrndx, &strtab))
		goto bad;
	for (unsigned i = 0; i < shnum; i++) {
		if (get_shdr(et, shoff, entsz, i, &s) || s.name + 6 > strtab.size)
			continue;
		if (memcmp(et->file + strtab.off + s.name, ".text", 6) == 0) {
			et->text = et->file + s.off;
			et->text_size = s.size;
			et->text_addr = s.addr;
			return 0;
		}
	}
bad:
	elf_text_free(et);
	return -1;
}

void elf_text_free(struct elf_text *et)
{
	free(et->file);
	memset(et, 0, sizeof(*et));
}

/* A tiny host-side ELF reader: loads a file and finds its .text section (ELF32 or ELF64, little endian). */
#ifndef PTV_TEST_ELF_TEXT_H
#define PTV_TEST_ELF_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct elf_text {
	uint8_t *file; /* the whole file (free with elf_text_free) */
	size_t file_size;
	const uint8_t *text; /* .text bytes inside 'file' */
	size_t text_size;
	uint64_t text_addr; /* sh_addr (0 in relocatables) */
	int elf_class;      /* 32 or 64 */
};

/* Loads 'path' and locates .text; 0 on success, -1 (nothing allocated) if unreadable or malformed. */
int elf_text_load(const char *path, struct elf_text *et);
void elf_text_free(struct elf_text *et);

#endif

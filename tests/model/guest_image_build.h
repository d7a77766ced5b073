/* Builds guest kernel images in host tests: ELF32/ELF64 with multiboot1/2 headers, good or broken on purpose. */
#ifndef PTV_GUEST_IMAGE_BUILD_H
#define PTV_GUEST_IMAGE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "guest/image.h"
#include "guest/mbinfo.h"
#include "guest/multiboot.h"

#define MiB (1ULL << 20)
#define MEM (16 * MiB)
/* elf_build()'s layout: text [SEG0_OFF, +0x1000) at SEG0_PA (R-X), data 0x100 + bss at SEG1_PA (RW-). */
#define SEG0_OFF  0x1000u
#define SEG0_PA   0x100000u
#define SEG1_OFF  0x2000u
#define SEG1_PA   0x101000u
#define ENTRY_PA  0x100100u
#define HDR_OFF   0x1000u /* where the tests put the multiboot header: the start of the text */
#define IMG_SIZE  0x2100u
#define HIGH_HALF 0xffffffff80000000ULL

/* The image under construction. */
struct tb_image {
	uint8_t b[0xA000];
	size_t size;
	bool is64;
};

extern struct tb_image tb;
/* What the last expect_ok()/expect_refused() check produced. */
extern struct guest_image tb_gi;

void w16(size_t off, uint16_t v);
void w32(size_t off, uint32_t v);
void w64(size_t off, uint64_t v);

enum ph_field { PH_TYPE, PH_FLAGS, PH_OFFSET, PH_VADDR, PH_PADDR, PH_FILESZ, PH_MEMSZ };
/* Sets one field of program header i in the current class's layout. */
void set_ph(unsigned i, enum ph_field f, uint64_t v);
void set_entry(uint64_t v);
size_t eh_phoff(void);
size_t eh_phentsize(void);
size_t eh_phnum(void);

/* A fresh ELF in tb with two PT_LOADs; link addresses are physical + vbias. No multiboot header. */
void elf_build(bool is64, uint64_t vbias);

void mb1_put(size_t off, uint32_t flags);
/* A multiboot1 header with flags bits 1 and 16 and the given address fields. */
void mb1_put_aout(size_t off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end, uint32_t bss_end,
		  uint32_t entry);

/* A multiboot2 header written tag by tag: begin, tags, then end (end tag + seal) or seal alone. */
void mb2_begin(size_t off);
void mb2_tag(uint16_t type, uint16_t flags, uint32_t size, const uint32_t *words, unsigned n);
/* Sets header_length to what was written and makes the checksum right. */
void mb2_seal(void);
void mb2_end(void);
/* A header that asks for the command line and memory map. */
void mb2_simple(size_t off);

/* guest_image_check() of tb as guest "t" must succeed silently, or refuse with exactly `why`. */
void expect_ok(uint64_t mem);
void expect_refused(uint64_t mem, const char *why);

#endif

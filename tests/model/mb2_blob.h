/* Builds multiboot2 boot information blocks in host tests, well-formed or deliberately broken. */
#ifndef PTV_MB2_BLOB_H
#define PTV_MB2_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define MB2_BLOB_MAX 16384

struct mb2_blob {
	_Alignas(8) uint8_t b[MB2_BLOB_MAX];
	size_t len;
};

/* {base, len, type} for tag 6; {EFI type, PhysicalStart, NumberOfPages} for tag 17. */
struct mb2_range {
	uint64_t a, b, c;
};

void mb2_put32(uint8_t *p, uint32_t v);
void mb2_put64(uint8_t *p, uint64_t v);

/* Starts an empty block: the 8-byte fixed part, total_size filled in by mb2_blob_end(). */
void mb2_blob_init(struct mb2_blob *x);
/* Appends a tag whose size field says `size` but whose bytes are `payload`; returns its offset. */
size_t mb2_blob_tag_sized(struct mb2_blob *x, uint32_t type, uint32_t size, const void *payload, size_t plen);
size_t mb2_blob_tag(struct mb2_blob *x, uint32_t type, const void *payload, size_t plen);
/* A string tag, NUL included. */
size_t mb2_blob_str(struct mb2_blob *x, uint32_t type, const char *s);
size_t mb2_blob_module(struct mb2_blob *x, uint32_t start, uint32_t end, const char *name);
size_t mb2_blob_mmap(struct mb2_blob *x, uint32_t entry_size, const struct mb2_range *r, size_t n);
size_t mb2_blob_efi_mmap(struct mb2_blob *x, uint32_t desc_size, const struct mb2_range *r, size_t n);
/* A framebuffer tag's fields; `color` (6 bytes of RGB position/size) may be NULL for none. */
struct mb2_fb_spec {
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	const uint8_t *color;
};

size_t mb2_blob_fb(struct mb2_blob *x, const struct mb2_fb_spec *fb);
/* An ACPI RSDP tag holding `plen` bytes of an RSDP whose revision byte is `revision`. */
size_t mb2_blob_rsdp(struct mb2_blob *x, uint32_t type, uint8_t revision, size_t plen);
/* Appends the end tag and sets total_size to the length. */
void mb2_blob_end(struct mb2_blob *x);
void mb2_blob_set_total(struct mb2_blob *x, uint32_t total);

/*
 * Parses a heap copy of exactly `avail` bytes (ASan then catches any read
 * past it) with the multiboot2 magic.
 */
int mb2_blob_parse_avail(const struct mb2_blob *x, size_t avail, struct boot_info *bi);
int mb2_blob_parse(const struct mb2_blob *x, struct boot_info *bi);

#endif

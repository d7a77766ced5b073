/* A multiboot2 info builder for tests: tags padded to 8 bytes, sizes settable to lie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mb2_blob.h"

void mb2_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

void mb2_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

void mb2_blob_init(struct mb2_blob *x)
{
	memset(x, 0, sizeof(*x));
	x->len = 8;
}

size_t mb2_blob_tag_sized(struct mb2_blob *x, uint32_t type, uint32_t size, const void *payload, size_t plen)
{
	size_t off = x->len;

	if (off + 8 + plen + 8 > MB2_BLOB_MAX) {
		fprintf(stderr, "mb2_blob: %zu bytes do not fit\n", off + 8 + plen);
		abort();
	}
	mb2_put32(x->b + off, type);
	mb2_put32(x->b + off + 4, size);
	if (plen)
		memcpy(x->b + off + 8, payload, plen);
	x->len = off + ((8 + plen + 7) & ~(size_t)7);
	return off;
}

size_t mb2_blob_tag(struct mb2_blob *x, uint32_t type, const void *payload, size_t plen)
{
	return mb2_blob_tag_sized(x, type, (uint32_t)(8 + plen), payload, plen);
}

size_t mb2_blob_str(struct mb2_blob *x, uint32_t type, const char *s)
{
	return mb2_blob_tag(x, type, s, strlen(s) + 1);
}

size_t mb2_blob_module(struct mb2_blob *x, uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[512];
	size_t n = strlen(name) + 1;

	mb2_put32(p, start);
	mb2_put32(p + 4, end);
	memcpy(p + 8, name, n);
	return mb2_blob_tag(x, 3, p, 8 + n);
}

static size_t blob_map(struct mb2_blob *x, uint32_t type, uint32_t esize, const struct mb2_range *r, size_t n, int efi)
{
	static uint8_t p[MB2_BLOB_MAX];
	size_t len = 8 + n * esize;

	memset(p, 0, len);
	mb2_put32(p, esize);
	mb2_put32(p + 4, efi ? 1 : 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = p + 8 + i * esize;
		if (efi) {
			mb2_put32(e, (uint32_t)r[i].a);
			mb2_put64(e + 8, r[i].b);
			mb2_put64(e + 16, r[i].b); /* VirtualStart: identity, unused */
			mb2_put64(e + 24, r[i].c);
		} else {
			mb2_put64(e, r[i].a);
			mb2_put64(e + 8, r[i].b);
			mb2_put32(e + 16, (uint32_t)r[i].c);
		}
	}
	return mb2_blob_tag(x, type, p, len);
}

size_t mb2_blob_mmap(struct mb2_blob *x, uint32_t entry_size, const struct mb2_range *r, size_t n)
{
	return blob_map(x, 6, entry_size, r, n, 0);
}

size_t mb2_blob_efi_mmap(struct mb2_blob *x, uint32_t desc_size, const struct mb2_range *r, size_t n)
{
	return blob_map(x, 17, desc_size, r, n, 1);
}

size_t mb2_blob_fb(struct mb2_blob *x, const struct mb2_fb_spec *fb)
{
	uint8_t p[32] = { 0 };

	mb2_put64(p, fb->addr);
	mb2_put32(p + 8, fb->pitch);
	mb2_put32(p + 12, fb->width);
	mb2_put32(p + 16, fb->height);
	p[20] = fb->bpp;
	p[21] = fb->type;
	if (fb->color)
		memcpy(p + 24, fb->color, 6);
	return mb2_blob_tag(x, 8, p, fb->color ? 30 : 24);
}

size_t mb2_blob_rsdp(struct mb2_blob *x, uint32_t type, uint8_t revision, size_t plen)
{
	uint8_t p[36] = "RSD PTR ";

	p[8] = 0x5a; /* checksum: not the parser's business */
	memcpy(p + 9, "PTVOEM", 6);
	p[15] = revision;
	mb2_put32(p + 16, 0xe0000);
	mb2_put32(p + 20, 36);
	mb2_put64(p + 24, 0xe1000);
	return mb2_blob_tag(x, type, p, plen);
}

void mb2_blob_set_total(struct mb2_blob *x, uint32_t total)
{
	mb2_put32(x->b, total);
}

void mb2_blob_end(struct mb2_blob *x)
{
	mb2_blob_tag(x, 0, NULL, 0);
	mb2_blob_set_total(x, (uint32_t)x->len);
}

int mb2_blob_parse_avail(const struct mb2_blob *x, size_t avail, struct boot_info *bi)
{
	uint8_t *copy = malloc(avail ? avail : 1);
	int rc;

	memcpy(copy, x->b, avail < sizeof(x->b) ? avail : sizeof(x->b));
	rc = boot_info_parse(MB2_BOOTLOADER_MAGIC, copy, avail, 0x9000, bi);
	free(copy);
	return rc;
}

int mb2_blob_parse(const struct mb2_blob *x, struct boot_info *bi)
{
	return mb2_blob_parse_avail(x, x->len, bi);
}

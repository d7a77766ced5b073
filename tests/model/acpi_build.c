/* Builders for ACPI images with correct checksums in the fake physical memory of acpi_phys.c. */
#include <string.h>
#include "acpi_build.h"
#include "acpi_phys.h"

void ab_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

void ab_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

void ab_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

uint8_t *ab_header(paddr_t pa, const char *sig, uint32_t len, uint8_t revision)
{
	uint8_t *t = acpi_phys_at(pa);

	memcpy(t, sig, 4);
	ab_put32(t + 4, len);
	t[8] = revision;
	memcpy(t + 10, "PTVTST", 6);
	memcpy(t + 16, "PTVTABLE", 8);
	ab_put32(t + 24, 1);
	memcpy(t + 28, "PTVC", 4);
	ab_put32(t + 32, 1);
	return t;
}

void ab_checksum(paddr_t pa)
{
	uint8_t *t = acpi_phys_at(pa);
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = (uint8_t)-sum(t, len);
}

void ab_table(paddr_t pa, const char *sig, const void *body, uint32_t body_len)
{
	uint8_t *t = ab_header(pa, sig, 36 + body_len, 1);

	memcpy(t + 36, body, body_len);
	ab_checksum(pa);
}

void ab_root(paddr_t pa, bool xsdt, const paddr_t *entries, unsigned n)
{
	unsigned esize = xsdt ? 8 : 4;
	uint8_t *t = ab_header(pa, xsdt ? "XSDT" : "RSDT", 36 + n * esize, 1);

	for (unsigned i = 0; i < n; i++) {
		if (xsdt)
			ab_put64(t + 36 + i * 8, entries[i]);
		else
			ab_put32(t + 36 + i * 4, (uint32_t)entries[i]);
	}
	ab_checksum(pa);
}

void ab_rsdp(struct boot_info *bi, unsigned revision, uint32_t rsdt, uint64_t xsdt, const char *oem6)
{
	uint8_t *r = bi->rsdp;

	memset(r, 0, sizeof(bi->rsdp));
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, oem6, 6);
	r[15] = (uint8_t)revision;
	ab_put32(r + 16, rsdt);
	r[8] = (uint8_t)-sum(r, 20);
	bi->rsdp_len = 20;
	bi->rsdp_revision = revision;
	if (revision >= 2) {
		ab_put32(r + 20, 36);
		ab_put64(r + 24, xsdt);
		r[32] = (uint8_t)-sum(r, 36);
		bi->rsdp_len = 36;
	}
}

uint8_t *ab_fadt(paddr_t pa, uint32_t len, uint16_t pm1a, uint16_t pm1b, uint32_t dsdt)
{
	uint8_t *t = ab_header(pa, "FACP", len, len > 116 ? 6 : 1);

	ab_put32(t + 40, dsdt);
	ab_put32(t + 64, pm1a);
	ab_put32(t + 68, pm1b);
	t[89] = 2; /* PM1_CNT_LEN */
	ab_checksum(pa);
	return t;
}

void ab_madt(paddr_t pa, const uint8_t *entries, uint32_t n)
{
	uint8_t *t = ab_header(pa, "APIC", 44 + n, 4);

	ab_put32(t + 36, AB_LAPIC);
	ab_put32(t + 40, 1); /* PCAT_COMPAT */
	memcpy(t + 44, entries, n);
	ab_checksum(pa);
}

void ab_dsdt(paddr_t pa, const uint8_t *aml, uint32_t n)
{
	/* Scope(\_SB_) { Name(STR0, "_S5_") }: the name appears, but as string data. */
	static const uint8_t decoy[] = {
		0x10, 0x11, '\\', '_', 'S', 'B', '_', 0x08, 'S', 'T', 'R', '0', 0x0d, '_', 'S', '5', '_', 0x00,
	};
	uint8_t *t = ab_header(pa, "DSDT", 36 + sizeof(decoy) + n, 2);

	memcpy(t + 36, decoy, sizeof(decoy));
	memcpy(t + 36 + sizeof(decoy), aml, n);
	ab_checksum(pa);
}

void ab_tree(struct boot_info *bi, unsigned revision, const char *oem6)
{
	static const uint8_t madt[] = {
		0, 8,  0, 0, 1,    0,    0,    0,                /* LAPIC uid 0 id 0 enabled */
		0, 8,  1, 2, 1,    0,    0,    0,                /* LAPIC uid 1 id 2 enabled */
		1, 12, 1, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0, /* IOAPIC id 1 at AB_IOAPIC */
	};
	static const uint8_t s5[] = { 0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x08,
				      0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	static const uint8_t hpet[20];
	const paddr_t entries[] = { AB_FADT, AB_MADT, AB_HPET };

	ab_fadt(AB_FADT, 116, AB_PM1A, 0, (uint32_t)AB_DSDT);
	ab_madt(AB_MADT, madt, sizeof(madt));
	ab_dsdt(AB_DSDT, s5, sizeof(s5));
	ab_table(AB_HPET, "HPET", hpet, sizeof(hpet));
	ab_root(AB_RSDT, false, entries, 3);
	if (revision >= 2)
		ab_root(AB_XSDT, true, entries, 3);
	ab_rsdp(bi, revision, (uint32_t)AB_RSDT, revision >= 2 ? AB_XSDT : 0, oem6);
}

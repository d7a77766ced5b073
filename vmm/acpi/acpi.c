/* ACPI table discovery: validates the RSDP, walks the XSDT or RSDT and records each good table. */
#include "acpi/acpi.h"
#include "acpi/acpi_tables.h"
#include "lib/string.h"
#include "log.h"
#include "mem/phys.h"

/* A checksum-valid root table can still claim millions of entries; no platform has this many. */
#define ACPI_ROOT_MAX_ENTRIES 1024

static struct acpi_info acpi;

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* Firmware text fields are not NUL-terminated and may hold anything: make them printable. */
static void acpi_copy_text(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		out[i] = c == 0 ? ' ' : (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
}

/* Real signatures are upper-case letters, digits and '_'; anything else is not a table. */
static bool acpi_sig_valid(const uint8_t *sig)
{
	for (unsigned i = 0; i < 4; i++) {
		uint8_t c = sig[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
		if (!ok)
			return false;
	}
	return true;
}

static const uint8_t *acpi_reject(const char *sig, paddr_t pa, const char *why)
{
	pr_warn("acpi: table %s at 0x%llx %s, skipped\n", sig, (unsigned long long)pa, why);
	acpi.problems++;
	return NULL;
}

/*
 * Maps and validates the table at `pa` (ACPI 6.5, 5.2.6 "System Description
 * Table Header"): the header first, since its length is not yet trusted, then
 * the whole table, whose bytes must sum to zero. NULL after reporting why.
 */
static const uint8_t *acpi_map_table(paddr_t pa, const char *expect)
{
	const uint8_t *t = phys_map(pa, ACPI_HDR_LEN);
	char sig[5];
	uint32_t len;

	if (!t)
		return acpi_reject(expect ? expect : "?", pa, "is not in mapped memory");
	acpi_copy_text(sig, t, 4);
	if (!acpi_sig_valid(t) || (expect && memcmp(t, expect, 4)))
		return acpi_reject(sig, pa, "has a bad signature");
	len = get_le32(t + ACPI_HDR_LENGTH);
	if (len < ACPI_HDR_LEN || len >= ACPI_TABLE_MAX_LEN)
		return acpi_reject(sig, pa, "has an absurd length");
	if (pa + len < pa)
		return acpi_reject(sig, pa, "wraps the address space");
	t = phys_map(pa, len);
	if (!t)
		return acpi_reject(sig, pa, "is not entirely in mapped memory");
	if (acpi_checksum(t, len))
		return acpi_reject(sig, pa, "has a bad checksum");
	return t;
}

static void acpi_record(const uint8_t *t, paddr_t pa)
{
	struct acpi_table_ref *ref;

	if (acpi.table_count >= ACPI_MAX_TABLES) {
		pr_warn("acpi: more than %u tables, the rest are not recorded\n", ACPI_MAX_TABLES);
		acpi.problems++;
		return;
	}
	ref = &acpi.tables[acpi.table_count++];
	acpi_copy_text(ref->sig, t, 4);
	acpi_copy_text(ref->oem_id, t + ACPI_HDR_OEMID, 6);
	ref->revision = t[ACPI_HDR_REVISION];
	ref->addr = pa;
	ref->len = get_le32(t + ACPI_HDR_LENGTH);
}

static void acpi_use_table(const uint8_t *t, paddr_t pa)
{
	uint32_t len = get_le32(t + ACPI_HDR_LENGTH);

	acpi_record(t, pa);
	/* The first valid FADT and MADT win; firmware should list only one of each. */
	if (!memcmp(t, "FACP", 4) && !acpi.fadt.found) {
		acpi_fadt_parse(t, len, &acpi.fadt);
	} else if (!memcmp(t, "APIC", 4) && !acpi.madt.found) {
		acpi_madt_parse(t, len, &acpi.madt);
		acpi.problems += acpi.madt.problems;
	}
}

/* ACPI 6.5, 5.2.7 "RSDT" (32-bit entries) and 5.2.8 "XSDT" (64-bit entries, unaligned). */
static bool acpi_walk_root(paddr_t pa, bool xsdt)
{
	const char *name = xsdt ? "XSDT" : "RSDT";
	const uint8_t *root = acpi_map_table(pa, name);
	unsigned esize = xsdt ? 8 : 4;
	uint32_t count;

	if (!root)
		return false;
	acpi.via_xsdt = xsdt;
	acpi_record(root, pa);
	count = (get_le32(root + ACPI_HDR_LENGTH) - ACPI_HDR_LEN) / esize;
	if (count > ACPI_ROOT_MAX_ENTRIES) {
		pr_warn("acpi: %s claims %u entries, using the first %u\n", name, count, ACPI_ROOT_MAX_ENTRIES);
		acpi.problems++;
		count = ACPI_ROOT_MAX_ENTRIES;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = root + ACPI_HDR_LEN + (size_t)i * esize;
		paddr_t entry = xsdt ? get_le64(e) : get_le32(e);
		const uint8_t *t;

		if (!entry) {
			pr_warn("acpi: %s entry %u is null, skipped\n", name, i);
			acpi.problems++;
			continue;
		}
		t = acpi_map_table(entry, NULL);
		if (t)
			acpi_use_table(t, entry);
	}
	return true;
}

/* The DSDT is reached through the FADT, not the root table; \_S5 lives there or in an SSDT. */
static void acpi_load_dsdt(void)
{
	const uint8_t *t;

	if (!acpi.fadt.found) {
		pr_warn("acpi: no FADT, so no DSDT and no ACPI power-off\n");
		return;
	}
	if (!acpi.fadt.dsdt) {
		pr_warn("acpi: the FADT points to no DSDT\n");
		acpi.problems++;
		return;
	}
	t = acpi_map_table(acpi.fadt.dsdt, "DSDT");
	if (!t)
		return;
	acpi_record(t, acpi.fadt.dsdt);
	if (acpi_aml_find_s5(t + ACPI_HDR_LEN, get_le32(t + ACPI_HDR_LENGTH) - ACPI_HDR_LEN, &acpi.s5))
		return;
	for (unsigned i = 0; i < acpi.table_count; i++) {
		const struct acpi_table_ref *ref = &acpi.tables[i];

		if (memcmp(ref->sig, "SSDT", 4))
			continue;
		t = phys_map(ref->addr, ref->len); /* validated when recorded */
		if (t && acpi_aml_find_s5(t + ACPI_HDR_LEN, ref->len - ACPI_HDR_LEN, &acpi.s5))
			return;
	}
	pr_warn("acpi: no \\_S5 object in the DSDT or SSDTs, ACPI power-off unavailable\n");
}

/*
 * ACPI 6.5, 5.2.5.3 "Root System Description Pointer (RSDP) Structure": the
 * first 20 bytes always checksum to zero; revision 2+ adds a length, the XSDT
 * address and an extended checksum over `length` bytes.
 */
static int acpi_check_rsdp(const struct boot_info *bi, paddr_t *rsdt, paddr_t *xsdt)
{
	const uint8_t *r = bi->rsdp;
	uint32_t len;

	if (bi->rsdp_len == 0) {
		pr_info("acpi: the loader passed no RSDP\n");
		return -1;
	}
	if (bi->rsdp_len < ACPI_RSDP_V1_LEN || bi->rsdp_len > sizeof(bi->rsdp) || memcmp(r, ACPI_RSDP_SIG, 8)) {
		pr_err("acpi: the RSDP is malformed\n");
		return -1;
	}
	if (acpi_checksum(r, ACPI_RSDP_V1_LEN)) {
		pr_err("acpi: the RSDP checksum is wrong\n");
		return -1;
	}
	acpi.revision = r[ACPI_RSDP_REVISION];
	*rsdt = get_le32(r + ACPI_RSDP_RSDT);
	*xsdt = 0;
	if (acpi.revision >= 2 && bi->rsdp_len < ACPI_RSDP_V2_LEN) {
		pr_warn("acpi: RSDP revision %u but only 20 bytes passed, using the RSDT\n", acpi.revision);
	} else if (acpi.revision >= 2) {
		len = get_le32(r + ACPI_RSDP_LENGTH);
		if (len < ACPI_RSDP_V2_LEN || len > bi->rsdp_len) {
			pr_err("acpi: the RSDP length %u is invalid\n", len);
			return -1;
		}
		if (acpi_checksum(r, len)) {
			pr_err("acpi: the RSDP extended checksum is wrong\n");
			return -1;
		}
		*xsdt = get_le64(r + ACPI_RSDP_XSDT);
	}
	acpi_copy_text(acpi.oem_id, r + ACPI_RSDP_OEMID, 6);
	return 0;
}

int acpi_init(const struct boot_info *bi)
{
	paddr_t rsdt, xsdt;
	bool ok = false;

	memset(&acpi, 0, sizeof(acpi));
	if (acpi_check_rsdp(bi, &rsdt, &xsdt)) {
		memset(&acpi, 0, sizeof(acpi));
		return -1;
	}
	/* Prefer the XSDT, but an unusable one is no reason to give up on a good RSDT. */
	if (xsdt) {
		ok = acpi_walk_root(xsdt, true);
		if (!ok && rsdt)
			pr_warn("acpi: the XSDT is unusable, falling back to the RSDT\n");
	}
	if (!ok && rsdt)
		ok = acpi_walk_root(rsdt, false);
	if (!ok) {
		pr_err("acpi: no usable RSDT or XSDT\n");
		return -1;
	}
	acpi.present = true;
	acpi_load_dsdt();
	return 0;
}

const struct acpi_info *acpi_get_info(void)
{
	return &acpi;
}

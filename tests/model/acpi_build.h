/* Builders for ACPI images with correct checksums in the fake physical memory of acpi_phys.c. */
#ifndef PTV_ACPI_BUILD_H
#define PTV_ACPI_BUILD_H

#include "types.h"
#include "boot_info.h"

/* Where ab_tree() puts each table. */
#define AB_RSDT   0xE1000ULL
#define AB_XSDT   0xE2000ULL
#define AB_FADT   0xE3000ULL
#define AB_MADT   0xE4000ULL
#define AB_DSDT   0xE5000ULL
#define AB_HPET   0xE6000ULL
#define AB_SSDT   0xE7000ULL
#define AB_PM1A   0x604
#define AB_LAPIC  0xfee00000u
#define AB_IOAPIC 0xfec00000u

/* Little-endian stores into a table under construction. */
void ab_put16(uint8_t *p, uint16_t v);
void ab_put32(uint8_t *p, uint32_t v);
void ab_put64(uint8_t *p, uint64_t v);

/* Writes a 36-byte header for a `len`-byte table at pa (OEM "PTVTST"); returns the table's bytes. */
uint8_t *ab_header(paddr_t pa, const char *sig, uint32_t len, uint8_t revision);
/* Recomputes the checksum of the table at pa over its length field; call after every edit. */
void ab_checksum(paddr_t pa);
/* Header plus `body`, checksummed. */
void ab_table(paddr_t pa, const char *sig, const void *body, uint32_t body_len);
void ab_root(paddr_t pa, bool xsdt, const paddr_t *entries, unsigned n);
/* Fills bi's RSDP copy: 20 bytes for revision < 2, else 36 with the XSDT and extended checksum. */
void ab_rsdp(struct boot_info *bi, unsigned revision, uint32_t rsdt, uint64_t xsdt, const char *oem6);
/* FADT of `len` bytes (116: ACPI 1.0 ... 276) with legacy PM1a/PM1b ports and the DSDT pointer. */
uint8_t *ab_fadt(paddr_t pa, uint32_t len, uint16_t pm1a, uint16_t pm1b, uint32_t dsdt);
/* MADT with local APIC address AB_LAPIC and the given interrupt controller structures. */
void ab_madt(paddr_t pa, const uint8_t *entries, uint32_t n);
/* DSDT: some decoy AML (including a "_S5_" string that is not a name), then `aml`. */
void ab_dsdt(paddr_t pa, const uint8_t *aml, uint32_t n);

/*
 * The default tree: FADT (PM1a AB_PM1A, SMI_CMD 0), MADT (APIC ids 0 and 2 enabled, one IOAPIC),
 * DSDT with Name(\_S5_, Package(){5, 5, 0, 0}), an HPET; listed by an RSDT and, for revision >= 2,
 * an XSDT too. `oem6` is the RSDP OEM id, e.g. "BOCHS ".
 */
void ab_tree(struct boot_info *bi, unsigned revision, const char *oem6);

#endif

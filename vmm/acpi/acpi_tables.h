/* Byte layouts of the ACPI tables we read, and the parsers that turn bytes into struct acpi_info. */
#ifndef PTV_ACPI_TABLES_H
#define PTV_ACPI_TABLES_H

#include "types.h"
#include "lib/bytes.h"
#include "acpi/acpi.h"
#include "lib/string.h"

/* ACPI 6.5, 5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
#define ACPI_RSDP_SIG      "RSD PTR "
#define ACPI_RSDP_V1_LEN   20
#define ACPI_RSDP_V2_LEN   36
#define ACPI_RSDP_OEMID    9
#define ACPI_RSDP_REVISION 15
#define ACPI_RSDP_RSDT     16
#define ACPI_RSDP_LENGTH   20
#define ACPI_RSDP_XSDT     24

/* ACPI 6.5, 5.2.6 "System Description Table Header". */
#define ACPI_HDR_LEN      36
#define ACPI_HDR_LENGTH   4
#define ACPI_HDR_REVISION 8
#define ACPI_HDR_OEMID    10
/* Not an architectural limit: nothing real comes close, and it bounds a corrupt length. */
#define ACPI_TABLE_MAX_LEN (16u << 20)

/* ACPI 6.5, 5.2.9 "Fixed ACPI Description Table (FADT)": byte offsets. */
#define FADT_DSDT           40
#define FADT_SMI_CMD        48
#define FADT_ACPI_ENABLE    52
#define FADT_PM1A_CNT_BLK   64
#define FADT_PM1B_CNT_BLK   68
#define FADT_FLAGS          112
#define FADT_RESET_REG      116
#define FADT_RESET_VALUE    128
#define FADT_X_DSDT         140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM1B_CNT_BLK 184
#define FADT_GAS_LEN        12
/* Bits of the FADT Flags field (5.2.9, "Fixed Feature Flags"). */
#define FADT_FLAG_RESET_REG_SUP BIT(10)

/* ACPI 6.5, 5.2.12 "Multiple APIC Description Table (MADT)". */
#define MADT_LAPIC_ADDR     36
#define MADT_ENTRIES        44
#define MADT_TYPE_LAPIC     0 /* 5.2.12.2 "Processor Local APIC Structure" */
#define MADT_TYPE_IOAPIC    1 /* 5.2.12.3 "I/O APIC Structure" */
#define MADT_TYPE_LAPIC_OVR 5 /* 5.2.12.8 "Local APIC Address Override Structure" */
#define MADT_TYPE_X2APIC    9 /* 5.2.12.12 "Processor Local x2APIC Structure" */
/* 5.2.12.2 "Local APIC Flags": bit 0 Enabled, bit 1 Online Capable (also used by x2APIC entries). */
#define MADT_LAPIC_ENABLED        BIT(0)
#define MADT_LAPIC_ONLINE_CAPABLE BIT(1)

/* All bytes of a valid table (or RSDP part) sum to zero modulo 256. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

/* Pure parsers over a validated table's bytes; `len` bounds every read. */
void acpi_fadt_parse(const uint8_t *t, uint32_t len, struct acpi_fadt_info *out);
void acpi_madt_parse(const uint8_t *t, uint32_t len, struct acpi_madt_info *out);
/* Finds Name(\_S5_, Package(){a, b, ...}) in an AML byte stream. */
bool acpi_aml_find_s5(const uint8_t *aml, size_t len, struct acpi_s5 *out);

#endif

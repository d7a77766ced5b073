/* What the VMM learns from the firmware's ACPI tables: table list, FADT, MADT and \_S5. */
#ifndef PTV_ACPI_H
#define PTV_ACPI_H

#include "types.h"
#include "boot_info.h"

#define ACPI_MAX_TABLES  128
#define ACPI_MAX_CPUS    256
#define ACPI_MAX_IOAPICS 16

/* Generic Address Structure address spaces (ACPI 6.5, 5.2.3.2 "Generic Address Structure"). */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO     1
#define ACPI_GAS_PCI_CONFIG    2

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

/* One validated table: kept so the frame allocator can reserve it and for the log. */
struct acpi_table_ref {
	char sig[5];
	char oem_id[7];
	uint8_t revision;
	paddr_t addr;
	uint32_t len;
};

struct acpi_fadt_info {
	bool found;
	uint8_t revision;
	uint16_t pm1a_cnt;   /* I/O port, 0 if none */
	uint16_t pm1b_cnt;   /* I/O port, 0 if none */
	uint32_t smi_cmd;    /* port that switches the platform into ACPI mode, 0 if none */
	uint8_t acpi_enable; /* value to write to smi_cmd */
	paddr_t dsdt;
	bool reset_supported; /* RESET_REG_SUP and a usable reset register */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

struct acpi_madt_info {
	bool found;
	paddr_t lapic_addr;
	uint32_t cpu_apic_ids[ACPI_MAX_CPUS];
	unsigned cpu_count;     /* enabled or online-capable processors */
	unsigned cpus_disabled; /* entries neither enabled nor online capable */
	unsigned cpus_dropped;  /* usable entries beyond ACPI_MAX_CPUS */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned ioapic_count;
	unsigned problems;
};

/* SLP_TYP values for the soft-off state (ACPI 6.5, 7.4.2 "\_Sx (System States)"). */
struct acpi_s5 {
	bool found;
	uint8_t slp_typa;
	uint8_t slp_typb;
};

struct acpi_info {
	bool present;     /* a valid RSDP and root table were found */
	char oem_id[7];   /* of the RSDP */
	uint8_t revision; /* of the RSDP */
	bool via_xsdt;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
	unsigned table_count;
	unsigned problems; /* bad or unreachable tables reported and skipped */
	struct acpi_fadt_info fadt;
	struct acpi_madt_info madt;
	struct acpi_s5 s5;
};

/*
 * Parses the ACPI tables from the RSDP copy in `bi`. Returns 0 when a valid
 * RSDP and root table were found (bad tables below them are reported and
 * skipped), -1 when there is no usable ACPI (then every query reports none).
 */
int acpi_init(const struct boot_info *bi);
/* The parsed result; always valid (empty before acpi_init() or after it failed). */
const struct acpi_info *acpi_get_info(void);
/* Address ranges of every validated table, typed MEM_ACPI_RECLAIMABLE; returns how many were stored. */
unsigned acpi_table_ranges(struct mem_range *out, unsigned max);
/* APIC ids (xAPIC and x2APIC) of the usable processors; returns how many were stored. */
unsigned acpi_cpu_apic_ids(uint32_t *ids, unsigned max);
/*
 * True when the RSDP OEM id is "BOCHS " (Bochs BIOS, SeaBIOS, OVMF under QEMU).
 * Needs only a valid RSDP: it still answers when the tables below it are unusable.
 */
bool acpi_oem_is_emulator(void);
void acpi_print(void);

#endif

/* Fake physical memory for ACPI host tests: phys_map() over a 1 MiB buffer at 0xE0000. */
#ifndef PTV_ACPI_PHYS_H
#define PTV_ACPI_PHYS_H

#include "types.h"

#define ACPI_PHYS_BASE 0xE0000ULL
#define ACPI_PHYS_SIZE (1ULL << 20)
#define ACPI_PHYS_END  (ACPI_PHYS_BASE + ACPI_PHYS_SIZE)

/* Zeroes the whole window. */
void acpi_phys_reset(void);
/* Host pointer for physical address `pa`, which must lie inside the window. */
void *acpi_phys_at(paddr_t pa);

#endif

/*
 * phys_map() for ACPI host tests: one buffer stands for physical memory
 * [ACPI_PHYS_BASE, ACPI_PHYS_END); everything else is unbacked. The buffer is
 * allocated exactly, so ASan flags a parser reading past a table at its end.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "acpi_phys.h"
#include "mem/phys.h"

static uint8_t *window;

void acpi_phys_reset(void)
{
	if (!window)
		window = malloc(ACPI_PHYS_SIZE);
	assert(window);
	memset(window, 0, ACPI_PHYS_SIZE);
}

void *acpi_phys_at(paddr_t pa)
{
	assert(window && pa >= ACPI_PHYS_BASE && pa < ACPI_PHYS_END);
	return window + (pa - ACPI_PHYS_BASE);
}

void *phys_map(paddr_t pa, size_t len)
{
	if (!window || pa < ACPI_PHYS_BASE || pa >= ACPI_PHYS_END || len > ACPI_PHYS_END - pa)
		return NULL;
	return window + (pa - ACPI_PHYS_BASE);
}

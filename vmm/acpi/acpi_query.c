/* Read-only views of the parsed ACPI state for the rest of the VMM, and its boot log summary. */
#include "acpi/acpi.h"
#include "lib/string.h"
#include "log.h"

unsigned acpi_table_ranges(struct mem_range *out, unsigned max)
{
	const struct acpi_info *ai = acpi_get_info();
	unsigned n = 0;

	for (unsigned i = 0; i < ai->table_count && n < max; i++, n++) {
		out[n].base = ai->tables[i].addr;
		out[n].len = ai->tables[i].len;
		out[n].type = MEM_ACPI_RECLAIMABLE;
	}
	return n;
}

unsigned acpi_cpu_apic_ids(uint32_t *ids, unsigned max)
{
	const struct acpi_madt_info *m = &acpi_get_info()->madt;
	unsigned n = MIN(m->cpu_count, max);

	for (unsigned i = 0; i < n; i++)
		ids[i] = m->cpu_apic_ids[i];
	return n;
}

/*
 * Bochs BIOS, SeaBIOS and OVMF under QEMU all put "BOCHS " in the RSDP; only
 * then are the emulators' exit ports (0xf4, 0x8900) known to be harmless.
 */
bool acpi_oem_is_emulator(void)
{
	return !memcmp(acpi_get_info()->oem_id, "BOCHS ", 6);
}

static void acpi_print_power(const struct acpi_info *ai)
{
	const struct acpi_fadt_info *f = &ai->fadt;

	if (!f->found) {
		pr_info("acpi: no FADT\n");
		return;
	}
	pr_info("acpi: PM1a_CNT 0x%x PM1b_CNT 0x%x SMI_CMD 0x%x reset %s\n", f->pm1a_cnt, f->pm1b_cnt, f->smi_cmd,
		f->reset_supported ? "register" : "none");
	if (ai->s5.found)
		pr_info("acpi: \\_S5 SLP_TYPa %u SLP_TYPb %u\n", ai->s5.slp_typa, ai->s5.slp_typb);
	else
		pr_info("acpi: no \\_S5\n");
}

static void acpi_print_madt(const struct acpi_madt_info *m)
{
	if (!m->found) {
		pr_info("acpi: no MADT, 0 CPUs known\n");
		return;
	}
	pr_info("acpi: %u CPUs (%u disabled, %u over the limit), local APIC 0x%llx, %u IOAPICs\n", m->cpu_count,
		m->cpus_disabled, m->cpus_dropped, (unsigned long long)m->lapic_addr, m->ioapic_count);
	for (unsigned i = 0; i < m->ioapic_count; i++)
		pr_info("acpi: IOAPIC %u at 0x%x GSI base %u\n", m->ioapics[i].id, m->ioapics[i].addr,
			m->ioapics[i].gsi_base);
}

void acpi_print(void)
{
	const struct acpi_info *ai = acpi_get_info();

	if (!ai->present) {
		pr_info("acpi: no usable ACPI tables\n");
		return;
	}
	pr_info("acpi: RSDP revision %u OEM '%s' via %s, %u tables, %u problems\n", ai->revision, ai->oem_id,
		ai->via_xsdt ? "XSDT" : "RSDT", ai->table_count, ai->problems);
	for (unsigned i = 0; i < ai->table_count; i++) {
		const struct acpi_table_ref *t = &ai->tables[i];

		pr_info("acpi: %s 0x%08llx len %6u rev %u OEM '%s'\n", t->sig, (unsigned long long)t->addr, t->len,
			t->revision, t->oem_id);
	}
	acpi_print_power(ai);
	acpi_print_madt(&ai->madt);
}

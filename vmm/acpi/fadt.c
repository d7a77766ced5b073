/* The FADT fields the VMM needs: PM1 control ports for S5, ACPI-mode switch, DSDT, reset register. */
#include "acpi/acpi_tables.h"
#include "log.h"

/* Older FADTs are shorter: every field is read only when the table reaches it. */
static bool fadt_has(uint32_t len, unsigned off, unsigned size)
{
	return len >= off + size;
}

static void fadt_get_gas(const uint8_t *p, struct acpi_gas *g)
{
	g->space_id = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access_size = p[3];
	g->address = get_le64(p + 4);
}

/*
 * PM1x_CNT_BLK: the X_ Generic Address Structure supersedes the 32-bit port
 * when nonzero (ACPI 6.5, 5.2.9), but we can only drive a system I/O port with
 * OUT, so a GAS in another space falls back to the legacy field.
 */
static uint16_t fadt_pm1_port(const uint8_t *t, uint32_t len, unsigned x_off, unsigned off, const char *name)
{
	uint32_t legacy;

	if (fadt_has(len, x_off, FADT_GAS_LEN)) {
		struct acpi_gas g;

		fadt_get_gas(t + x_off, &g);
		if (g.address && g.space_id == ACPI_GAS_SYSTEM_IO && g.address <= 0xffff)
			return (uint16_t)g.address;
		if (g.address)
			pr_warn("acpi: FADT X_%s is not an I/O port (space %u, 0x%llx), using %s\n", name, g.space_id,
				(unsigned long long)g.address, name);
	}
	if (!fadt_has(len, off, 4))
		return 0;
	legacy = get_le32(t + off);
	if (legacy > 0xffff) {
		pr_warn("acpi: FADT %s 0x%x is not an I/O port, ignored\n", name, legacy);
		return 0;
	}
	return (uint16_t)legacy;
}

/*
 * RESET_REG (ACPI 6.5, 4.8.3.6 "Reset Register"): an 8-bit register at bit
 * offset 0 in memory, I/O or PCI configuration space of bus 0.
 */
static void fadt_parse_reset(const uint8_t *t, uint32_t len, struct acpi_fadt_info *out)
{
	struct acpi_gas *g = &out->reset_reg;
	bool space_ok;

	if (!fadt_has(len, FADT_FLAGS, 4) || !(get_le32(t + FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP))
		return;
	if (!fadt_has(len, FADT_RESET_VALUE, 1)) {
		pr_warn("acpi: FADT sets RESET_REG_SUP but is too short for RESET_REG\n");
		return;
	}
	fadt_get_gas(t + FADT_RESET_REG, g);
	out->reset_value = t[FADT_RESET_VALUE];
	space_ok = g->space_id == ACPI_GAS_SYSTEM_MEMORY || g->space_id == ACPI_GAS_PCI_CONFIG ||
		   (g->space_id == ACPI_GAS_SYSTEM_IO && g->address <= 0xffff);
	if (!g->address || !space_ok || g->bit_width != 8 || g->bit_offset != 0) {
		pr_warn("acpi: FADT RESET_REG is unusable (space %u, width %u, 0x%llx)\n", g->space_id, g->bit_width,
			(unsigned long long)g->address);
		return;
	}
	out->reset_supported = true;
}

void acpi_fadt_parse(const uint8_t *t, uint32_t len, struct acpi_fadt_info *out)
{
	memset(out, 0, sizeof(*out));
	out->found = true;
	out->revision = t[ACPI_HDR_REVISION];
	/* 116 bytes is the ACPI 1.0 FADT; anything shorter lacks fields every version has. */
	if (len < FADT_RESET_REG)
		pr_warn("acpi: FADT is only %u bytes long\n", len);
	out->pm1a_cnt = fadt_pm1_port(t, len, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK, "PM1a_CNT_BLK");
	out->pm1b_cnt = fadt_pm1_port(t, len, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK, "PM1b_CNT_BLK");
	if (fadt_has(len, FADT_ACPI_ENABLE, 1)) {
		out->smi_cmd = get_le32(t + FADT_SMI_CMD);
		out->acpi_enable = t[FADT_ACPI_ENABLE];
	}
	/* X_DSDT, when nonzero, replaces DSDT. */
	if (fadt_has(len, FADT_X_DSDT, 8) && get_le64(t + FADT_X_DSDT))
		out->dsdt = get_le64(t + FADT_X_DSDT);
	else if (fadt_has(len, FADT_DSDT, 4))
		out->dsdt = get_le32(t + FADT_DSDT);
	fadt_parse_reset(t, len, out);
}

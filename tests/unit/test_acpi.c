/* ACPI discovery: RSDP checks, RSDT/XSDT walks, table validation, FADT fields and the queries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "acpi/acpi.h"
#include "acpi/acpi_tables.h"
#include "acpi_build.h"
#include "acpi_phys.h"
#include "host_env.h"

static struct boot_info bi;

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	acpi_phys_reset();
	memset(&bi, 0, sizeof(bi));
	return 0;
}

static void assert_table(unsigned i, const char *sig, paddr_t addr)
{
	const struct acpi_info *ai = acpi_get_info();

	assert_true(i < ai->table_count);
	assert_string_equal(ai->tables[i].sig, sig);
	assert_int_equal(ai->tables[i].addr, addr);
}

static void test_acpi1_rsdt_tree(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	struct mem_range r[8];
	uint32_t ids[4];
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(ai->present);
	assert_false(ai->via_xsdt);
	assert_string_equal(ai->oem_id, "PTVOEM");
	assert_false(acpi_oem_is_emulator());
	assert_int_equal(ai->table_count, 5);
	assert_table(0, "RSDT", AB_RSDT);
	assert_table(1, "FACP", AB_FADT);
	assert_table(2, "APIC", AB_MADT);
	assert_table(3, "HPET", AB_HPET);
	assert_table(4, "DSDT", AB_DSDT);
	assert_int_equal(ai->problems, 0);
	assert_true(ai->fadt.found);
	assert_int_equal(ai->fadt.pm1a_cnt, AB_PM1A);
	assert_int_equal(ai->fadt.pm1b_cnt, 0);
	assert_int_equal(ai->fadt.dsdt, AB_DSDT);
	assert_false(ai->fadt.reset_supported);
	assert_true(ai->s5.found);
	assert_int_equal(ai->s5.slp_typa, 5);
	assert_int_equal(ai->s5.slp_typb, 5);
	assert_int_equal(ai->madt.lapic_addr, AB_LAPIC);
	assert_int_equal(ai->madt.ioapic_count, 1);
	assert_int_equal(ai->madt.ioapics[0].id, 1);
	assert_int_equal(ai->madt.ioapics[0].addr, AB_IOAPIC);

	assert_int_equal(acpi_table_ranges(r, 8), 5);
	assert_int_equal(r[1].base, AB_FADT);
	assert_int_equal(r[1].len, 116);
	assert_int_equal(r[1].type, MEM_ACPI_RECLAIMABLE);
	assert_int_equal(acpi_table_ranges(r, 2), 2);
	assert_int_equal(acpi_cpu_apic_ids(ids, 4), 2);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 2);
	assert_int_equal(acpi_cpu_apic_ids(ids, 1), 1);
}

static void test_acpi2_xsdt_tree(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	(void)state;
	ab_tree(&bi, 2, "BOCHS ");
	/* A broken RSDT proves the XSDT is the one walked. */
	memset(acpi_phys_at(AB_RSDT), 0, 64);
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(ai->via_xsdt);
	assert_int_equal(ai->revision, 2);
	assert_true(acpi_oem_is_emulator());
	assert_int_equal(ai->table_count, 5);
	assert_table(0, "XSDT", AB_XSDT);
	assert_table(4, "DSDT", AB_DSDT);
	assert_int_equal(ai->problems, 0);
	assert_true(ai->s5.found);
}

static void test_rsdp_failures(void **state)
{
	(void)state;
	assert_int_equal(acpi_init(&bi), -1);
	assert_true(host_console_contains("acpi: the loader passed no RSDP"));

	ab_tree(&bi, 0, "BOCHS ");
	bi.rsdp[16] ^= 0x40;
	assert_int_equal(acpi_init(&bi), -1);
	assert_true(host_console_contains("RSDP checksum is wrong"));
	assert_false(acpi_get_info()->present);
	assert_false(acpi_oem_is_emulator());

	ab_tree(&bi, 0, "BOCHS ");
	bi.rsdp[0] = 'X';
	assert_int_equal(acpi_init(&bi), -1);
	assert_true(host_console_contains("RSDP is malformed"));

	/* The XSDT address lies outside the first 20 bytes: only the extended checksum sees it. */
	ab_tree(&bi, 2, "BOCHS ");
	bi.rsdp[25] ^= 0x01;
	assert_int_equal(acpi_init(&bi), -1);
	assert_true(host_console_contains("RSDP extended checksum is wrong"));
	assert_int_equal(acpi_get_info()->table_count, 0);
}

static void test_failed_init_clears_state(void **state)
{
	uint32_t ids[4];
	struct mem_range r[4];
	(void)state;
	ab_tree(&bi, 2, "BOCHS ");
	assert_int_equal(acpi_init(&bi), 0);
	bi.rsdp[8] ^= 1;
	assert_int_equal(acpi_init(&bi), -1);
	assert_int_equal(acpi_table_ranges(r, 4), 0);
	assert_int_equal(acpi_cpu_apic_ids(ids, 4), 0);
	assert_false(acpi_get_info()->fadt.found);
	assert_false(acpi_get_info()->s5.found);
}

static void test_bad_table_checksum_skipped(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	(void)state;
	ab_tree(&bi, 2, "PTVOEM");
	((uint8_t *)acpi_phys_at(AB_HPET))[40] ^= 0xff;
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("acpi: table HPET at 0xe6000 has a bad checksum, skipped"));
	assert_int_equal(ai->problems, 1);
	assert_int_equal(ai->table_count, 4);
	assert_table(3, "DSDT", AB_DSDT);
	assert_true(ai->madt.found);
}

static void test_xsdt_unmapped_falls_back(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	ab_rsdp(&bi, 2, (uint32_t)AB_RSDT, 0x100000000ULL, "PTVOEM");
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("table XSDT at 0x100000000 is not in mapped memory"));
	assert_true(host_console_contains("falling back to the RSDT"));
	assert_false(ai->via_xsdt);
	assert_table(0, "RSDT", AB_RSDT);
	assert_true(ai->fadt.found);

	host_env_reset();
	ab_rsdp(&bi, 2, 0, 0x100000000ULL, "PTVOEM");
	assert_int_equal(acpi_init(&bi), -1);
	assert_true(host_console_contains("no usable RSDT or XSDT"));
	assert_false(ai->present);
}

static void test_bad_table_headers(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	const paddr_t tail = ACPI_PHYS_END - 40;
	const paddr_t entries[] = { AB_FADT, 0, AB_HPET, AB_SSDT, 0xE8000, tail, 0xE9000 };
	uint8_t *t;
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	/* Absurd lengths: huge, and shorter than a header. */
	t = acpi_phys_at(AB_HPET);
	ab_put32(t + 4, 0x7fffffff);
	ab_header(AB_SSDT, "SSDT", 20, 1);
	ab_checksum(AB_SSDT);
	/* Nothing at 0xE8000; a table running off the end of memory; a bad signature. */
	ab_header(tail, "TAIL", 100, 1);
	ab_header(0xE9000, "BA D", 36, 1);
	ab_checksum(0xE9000);
	ab_root(AB_RSDT, false, entries, 7);
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("RSDT entry 1 is null, skipped"));
	assert_true(host_console_contains("table HPET at 0xe6000 has an absurd length"));
	assert_true(host_console_contains("table SSDT at 0xe7000 has an absurd length"));
	assert_true(host_console_contains("at 0xe8000 has a bad signature"));
	assert_true(host_console_contains("table TAIL at 0x1dffd8 is not entirely in mapped memory"));
	assert_true(host_console_contains("table BA D at 0xe9000 has a bad signature"));
	assert_int_equal(ai->problems, 6);
	assert_int_equal(ai->table_count, 3); /* RSDT, FACP, DSDT */
	assert_true(ai->s5.found);
}

static void test_fadt_extended_fields(void **state)
{
	const struct acpi_info *ai = acpi_get_info();
	static const uint8_t s5_other[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00 };
	uint8_t *t;
	(void)state;
	ab_tree(&bi, 2, "PTVOEM");
	ab_dsdt(0xE8000, s5_other, sizeof(s5_other));
	t = ab_fadt(AB_FADT, 276, 0x604, 0x608, (uint32_t)AB_DSDT);
	ab_put64(t + FADT_X_DSDT, 0xE8000);
	t[FADT_X_PM1A_CNT_BLK] = ACPI_GAS_SYSTEM_IO;
	ab_put64(t + FADT_X_PM1A_CNT_BLK + 4, 0xb004);
	t[FADT_X_PM1B_CNT_BLK] = ACPI_GAS_SYSTEM_MEMORY;
	ab_put64(t + FADT_X_PM1B_CNT_BLK + 4, 0x0900); /* low, but in memory space */
	ab_put32(t + FADT_SMI_CMD, 0xb2);
	t[FADT_ACPI_ENABLE] = 0xf1;
	ab_put32(t + FADT_FLAGS, FADT_FLAG_RESET_REG_SUP);
	t[FADT_RESET_REG] = ACPI_GAS_SYSTEM_IO;
	t[FADT_RESET_REG + 1] = 8;
	ab_put64(t + FADT_RESET_REG + 4, 0xcf9);
	t[FADT_RESET_VALUE] = 0x06;
	ab_checksum(AB_FADT);
	assert_int_equal(acpi_init(&bi), 0);
	assert_int_equal(ai->fadt.pm1a_cnt, 0xb004);
	assert_int_equal(ai->fadt.pm1b_cnt, 0x608);
	assert_true(host_console_contains("FADT X_PM1b_CNT_BLK is not an I/O port"));
	assert_int_equal(ai->fadt.dsdt, 0xE8000);
	assert_int_equal(ai->fadt.smi_cmd, 0xb2);
	assert_int_equal(ai->fadt.acpi_enable, 0xf1);
	assert_true(ai->fadt.reset_supported);
	assert_int_equal(ai->fadt.reset_reg.address, 0xcf9);
	assert_int_equal(ai->fadt.reset_value, 6);
	assert_true(ai->s5.found);
	assert_int_equal(ai->s5.slp_typa, 1);
	assert_int_equal(ai->s5.slp_typb, 0);

	/* A reset register wider than 8 bits is not the one the spec defines. */
	t[FADT_RESET_REG + 1] = 16;
	ab_checksum(AB_FADT);
	assert_int_equal(acpi_init(&bi), 0);
	assert_false(ai->fadt.reset_supported);
	assert_true(host_console_contains("FADT RESET_REG is unusable"));

	/* No DSDT at all: reported, and no \_S5. */
	t = ab_fadt(AB_FADT, 116, 0x604, 0, 0);
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("acpi: the FADT points to no DSDT"));
	assert_false(ai->s5.found);
	assert_int_equal(ai->problems, 1);
}

static void test_print(void **state)
{
	(void)state;
	ab_tree(&bi, 2, "BOCHS ");
	assert_int_equal(acpi_init(&bi), 0);
	acpi_print();
	assert_true(
		host_console_contains("ptvisor: acpi: RSDP revision 2 OEM 'BOCHS ' via XSDT, 5 tables, 0 problems\n"));
	assert_true(host_console_contains("ptvisor: acpi: FACP 0x000e3000 len    116 rev 1 OEM 'PTVTST'\n"));
	assert_true(host_console_contains("acpi: PM1a_CNT 0x604 PM1b_CNT 0x0"));
	assert_true(host_console_contains("acpi: \\_S5 SLP_TYPa 5 SLP_TYPb 5\n"));
	assert_true(host_console_contains(
		"acpi: 2 CPUs (0 disabled, 0 over the limit), local APIC 0xfee00000, 1 IOAPICs\n"));
}

static void test_checksum(void **state)
{
	static const uint8_t bytes[] = { 0x10, 0x20, 0xd0 };
	(void)state;
	assert_int_equal(acpi_checksum(bytes, 3), 0);
	assert_int_equal(acpi_checksum(bytes, 2), 0x30);
	assert_int_equal(acpi_checksum(bytes, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_acpi1_rsdt_tree, setup),
		cmocka_unit_test_setup(test_acpi2_xsdt_tree, setup),
		cmocka_unit_test_setup(test_rsdp_failures, setup),
		cmocka_unit_test_setup(test_failed_init_clears_state, setup),
		cmocka_unit_test_setup(test_bad_table_checksum_skipped, setup),
		cmocka_unit_test_setup(test_xsdt_unmapped_falls_back, setup),
		cmocka_unit_test_setup(test_bad_table_headers, setup),
		cmocka_unit_test_setup(test_fadt_extended_fields, setup),
		cmocka_unit_test_setup(test_print, setup),
		cmocka_unit_test_setup(test_checksum, setup),
	};
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}

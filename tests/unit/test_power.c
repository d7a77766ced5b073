/* Power-off and reset: the exact port writes for emulators, real firmware, and missing pieces. */
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
#include "log.h"
#include "port_log.h"
#include "power.h"

static struct boot_info bi;
static struct port_access w[64];
static jmp_buf halt_jmp;
static int halts;

void power_host_halt(void)
{
	halts++;
	longjmp(halt_jmp, 1);
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	acpi_phys_reset();
	port_log_reset();
	memset(&bi, 0, sizeof(bi));
	halts = 0;
	return 0;
}

static void assert_write(unsigned i, uint8_t size, uint16_t port, uint32_t value)
{
	assert_true(w[i].write);
	assert_int_equal(w[i].size, size);
	assert_int_equal(w[i].port, port);
	assert_int_equal(w[i].value, value);
}

/* 5 << 10 (SLP_TYPa from \_S5) | SLP_EN (bit 13), plus SCI_EN (bit 0) read back as set. */
#define PM1_S5_WRITE 0x3401

static void test_emulator_sequence(void **state)
{
	(void)state;
	ab_tree(&bi, 2, "BOCHS ");
	assert_int_equal(acpi_init(&bi), 0);
	port_log_set_input(AB_PM1A, 0x0001);
	power_off_sequence(3);
	assert_int_equal(port_log_writes(w, 64), 10);
	assert_write(0, 4, POWER_QEMU_EXIT_PORT, 3);
	for (unsigned i = 0; i < 8; i++)
		assert_write(1 + i, 1, POWER_BOCHS_SHUTDOWN_PORT, (uint8_t) "Shutdown"[i]);
	assert_write(9, 2, AB_PM1A, PM1_S5_WRITE);
	/* Eight OUTs and one IN (SCI_EN) before the sleep write: nothing else was touched. */
	assert_int_equal(port_log_count(), 11);
	assert_false(port_log_entry(9)->write);
	assert_int_equal(port_log_entry(9)->port, AB_PM1A);
}

static void test_real_firmware_sequence(void **state)
{
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a, 0x07, 0x0a, 0x02 };
	(void)state;
	ab_tree(&bi, 2, "ALASKA");
	ab_dsdt(AB_DSDT, s5, sizeof(s5));
	ab_fadt(AB_FADT, 116, 0x1804, 0x1904, (uint32_t)AB_DSDT);
	assert_int_equal(acpi_init(&bi), 0);
	port_log_set_input(0x1804, 0x0001);
	power_off_sequence(0);
	assert_int_equal(port_log_writes(w, 64), 2);
	assert_write(0, 2, 0x1804, 0x0001 | 7 << 10 | 1 << 13);
	assert_write(1, 2, 0x1904, 0x0001 | 2 << 10 | 1 << 13);
	for (unsigned i = 0; i < port_log_count(); i++) {
		assert_int_not_equal(port_log_entry(i)->port, POWER_QEMU_EXIT_PORT);
		assert_int_not_equal(port_log_entry(i)->port, POWER_BOCHS_SHUTDOWN_PORT);
	}
}

/* SCI_EN clear: ACPI_ENABLE goes to SMI_CMD first; this platform never answers. */
static void test_acpi_mode_switch(void **state)
{
	uint8_t *t;
	(void)state;
	ab_tree(&bi, 0, "ALASKA");
	t = ab_fadt(AB_FADT, 116, AB_PM1A, 0, (uint32_t)AB_DSDT);
	ab_put32(t + FADT_SMI_CMD, 0xb2);
	t[FADT_ACPI_ENABLE] = 0xf1;
	ab_checksum(AB_FADT);
	assert_int_equal(acpi_init(&bi), 0);
	port_log_set_input(AB_PM1A, 0x0000);
	power_off_sequence(1);
	assert_int_equal(port_log_writes(w, 64), 2);
	assert_write(0, 1, 0xb2, 0xf1);
	assert_write(1, 2, AB_PM1A, 5 << 10 | 1 << 13);
	assert_true(host_console_contains("did not enter ACPI mode"));
	assert_true(port_log_count() > 1000);
}

static void test_s5_absent_skips_sleep(void **state)
{
	static const uint8_t none[] = { 0xa3 };
	(void)state;
	ab_tree(&bi, 2, "BOCHS ");
	ab_dsdt(AB_DSDT, none, sizeof(none));
	assert_int_equal(acpi_init(&bi), 0);
	power_off_sequence(2);
	assert_int_equal(port_log_writes(w, 64), 9);
	assert_write(0, 4, POWER_QEMU_EXIT_PORT, 2);
	assert_write(8, 1, POWER_BOCHS_SHUTDOWN_PORT, 'n');
	assert_true(host_console_contains("power: no \\_S5 sleep type or PM1a_CNT port, skipping ACPI S5"));

	/* Without ACPI at all nothing is written: no OEM id says the exit ports are safe. */
	port_log_reset();
	memset(&bi, 0, sizeof(bi));
	assert_int_equal(acpi_init(&bi), -1);
	power_off_sequence(2);
	assert_int_equal(port_log_count(), 0);
}

static void test_power_off_logs_and_halts(void **state)
{
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	assert_int_equal(acpi_init(&bi), 0);
	port_log_set_input(AB_PM1A, 0x0001);
	log_threshold = LOG_ERR;
	if (!setjmp(halt_jmp))
		power_off(4);
	assert_int_equal(halts, 1);
	assert_true(host_console_contains("ptvisor: exit status 4\n"));
	assert_true(host_console_contains("ptvisor: error: power: power-off failed, halting\n"));
	assert_int_equal(port_log_writes(w, 64), 1);
	assert_write(0, 2, AB_PM1A, PM1_S5_WRITE);
}

static void fadt_with_reset(uint8_t space, uint64_t addr, uint8_t value)
{
	uint8_t *t = ab_fadt(AB_FADT, 276, AB_PM1A, 0, (uint32_t)AB_DSDT);

	ab_put32(t + FADT_FLAGS, FADT_FLAG_RESET_REG_SUP);
	t[FADT_RESET_REG] = space;
	t[FADT_RESET_REG + 1] = 8;
	ab_put64(t + FADT_RESET_REG + 4, addr);
	t[FADT_RESET_VALUE] = value;
	ab_checksum(AB_FADT);
}

static void test_reset_register_io_then_kbc(void **state)
{
	(void)state;
	ab_tree(&bi, 2, "PTVOEM");
	fadt_with_reset(ACPI_GAS_SYSTEM_IO, 0xcf9, 0x06);
	assert_int_equal(acpi_init(&bi), 0);
	port_log_set_input(0x64, 0x1c);
	power_reset_sequence();
	assert_int_equal(port_log_writes(w, 64), 2);
	assert_write(0, 1, 0xcf9, 0x06);
	assert_write(1, 1, 0x64, 0xfe);
}

static void test_reset_register_pci_and_memory(void **state)
{
	const paddr_t reg = 0xE9000;
	(void)state;
	ab_tree(&bi, 2, "PTVOEM");
	fadt_with_reset(ACPI_GAS_PCI_CONFIG, 31ULL << 32 | 3ULL << 16 | 0x4a, 0x0e);
	assert_int_equal(acpi_init(&bi), 0);
	power_reset_sequence();
	assert_int_equal(port_log_writes(w, 64), 2);
	assert_write(0, 4, 0xcf8, 0x80000000u | 31 << 11 | 3 << 8 | 0x48);
	assert_write(1, 1, 0xcfe, 0x0e);

	port_log_reset();
	fadt_with_reset(ACPI_GAS_SYSTEM_MEMORY, reg, 0x5a);
	assert_int_equal(acpi_init(&bi), 0);
	power_reset_sequence();
	assert_int_equal(*(uint8_t *)acpi_phys_at(reg), 0x5a);
	assert_int_equal(port_log_writes(w, 64), 0); /* no 8042 answers */
	assert_true(host_console_contains("power: no keyboard controller answers"));
}

static void test_reset_without_means_halts(void **state)
{
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	assert_int_equal(acpi_init(&bi), 0);
	if (!setjmp(halt_jmp))
		power_reset();
	assert_int_equal(halts, 1);
	assert_int_equal(port_log_writes(w, 64), 0);
	assert_true(host_console_contains("ptvisor: error: power: reset failed, halting\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_emulator_sequence, setup),
		cmocka_unit_test_setup(test_real_firmware_sequence, setup),
		cmocka_unit_test_setup(test_acpi_mode_switch, setup),
		cmocka_unit_test_setup(test_s5_absent_skips_sleep, setup),
		cmocka_unit_test_setup(test_power_off_logs_and_halts, setup),
		cmocka_unit_test_setup(test_reset_register_io_then_kbc, setup),
		cmocka_unit_test_setup(test_reset_register_pci_and_memory, setup),
		cmocka_unit_test_setup(test_reset_without_means_halts, setup),
	};
	return cmocka_run_group_tests_name("power", tests, NULL, NULL);
}

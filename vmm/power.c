/* Power-off with a status and reset: emulator exit ports, ACPI S5, FADT reset register, 8042. */
#include "power.h"
#include "acpi/acpi.h"
#include "console/serial.h"
#include "cpu.h"
#include "log.h"
#include "mem/phys.h"

/* ACPI 6.5, 4.8.3.2.1 "PM1 Control Registers". */
#define PM1_CNT_SCI_EN        BIT(0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN        BIT(13)

/* 8042 keyboard controller: status/command port, input-buffer-full bit, pulse-reset command. */
#define KBC_PORT            0x64
#define KBC_STATUS_IBF      BIT(1)
#define KBC_CMD_PULSE_RESET 0xfe

/* PCI configuration mechanism #1, used for a RESET_REG in PCI configuration space. */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

/* Every wait is bounded: hardware that never answers must still end in a message. */
#define POWER_SPIN 1000000u

static void power_settle(void)
{
	for (unsigned i = 0; i < POWER_SPIN; i++)
		cpu_pause();
}

static void __noreturn power_halt(void)
{
	serial_flush();
#ifdef PTV_HOST_TEST
	power_host_halt();
#else
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
#endif
}

/*
 * A legacy-mode platform (SCI_EN clear) may hand PM1 control writes to SMM;
 * writing the FADT's ACPI_ENABLE value to SMI_CMD switches it to ACPI mode
 * (ACPI 6.5, 5.2.9 "Fixed ACPI Description Table (FADT)", SMI_CMD). Returns
 * the SCI_EN bit to preserve in the sleep write.
 */
static uint16_t power_acpi_mode(const struct acpi_fadt_info *f)
{
	if (cpu_inw(f->pm1a_cnt) & PM1_CNT_SCI_EN)
		return PM1_CNT_SCI_EN;
	if (!f->smi_cmd || !f->acpi_enable || f->smi_cmd > 0xffff)
		return 0;
	cpu_outb((uint16_t)f->smi_cmd, f->acpi_enable);
	for (unsigned i = 0; i < POWER_SPIN; i++) {
		if (cpu_inw(f->pm1a_cnt) & PM1_CNT_SCI_EN)
			return PM1_CNT_SCI_EN;
		cpu_pause();
	}
	pr_warn("power: the platform did not enter ACPI mode\n");
	return 0;
}

/* ACPI 6.5, 7.4.2 "\_Sx (System States)": SLP_TYPx from \_S5 with SLP_EN, to PM1a then PM1b. */
static void power_acpi_s5(const struct acpi_info *ai)
{
	const struct acpi_fadt_info *f = &ai->fadt;
	uint16_t sci;

	if (!ai->s5.found || !f->pm1a_cnt) {
		pr_warn("power: no \\_S5 sleep type or PM1a_CNT port, skipping ACPI S5\n");
		return;
	}
	sci = power_acpi_mode(f);
	cpu_outw(f->pm1a_cnt, sci | (uint16_t)(ai->s5.slp_typa << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
	if (f->pm1b_cnt)
		cpu_outw(f->pm1b_cnt, sci | (uint16_t)(ai->s5.slp_typb << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
	power_settle();
}

void power_off_sequence(int status)
{
	if (acpi_oem_is_emulator()) {
		cpu_outl(POWER_QEMU_EXIT_PORT, (uint32_t)status);
		for (const char *s = "Shutdown"; *s; s++)
			cpu_outb(POWER_BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	}
	power_acpi_s5(acpi_get_info());
}

void power_off(int status)
{
	/* Test runners parse this line: a quiet log level must not swallow it. */
	if (log_threshold < LOG_INFO)
		log_threshold = LOG_INFO;
	pr_info("exit status %d\n", status);
	serial_flush();
	power_off_sequence(status);
	pr_err("power: power-off failed, halting\n");
	power_halt();
}

/* GAS PCI address (ACPI 6.5, 5.2.3.2): bus 0; device in bits 47:32, function 31:16, offset 15:0. */
static void power_pci_write8(uint64_t gas_addr, uint8_t v)
{
	uint32_t dev = (uint32_t)(gas_addr >> 32) & 0xffff;
	uint32_t fn = (uint32_t)(gas_addr >> 16) & 0xffff;
	uint32_t off = (uint32_t)gas_addr & 0xffff;

	if (dev > 31 || fn > 7 || off > 255) {
		pr_warn("power: RESET_REG PCI address 0x%llx is out of range\n", (unsigned long long)gas_addr);
		return;
	}
	cpu_outl(PCI_CONFIG_ADDRESS, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
	cpu_outb((uint16_t)(PCI_CONFIG_DATA + (off & 3)), v);
}

/* ACPI 6.5, 4.8.3.6 "Reset Register": write RESET_VALUE to RESET_REG. */
static void power_write_reset_reg(const struct acpi_fadt_info *f)
{
	const struct acpi_gas *g = &f->reset_reg;
	volatile uint8_t *p;

	switch (g->space_id) {
	case ACPI_GAS_SYSTEM_IO:
		cpu_outb((uint16_t)g->address, f->reset_value);
		break;
	case ACPI_GAS_SYSTEM_MEMORY:
		p = phys_map(g->address, 1);
		if (p)
			*p = f->reset_value;
		break;
	case ACPI_GAS_PCI_CONFIG:
		power_pci_write8(g->address, f->reset_value);
		break;
	default:
		break;
	}
	power_settle();
}

/* The 8042's pulse-reset command; a missing controller floats its status port to 0xff. */
static bool power_kbc_reset(void)
{
	if (cpu_inb(KBC_PORT) == 0xff)
		return false;
	for (unsigned i = 0; i < POWER_SPIN && (cpu_inb(KBC_PORT) & KBC_STATUS_IBF); i++)
		cpu_pause();
	cpu_outb(KBC_PORT, KBC_CMD_PULSE_RESET);
	power_settle();
	return true;
}

void power_reset_sequence(void)
{
	const struct acpi_fadt_info *f = &acpi_get_info()->fadt;

	if (f->reset_supported)
		power_write_reset_reg(f);
	if (!power_kbc_reset())
		pr_warn("power: no keyboard controller answers\n");
}

/* Never a deliberate triple fault: a machine that will not reset stops where it can be seen. */
void power_reset(void)
{
	pr_info("resetting\n");
	serial_flush();
	power_reset_sequence();
	pr_err("power: reset failed, halting\n");
	power_halt();
}

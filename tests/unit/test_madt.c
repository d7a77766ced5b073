/* MADT parsing: usable CPUs by APIC id, IOAPICs, and entries that are too short, zero or overrun. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	ab_tree(&bi, 2, "PTVOEM");
	return 0;
}

/* Processor Local APIC (type 0, 8 bytes) and Processor Local x2APIC (type 9, 16 bytes). */
#define LAPIC(uid, id, flags) 0, 8, uid, id, flags, 0, 0, 0
#define X2APIC(id, flags)     9, 16, 0, 0, (id)&0xff, ((id) >> 8) & 0xff, 0, 0, flags, 0, 0, 0, 0, 0, 0, 0

static void test_cpus_enabled_disabled_x2apic(void **state)
{
	static const uint8_t e[] = {
		LAPIC(0, 0, 1),
		LAPIC(1, 1, 1),
		LAPIC(2, 3, 0), /* disabled, not online capable */
		X2APIC(0x100, 1),
		X2APIC(1, 1), /* same CPU as the second xAPIC entry */
		1,
		12,
		8,
		0,
		0x00,
		0x10,
		0xc0,
		0xfe,
		24,
		0,
		0,
		0, /* IOAPIC 8, GSI base 24 */
		5,
		12,
		0,
		0,
		0x00,
		0x00,
		0xe1,
		0xfe,
		0,
		0,
		0,
		0, /* local APIC address override */
		2,
		10,
		0,
		0,
		2,
		0,
		0,
		0,
		0,
		0, /* interrupt source override */
	};
	const struct acpi_info *ai = acpi_get_info();
	uint32_t ids[8];
	(void)state;
	ab_madt(AB_MADT, e, sizeof(e));
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(ai->madt.found);
	assert_int_equal(acpi_cpu_apic_ids(ids, 8), 3);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 1);
	assert_int_equal(ids[2], 0x100);
	assert_int_equal(ai->madt.cpus_disabled, 1);
	assert_int_equal(ai->madt.ioapic_count, 1);
	assert_int_equal(ai->madt.ioapics[0].id, 8);
	assert_int_equal(ai->madt.ioapics[0].addr, 0xfec01000);
	assert_int_equal(ai->madt.ioapics[0].gsi_base, 24);
	assert_int_equal(ai->madt.lapic_addr, 0xfee10000ULL);
	assert_int_equal(ai->madt.problems, 0);
	assert_int_equal(ai->problems, 0);
}

static void test_online_capable_counts(void **state)
{
	static const uint8_t e[] = { LAPIC(0, 0, 1), LAPIC(1, 4, 2), X2APIC(0x200, 2), X2APIC(0x201, 0) };
	uint32_t ids[8];
	(void)state;
	ab_madt(AB_MADT, e, sizeof(e));
	assert_int_equal(acpi_init(&bi), 0);
	assert_int_equal(acpi_cpu_apic_ids(ids, 8), 3);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ids[2], 0x200);
	assert_int_equal(acpi_get_info()->madt.cpus_disabled, 1);
}

static void test_zero_length_entry_stops(void **state)
{
	static const uint8_t e[] = { LAPIC(0, 0, 1), 0, 0, 0, 0, 0, 0, 0, 0, LAPIC(1, 1, 1) };
	uint32_t ids[8];
	(void)state;
	ab_madt(AB_MADT, e, sizeof(e));
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("MADT entry at offset 52 has length 0, parsing stopped"));
	assert_int_equal(acpi_cpu_apic_ids(ids, 8), 1);
	assert_int_equal(acpi_get_info()->madt.problems, 1);
	assert_int_equal(acpi_get_info()->problems, 1);
}

/* The MADT sits at the very end of fake memory: a read past it is an ASan error, not a pass. */
static void test_entry_running_past_table(void **state)
{
	static const uint8_t e[] = { LAPIC(0, 0, 1), X2APIC(7, 1) };
	const uint32_t len = 44 + sizeof(e) - 6; /* cut the x2APIC entry short */
	const paddr_t at = ACPI_PHYS_END - len;
	const paddr_t entries[] = { AB_FADT, at };
	uint32_t ids[8];
	uint8_t *t;
	(void)state;
	ab_madt(at - 6, e, sizeof(e)); /* built 6 bytes lower, then moved up */
	t = acpi_phys_at(at - 6);
	memmove(t + 6, t, len);
	ab_put32(t + 6 + 4, len);
	ab_checksum(at);
	ab_root(AB_XSDT, true, entries, 2);
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(host_console_contains("MADT entry at offset 52 (type 9, length 16) runs past the table"));
	assert_int_equal(acpi_cpu_apic_ids(ids, 8), 1);
	assert_int_equal(acpi_get_info()->madt.problems, 1);
}

/* Direct parses of exactly-sized heap buffers, so ASan bounds every read. */
static void parse_exact(const uint8_t *entries, uint32_t n, struct acpi_madt_info *m)
{
	uint8_t *t = malloc(44 + n);

	assert_non_null(t);
	memset(t, 0, 44);
	ab_put32(t + 4, 44 + n);
	ab_put32(t + 36, AB_LAPIC);
	memcpy(t + 44, entries, n);
	acpi_madt_parse(t, 44 + n, m);
	free(t);
}

static void test_truncated_and_short_entries(void **state)
{
	static const uint8_t tail_byte[] = { LAPIC(0, 5, 1), 0 };
	static const uint8_t short_lapic[] = { 0, 4, 0, 9, LAPIC(1, 6, 1) };
	static struct acpi_madt_info m;
	(void)state;
	parse_exact(tail_byte, sizeof(tail_byte), &m);
	assert_true(m.found);
	assert_int_equal(m.cpu_count, 1);
	assert_int_equal(m.cpu_apic_ids[0], 5);
	assert_int_equal(m.problems, 1);
	assert_true(host_console_contains("MADT ends inside an entry header at offset 52"));

	parse_exact(short_lapic, sizeof(short_lapic), &m);
	assert_true(host_console_contains("MADT type 0 entry at offset 44 is 4 bytes, expected 8; skipped"));
	assert_int_equal(m.cpu_count, 1);
	assert_int_equal(m.cpu_apic_ids[0], 6);

	parse_exact(tail_byte, 0, &m);
	assert_true(m.found);
	assert_int_equal(m.cpu_count, 0);
	assert_int_equal(m.problems, 0);
}

static void test_too_short_madt_and_cpu_limit(void **state)
{
	static struct acpi_madt_info m;
	static uint8_t e[(ACPI_MAX_CPUS + 2) * 16];
	uint8_t hdr[40] = { 0 };
	(void)state;
	acpi_madt_parse(hdr, sizeof(hdr), &m);
	assert_false(m.found);
	assert_int_equal(m.problems, 1);

	for (unsigned i = 0; i < ACPI_MAX_CPUS + 2; i++) {
		const uint8_t x[] = { X2APIC(i, 1) };
		memcpy(e + i * 16, x, 16);
	}
	parse_exact(e, sizeof(e), &m);
	assert_int_equal(m.cpu_count, ACPI_MAX_CPUS);
	assert_int_equal(m.cpus_dropped, 2);
	assert_int_equal(m.cpu_apic_ids[ACPI_MAX_CPUS - 1], ACPI_MAX_CPUS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cpus_enabled_disabled_x2apic, setup),
		cmocka_unit_test_setup(test_online_capable_counts, setup),
		cmocka_unit_test_setup(test_zero_length_entry_stops, setup),
		cmocka_unit_test_setup(test_entry_running_past_table, setup),
		cmocka_unit_test_setup(test_truncated_and_short_entries, setup),
		cmocka_unit_test_setup(test_too_short_madt_and_cpu_limit, setup),
	};
	/* A parser that stops advancing must fail the run, not hang it. */
	alarm(30);
	return cmocka_run_group_tests_name("madt", tests, NULL, NULL);
}

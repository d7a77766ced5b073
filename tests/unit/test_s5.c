/* The \_S5 scan of AML: integer forms, PkgLength forms, decoys, and malformed or truncated packages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "acpi/acpi.h"
#include "acpi/acpi_tables.h"
#include "acpi_build.h"
#include "acpi_phys.h"
#include "host_env.h"

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	acpi_phys_reset();
	return 0;
}

/* Scans a heap copy of exactly `n` bytes, so any read past the AML is an ASan error. */
static bool scan(const uint8_t *aml, size_t n, struct acpi_s5 *s5)
{
	uint8_t *copy = malloc(n ? n : 1);
	bool found;

	assert_non_null(copy);
	memcpy(copy, aml, n);
	found = acpi_aml_find_s5(copy, n, s5);
	free(copy);
	assert_int_equal(found, s5->found);
	return found;
}

#define S5_NAME 0x08, '_', 'S', '5', '_'

static void test_integer_forms(void **state)
{
	static const uint8_t byte_form[] = { 0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x08,
					     0x04, 0x0a, 0x05, 0x0a, 0x06, 0x00, 0x00 };
	static const uint8_t zero_one[] = { S5_NAME, 0x12, 0x04, 0x02, 0x00, 0x01 };
	static const uint8_t one_zero[] = { 0xa0, 0x01, S5_NAME, 0x12, 0x04, 0x02, 0x01, 0x00 };
	/* WordPrefix and a two-byte PkgLength (0x48 0x00 = 8). */
	static const uint8_t word_form[] = { S5_NAME, 0x12, 0x48, 0x00, 0x02, 0x0b, 0x07, 0x00, 0x0a, 0x03 };
	static const uint8_t dword_form[] = { S5_NAME, 0x12, 0x0c, 0x02, 0x0c, 0x02, 0, 0, 0, 0x0c, 0x04, 0, 0, 0 };
	struct acpi_s5 s5;
	(void)state;
	assert_true(scan(byte_form, sizeof(byte_form), &s5));
	assert_int_equal(s5.slp_typa, 5);
	assert_int_equal(s5.slp_typb, 6);
	assert_true(scan(zero_one, sizeof(zero_one), &s5));
	assert_int_equal(s5.slp_typa, 0);
	assert_int_equal(s5.slp_typb, 1);
	assert_true(scan(one_zero, sizeof(one_zero), &s5));
	assert_int_equal(s5.slp_typa, 1);
	assert_int_equal(s5.slp_typb, 0);
	assert_true(scan(word_form, sizeof(word_form), &s5));
	assert_int_equal(s5.slp_typa, 7);
	assert_int_equal(s5.slp_typb, 3);
	assert_true(scan(dword_form, sizeof(dword_form), &s5));
	assert_int_equal(s5.slp_typa, 2);
	assert_int_equal(s5.slp_typb, 4);
	assert_false(host_console_contains("malformed"));
}

static void test_absent_and_decoys(void **state)
{
	/* "_S5_" as string data, as a name without NameOp, and the _S4_ object: none is \_S5. */
	static const uint8_t decoys[] = { 0x0d, '_',  'S',  '5',  '_', 0x00, 0x70, '_', 'S',  '5',  '_',  0x12, 0x04,
					  0x02, 0x00, 0x01, 0x08, '_', 'S',  '4',  '_', 0x12, 0x04, 0x02, 0x01, 0x01 };
	static const uint8_t at_end[] = { 0x00, 0x08, '_', 'S', '5', '_' };
	static const uint8_t name_only[] = { '_', 'S', '5', '_' };
	struct acpi_s5 s5;
	(void)state;
	assert_false(scan(decoys, sizeof(decoys), &s5));
	assert_false(host_console_contains("malformed"));
	assert_false(scan(at_end, sizeof(at_end), &s5));
	assert_false(scan(name_only, sizeof(name_only), &s5));
	assert_false(scan(name_only, 0, &s5));
}

static void test_malformed_packages(void **state)
{
	static const uint8_t cases[][12] = {
		{ S5_NAME, 0x12, 0x08, 0x04, 0x0a, 0x05 },       /* PkgLength past the end */
		{ S5_NAME, 0x12, 0x04, 0x01, 0x0a, 0x05 },       /* one element */
		{ S5_NAME, 0x12, 0x04, 0x02, 0x0a, 0x05 },       /* 2nd element outside PkgLength */
		{ S5_NAME, 0x12, 0x05, 0x02, 0x0a, 0x09, 0x00 }, /* SLP_TYP over 3 bits */
		{ S5_NAME, 0x12, 0x05, 0x02, 0x72, 0x05, 0x00 }, /* not an integer */
		{ S5_NAME, 0x12, 0x70, 0x02, 0x00, 0x00 },       /* bits 5-4 set with follow bytes */
		{ S5_NAME, 0x12, 0x01 },                         /* no room for NumElements */
		{ S5_NAME, 0x13, 0x04, 0x02, 0x00, 0x00 },       /* not a PackageOp */
	};
	static const size_t lens[] = { 9, 11, 11, 12, 12, 11, 7, 10 };
	struct acpi_s5 s5;
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(lens); i++) {
		host_env_reset();
		assert_false(scan(cases[i], lens[i], &s5));
		assert_true(host_console_contains("malformed \\_S5 package at AML offset 0x1, ignored"));
	}
	/* Cut inside the PkgLength bytes, right after PackageOp, and inside a BytePrefix operand. */
	assert_false(scan((const uint8_t[]){ S5_NAME, 0x12, 0xc0, 0x01 }, 8, &s5));
	assert_false(scan((const uint8_t[]){ S5_NAME, 0x12 }, 6, &s5));
	assert_false(scan((const uint8_t[]){ S5_NAME, 0x12, 0x04, 0x02, 0x00, 0x0a }, 10, &s5));
}

static void test_malformed_then_valid(void **state)
{
	static const uint8_t aml[] = { S5_NAME, 0x12, 0x04, 0x01, 0x0a, 0x05, S5_NAME, 0x12, 0x04, 0x02, 0x00, 0x01 };
	struct acpi_s5 s5;
	(void)state;
	assert_true(scan(aml, sizeof(aml), &s5));
	assert_int_equal(s5.slp_typb, 1);
	assert_true(host_console_contains("malformed \\_S5 package"));
}

static void test_init_dsdt_without_s5_uses_ssdt(void **state)
{
	static const uint8_t none[] = { 0xa3 };
	static const uint8_t ssdt[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x03, 0x00 };
	const paddr_t entries[] = { AB_FADT, AB_MADT, AB_SSDT };
	struct boot_info bi = { 0 };
	const struct acpi_info *ai = acpi_get_info();
	(void)state;
	ab_tree(&bi, 2, "PTVOEM");
	ab_dsdt(AB_DSDT, none, sizeof(none));
	assert_int_equal(acpi_init(&bi), 0);
	assert_false(ai->s5.found);
	assert_true(host_console_contains("no \\_S5 object in the DSDT or SSDTs"));

	ab_table(AB_SSDT, "SSDT", ssdt, sizeof(ssdt));
	ab_root(AB_XSDT, true, entries, 3);
	assert_int_equal(acpi_init(&bi), 0);
	assert_true(ai->s5.found);
	assert_int_equal(ai->s5.slp_typa, 3);
	assert_int_equal(ai->s5.slp_typb, 0);
	assert_false(host_console_contains("malformed"));
}

/* The DSDT ends right at the end of fake memory, with \_S5 cut off inside its package. */
static void test_init_truncated_dsdt_package(void **state)
{
	static const uint8_t cut[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a };
	const uint32_t len = 36 + 18 + sizeof(cut); /* 18 bytes of decoy AML from ab_dsdt() */
	const paddr_t at = ACPI_PHYS_END - len;
	struct boot_info bi = { 0 };
	(void)state;
	ab_tree(&bi, 0, "PTVOEM");
	ab_dsdt(at, cut, sizeof(cut));
	ab_fadt(AB_FADT, 116, AB_PM1A, 0, (uint32_t)at);
	assert_int_equal(acpi_init(&bi), 0);
	assert_int_equal(acpi_get_info()->fadt.dsdt, at);
	assert_false(acpi_get_info()->s5.found);
	assert_true(host_console_contains("malformed \\_S5 package at AML offset 0x13, ignored"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_integer_forms, setup),
		cmocka_unit_test_setup(test_absent_and_decoys, setup),
		cmocka_unit_test_setup(test_malformed_packages, setup),
		cmocka_unit_test_setup(test_malformed_then_valid, setup),
		cmocka_unit_test_setup(test_init_dsdt_without_s5_uses_ssdt, setup),
		cmocka_unit_test_setup(test_init_truncated_dsdt_package, setup),
	};
	return cmocka_run_group_tests_name("s5", tests, NULL, NULL);
}

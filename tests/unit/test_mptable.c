/* The MP table of Linux guests: what Linux's mpparse.c checks (signature, alignment, length, revision, checksums) and every entry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest/mptable.h"

static const struct mptable_params params = {
	.apic_id = 3,
	.apic_version = 0x14,
	.cpu_signature = 0x000806c1,
	.cpu_features = 0xbfebfbff,
	.ioapic_id = 8,
	.ioapic_version = 0x11,
	.ioapic_addr = 0xfec00000u,
	.lapic_addr = 0xfee00000u,
};

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Linux's smp_scan_config: "_MP_" at 16-byte steps, length 1 paragraph, revision 1 or 4, checksum 0. */
static const uint8_t *scan(const uint8_t *area, size_t len)
{
	for (size_t off = 0; off + 16 <= len; off += 16) {
		const uint8_t *p = area + off;
		if (!memcmp(p, "_MP_", 4) && p[8] == 1 && !sum(p, 16) && (p[9] == 1 || p[9] == 4))
			return p;
	}
	return NULL;
}

static void test_floating_pointer_and_header(void **state)
{
	static uint8_t bios[0x10000]; /* 0xF0000-0xFFFFF */
	(void)state;
	host_env_reset();
	assert_int_equal(mptable_build(bios, sizeof(bios), MPTABLE_GPA, &params), MPTABLE_SIZE);
	const uint8_t *fp = scan(bios, sizeof(bios));
	assert_non_null(fp);
	assert_int_equal(fp[9], 4);
	assert_int_equal(fp[11], 0); /* a configuration table is present */
	assert_int_equal(fp[12], 0); /* no IMCR: virtual wire mode */
	uint32_t table = le32(fp + 4);
	assert_true(table >= MPTABLE_GPA && table < MPTABLE_GPA + sizeof(bios));
	const uint8_t *h = bios + (table - MPTABLE_GPA);
	assert_memory_equal(h, "PCMP", 4);
	uint16_t len = le16(h + 4);
	assert_int_equal(len, MPTABLE_SIZE - 16);
	assert_int_equal(h[6], 4);
	assert_int_equal(sum(h, len), 0);
	assert_int_equal(le16(h + 34), MPTABLE_ENTRIES);
	assert_int_equal(le32(h + 36), 0xfee00000u);
	assert_int_equal(le16(h + 40), 0); /* no extended table */
	/* A corrupted byte breaks the checksum Linux verifies. */
	bios[(table - MPTABLE_GPA) + 50] ^= 1;
	assert_int_not_equal(sum(h, len), 0);
}

static void test_entries(void **state)
{
	uint8_t buf[MPTABLE_SIZE];
	unsigned ioints = 0, localints = 0, pin_of_irq[16];
	(void)state;
	host_env_reset();
	memset(pin_of_irq, 0xff, sizeof(pin_of_irq));
	assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0000, &params), sizeof(buf));
	const uint8_t *e = buf + 16 + 44, *end = buf + 16 + le16(buf + 16 + 4);

	/* Processor: enabled bootstrap processor with the guest's APIC ID, version and CPUID. */
	assert_int_equal(e[0], MP_ENTRY_PROCESSOR);
	assert_int_equal(e[1], 3);
	assert_int_equal(e[2], 0x14);
	assert_int_equal(e[3], 3);
	assert_int_equal(le32(e + 4), 0x6c1);
	assert_int_equal(le32(e + 8), 0xbfebfbff);
	e += 20;
	assert_int_equal(e[0], MP_ENTRY_BUS);
	assert_int_equal(e[1], 0);
	assert_memory_equal(e + 2, "ISA   ", 6);
	e += 8;
	assert_int_equal(e[0], MP_ENTRY_IOAPIC);
	assert_int_equal(e[1], 8);
	assert_int_equal(e[2], 0x11);
	assert_int_equal(e[3], 1);
	assert_int_equal(le32(e + 4), 0xfec00000u);
	for (e += 8; e < end; e += 8) {
		if (e[0] == MP_ENTRY_IOINT) {
			assert_int_equal(e[1], MP_INT_INT);
			assert_int_equal(le16(e + 2), 0); /* conforms to ISA: edge, active high */
			assert_int_equal(e[4], 0);
			assert_int_equal(e[6], 8);
			assert_true(e[5] < 16);
			pin_of_irq[e[5]] = e[7];
			ioints++;
		} else {
			assert_int_equal(e[0], MP_ENTRY_LOCALINT);
			assert_int_equal(e[6], 0xff);
			assert_int_equal(e[1], e[7] == 0 ? MP_INT_EXTINT : MP_INT_NMI);
			localints++;
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(ioints, 15);
	assert_int_equal(localints, 2);
	assert_int_equal(pin_of_irq[0], 2);
	assert_int_equal(pin_of_irq[2], 0xffffffffu); /* the cascade has no entry */
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq != 2)
			assert_int_equal(pin_of_irq[irq], irq);
}

static void test_refusals(void **state)
{
	uint8_t buf[MPTABLE_SIZE];
	(void)state;
	host_env_reset();
	assert_int_equal(mptable_build(buf, sizeof(buf) - 1, 0xf0000, &params), 0);
	assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0008, &params), 0);
	assert_int_equal(mptable_build(NULL, sizeof(buf), 0xf0000, &params), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floating_pointer_and_header),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("mptable", tests, NULL, NULL);
}

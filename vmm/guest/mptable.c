/*
 * MP table writer (Intel MultiProcessor Specification 1.4, 4.1 "MP Floating Pointer Structure", 4.2 "MP
 * Configuration Table Header", 4.3 "Base MP Configuration Table Entries"). Linux finds the floating
 * pointer by its "_MP_" signature on a 16-byte boundary, then takes this table instead of guessing a
 * "virtual wire" PC: one CPU, its I/O APIC, and which pin each ISA IRQ drives.
 */
#include "guest/mptable.h"
#include "lib/bytes.h"
#include "lib/string.h"

#define MP_SPEC_REV    4 /* version 1.4 */
#define MP_HEADER_SIZE 44u
#define MP_CPU_EN      BIT(0)  /* processor entry: usable */
#define MP_CPU_BP      BIT(1)  /* ... the bootstrap processor */
#define MP_IOAPIC_EN   BIT(0)  /* I/O APIC entry: usable */
#define MP_ISA_BUS     0       /* the one bus's ID */
#define MP_ALL_LAPICS  0xffu   /* local interrupt entry: every local APIC */
#define MP_FLAGS_BUS   0x0000u /* polarity and trigger "conform to the bus": ISA is active high, edge */

/* Makes the bytes sum to 0 modulo 256 through the checksum byte at csum. */
static void checksum(uint8_t *p, size_t len, uint8_t *csum)
{
	uint8_t sum = 0;

	*csum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	*csum = (uint8_t)-sum;
}

static uint8_t *put_processor(uint8_t *e, const struct mptable_params *p)
{
	e[0] = MP_ENTRY_PROCESSOR;
	e[1] = p->apic_id;
	e[2] = p->apic_version;
	e[3] = MP_CPU_EN | MP_CPU_BP;
	put_le32(e + 4, p->cpu_signature & 0xfff);
	put_le32(e + 8, p->cpu_features);
	return e + 20; /* bytes 12-19 reserved */
}

static uint8_t *put_bus(uint8_t *e)
{
	e[0] = MP_ENTRY_BUS;
	e[1] = MP_ISA_BUS;
	memcpy(e + 2, "ISA   ", 6); /* bus type string, blank padded (Table 4-8) */
	return e + 8;
}

static uint8_t *put_ioapic(uint8_t *e, const struct mptable_params *p)
{
	e[0] = MP_ENTRY_IOAPIC;
	e[1] = p->ioapic_id;
	e[2] = p->ioapic_version;
	e[3] = MP_IOAPIC_EN;
	put_le32(e + 4, p->ioapic_addr);
	return e + 8;
}

/* An interrupt entry (I/O or local): type, interrupt type, flags, source bus/IRQ, destination, pin. */
static uint8_t *put_int(uint8_t *e, uint8_t type, uint8_t itype, uint8_t irq, uint8_t dest, uint8_t pin)
{
	e[0] = type;
	e[1] = itype;
	put_le16(e + 2, MP_FLAGS_BUS);
	e[4] = MP_ISA_BUS;
	e[5] = irq;
	e[6] = dest;
	e[7] = pin;
	return e + 8;
}

size_t mptable_build(void *buf, size_t size, uint32_t gpa, const struct mptable_params *p)
{
	uint8_t *fp = buf, *hdr = fp + 16, *e = hdr + MP_HEADER_SIZE;

	if (!buf || !p || size < MPTABLE_SIZE || (gpa & 15))
		return 0;
	memset(buf, 0, MPTABLE_SIZE);

	e = put_processor(e, p);
	e = put_bus(e);
	e = put_ioapic(e, p);
	/* ISA IRQ n drives pin n, but IRQ 0 (the PIT) drives pin 2, and IRQ 2, the PIC cascade, none. */
	for (uint8_t irq = 0; irq < 16; irq++)
		if (irq != 2)
			e = put_int(e, MP_ENTRY_IOINT, MP_INT_INT, irq, p->ioapic_id, irq ? irq : 2);
	e = put_int(e, MP_ENTRY_LOCALINT, MP_INT_EXTINT, 0, MP_ALL_LAPICS, 0);
	e = put_int(e, MP_ENTRY_LOCALINT, MP_INT_NMI, 0, MP_ALL_LAPICS, 1);

	/* Configuration table header (MP spec Table 4-2). */
	memcpy(hdr, "PCMP", 4);
	put_le16(hdr + 4, (uint16_t)(e - hdr)); /* base table length */
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "PTVISOR ", 8);       /* OEM ID */
	memcpy(hdr + 16, "GUEST       ", 12); /* product ID */
	put_le16(hdr + 34, (uint16_t)MPTABLE_ENTRIES);
	put_le32(hdr + 36, p->lapic_addr);
	checksum(hdr, (size_t)(e - hdr), hdr + 7);

	/* Floating pointer (MP spec Table 4-1): one paragraph; feature bytes 0: the table exists, no IMCR. */
	memcpy(fp, "_MP_", 4);
	put_le32(fp + 4, gpa + 16);
	fp[8] = 1;
	fp[9] = MP_SPEC_REV;
	checksum(fp, 16, fp + 10);
	return (size_t)(e - fp);
}

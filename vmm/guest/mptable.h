/*
 * An MP table for Linux guests (Intel MultiProcessor Specification 1.4, chapter 4 "MP Configuration
 * Table"): one processor, an ISA bus, the I/O APIC with the ISA IRQs on its pins, LINT0/LINT1 wiring.
 */
#ifndef PTV_GUEST_MPTABLE_H
#define PTV_GUEST_MPTABLE_H

#include "types.h"

#define MPTABLE_GPA 0xf0000u /* in the BIOS area Linux scans (0xF0000-0xFFFFF), inside the reserved hole */

/* Floating pointer 16, header 44, processor 20, bus 8, I/O APIC 8, 15 ISA IRQs and 2 local interrupts 8 each. */
#define MPTABLE_ISA_IRQS 15u /* IRQ 0-15 but the cascade (2): IRQ 0 goes to pin 2 */
#define MPTABLE_ENTRIES  (3u + MPTABLE_ISA_IRQS + 2u)
#define MPTABLE_SIZE     (16u + 44u + 20u + 8u * (MPTABLE_ENTRIES - 1u))

/* Entry types (MP spec 4.3, Table 4-3) and interrupt types (Table 4-10). */
#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS       1
#define MP_ENTRY_IOAPIC    2
#define MP_ENTRY_IOINT     3
#define MP_ENTRY_LOCALINT  4
#define MP_INT_INT         0
#define MP_INT_NMI         1
#define MP_INT_EXTINT      3

struct mptable_params {
	uint8_t apic_id;        /* the guest's one processor */
	uint8_t apic_version;   /* its local APIC's version register, bits 7:0 */
	uint32_t cpu_signature; /* CPUID.1:EAX stepping, model, family (bits 11:0) */
	uint32_t cpu_features;  /* CPUID.1:EDX */
	uint8_t ioapic_id;
	uint8_t ioapic_version;
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
};

/*
 * Writes the floating pointer at buf (guest-physical address gpa, 16-byte aligned) and the
 * configuration table right after it, checksums included; returns the bytes written (MPTABLE_SIZE), or
 * 0 when size is too small or gpa is misaligned.
 */
size_t mptable_build(void *buf, size_t size, uint32_t gpa, const struct mptable_params *p);

#endif

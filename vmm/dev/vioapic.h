/* A virtual I/O APIC per guest (Intel 82093AA): 24 pins, its registers at 0xFEC00000, delivery to the guest's local APIC. */
#ifndef PTV_VIOAPIC_H
#define PTV_VIOAPIC_H

#include "types.h"
#include "dev/vlapic.h"

#define VIOAPIC_BASE_GPA  0xfec00000ull
#define VIOAPIC_PAGE_SIZE 0x1000u
#define VIOAPIC_PINS      24u
#define VIOAPIC_ID        8u /* above every guest's APIC ID (guest index < GUEST_MAX) */

/* Memory-mapped registers (82093AA datasheet, 3.0 "Register Description"): index and data window. */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN    0x10

/* Indirect registers selected through IOREGSEL. */
#define IOAPIC_REG_ID     0x00
#define IOAPIC_REG_VER    0x01
#define IOAPIC_REG_ARB    0x02
#define IOAPIC_REG_REDTBL 0x10 /* pin n: low dword at 0x10 + 2n, high dword at 0x11 + 2n */

/* IOAPICVER: version 11H, maximum redirection entry 23 in bits 23:16. */
#define IOAPIC_VERSION       0x11u
#define IOAPIC_VERSION_VALUE (((VIOAPIC_PINS - 1) << 16) | IOAPIC_VERSION)

/* Redirection table entry bits (82093AA datasheet, 3.2.4 "IOREDTBL[23:0]"). */
#define IOREDTBL_VECTOR      0xffull
#define IOREDTBL_DM_SHIFT    8
#define IOREDTBL_DESTMOD     BIT(11) /* 1: logical destination */
#define IOREDTBL_DELIVS      BIT(12) /* delivery status, read only */
#define IOREDTBL_INTPOL      BIT(13) /* 1: active low */
#define IOREDTBL_REMOTE_IRR  BIT(14) /* read only: a level interrupt accepted, no EOI yet */
#define IOREDTBL_TRIGGER     BIT(15) /* 1: level */
#define IOREDTBL_MASK        BIT(16)
#define IOREDTBL_DEST_SHIFT  56
#define IOREDTBL_LO_WRITABLE 0x1afffull /* all of bits 16:0 but delivery status and Remote IRR */

#define IOAPIC_DM_FIXED  0u
#define IOAPIC_DM_LOWEST 1u
#define IOAPIC_DM_NMI    4u

struct vioapic {
	uint32_t id;     /* IOAPICID: bits 27:24 */
	uint32_t regsel; /* IOREGSEL: bits 7:0 */
	uint32_t line;   /* input pin levels, a bit per pin */
	uint64_t redtbl[VIOAPIC_PINS];
	struct vlapic *lapic; /* the one local APIC on its bus */
	uint64_t delivered;   /* interrupt messages accepted by the local APIC */
};

/* Power-up state: every entry masked, all lines low; delivers to `lapic`, whose level EOIs come back here. */
void vioapic_reset(struct vioapic *io, struct vlapic *lapic, unsigned id);
/* A 32-bit read of the register at MMIO offset `off` (IOREGSEL or IOWIN; other offsets read 0). */
uint32_t vioapic_read(const struct vioapic *io, uint32_t off);
/* A 32-bit write; true when it delivered an interrupt (an unmasked level pin that is asserted). */
bool vioapic_write(struct vioapic *io, uint32_t off, uint32_t val);
/*
 * Input pin `pin` is driven to `high`. Edge pins deliver on the rising edge of the asserted signal (after
 * polarity) when unmasked; level pins while asserted, unmasked and without Remote IRR. True when an
 * interrupt went to the local APIC.
 */
bool vioapic_set_line(struct vioapic *io, unsigned pin, bool high);
/* The local APIC's EOI message for `vector`: clears Remote IRR of its level pins; true if one fired again. */
bool vioapic_eoi(struct vioapic *io, unsigned vector);

#endif

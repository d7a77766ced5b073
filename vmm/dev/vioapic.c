/*
 * The I/O APIC model (Intel 82093AA I/O Advanced Programmable Interrupt Controller datasheet; SDM Vol. 3A
 * 11.6 and 11.8.5 for the local APIC's side). Pure logic: a pin change or a register write delivers at
 * once to the guest's one local APIC, so delivery status always reads idle. Fixed and lowest-priority
 * messages set IRR (TMR for level pins), NMI makes an NMI pending; SMI, INIT and ExtINT have no target
 * here and are dropped. Masked edges are lost, as on the chip; a masked level pin fires when unmasked.
 */
#include "dev/vioapic.h"
#include "lib/string.h"

static void level_eoi(void *ctx, unsigned vector)
{
	vioapic_eoi(ctx, vector);
}

void vioapic_reset(struct vioapic *io, struct vlapic *lapic, unsigned id)
{
	memset(io, 0, sizeof(*io));
	io->id = (id & 0xf) << 24;
	io->lapic = lapic;
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->redtbl[i] = IOREDTBL_MASK;
	vlapic_set_level_eoi(lapic, level_eoi, io);
}

static bool pin_asserted(const struct vioapic *io, unsigned pin)
{
	bool high = io->line & BIT(pin);

	return (io->redtbl[pin] & IOREDTBL_INTPOL) ? !high : high;
}

/* Sends pin's interrupt message to the local APIC; a level pin accepted there sets Remote IRR. */
static bool deliver(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->redtbl[pin];
	unsigned mode = (unsigned)(e >> IOREDTBL_DM_SHIFT) & 7;
	bool level = e & IOREDTBL_TRIGGER, ok;

	if (!vlapic_match_dest(io->lapic, (unsigned)(e >> IOREDTBL_DEST_SHIFT), e & IOREDTBL_DESTMOD))
		return false;
	switch (mode) {
	case IOAPIC_DM_FIXED:
	case IOAPIC_DM_LOWEST: /* one APIC: it has the lowest priority */
		ok = vlapic_deliver(io->lapic, (unsigned)(e & IOREDTBL_VECTOR), level);
		break;
	case IOAPIC_DM_NMI: /* always edge: no Remote IRR (82093AA, delivery mode 100) */
		if (!vlapic_hw_enabled(io->lapic))
			return false;
		io->lapic->nmi_pending = true;
		io->delivered++;
		return true;
	default:
		return false;
	}
	if (!ok)
		return false;
	if (level)
		io->redtbl[pin] |= IOREDTBL_REMOTE_IRR;
	io->delivered++;
	return true;
}

/* A level pin fires while asserted, unmasked, and not waiting for the EOI of its last interrupt. */
static bool level_service(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->redtbl[pin];

	if (!(e & IOREDTBL_TRIGGER) || (e & (IOREDTBL_MASK | IOREDTBL_REMOTE_IRR)) || !pin_asserted(io, pin))
		return false;
	return deliver(io, pin);
}

bool vioapic_set_line(struct vioapic *io, unsigned pin, bool high)
{
	if (pin >= VIOAPIC_PINS)
		return false;
	bool was = pin_asserted(io, pin);

	io->line = high ? io->line | (uint32_t)BIT(pin) : io->line & ~(uint32_t)BIT(pin);
	if (io->redtbl[pin] & IOREDTBL_TRIGGER)
		return level_service(io, pin);
	if (was || !pin_asserted(io, pin) || (io->redtbl[pin] & IOREDTBL_MASK))
		return false;
	return deliver(io, pin);
}

bool vioapic_eoi(struct vioapic *io, unsigned vector)
{
	bool fired = false;

	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->redtbl[pin];
		if ((e & IOREDTBL_VECTOR) != vector || !(e & IOREDTBL_REMOTE_IRR))
			continue;
		io->redtbl[pin] = e & ~IOREDTBL_REMOTE_IRR;
		fired |= level_service(io, pin);
	}
	return fired;
}

static uint32_t indirect_read(const struct vioapic *io, unsigned reg)
{
	if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS) {
		uint64_t e = io->redtbl[(reg - IOAPIC_REG_REDTBL) / 2];
		return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB: /* the arbitration ID is loaded from the ID (82093AA, 3.2.3) */
		return io->id;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION_VALUE;
	default:
		return 0;
	}
}

uint32_t vioapic_read(const struct vioapic *io, uint32_t off)
{
	if (off == IOAPIC_REGSEL)
		return io->regsel;
	if (off == IOAPIC_WIN)
		return indirect_read(io, io->regsel);
	return 0;
}

/*
 * A redirection entry written. Switching a pin to edge clears Remote IRR, as the chip does: Linux's EOI
 * for I/O APICs older than version 20H (no EOI register) is exactly that mask-and-edge write.
 */
static bool redtbl_write(struct vioapic *io, unsigned pin, bool high, uint32_t val)
{
	uint64_t e = io->redtbl[pin];

	if (high) {
		e = (e & 0xffffffffull) | ((uint64_t)(val & 0xff000000u) << 32);
	} else {
		e = (e & ~0xffffffffull) | (e & IOREDTBL_REMOTE_IRR) | (val & IOREDTBL_LO_WRITABLE);
		if (!(e & IOREDTBL_TRIGGER))
			e &= ~IOREDTBL_REMOTE_IRR;
	}
	io->redtbl[pin] = e;
	return level_service(io, pin);
}

bool vioapic_write(struct vioapic *io, uint32_t off, uint32_t val)
{
	unsigned reg = io->regsel;

	if (off == IOAPIC_REGSEL) {
		io->regsel = val & 0xff;
		return false;
	}
	if (off != IOAPIC_WIN)
		return false;
	if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS)
		return redtbl_write(io, (reg - IOAPIC_REG_REDTBL) / 2, reg & 1, val);
	if (reg == IOAPIC_REG_ID)
		io->id = val & 0x0f000000u;
	return false; /* version and arbitration ID are read only */
}

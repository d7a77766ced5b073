/*
 * The register model of a minimal virtual xAPIC (SDM Vol. 3A chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)"): pure logic, no VMX, so it is unit tested on the host. The timer is
 * vlapic_timer.c's. What it does not model: IPIs to
 * other vCPUs (each guest has one vCPU: the ICR accepts everything, and only IPIs that reach the
 * sender itself deliver), relocation of the register page,
 * LINT0/LINT1, thermal and CMCI sources (their LVT entries are storage), EOI-broadcast suppression and
 * x2APIC mode. Level-triggered interrupts come from the I/O APIC only (vlapic_deliver); their EOI goes
 * back to it through level_eoi.
 */
#include "dev/vlapic.h"
#include "lib/string.h"

/* Writable bits of each LVT entry (SDM 11.5.1 "Local Vector Table", Figure 11-8); delivery status is RO. */
static const uint32_t lvt_writable[LVT_COUNT] = {
	[LVT_CMCI] = 0x000107ffu,  /* vector, delivery mode, mask */
	[LVT_TIMER] = 0x000700ffu, /* vector, mask, timer mode */
	[LVT_THERMAL] = 0x000107ffu, [LVT_PC] = 0x000107ffu,
	[LVT_LINT0] = 0x0001a7ffu, /* vector, delivery mode, polarity, trigger mode, mask */
	[LVT_LINT1] = 0x0001a7ffu,   [LVT_ERROR] = 0x000100ffu, /* vector, mask */
};

/* The register page at its power-up default, enabled, this vCPU the BSP of its own machine (SDM 11.4.4). */
#define APIC_BASE_RESET (VLAPIC_BASE_GPA | APIC_BASE_ENABLE | APIC_BASE_BSP)

void vlapic_reset(struct vlapic *a, unsigned apic_id)
{
	uint32_t tsc_khz = a->timer.tsc_khz, crystal_khz = a->timer.crystal_khz;
	uint64_t now = a->timer.now;

	memset(a, 0, sizeof(*a));
	/* The clock is the machine's, not the APIC's state: it survives. */
	a->timer.tsc_khz = tsc_khz;
	a->timer.crystal_khz = crystal_khz;
	a->timer.now = now;
	a->base = APIC_BASE_RESET;
	a->id = (uint32_t)apic_id << 24;
	a->dfr = 0xffffffffu;
	a->svr = 0xff; /* software disabled, spurious vector FFH */
	for (unsigned i = 0; i < LVT_COUNT; i++)
		a->lvt[i] = APIC_LVT_MASKED;
}

/* 0x2F0 is LVT CMCI; 0x320-0x370 the other six, in enum order. */
static int lvt_index(uint32_t off)
{
	if (off == APIC_LVT_CMCI)
		return LVT_CMCI;
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
		return (int)((off - APIC_LVT_TIMER) >> 4) + LVT_TIMER;
	return -1;
}

static int highest_bit(const uint32_t bits[8])
{
	for (int i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

uint32_t vlapic_ppr(const struct vlapic *a)
{
	int isrv = highest_bit(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	/* SDM 11.8.3.1 "Task and Processor Priorities": PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with PPR[3:0] = 0. */
	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

uint32_t vlapic_read(const struct vlapic *a, uint32_t off)
{
	int lvt;

	if (off & 0xf)
		return 0;
	if (off >= APIC_ISR && off < APIC_ISR + 0x80)
		return a->isr[(off - APIC_ISR) >> 4];
	if (off >= APIC_TMR && off < APIC_TMR + 0x80)
		return a->tmr[(off - APIC_TMR) >> 4];
	if (off >= APIC_IRR && off < APIC_IRR + 0x80)
		return a->irr[(off - APIC_IRR) >> 4];
	if ((lvt = lvt_index(off)) >= 0)
		return a->lvt[lvt];
	/* clang-format off */
	switch (off) {
	case APIC_ID:        return a->id;
	case APIC_VERSION:   return APIC_VERSION_VALUE;
	case APIC_TPR:       return a->tpr;
	case APIC_PPR:       return vlapic_ppr(a);
	case APIC_LDR:       return a->ldr;
	case APIC_DFR:       return a->dfr;
	case APIC_SVR:       return a->svr;
	case APIC_ESR:       return a->esr;
	case APIC_ICR_LO:    return a->icr_lo;   /* delivery status 0: every IPI is sent at once */
	case APIC_ICR_HI:    return a->icr_hi;
	case APIC_TIMER_ICR: return a->timer_icr;
	case APIC_TIMER_CCR: return vlapic_timer_ccr(a);
	case APIC_TIMER_DCR: return a->timer_dcr;
	default:             return 0;           /* APR, RRD, EOI (write-only) and reserved offsets */
	}
	/* clang-format on */
}

bool vlapic_set_irr(struct vlapic *a, unsigned vector)
{
	if (vector > 255)
		return false;
	if (vector < 16) {
		/* Vectors 0-15 are illegal for fixed interrupts (SDM 11.5.2 "Valid Interrupt Vectors"). */
		a->esr_pending |= APIC_ESR_RECV_ILLEGAL;
		return false;
	}
	a->irr[vector >> 5] |= BIT(vector & 31);
	a->irr_words |= BIT(vector >> 5);
	a->tmr[vector >> 5] &= ~(uint32_t)BIT(vector & 31); /* edge triggered (SDM 11.8.4) */
	return true;
}

int vlapic_pending_vector(const struct vlapic *a)
{
	/* Asked at every VM entry: an empty IRR answers without a scan. */
	if (!a->irr_words)
		return -1;
	int v = highest_bit(a->irr);

	/* SDM 11.8.3.1: an interrupt is delivered only if its priority class is above PPR[7:4]. */
	if (v < 0 || ((uint32_t)v & 0xf0) <= (vlapic_ppr(a) & 0xf0))
		return -1;
	return v;
}

void vlapic_accept(struct vlapic *a, unsigned vector)
{
	vector &= 0xff;
	a->irr[vector >> 5] &= ~(uint32_t)BIT(vector & 31);
	if (!a->irr[vector >> 5])
		a->irr_words &= ~(uint32_t)BIT(vector >> 5);
	a->isr[vector >> 5] |= BIT(vector & 31);
}

void vlapic_unaccept(struct vlapic *a, unsigned vector)
{
	vector &= 0xff;
	a->isr[vector >> 5] &= ~(uint32_t)BIT(vector & 31);
	a->irr[vector >> 5] |= BIT(vector & 31);
	a->irr_words |= BIT(vector >> 5);
}

/*
 * SDM 11.8.5 "Signaling Interrupt Servicing Completion": EOI retires the highest-priority ISR bit; for a
 * level-triggered vector (its TMR bit set) the EOI message also goes to the I/O APIC.
 */
static void eoi(struct vlapic *a)
{
	int v = highest_bit(a->isr);

	if (v < 0)
		return;
	a->isr[v >> 5] &= ~(uint32_t)BIT(v & 31);
	if ((a->tmr[v >> 5] & BIT(v & 31)) && a->level_eoi)
		a->level_eoi(a->level_eoi_ctx, (unsigned)v);
}

void vlapic_set_level_eoi(struct vlapic *a, vlapic_eoi_fn fn, void *ctx)
{
	a->level_eoi = fn;
	a->level_eoi_ctx = ctx;
}

bool vlapic_deliver(struct vlapic *a, unsigned vector, bool level)
{
	if (!vlapic_hw_enabled(a) || !(a->svr & APIC_SVR_ENABLE) || !vlapic_set_irr(a, vector))
		return false;
	if (level)
		a->tmr[vector >> 5] |= BIT(vector & 31);
	return true;
}

bool vlapic_match_dest(const struct vlapic *a, unsigned dest, bool logical)
{
	unsigned ldr = a->ldr >> 24;

	dest &= 0xff;
	if (dest == 0xff)
		return true; /* broadcast in both modes */
	if (!logical)
		return dest == a->id >> 24;
	/* DFR[31:28] 1111: flat model, LDR a bit mask; 0000: cluster model, cluster in bits 7:4 (SDM 11.6.2.2). */
	if ((a->dfr >> 28) == 0xf)
		return (dest & ldr) != 0;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;
}

/*
 * Whether an IPI reaches the sender: shorthand self (01) or all including self (10), or no shorthand with
 * a physical destination of its own ID or the broadcast 0xFF (SDM 11.6.1, 11.6.2.1). Logical destinations
 * are not modelled.
 */
static bool icr_reaches_self(const struct vlapic *a, uint32_t lo)
{
	unsigned shorthand = (lo >> APIC_ICR_SH_SHIFT) & 3, dest = a->icr_hi >> 24;

	if (shorthand == 1 || shorthand == 2)
		return true;
	return shorthand == 0 && !(lo & BIT(11)) && (dest == a->id >> 24 || dest == 0xff);
}

/* ICR low written: a fixed IPI or an NMI that reaches this APIC is delivered to it. */
static void icr_send(struct vlapic *a, uint32_t lo)
{
	unsigned mode = (lo >> APIC_LVT_DM_SHIFT) & 7;
	unsigned vector = lo & 0xff;

	if (!icr_reaches_self(a, lo))
		return;
	if (mode == APIC_DM_NMI) { /* the vector field is ignored (SDM 11.6.1) */
		a->nmi_pending = true;
		return;
	}
	if (mode != APIC_DM_FIXED)
		return; /* SMI, INIT, SIPI, lowest priority to self: not modelled */
	if (vector < 16) {
		/* Sender and receiver are the same APIC: both see the illegal vector (SDM 11.5.3; as Bochs does). */
		a->esr_pending |= APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL;
		return;
	}
	if (a->svr & APIC_SVR_ENABLE)
		vlapic_set_irr(a, vector);
}

void vlapic_write(struct vlapic *a, uint32_t off, uint32_t val)
{
	int lvt = lvt_index(off);

	if (lvt == LVT_TIMER) {
		vlapic_timer_write_lvt(a, val, lvt_writable[LVT_TIMER]);
		if (!(a->svr & APIC_SVR_ENABLE))
			a->lvt[lvt] |= APIC_LVT_MASKED;
		return;
	}
	if (lvt >= 0) {
		/* While software disabled every LVT mask bit stays set (SDM 11.4.7.2 "Local APIC State After
		   It Has Been Software Disabled"). */
		a->lvt[lvt] = (a->lvt[lvt] & ~lvt_writable[lvt]) | (val & lvt_writable[lvt]);
		if (!(a->svr & APIC_SVR_ENABLE))
			a->lvt[lvt] |= APIC_LVT_MASKED;
		return;
	}
	switch (off) {
	case APIC_TPR:
		a->tpr = val & 0xff;
		break;
	case APIC_EOI:
		eoi(a);
		break;
	case APIC_LDR:
		a->ldr = val & 0xff000000u;
		break;
	case APIC_DFR:
		a->dfr = val | 0x0fffffffu; /* bits 27:0 are reserved, read as 1 */
		break;
	case APIC_SVR:
		a->svr = val & 0x3ffu; /* vector, enable, focus checking; no EOI-broadcast suppression */
		if (!(a->svr & APIC_SVR_ENABLE))
			for (unsigned i = 0; i < LVT_COUNT; i++)
				a->lvt[i] |= APIC_LVT_MASKED;
		break;
	case APIC_ESR:
		/* A write latches the errors seen since the last one (SDM 11.5.3 "Error Handling"). */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case APIC_ICR_HI:
		a->icr_hi = val & 0xff000000u;
		break;
	case APIC_ICR_LO:
		a->icr_lo = val & 0x000ccfffu; /* delivery status (12) reads 0 */
		icr_send(a, val);
		break;
	case APIC_TIMER_ICR:
		vlapic_timer_write_icr(a, val);
		break;
	case APIC_TIMER_DCR:
		vlapic_timer_write_dcr(a, val);
		break;
	default:
		break; /* ID, version, PPR, ISR/TMR/IRR, current count and reserved offsets: ignored */
	}
}

bool vlapic_lvt_pc_fire(struct vlapic *a, bool *nmi)
{
	uint32_t lvt = a->lvt[LVT_PC];
	unsigned mode = (lvt & APIC_LVT_DM_MASK) >> APIC_LVT_DM_SHIFT;

	*nmi = false;
	if ((lvt & APIC_LVT_MASKED) || !(a->svr & APIC_SVR_ENABLE) || !vlapic_hw_enabled(a))
		return false;
	/* "When a performance monitoring counters interrupt is generated, the mask bit for its associated
	   LVT entry is set" (SDM 11.5.1 "Local Vector Table", Figure 11-8 note). */
	a->lvt[LVT_PC] |= APIC_LVT_MASKED;
	switch (mode) {
	case APIC_DM_FIXED:
		return vlapic_set_irr(a, lvt & APIC_LVT_VECTOR);
	case APIC_DM_NMI:
		*nmi = true;
		a->nmi_pending = true;
		return true;
	default:
		return false; /* SMI, INIT and ExtINT are not supported for LVT PC */
	}
}

bool vlapic_take_nmi(struct vlapic *a)
{
	bool pending = a->nmi_pending;

	a->nmi_pending = false;
	return pending;
}

bool vlapic_write_base(struct vlapic *a, uint64_t val, unsigned maxphyaddr)
{
	uint64_t reserved = GENMASK(7, 0) | BIT(9) | APIC_BASE_EXTD;

	if (maxphyaddr < 64)
		reserved |= ~0ULL << maxphyaddr;
	if ((val & reserved) || (val & ~0xfffULL) != VLAPIC_BASE_GPA)
		return false;
	if ((a->base & APIC_BASE_ENABLE) && !(val & APIC_BASE_ENABLE)) {
		/* Disabled: back to the power-up state, ID and the I/O APIC's wiring kept. */
		vlapic_eoi_fn fn = a->level_eoi;
		void *ctx = a->level_eoi_ctx;

		vlapic_reset(a, a->id >> 24);
		vlapic_set_level_eoi(a, fn, ctx);
	}
	a->base = val;
	return true;
}

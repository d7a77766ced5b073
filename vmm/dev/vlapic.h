/* A minimal virtual xAPIC per guest: the register page at 0xFEE00000, IA32_APIC_BASE, its interrupt state and timer. */
#ifndef PTV_VLAPIC_H
#define PTV_VLAPIC_H

#include "types.h"

#define VLAPIC_BASE_GPA  0xfee00000ull
#define VLAPIC_PAGE_SIZE 0x1000u

/* Register offsets (SDM Vol. 3A, Table 11-1 "Local APIC Register Address Map"). */
#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_APR       0x090
#define APIC_PPR       0x0a0
#define APIC_EOI       0x0b0
#define APIC_RRD       0x0c0
#define APIC_LDR       0x0d0
#define APIC_DFR       0x0e0
#define APIC_SVR       0x0f0
#define APIC_ISR       0x100
#define APIC_TMR       0x180
#define APIC_IRR       0x200
#define APIC_ESR       0x280
#define APIC_LVT_CMCI  0x2f0
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERM 0x330
#define APIC_LVT_PC    0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3e0

/* Version 14H (integrated APIC), Max LVT Entry 5 (SDM 11.4.8 "Local APIC Version Register"). */
#define APIC_VERSION_VALUE    0x00050014u
#define APIC_SVR_ENABLE       BIT(8)
#define APIC_LVT_MASKED       BIT(16)
#define APIC_LVT_VECTOR       0xffu
#define APIC_LVT_DM_SHIFT     8
#define APIC_LVT_DM_MASK      (7u << 8)
#define APIC_DM_FIXED         0u
#define APIC_DM_NMI           4u
#define APIC_ICR_SH_SHIFT     18
#define APIC_ESR_SEND_ILLEGAL BIT(5) /* Send Illegal Vector (SDM 11.5.3 "Error Handling") */
#define APIC_ESR_RECV_ILLEGAL BIT(6) /* Receive Illegal Vector */

/* Told of the EOI of a vector whose TMR bit is set (the I/O APICs' EOI message, SDM 11.8.5). */
typedef void (*vlapic_eoi_fn)(void *ctx, unsigned vector);

/* IA32_APIC_BASE (SDM 11.4.4, Figure 11-5): BSP flag, x2APIC enable, global enable, base address. */
#define APIC_BASE_BSP    BIT(8)
#define APIC_BASE_EXTD   BIT(10)
#define APIC_BASE_ENABLE BIT(11)

/* LVT timer mode, bits 18:17 (SDM 11.5.4 "APIC Timer", Figure 11-8). */
#define APIC_LVT_TIMER_MODE_MASK (3u << 17)
#define APIC_TIMER_ONESHOT       (0u << 17)
#define APIC_TIMER_PERIODIC      (1u << 17)
#define APIC_TIMER_TSC_DEADLINE  (2u << 17)

enum vlapic_lvt { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PC, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

/*
 * The timer's state, all times in guest TSC ticks. The count registers run from the core crystal clock
 * (CPUID 15H: crystal_khz, with TSC = crystal * tsc_khz / crystal_khz); the clock survives a reset.
 */
struct vlapic_timer {
	uint32_t tsc_khz, crystal_khz; /* 0: no clock, the timer never counts */
	uint64_t now;                  /* the guest TSC at the latest access or tick (vlapic_timer_tick) */
	bool armed;                    /* an interrupt is due at `expiry` */
	uint64_t start;                /* the count was loaded with the initial count here */
	uint64_t period;               /* TSC ticks of one full count at the current divider */
	uint64_t expiry;
	uint64_t deadline; /* IA32_TSC_DEADLINE */
};

struct vlapic {
	uint32_t id; /* APIC ID register: guest id << 24 */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending; /* ESR shows errors latched by the last ESR write */
	uint32_t lvt[LVT_COUNT];
	uint32_t icr_lo, icr_hi;
	uint32_t timer_icr, timer_dcr;
	uint32_t irr[8], isr[8], tmr[8]; /* 256 bits each, 32 per register */
	uint32_t irr_words;              /* bit i: irr[i] is not 0 */
	vlapic_eoi_fn level_eoi;         /* wiring, not APIC state: kept when the guest disables the APIC */
	void *level_eoi_ctx;             /* its first argument */
	uint64_t base;                   /* IA32_APIC_BASE */
	bool nmi_pending;                /* an NMI (self-IPI or LVT entry in NMI mode) not yet delivered */
	struct vlapic_timer timer;       /* vlapic_timer.c */
};

/* Power-up / reset state (SDM 11.4.7.1 "Local APIC State After Power-Up or Reset"). */
void vlapic_reset(struct vlapic *a, unsigned apic_id);
/* IA32_APIC_BASE[11]: the APIC exists for the guest (its registers, CPUID.1:EDX[9], interrupts). */
static inline bool vlapic_hw_enabled(const struct vlapic *a)
{
	return a->base & APIC_BASE_ENABLE;
}
/*
 * WRMSR IA32_APIC_BASE. False for #GP: reserved bits (7:0, 9, MAXPHYADDR and up), x2APIC mode (not
 * offered: CPUID.1:ECX[21] is 0), or a new base address (relocation is not modelled). Clearing the
 * global enable returns the APIC to its power-up state, ID kept (SDM 11.4.3, 11.12.5.1).
 */
bool vlapic_write_base(struct vlapic *a, uint64_t val, unsigned maxphyaddr);
/* A 32-bit read of the register at `off` (0-0xFFF); reserved offsets read 0. */
uint32_t vlapic_read(const struct vlapic *a, uint32_t off);
/* A 32-bit write; writes to read-only registers and reserved offsets are ignored. */
void vlapic_write(struct vlapic *a, uint32_t off, uint32_t val);
/* A fixed edge-triggered interrupt arrives for `vector` (TMR bit cleared); vectors 0-15 are illegal and only set ESR. False if refused. */
bool vlapic_set_irr(struct vlapic *a, unsigned vector);
/*
 * An interrupt message from an I/O APIC: fixed delivery of `vector`, edge or level triggered. IRR is set
 * and TMR set for level, cleared for edge (SDM 11.8.4); refused (false) while the APIC is disabled,
 * globally or by software, and for vectors 0-15 (ESR).
 */
bool vlapic_deliver(struct vlapic *a, unsigned vector, bool level);
/*
 * Whether a message for `dest` in physical (its APIC ID, or FFH) or logical mode (flat or cluster model
 * by DFR, against LDR) reaches this APIC (SDM 11.6.2 "Determining IPI Destination").
 */
bool vlapic_match_dest(const struct vlapic *a, unsigned dest, bool logical);
/* Wires the EOI of level-triggered vectors to fn (an I/O APIC); vlapic_reset() unwires it. */
void vlapic_set_level_eoi(struct vlapic *a, vlapic_eoi_fn fn, void *ctx);
/* Processor priority (SDM 11.8.3.1 "Task and Processor Priorities"). */
uint32_t vlapic_ppr(const struct vlapic *a);
/* The highest IRR vector whose priority class is above PPR, or -1 when none can be delivered. */
int vlapic_pending_vector(const struct vlapic *a);
/* The CPU took `vector`: IRR -> ISR (SDM 11.8.4 "Interrupt Acceptance for Fixed Interrupts"). */
void vlapic_accept(struct vlapic *a, unsigned vector);
/*
 * A performance-monitoring interrupt through LVT PC: fixed delivery sets IRR (true); the entry is masked
 * afterwards as hardware does. NMI delivery mode makes an NMI pending and sets *nmi. False when masked or not
 * deliverable.
 */
bool vlapic_lvt_pc_fire(struct vlapic *a, bool *nmi);
/* An accepted interrupt that was not delivered after all: ISR -> IRR again. */
void vlapic_unaccept(struct vlapic *a, unsigned vector);
/* Takes the pending NMI, if any (the caller delivers it as vector 2). */
bool vlapic_take_nmi(struct vlapic *a);

/* vlapic_timer.c: the APIC timer (SDM 11.5.4), one-shot, periodic and TSC-deadline. */
#define VLAPIC_TIMER_NONE UINT64_MAX

/* The clock the timer counts from (kept across resets); 0 kHz stops it. */
void vlapic_timer_set_clock(struct vlapic *a, uint32_t tsc_khz, uint32_t crystal_khz);
/*
 * Time moves to `now` (guest TSC, never going back): an interrupt due by then is raised into IRR (fixed
 * delivery, unless the LVT entry is masked). True when one was raised.
 */
bool vlapic_timer_tick(struct vlapic *a, uint64_t now);
/* The guest TSC at which the next timer interrupt is due, or VLAPIC_TIMER_NONE (also while masked). */
static inline uint64_t vlapic_timer_next(const struct vlapic *a)
{
	return a->timer.armed && !(a->lvt[LVT_TIMER] & APIC_LVT_MASKED) ? a->timer.expiry : VLAPIC_TIMER_NONE;
}
/* The current count register at timer.now. */
uint32_t vlapic_timer_ccr(const struct vlapic *a);
/* vlapic_write's writes of the LVT timer entry, the initial count and the divide configuration. */
void vlapic_timer_write_lvt(struct vlapic *a, uint32_t val, uint32_t writable);
void vlapic_timer_write_icr(struct vlapic *a, uint32_t val);
void vlapic_timer_write_dcr(struct vlapic *a, uint32_t val);
/* IA32_TSC_DEADLINE (MSR 6E0H): reads 0 and ignores writes outside TSC-deadline mode (SDM 11.5.4.1). */
uint64_t vlapic_timer_read_deadline(const struct vlapic *a);
void vlapic_timer_write_deadline(struct vlapic *a, uint64_t val);
/* The guest's TSC jumped by `delta` (a TSC write): the counting modes keep running in real time. */
void vlapic_timer_tsc_moved(struct vlapic *a, uint64_t delta);

#endif

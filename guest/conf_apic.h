/* xAPIC register access for the conformance areas (SDM Vol. 3A 11.4.1, Table 11-1 "Local APIC Register Address Map"). */
#ifndef GUEST_CONF_APIC_H
#define GUEST_CONF_APIC_H

#include "types.h"

#define APIC_DEFAULT_BASE 0xfee00000u
#define APIC_ID           0x020
#define APIC_VERSION      0x030
#define APIC_TPR          0x080
#define APIC_PPR          0x0a0
#define APIC_EOI          0x0b0
#define APIC_SVR          0x0f0
#define APIC_ISR          0x100
#define APIC_IRR          0x200
#define APIC_ESR          0x280
#define APIC_ICR_LO       0x300
#define APIC_ICR_HI       0x310
#define APIC_LVT_TIMER    0x320
#define APIC_LVT_THERMAL  0x330
#define APIC_LVT_PC       0x340
#define APIC_LVT_LINT0    0x350
#define APIC_LVT_LINT1    0x360
#define APIC_LVT_ERROR    0x370

#define APIC_SVR_ENABLE       BIT(8)
#define APIC_LVT_MASKED       BIT(16)
#define APIC_ESR_RECV_ILLEGAL BIT(6) /* 11.5.3, Figure 11-9 */
/* ICR (11.6.1, Figure 11-12): delivery mode 10:8, delivery status 12, level 14, shorthand 19:18. */
#define ICR_DM_FIXED        (0u << 8)
#define ICR_DM_NMI          (4u << 8)
#define ICR_DELIVERY_STATUS BIT(12)
#define ICR_LEVEL_ASSERT    BIT(14)
#define ICR_SH_SELF         (1u << 18)

/* IA32_APIC_BASE (11.4.4, Figure 11-5). */
#define APIC_BASE_BSP      BIT(8)
#define APIC_BASE_EXTD     BIT(10)
#define APIC_BASE_EN       BIT(11)
#define CPUID_1_ECX_X2APIC 21
#define CPUID_1_EDX_APIC   9

static inline uint32_t apic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_DEFAULT_BASE + off);
}

static inline void apic_write(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(APIC_DEFAULT_BASE + off) = val;
}

/* The ISR/IRR/TMR bit of one vector: eight 32-bit registers 16 bytes apart. */
static inline unsigned apic_vector_bit(uint32_t base, unsigned vector)
{
	return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

#endif

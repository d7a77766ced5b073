/*
 * The host's local APIC registers for code outside the idle wait (the LVT performance-counter entry
 * that Intel PT's ToPA PMI goes through): xAPIC through its MMIO page, x2APIC through its MSRs.
 */
#include "cpu.h"
#include "msr.h"
#include "mem/phys.h"

#define APIC_BASE_EXTD   BIT(10) /* x2APIC mode (SDM 11.4.4) */
#define APIC_BASE_EN     BIT(11)
#define X2APIC_MSR_BASE  0x800 /* SDM 11.12.1.2 "x2APIC Register Address Space" */
#define CPUID_1_EDX_APIC BIT(9)

static volatile uint32_t *xapic;

/* 1 = xAPIC (mapped), 2 = x2APIC, 0 = none. Read each time: firmware or a guest never moves the host's. */
static int lapic_mode(void)
{
	uint64_t base;

	if (!(cpu_cpuid(1, 0).edx & CPUID_1_EDX_APIC) || !cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &base) ||
	    !(base & APIC_BASE_EN))
		return 0;
	if (base & APIC_BASE_EXTD)
		return 2;
	if (!xapic)
		xapic = phys_map(base & ~0xfffull & (BIT(52) - 1), PAGE_SIZE);
	return xapic ? 1 : 0;
}

bool cpu_lapic_read(uint32_t reg, uint32_t *val)
{
	uint64_t v;

	switch (lapic_mode()) {
	case 1:
		*val = xapic[reg / 4];
		return true;
	case 2:
		if (!cpu_rdmsr_safe(X2APIC_MSR_BASE + (reg >> 4), &v))
			return false;
		*val = (uint32_t)v;
		return true;
	default:
		return false;
	}
}

bool cpu_lapic_write(uint32_t reg, uint32_t val)
{
	switch (lapic_mode()) {
	case 1:
		xapic[reg / 4] = val;
		return true;
	case 2:
		return cpu_wrmsr_safe(X2APIC_MSR_BASE + (reg >> 4), val);
	default:
		return false;
	}
}

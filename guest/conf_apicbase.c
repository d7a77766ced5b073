/*
 * Area "apicbase": IA32_APIC_BASE (SDM Vol. 3A 11.4.4 "Local APIC Status and Location", 11.4.3 "Enabling or
 * Disabling the Local APIC", 11.12.5 "x2APIC State Transitions"). Reserved bits fault; clearing EN disables
 * the APIC globally (CPUID.1:EDX[9] then reads 0, 11.4.3) until EN is set again; EXTD is x2APIC mode and
 * exists only where CPUID.1:ECX[21] says so, with the transitions of Figure 11-27.
 */
#include "conf.h"
#include "conf_apic.h"
#include "cpu.h"
#include "msr.h"

#define MSR_X2APIC_ID      0x802
#define MSR_X2APIC_VERSION 0x803
#define VEC_TEST           0x50
#define APIC_BASE_RSVD_9   BIT(9)

static const struct conf_feature x2apic = { "CPUID.1:ECX[21] (x2APIC)", CONF_BIT(1, 0, CPUID_ECX, 21), CONF_NONE };

static volatile unsigned taken;

static bool test_handler(struct trap_frame *f)
{
	(void)f;
	taken++;
	apic_write(APIC_EOI, 0);
	return true;
}

static unsigned maxphyaddr(void)
{
	uint32_t v = conf_cpuid_reg(0x80000008u, 0, CPUID_EAX) & 0xff;

	return v ? v : 36; /* without leaf 80000008H: 36 bits (4.1.4) */
}

static void base_layout(uint64_t base)
{
	conf_verdict("reads base 0x%llx EN=%u BSP=%u EXTD=%u", (unsigned long long)(base & ~0xfffull),
		     (base & APIC_BASE_EN) ? 1 : 0, (base & APIC_BASE_BSP) ? 1 : 0, (base & APIC_BASE_EXTD) ? 1 : 0);
	conf_verdict("write of the value read: %s", conf_vector_of(conf_wrmsr(MSR_IA32_APIC_BASE, base)));
}

static void base_reserved(uint64_t base)
{
	unsigned m = maxphyaddr();

	conf_verdict("set reserved bit 0: %s", conf_vector_of(conf_wrmsr(MSR_IA32_APIC_BASE, base | BIT(0))));
	conf_verdict("set reserved bit 9: %s", conf_vector_of(conf_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_RSVD_9)));
	conf_verdict("set the bit at MAXPHYADDR: %s", conf_vector_of(conf_wrmsr(MSR_IA32_APIC_BASE, base | BIT(m))));
	/* EN=0 with EXTD=1 is the invalid state of Figure 11-27 (and EXTD is reserved without x2APIC). */
	conf_verdict("EXTD=1 with EN=0: %s",
		     conf_vector_of(conf_wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD)));
}

/* A self-IPI taken through STI; NOP: whether the APIC delivers at all. */
static unsigned self_ipi_taken(void)
{
	taken = 0;
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR_LO, ICR_SH_SELF | ICR_LEVEL_ASSERT | ICR_DM_FIXED | VEC_TEST);
	asm volatile("sti; nop; cli" : : : "memory");
	return taken;
}

static void base_x2apic(uint64_t base)
{
	uint32_t xapic_version = apic_read(APIC_VERSION);
	uint64_t v = 0;
	bool ok;
	struct conf_event f;

	f = conf_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	conf_agree_vector("set EXTD (xAPIC to x2APIC)", &x2apic, f.vector, FAULT_NONE, VEC_GP);
	f = conf_rdmsr(MSR_X2APIC_ID, &v);
	conf_agree_vector("rdmsr 0x802 (x2APIC ID)", &x2apic, f.vector, FAULT_NONE, VEC_GP);
	f = conf_rdmsr(MSR_X2APIC_VERSION, &v);
	ok = conf_feature_present(&x2apic) ? f.vector == FAULT_NONE && (uint32_t)v == xapic_version
					   : f.vector == VEC_GP;
	conf_agree("rdmsr 0x803 (x2APIC version) equals the xAPIC version register", &x2apic, ok,
		   f.vector == FAULT_NONE ? "differs" : "faults");
	/* Figure 11-27: x2APIC goes back to xAPIC only through the disabled state. */
	f = conf_wrmsr(MSR_IA32_APIC_BASE, base);
	conf_agree_vector("clear EXTD with EN=1 (x2APIC to xAPIC)", &x2apic, f.vector, VEC_GP, FAULT_NONE);
}

/*
 * Global disable, from x2APIC mode where CPUID allows it (else from xAPIC mode): EN=0 reads back and
 * CPUID.1:EDX[9] turns 0 (11.4.3). The SDM lets FSB-era processors set EN again without a reset, but Bochs
 * 2.7 ignores that write (EN stays 0), so re-enabling is not compared and this area runs last.
 */
static void base_global_disable(uint64_t base)
{
	uint64_t v = 0;
	struct conf_event f;

	f = conf_wrmsr(MSR_IA32_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
	conf_verdict("clear EN and EXTD: %s", conf_vector(&f));
	conf_rdmsr(MSR_IA32_APIC_BASE, &v);
	conf_verdict("then reads EN=%u EXTD=%u, CPUID.1:EDX[9] (APIC) %u", (v & APIC_BASE_EN) ? 1 : 0,
		     (v & APIC_BASE_EXTD) ? 1 : 0, conf_cpuid_bit(1, 0, CPUID_EDX, CPUID_1_EDX_APIC));
	/* Without an APIC the page is the bus's: nothing answers there, in Bochs as in a guest. */
	conf_verdict("then the xAPIC version register reads 0x%x", apic_read(APIC_VERSION));
	conf_wrmsr(MSR_IA32_APIC_BASE, base);
}

void conf_area_apicbase(void)
{
	uint64_t base = 0;
	struct conf_event f = conf_rdmsr(MSR_IA32_APIC_BASE, &base);

	conf_verdict("rdmsr IA32_APIC_BASE: %s", conf_vector(&f));
	if (f.vector != FAULT_NONE)
		return;
	conf_set_handler(VEC_TEST, test_handler);
	base_layout(base);
	base_reserved(base);
	conf_verdict("self-IPI with EN=1: %u taken", self_ipi_taken());
	base_x2apic(base);
	base_global_disable(base);
}

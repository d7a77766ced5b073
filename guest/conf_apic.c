/*
 * Area "apic": the xAPIC's own interrupts (SDM Vol. 3A chapter 11): software enable, LVT read-back,
 * self-IPIs through IRR/ISR, TPR/PPR masking and priority order, EOI, the interrupt shadow of STI against
 * POPF and IRET (Vol. 2B "STI"; 6.8.3), the error LVT on an illegal vector (11.5.3) and NMIs sent by IPI,
 * held while an NMI handler runs until its IRET (6.7.1 "Handling Multiple NMIs").
 */
#include "conf.h"
#include "conf_apic.h"
#include "cpu.h"
#include "lib/format.h"

#define VEC_LOW      0x50
#define VEC_LOW2     0x51
#define VEC_HIGH     0x60
#define VEC_SPURIOUS 0xff
#define VEC_ERROR    0x5e
#define VEC_ILLEGAL  0x03
#define LOG_MAX      4
#define NMI_SPIN     2000

struct irq_entry {
	uint32_t vector, eip, isr, irr, ppr;
};

static volatile struct {
	unsigned n;
	struct irq_entry e[LOG_MAX];
} irq;
static volatile bool eoi_in_handler;

static bool irq_handler(struct trap_frame *f)
{
	if (irq.n < LOG_MAX) {
		volatile struct irq_entry *e = &irq.e[irq.n];

		e->vector = f->vector;
		e->eip = f->eip;
		e->isr = apic_vector_bit(APIC_ISR, f->vector);
		e->irr = apic_vector_bit(APIC_IRR, f->vector);
		e->ppr = apic_read(APIC_PPR);
	}
	irq.n++;
	if (eoi_in_handler && f->vector != VEC_SPURIOUS)
		apic_write(APIC_EOI, 0);
	return true;
}

static void irq_reset(void)
{
	for (unsigned i = 0; i < LOG_MAX; i++)
		irq.e[i].vector = irq.e[i].eip = irq.e[i].isr = irq.e[i].irr = irq.e[i].ppr = 0;
	irq.n = 0;
	eoi_in_handler = true;
}

/* "0x60 at next, 0x51 at next" for the first interrupts taken, or "none". */
static const char *irq_summary(void)
{
	static char buf[96];
	unsigned len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < irq.n && i < LOG_MAX; i++)
		len += (unsigned)ptv_snprintf(buf + len, sizeof(buf) - len, "%s0x%x at %s", i ? ", " : "",
					      irq.e[i].vector, conf_where(irq.e[i].eip));
	return irq.n ? buf : "none";
}

static void send_ipi(uint32_t dest, uint32_t lo)
{
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, lo);
}

static void send_self(unsigned vector)
{
	send_ipi(0, ICR_SH_SELF | ICR_LEVEL_ASSERT | ICR_DM_FIXED | vector);
}

/* STI; NOP; CLI: a pending interrupt is taken after the NOP (the STI shadow), i.e. "at next". */
static void window(void)
{
	asm volatile(CONF_MARK "sti\n\t" CONF_AT "nop" CONF_NEXT "cli" : : : "memory");
}

static void apic_quiesce(void)
{
	static const uint32_t lvts[] = { APIC_LVT_TIMER, APIC_LVT_PC, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR };

	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		apic_write(lvts[i], APIC_LVT_MASKED);
	apic_write(APIC_TPR, 0);
	/* Whatever a loader left in service: one EOI retires the highest ISR bit. */
	for (unsigned i = 0; i < 256; i++)
		apic_write(APIC_EOI, 0);
	apic_write(APIC_ESR, 0);
}

static void apic_registers(void)
{
	uint32_t v;

	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	conf_verdict("SVR written 0x1ff reads 0x%x", apic_read(APIC_SVR));
	v = apic_read(APIC_VERSION);
	conf_verdict("version register: version 0x%x, max LVT entry %u", v & 0xff, (v >> 16) & 0xff);
	apic_write(APIC_TPR, 0x5a);
	conf_verdict("TPR written 0x5a reads 0x%x, PPR with nothing in service 0x%x", apic_read(APIC_TPR),
		     apic_read(APIC_PPR));
	apic_write(APIC_TPR, 0);

	/*
	 * Each LVT entry keeps its writable bits only (Figure 11-8). The values leave out delivery status (bit
	 * 12) and remote IRR (bit 14), read-only in the SDM: Bochs 2.7 stores what is written there (its LVT
	 * write masks include them), so writing them would compare against a Bochs quirk.
	 */
	apic_write(APIC_LVT_TIMER, 0xfffbefffu); /* timer mode 01 (periodic): 11 is reserved */
	conf_verdict("LVT timer written 0xfffbefff reads 0x%x", apic_read(APIC_LVT_TIMER));
	apic_write(APIC_LVT_LINT0, 0xffffafffu);
	conf_verdict("LVT LINT0 written 0xffffafff reads 0x%x", apic_read(APIC_LVT_LINT0));
	apic_write(APIC_LVT_LINT1, 0xffffafffu);
	conf_verdict("LVT LINT1 written 0xffffafff reads 0x%x", apic_read(APIC_LVT_LINT1));
	apic_write(APIC_LVT_ERROR, 0xffffefffu);
	conf_verdict("LVT error written 0xffffefff reads 0x%x", apic_read(APIC_LVT_ERROR));
	apic_write(APIC_LVT_PC, 0xffffefffu);
	conf_verdict("LVT performance counter written 0xffffefff reads 0x%x", apic_read(APIC_LVT_PC));
	apic_quiesce();

	/* 11.4.7.2 "Local APIC State After It Has Been Software Disabled": every LVT mask bit set and kept set. */
	apic_write(APIC_LVT_ERROR, VEC_ERROR);
	apic_write(APIC_SVR, VEC_SPURIOUS);
	conf_verdict("software disable: LVT error 0x%x before reads 0x%x", VEC_ERROR, apic_read(APIC_LVT_ERROR));
	apic_write(APIC_LVT_LINT0, 0x700);
	conf_verdict("software disabled: LVT LINT0 written 0x700 reads 0x%x", apic_read(APIC_LVT_LINT0));
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	conf_verdict("software enabled again: LVT error reads 0x%x", apic_read(APIC_LVT_ERROR));
	apic_quiesce();
}

static void apic_self_ipi(void)
{
	irq_reset();
	send_self(VEC_LOW);
	conf_verdict("self-IPI 0x50 with IF=0: IRR=%u ISR=%u, taken: %s, ICR delivery status %u",
		     apic_vector_bit(APIC_IRR, VEC_LOW), apic_vector_bit(APIC_ISR, VEC_LOW), irq_summary(),
		     (apic_read(APIC_ICR_LO) & ICR_DELIVERY_STATUS) ? 1 : 0);
	window();
	conf_verdict("then sti; nop: taken: %s", irq_summary());
	conf_verdict("in its handler: ISR=%u IRR=%u PPR 0x%x; after EOI ISR=%u", irq.e[0].isr, irq.e[0].irr,
		     irq.e[0].ppr, apic_vector_bit(APIC_ISR, VEC_LOW));

	irq_reset();
	apic_write(APIC_TPR, 0x50);
	send_self(VEC_LOW);
	window();
	conf_verdict("TPR 0x50, self-IPI 0x50, sti; nop: taken: %s, IRR=%u, PPR 0x%x", irq_summary(),
		     apic_vector_bit(APIC_IRR, VEC_LOW), apic_read(APIC_PPR));
	apic_write(APIC_TPR, 0x40);
	window();
	conf_verdict("then TPR 0x40, sti; nop: taken: %s", irq_summary());
	apic_write(APIC_TPR, 0);

	irq_reset();
	send_self(VEC_LOW2);
	send_self(VEC_HIGH);
	window();
	conf_verdict("0x51 and 0x60 pending, sti; nop: taken: %s", irq_summary());
	conf_verdict("PPR in the 0x60 handler 0x%x, in the 0x51 handler 0x%x", irq.e[0].ppr, irq.e[1].ppr);

	/* Without an EOI the vector stays in service and blocks its own priority class (11.8.3.1). */
	irq_reset();
	eoi_in_handler = false;
	send_self(VEC_LOW);
	window();
	conf_verdict("handler without EOI: taken: %s, ISR=%u after its IRET", irq_summary(),
		     apic_vector_bit(APIC_ISR, VEC_LOW));
	send_self(VEC_LOW);
	window();
	conf_verdict("0x50 again while in service: taken %u, IRR=%u", irq.n - 1, apic_vector_bit(APIC_IRR, VEC_LOW));
	eoi_in_handler = true;
	apic_write(APIC_EOI, 0);
	window();
	conf_verdict("after the EOI, sti; nop: taken %u in all, ISR=%u", irq.n, apic_vector_bit(APIC_ISR, VEC_LOW));
}

/* POPF and IRET that set IF open the window at once: no shadow (only STI has one). */
static void apic_if_setters(void)
{
	irq_reset();
	send_self(VEC_LOW);
	asm volatile(CONF_MARK "pushfl\n\t"
			       "orl %0, (%%esp)\n\t"
			       "popfl\n\t" CONF_AT "nop" CONF_NEXT "cli"
		     :
		     : "i"(RFLAGS_IF)
		     : "memory");
	conf_verdict("popf setting IF with 0x50 pending: taken: %s", irq_summary());

	irq_reset();
	send_self(VEC_LOW);
	asm volatile(CONF_MARK "pushfl\n\t"
			       "orl %0, (%%esp)\n\t"
			       "pushl %%cs\n\t"
			       "pushl $7771f\n\t"
			       "iret\n\t" CONF_AT "nop" CONF_NEXT "cli"
		     :
		     : "i"(RFLAGS_IF)
		     : "memory");
	conf_verdict("iret setting IF with 0x50 pending: taken: %s", irq_summary());
}

/*
 * A vector below 16 is illegal (11.5.3 "Error Handling"): the IPI sets no IRR bit and the ESR, latched by a
 * write, shows "receive illegal vector". Bochs 2.7 sets only that bit for a self-IPI (not "send illegal
 * vector") and never raises the error LVT's interrupt, so neither is compared.
 */
static void apic_illegal_vector(void)
{
	uint32_t esr;

	apic_write(APIC_ESR, 0);
	send_self(VEC_ILLEGAL);
	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	conf_verdict("self-IPI of vector 3: IRR bit 3 %u, ESR receive illegal vector %u",
		     apic_vector_bit(APIC_IRR, VEC_ILLEGAL), (esr & APIC_ESR_RECV_ILLEGAL) ? 1 : 0);
	apic_write(APIC_ESR, 0);
}

static volatile struct {
	unsigned entries, nested;
	uint32_t eip, resend_lo;
} nmi;

/* Takes an NMI; the first one optionally sends another and waits: it must stay pending until IRET. */
static bool nmi_handler(struct trap_frame *f)
{
	unsigned n = ++nmi.entries;

	if (n == 1) {
		nmi.eip = f->eip;
		if (nmi.resend_lo) {
			send_ipi(apic_read(APIC_ID) >> 24, nmi.resend_lo);
			for (unsigned i = 0; i < NMI_SPIN; i++)
				asm volatile("" : : : "memory");
			nmi.nested = nmi.entries - 1;
		}
	}
	return true;
}

static void nmi_send(uint32_t lo, uint32_t resend_lo)
{
	nmi.entries = nmi.nested = nmi.eip = 0;
	nmi.resend_lo = resend_lo;
	apic_write(APIC_ICR_HI, (apic_read(APIC_ID) >> 24) << 24);
	asm volatile(CONF_GUARD("movl %0, (%1)") : : "r"(lo), "r"(APIC_DEFAULT_BASE + APIC_ICR_LO) : "memory");
}

static void apic_nmi(void)
{
	/*
	 * Sent to its own APIC ID: in 11.6.1, Table 11-4 "Valid Combinations for the Pentium 4 and Intel Xeon
	 * Processors' Local xAPIC Interrupt Command Register", shorthand "self" allows fixed delivery only,
	 * so an NMI with it is undefined (Bochs 2.7 drops it) and is not compared.
	 */
	uint32_t nmi_lo = ICR_LEVEL_ASSERT | ICR_DM_NMI;

	conf_set_handler(VEC_NMI, nmi_handler);
	nmi_send(nmi_lo, 0);
	conf_verdict("NMI IPI to its own APIC ID, IF=0: %u taken, at %s", nmi.entries, conf_where(nmi.eip));
	nmi_send(nmi_lo, nmi_lo);
	conf_verdict("NMI IPI sent from the NMI handler: %u taken, %u while the handler ran", nmi.entries, nmi.nested);
	conf_set_handler(VEC_NMI, NULL);
}

void conf_area_apic(void)
{
	static const unsigned vectors[] = { VEC_LOW, VEC_LOW2, VEC_HIGH, VEC_SPURIOUS };

	for (unsigned i = 0; i < ARRAY_SIZE(vectors); i++)
		conf_set_handler(vectors[i], irq_handler);
	apic_quiesce();
	apic_registers();
	apic_self_ipi();
	apic_if_setters();
	apic_illegal_vector();
	apic_nmi();
	conf_verdict("at the end: ISR 0x50/0x51/0x60 %u%u%u, IRR %u%u%u", apic_vector_bit(APIC_ISR, VEC_LOW),
		     apic_vector_bit(APIC_ISR, VEC_LOW2), apic_vector_bit(APIC_ISR, VEC_HIGH),
		     apic_vector_bit(APIC_IRR, VEC_LOW), apic_vector_bit(APIC_IRR, VEC_LOW2),
		     apic_vector_bit(APIC_IRR, VEC_HIGH));
	apic_quiesce();
}

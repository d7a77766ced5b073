/* The guest IDT: recovers armed faults at their recovery point, fails the guest on any other exception. */
#include "trap.h"
#include "serial.h"
#include "test.h"

#define IDT_ENTRIES 256
/* Present, DPL 0, 32-bit interrupt gate (SDM Vol. 3A 6.11 "IDT Descriptors"). */
#define GATE_INT32     0x8E
#define GATE_PRESENT   0x80
#define SEL_CODE       0x08 /* start.asm's flat code segment */
#define EXIT_EXCEPTION 3    /* guest status for an unexpected exception */

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type_attr;
	uint16_t offset_hi;
} __packed;

struct idt_desc {
	uint16_t limit;
	uint32_t base;
} __packed;

extern const uint32_t isr_stub_table[IDT_ENTRIES];

static struct idt_gate idt[IDT_ENTRIES] __aligned(8);
volatile uint32_t trap_recover_eip;
static volatile bool armed;
static volatile int taken = FAULT_NONE;
static volatile uint32_t taken_error;
static volatile uint32_t interrupts;
volatile bool trap_count_db;
volatile uint32_t trap_db_steps;
bool (*volatile trap_hook)(struct trap_frame *f);
static bool in_fatal;

void trap_init(void)
{
	trap_idt_reset();
}

void trap_idt_reset(void)
{
	for (unsigned v = 0; v < IDT_ENTRIES; v++) {
		uint32_t off = isr_stub_table[v];

		idt[v].offset_lo = (uint16_t)off;
		idt[v].selector = SEL_CODE;
		idt[v].zero = 0;
		idt[v].type_attr = GATE_INT32;
		idt[v].offset_hi = (uint16_t)(off >> 16);
	}
	trap_idt_load(sizeof(idt) - 1);
}

void trap_idt_load(uint16_t limit)
{
	struct idt_desc desc = { limit, (uint32_t)idt };

	asm volatile("lidt %0" : : "m"(desc) : "memory");
}

void trap_gate_present(unsigned vector, bool present)
{
	if (present)
		idt[vector].type_attr |= GATE_PRESENT;
	else
		idt[vector].type_attr &= (uint8_t)~GATE_PRESENT;
}

void trap_set_gate(unsigned vector, uint32_t handler)
{
	idt[vector].offset_lo = (uint16_t)handler;
	idt[vector].offset_hi = (uint16_t)(handler >> 16);
}

void guest_expect_fault(int vector)
{
	(void)vector;
	taken = FAULT_NONE;
	taken_error = 0;
	trap_recover_eip = 0;
	armed = true;
	asm volatile("" : : : "memory");
}

int guest_fault_taken(void)
{
	asm volatile("" : : : "memory");
	armed = false;
	return taken;
}

uint32_t guest_fault_error(void)
{
	return taken_error;
}

uint32_t trap_interrupt_count(void)
{
	return interrupts;
}

static void trap_report_fatal(const struct trap_frame *f)
{
	/* A fault while reporting a fault: leave without printing again. */
	if (in_fatal)
		guest_exit(EXIT_EXCEPTION);
	in_fatal = true;
	serial_printf("FAIL: unexpected exception vector %u error 0x%x at EIP 0x%08x\n", f->vector, f->error, f->eip);
	serial_printf("      eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n", f->eax, f->ebx, f->ecx, f->edx,
		      f->esi, f->edi);
	guest_exit(EXIT_EXCEPTION);
}

void trap_dispatch(struct trap_frame *f)
{
	if (trap_hook && trap_hook(f))
		return;
	if (f->vector >= 32) {
		/* No guest here programs an interrupt source; count strays and carry on. */
		interrupts++;
		return;
	}
	if (f->vector == VEC_DB && trap_count_db) {
		trap_db_steps++; /* a single-step trap of the guest's own TF: resume the next instruction */
		return;
	}
	if (armed && trap_recover_eip != 0) {
		taken = (int)f->vector;
		taken_error = f->error;
		f->eip = trap_recover_eip;
		trap_recover_eip = 0;
		armed = false;
		return;
	}
	trap_report_fatal(f);
}

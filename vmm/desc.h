/* The VMM's own GDT, TSS and selectors; VMX host state is taken from these. */
#ifndef PTV_DESC_H
#define PTV_DESC_H

#include "types.h"

#define GDT_SEL_CODE64 0x08
#define GDT_SEL_DATA   0x10
#define GDT_SEL_TSS    0x18

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM 8.7)");

/* A 64-bit IDT gate (SDM 6.14.1, Figure 6-8). */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;

/* An interrupt gate to `handler` in the VMM's code segment, DPL 0, on IST stack `ist` (0: none). */
static inline struct idt_gate idt_gate_make(uint64_t handler, unsigned ist)
{
	return (struct idt_gate){
		.offset_lo = (uint16_t)handler,
		.selector = GDT_SEL_CODE64,
		.ist = (uint8_t)ist,
		.type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

/* Loads the GDT, the segment registers and TR for the calling CPU. */
void desc_init_cpu(unsigned cpu);
uint64_t desc_gdt_base(unsigned cpu);
uint64_t desc_tss_base(unsigned cpu);
uint64_t desc_idt_base(void);

#define DESC_MAX_CPUS 8

#endif

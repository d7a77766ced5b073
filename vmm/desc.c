/* Per-CPU GDT with a 64-bit TSS: VMX requires a usable TR for host state (SDM 27.2.3). */
#include "desc.h"
#include "lib/string.h"

#define IST_STACK_SIZE 8192

struct cpu_desc {
	uint64_t gdt[5]; /* null, code64, data, TSS (two slots) */
	struct tss64 tss;
	uint8_t ist_stack[IST_STACK_SIZE] __aligned(16);
};

static struct cpu_desc cpu_descs[DESC_MAX_CPUS] __aligned(4096);

uint64_t desc_gdt_base(unsigned cpu)
{
	return (uint64_t)cpu_descs[cpu].gdt;
}

uint64_t desc_tss_base(unsigned cpu)
{
	return (uint64_t)&cpu_descs[cpu].tss;
}

uint64_t desc_idt_base(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed idtr;
	asm volatile("sidt %0" : "=m"(idtr));
	return idtr.base;
}

void desc_init_cpu(unsigned cpu)
{
	struct cpu_desc *d = &cpu_descs[cpu];
	uint64_t tss = (uint64_t)&d->tss;
	uint64_t limit = sizeof(d->tss) - 1;

	memset(&d->tss, 0, sizeof(d->tss));
	d->tss.ist[0] = (uint64_t)(d->ist_stack + IST_STACK_SIZE);
	d->tss.iomap_base = sizeof(d->tss);

	d->gdt[0] = 0;
	d->gdt[1] = 0x00af9a000000ffffULL; /* 64-bit code, DPL 0 */
	d->gdt[2] = 0x00cf92000000ffffULL; /* data */
	/* 64-bit available TSS descriptor, type 9 (SDM 8.2.3 "TSS Descriptor in 64-bit mode"). */
	d->gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
		    (((tss >> 24) & 0xff) << 56);
	d->gdt[4] = tss >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __packed gdtr = { sizeof(d->gdt) - 1, (uint64_t)d->gdt };

	asm volatile("lgdt %0\n"
		     "pushq %1\n"
		     "leaq 1f(%%rip), %%rax\n"
		     "pushq %%rax\n"
		     "lretq\n"
		     "1:\n"
		     "movw %2, %%ax\n"
		     "movw %%ax, %%ds\n"
		     "movw %%ax, %%es\n"
		     "movw %%ax, %%ss\n"
		     "ltr %3\n"
		     :
		     : "m"(gdtr), "i"((uint64_t)GDT_SEL_CODE64), "i"((uint16_t)GDT_SEL_DATA), "r"((uint16_t)GDT_SEL_TSS)
		     : "rax", "memory");
}

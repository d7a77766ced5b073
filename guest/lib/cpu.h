/* Privileged and probing instructions for 32-bit guests; the *_safe forms return the vector caught. */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include "types.h"
#include "trap.h"

#define CR4_VMXE    BIT(13) /* SDM Vol. 3A 2.5 "Control Registers" */
#define CR4_OSXSAVE BIT(18)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf) : "memory");
	return r;
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

/* RDMSR that survives a #GP: *val is 0 when it faulted. */
static inline int cpu_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	guest_expect_fault(VEC_GP);
	asm volatile(TRAP_GUARD("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return guest_fault_taken();
}

static inline int cpu_wrmsr_safe(uint32_t msr, uint64_t val)
{
	guest_expect_fault(VEC_GP);
	asm volatile(TRAP_GUARD("wrmsr") : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
	return guest_fault_taken();
}

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t cpu_inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t cpu_inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void cpu_outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void cpu_outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* LFENCE first so RDTSC does not run ahead of earlier instructions (SDM Vol. 2B "RDTSC"). */
static inline uint64_t cpu_rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t cpu_read_cr0(void)
{
	uint32_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint32_t cpu_read_cr4(void)
{
	uint32_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_cr0(uint32_t v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void cpu_write_cr4(uint32_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline int cpu_write_cr4_safe(uint32_t v)
{
	guest_expect_fault(VEC_GP);
	asm volatile(TRAP_GUARD("mov %0, %%cr4") : : "r"(v) : "memory");
	return guest_fault_taken();
}

/* XSETBV: ECX = XCR index, EDX:EAX = value (SDM Vol. 2C "XSETBV"). */
static inline int cpu_xsetbv_safe(uint32_t xcr, uint64_t val)
{
	guest_expect_fault(VEC_GP);
	asm volatile(TRAP_GUARD("xsetbv") : : "c"(xcr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
	return guest_fault_taken();
}

static inline int cpu_xgetbv_safe(uint32_t xcr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	guest_expect_fault(FAULT_ANY);
	asm volatile(TRAP_GUARD("xgetbv") : "+a"(lo), "+d"(hi) : "c"(xcr) : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return guest_fault_taken();
}

/* Runs one operand-less instruction, returning the vector it raised or FAULT_NONE. */
#define CPU_INSN_SAFE(insn)                                    \
	({                                                     \
		guest_expect_fault(FAULT_ANY);                 \
		asm volatile(TRAP_GUARD(insn) : : : "memory"); \
		guest_fault_taken();                           \
	})

static inline int cpu_wbinvd_safe(void)
{
	return CPU_INSN_SAFE("wbinvd");
}
static inline int cpu_invd_safe(void)
{
	return CPU_INSN_SAFE("invd");
}
static inline int cpu_ud2_safe(void)
{
	return CPU_INSN_SAFE("ud2");
}

/* Loads DS with `sel`; a selector beyond the GDT limit raises #GP(selector) and leaves DS as it was. */
static inline int cpu_load_ds_safe(uint16_t sel)
{
	guest_expect_fault(VEC_GP);
	asm volatile(TRAP_GUARD("movw %0, %%ds") : : "r"(sel) : "memory");
	return guest_fault_taken();
}

static inline void cpu_cli(void)
{
	asm volatile("cli" : : : "memory");
}
/* STI's interrupt shadow covers HLT, so a pending interrupt wakes it rather than being taken before it. */
static inline void cpu_sti_hlt(void)
{
	asm volatile("sti\n\thlt" : : : "memory");
}
static inline void cpu_hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void cpu_lidt(uint32_t base, uint16_t limit)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __packed desc = { limit, base };

	asm volatile("lidt %0" : : "m"(desc) : "memory");
}

/* One 32-bit load or store with a plain MOV, so a VMM sees an instruction it can emulate. */
static inline uint32_t cpu_read32_phys(uint32_t addr)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void cpu_write32_phys(uint32_t addr, uint32_t v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

#endif

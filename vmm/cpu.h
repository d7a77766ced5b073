/*
 * Every privileged instruction the VMM uses, in one header. The VMM build gets
 * static inline wrappers; host unit tests (PTV_HOST_TEST) link the same callers
 * against a CPU model that implements these functions from the SDM's rules.
 */
#ifndef PTV_CPU_H
#define PTV_CPU_H

#include "types.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* Outcome of a VMX instruction (SDM 31.2 "Conventions"). */
enum vmx_status {
	VMX_OK = 0,
	VMX_FAIL_INVALID = 1, /* CF=1: no current VMCS */
	VMX_FAIL_VALID = 2,   /* ZF=1: error number in VM_INSTRUCTION_ERROR */
};

/*
 * The host's own local APIC, by register offset (SDM Table 11-1): xAPIC MMIO or, in x2APIC mode,
 * MSR 800H + offset/16 (SDM 11.12.1.2). False when the CPU has no enabled local APIC.
 */
bool cpu_lapic_read(uint32_t reg, uint32_t *val);
bool cpu_lapic_write(uint32_t reg, uint32_t val);

#ifdef PTV_HOST_TEST

struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf);
bool cpu_rdmsr_safe(uint32_t msr, uint64_t *val);
bool cpu_wrmsr_safe(uint32_t msr, uint64_t val);
uint64_t cpu_read_cr0(void);
uint64_t cpu_read_cr3(void);
uint64_t cpu_read_cr4(void);
void cpu_write_cr0(uint64_t v);
void cpu_write_cr4(uint64_t v);
uint64_t cpu_read_dr(unsigned n);
void cpu_write_dr(unsigned n, uint64_t v);
bool cpu_xsetbv_safe(uint32_t xcr, uint64_t val);
void cpu_xsave(void *area, uint64_t rfbm);
void cpu_xrstor(const void *area, uint64_t rfbm);
void cpu_fxsave(void *area);
void cpu_fxrstor(const void *area);
uint8_t cpu_inb(uint16_t port);
uint16_t cpu_inw(uint16_t port);
uint32_t cpu_inl(uint16_t port);
void cpu_outb(uint16_t port, uint8_t v);
void cpu_outw(uint16_t port, uint16_t v);
void cpu_outl(uint16_t port, uint32_t v);
uint64_t cpu_rdtsc(void);
void cpu_pause(void);
void cpu_nmi_unblock(void);
enum vmx_status cpu_vmxon(paddr_t region);
enum vmx_status cpu_vmxoff(void);
enum vmx_status cpu_vmclear(paddr_t vmcs);
enum vmx_status cpu_vmptrld(paddr_t vmcs);
enum vmx_status cpu_vmread(uint64_t field, uint64_t *val);
enum vmx_status cpu_vmwrite(uint64_t field, uint64_t val);
enum vmx_status cpu_invept(uint64_t type, uint64_t eptp);
enum vmx_status cpu_invvpid(uint64_t type, uint16_t vpid, uint64_t gla);

#else

static inline struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
	return r;
}

/*
 * A faulting instruction at label 1 resumes at label 2 with the flag operand set: the fault handler
 * finds the instruction in __ex_table and jumps to the fixup (trap.c).
 */
#define PTV_EX_SAFE(insn, flag)            \
	"1: " insn "\n"                    \
	"2:\n"                             \
	".pushsection .fixup, \"ax\"\n"    \
	"3: movb $1, " flag "\n"           \
	"   jmp 2b\n"                      \
	".popsection\n"                    \
	".pushsection __ex_table, \"a\"\n" \
	"   .quad 1b, 3b\n"                \
	".popsection\n"

/* RDMSR/WRMSR that report #GP instead of taking it. */
static inline bool cpu_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint8_t faulted = 0;

	asm volatile(PTV_EX_SAFE("rdmsr", "%2") : "+a"(lo), "+d"(hi), "+q"(faulted) : "c"(msr));
	*val = ((uint64_t)hi << 32) | lo;
	return !faulted;
}

static inline bool cpu_wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint8_t faulted = 0;

	asm volatile(PTV_EX_SAFE("wrmsr", "%0")
		     : "+q"(faulted)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return !faulted;
}

#define PTV_CR_ACCESSORS(n)                                   \
	static inline uint64_t cpu_read_cr##n(void)           \
	{                                                     \
		uint64_t v;                                   \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v)); \
		return v;                                     \
	}
PTV_CR_ACCESSORS(0)
PTV_CR_ACCESSORS(3)
PTV_CR_ACCESSORS(4)
#undef PTV_CR_ACCESSORS

static inline void cpu_write_cr0(uint64_t v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void cpu_write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/*
 * Debug registers 0-3 and 6 (SDM 17.2 "Debug Registers"): VMX switches only DR7 (SDM 27.3.1), so
 * these hold whichever guest ran last until vcpu_put()/vcpu_load() move them. MOV DR encodes the
 * register in the instruction, hence one asm per register.
 */
#define PTV_DR_CASE_READ(n)                                   \
	case n:                                               \
		asm volatile("mov %%dr" #n ", %0" : "=r"(v)); \
		break;
#define PTV_DR_CASE_WRITE(n)                                \
	case n:                                             \
		asm volatile("mov %0, %%dr" #n : : "r"(v)); \
		break;
static inline uint64_t cpu_read_dr(unsigned n)
{
	uint64_t v = 0;

	switch (n) {
		PTV_DR_CASE_READ(0)
		PTV_DR_CASE_READ(1)
		PTV_DR_CASE_READ(2)
		PTV_DR_CASE_READ(3)
		PTV_DR_CASE_READ(6)
	default:
		break;
	}
	return v;
}

static inline void cpu_write_dr(unsigned n, uint64_t v)
{
	switch (n) {
		PTV_DR_CASE_WRITE(0)
		PTV_DR_CASE_WRITE(1)
		PTV_DR_CASE_WRITE(2)
		PTV_DR_CASE_WRITE(3)
		PTV_DR_CASE_WRITE(6)
	default:
		break;
	}
}
#undef PTV_DR_CASE_READ
#undef PTV_DR_CASE_WRITE

/* XSETBV that reports #GP instead of taking it. */
static inline bool cpu_xsetbv_safe(uint32_t xcr, uint64_t val)
{
	uint8_t faulted = 0;

	asm volatile(PTV_EX_SAFE("xsetbv", "%0")
		     : "+q"(faulted)
		     : "c"(xcr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return !faulted;
}

/* Standard-format XSAVE/XRSTOR of the components in rfbm & XCR0 (SDM Vol. 1 13.7, 13.8). */
static inline void cpu_xsave(void *area, uint64_t rfbm)
{
	asm volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)rfbm), "d"((uint32_t)(rfbm >> 32)) : "memory");
}

static inline void cpu_xrstor(const void *area, uint64_t rfbm)
{
	asm volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)rfbm), "d"((uint32_t)(rfbm >> 32)) : "memory");
}

static inline void cpu_fxsave(void *area)
{
	asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}
static inline void cpu_fxrstor(const void *area)
{
	asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
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
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_pause(void)
{
	asm volatile("pause");
}

/* CF and ZF after a VMX instruction map to enum vmx_status. */
#define PTV_VMX_STATUS(cf, zf) ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

static inline enum vmx_status cpu_vmxon(paddr_t region)
{
	bool cf, zf;
	asm volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(region) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_vmxoff(void)
{
	bool cf, zf;
	asm volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_vmclear(paddr_t vmcs)
{
	bool cf, zf;
	asm volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(vmcs) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_vmptrld(paddr_t vmcs)
{
	bool cf, zf;
	asm volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(vmcs) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_vmread(uint64_t field, uint64_t *val)
{
	bool cf, zf;
	asm volatile("vmread %3, %2" : "=@ccc"(cf), "=@ccz"(zf), "=rm"(*val) : "r"(field));
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_vmwrite(uint64_t field, uint64_t val)
{
	bool cf, zf;
	asm volatile("vmwrite %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(field), "rm"(val) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_invept(uint64_t type, uint64_t eptp)
{
	struct {
		uint64_t eptp, zero;
	} desc = { eptp, 0 };
	bool cf, zf;
	asm volatile("invept %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "m"(desc), "r"(type) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

static inline enum vmx_status cpu_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
	struct {
		uint64_t vpid, gla;
	} desc = { vpid, gla };
	bool cf, zf;
	asm volatile("invvpid %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "m"(desc), "r"(type) : "memory");
	return PTV_VMX_STATUS(cf, zf);
}

/* The descriptor-table register image of LIDT/SIDT (SDM Vol. 3A 2.4.3). */
struct cpu_idtr {
	uint16_t limit;
	uint64_t base;
} __packed;

static inline void cpu_sidt(struct cpu_idtr *r)
{
	asm volatile("sidt %0" : "=m"(*r));
}

static inline void cpu_lidt(const struct cpu_idtr *r)
{
	asm volatile("lidt %0" : : "m"(*r) : "memory");
}

/*
 * An IRET to the next instruction, which ends blocking by NMI (SDM 6.7.1 "Handling Multiple NMIs").
 * After a VM exit caused by an NMI no handler's IRET follows; KVM and Xen both execute one there so that
 * NMIs (the next ToPA PMI) are not left blocked in root. Harmless where nothing is blocked.
 */
static inline void cpu_nmi_unblock(void)
{
	asm volatile("mov %%rsp, %%rcx\n\t"
		     "mov %%ss, %%eax\n\t"
		     "pushq %%rax\n\t"
		     "pushq %%rcx\n\t"
		     "pushfq\n\t"
		     "mov %%cs, %%eax\n\t"
		     "pushq %%rax\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1:"
		     :
		     :
		     : "rax", "rcx", "memory", "cc");
}

/* Waits for one interrupt with interrupts open only for it: STI's shadow covers HLT (SDM Vol. 2B STI). */
static inline void cpu_sti_hlt_cli(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}

#endif /* PTV_HOST_TEST */

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint64_t v = 0;

	(void)cpu_rdmsr_safe(msr, &v);
	return v;
}

#endif

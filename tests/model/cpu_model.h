/* Host-test model of one x86 CPU: the PTV_HOST_TEST half of vmm/cpu.h, with the SDM's checks. */
/*
 * MSRs, CPUID and CR0/CR3/CR4 (cpu_model.c), port I/O, TSC and PAUSE
 * (cpu_model_io.c, replaceable by port_log.c) and the VMX instructions
 * (vmx_model.c), each with the SDM's checks, and a log of every operation so
 * tests can assert their order.
 */
#ifndef PTV_CPU_MODEL_H
#define PTV_CPU_MODEL_H

#include "types.h"
#include "cpu.h"

struct cpu_fixture_leaf {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};

struct cpu_fixture_msr {
	uint32_t msr;
	uint64_t value;
};

/* A recorded (or reconstructed) CPU; the source of each value is cited in its .c file. */
struct cpu_fixture {
	const char *name;
	const char *vendor;
	const struct cpu_fixture_leaf *leaves;
	size_t leaf_count;
	const struct cpu_fixture_msr *msrs; /* everything else #GPs */
	size_t msr_count;
};

enum cpu_model_op {
	CPU_OP_CPUID,
	CPU_OP_RDMSR,
	CPU_OP_WRMSR,
	CPU_OP_WRITE_CR, /* index: CR number */
	CPU_OP_IN,
	CPU_OP_OUT,
	CPU_OP_VMXON, /* index: the VMXON pointer */
	CPU_OP_VMXOFF,
	CPU_OP_VMCLEAR,
	CPU_OP_VMPTRLD,
	CPU_OP_VMREAD,
	CPU_OP_VMWRITE,
	CPU_OP_INVEPT,
	CPU_OP_INVVPID,
	CPU_OP_TRACEEN_CLEARED, /* VMXON cleared IA32_RTIT_CTL.TraceEn itself (MISC[14] = 0) */
	CPU_OP_VMENTRY,         /* pt_model.c: index the VMCS, value the pt_model_entry result */
	CPU_OP_VMEXIT,          /* pt_model.c: value IA32_RTIT_CTL after the exit */
	CPU_OP_XSETBV,          /* index: XCR number */
	CPU_OP_XSAVE,           /* value: RFBM; XSAVE, or FXSAVE with index 1 */
	CPU_OP_XRSTOR,          /* value: RFBM; XRSTOR, or FXRSTOR with index 1 */
	CPU_OP_WRITE_DR,        /* index: DR number */
};

enum cpu_model_fault {
	CPU_FAULT_NONE,
	CPU_FAULT_GP,
	CPU_FAULT_UD,
};

struct cpu_model_event {
	enum cpu_model_op op;
	uint64_t index; /* MSR, CR number, port, CPUID leaf, VMCS field or pointer */
	uint64_t value; /* value read or written */
	enum cpu_model_fault fault;
	enum vmx_status status; /* VMX instructions only */
};

struct cpu_model_msr {
	uint32_t msr;
	uint64_t value;
	bool read_only;
	unsigned reads, writes, faults;
};

struct cpu_model_mem {
	paddr_t pa;
	void *host;
	size_t len;
};

#define CPU_MODEL_MAX_MSRS   64
#define CPU_MODEL_MAX_LEAVES 48
#define CPU_MODEL_MAX_PORTS  16
#define CPU_MODEL_MAX_MEM    8
#define CPU_MODEL_MAX_FIELDS 128
#define CPU_MODEL_LOG_MAX    1024
#define CPU_MODEL_NO_VMCS    (~0ULL)
#define CPU_MODEL_XSTATE_MAX 12288

struct cpu_model {
	const struct cpu_fixture *fixture;
	struct cpu_model_msr msrs[CPU_MODEL_MAX_MSRS];
	size_t msr_count;
	struct cpu_fixture_leaf leaves[CPU_MODEL_MAX_LEAVES];
	size_t leaf_count;
	uint64_t cr0, cr3, cr4;
	uint64_t cr4_valid; /* CR4 bits this CPU implements; others #GP */
	uint64_t dr[4];     /* debug address registers (MOV DR never faults at CPL 0 here) */
	uint64_t dr6;       /* debug status */
	/* Extended state (cpu_model_state.c): XCR0 and the registers XSAVE/XRSTOR move, as bytes laid
	   out like a standard-format XSAVE area; every XSAVE/XRSTOR moves the components enabled. */
	uint64_t xcr0;
	uint8_t xstate[CPU_MODEL_XSTATE_MAX];
	size_t xsave_bytes; /* bytes the last XSAVE/XRSTOR touched */
	struct {
		uint16_t port;
		uint32_t value;
	} ports[CPU_MODEL_MAX_PORTS];
	size_t port_count;
	uint64_t tsc;
	unsigned pauses;

	/* VMX state (vmx_model.c) */
	bool vmx_operation;
	paddr_t vmxon_region;
	paddr_t current_vmcs; /* CPU_MODEL_NO_VMCS when none */
	uint32_t vm_instruction_error;
	struct {
		uint64_t field, value;
	} fields[CPU_MODEL_MAX_FIELDS];
	size_t field_count;
	struct cpu_model_mem mem[CPU_MODEL_MAX_MEM];
	size_t mem_count;

	/*
	 * The local APIC (cpu_model.c), register offset >> 4: enabled unless lapic_off, every LVT entry
	 * masked at reset (SDM 11.5.1). A PMI (pt_topa_model.c) goes out through LVT PC, which then masks
	 * itself; an NMI waits in nmi_pending for the rig to deliver it (VM exit or root IDT).
	 */
	bool lapic_off;
	uint32_t lapic[64];
	unsigned nmi_pending;
	unsigned nmi_unblocks;              /* IRETs that end blocking by NMI (cpu_nmi_unblock) */
	unsigned pmis_signalled, pmis_lost; /* lost: LVT PC was masked */
	bool pmi_skid;                      /* a ToPA PMI is signalled at the next VM exit, not at once */
	bool pmi_deferred;

	unsigned fault_count;
	enum cpu_model_fault last_fault;
	struct cpu_model_event log[CPU_MODEL_LOG_MAX];
	size_t log_len;
	size_t log_dropped;
};

extern struct cpu_model *cpu_model_current;

/* Resets the one model instance to the fixture's state and makes it current. */
struct cpu_model *cpu_model_load(const struct cpu_fixture *f);

struct cpu_model_msr *cpu_model_msr(struct cpu_model *m, uint32_t msr);
/* Adds or replaces an MSR (writable unless read_only); counters reset. */
void cpu_model_set_msr(struct cpu_model *m, uint32_t msr, uint64_t value, bool read_only);
void cpu_model_remove_msr(struct cpu_model *m, uint32_t msr);
/* The MSR's value, or `absent` when it does not exist. */
uint64_t cpu_model_msr_value(struct cpu_model *m, uint32_t msr, uint64_t absent);
void cpu_model_set_cpuid(struct cpu_model *m, uint32_t leaf, uint32_t subleaf, const struct cpuid_regs *r);
struct cpuid_regs cpu_model_cpuid(const struct cpu_model *m, uint32_t leaf, uint32_t subleaf);
/* What IN from `port` returns (cpu_model_io.c); other ports read as all ones. */
void cpu_model_set_port(struct cpu_model *m, uint16_t port, uint32_t value);
/* Backs [pa, pa+len) with host memory, for structures the VMX instructions read (vmx_model.c). */
void cpu_model_map_phys(struct cpu_model *m, paddr_t pa, void *host, size_t len);
void *cpu_model_phys(struct cpu_model *m, paddr_t pa, size_t len);

/* Events matching op (and index, unless index is ~0ULL). */
size_t cpu_model_count(const struct cpu_model *m, enum cpu_model_op op, uint64_t index);
/* First event at or after `from` matching op/index; -1 if none. */
long cpu_model_find(const struct cpu_model *m, enum cpu_model_op op, uint64_t index, size_t from);
#define CPU_MODEL_ANY (~0ULL)

/* Shared by the model's files. */
void cpu_model_log(struct cpu_model *m, enum cpu_model_op op, uint64_t index, uint64_t value,
		   enum cpu_model_fault fault, enum vmx_status status);
bool cpu_model_is_rtit_msr(uint32_t msr);
unsigned cpu_model_maxphyaddr(const struct cpu_model *m);
struct cpu_model *cpu_model_get(void);
/* A performance-monitoring interrupt through LVT PC: NMI mode makes an NMI pending, fixed mode sets IRR. */
void cpu_model_pmi(struct cpu_model *m);

#endif

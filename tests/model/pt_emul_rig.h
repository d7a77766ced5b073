/* Test model for the emulated PT backend: a guest, its VMCS, and a CPU that steps a designed program. */
#ifndef PTV_TEST_PT_EMUL_RIG_H
#define PTV_TEST_PT_EMUL_RIG_H

#include "types.h"
#include "pt/pt_guest.h"
#include "pt/emul/pt_emul.h"
#include "vmx/pt_backend.h"
#include "pt_code.h"

/*
 * Guest RAM is GPA [0, 2 MiB) at HPA 32 MiB, paging off (linear = GPA), CS
 * base 0, 32-bit protected mode at CPL 0 (per_set_cpl changes it; event
 * delivery goes to CPL 0, IRET back to the frame's). The trace goes to one
 * 64 KiB ToPA region; the IDT holds 32-bit interrupt gates. Every fetch is
 * checked against the EPT the VMCS's EPTP names (the guest's or the PT
 * backend's outside view).
 */
#define PER_RAM_HPA  (32ULL << 20)
#define PER_RAM_SIZE (2ULL << 20)
#define PER_IDT      0x3000u
#define PER_STACK    0x8000u /* initial ESP */
#define PER_TOPA     0x10000u
#define PER_OUT      0x20000u
#define PER_OUT_SIZE 0x10000u
/* What the VMM had set before tracing, so the engine's restore is visible. */
#define PER_EXC_BITMAP BIT(18)
#define PER_CPU_BASED  (BIT(7) | BIT(31))
#define PER_DR0        0xdead0000ull /* DR0-DR3 hold PER_DR0 + n before tracing */
#define PER_DR7        0x400ull
#define PER_MAX_INSNS  64
#define PER_MAX_IPS    512

/* What the rig's CPU does with an instruction; the bytes in guest memory must say the same. */
enum per_kind {
	PER_SEQ,    /* falls through; value: DR6 B0-B3 of data breakpoints it triggers */
	PER_JCC,    /* to target the first `taken` times, then falls through */
	PER_JMP,    /* direct or indirect: to target */
	PER_CALL,   /* near: pushes the next IP */
	PER_RET,    /* near: pops */
	PER_INT,    /* INT n: delivers `vector` through the IDT */
	PER_IRET,   /* back to the last frame's IP, or to target when set; value ORed into its RFLAGS */
	PER_UD,     /* faults with #UD (does not retire) */
	PER_WRMSR,  /* VM exit: IA32_RTIT_CTL := value, emulated by the VMM */
	PER_CPUID,  /* VM exit: emulated by the VMM */
	PER_MOVCR3, /* MOV to CR3 := value; a VM exit first while CR3-load exiting is on */
	PER_HLT,    /* ends the run */
};

struct per_insn {
	uint32_t ip;
	uint8_t len;
	enum per_kind kind;
	uint32_t target;
	unsigned taken;
	uint8_t vector;
	uint64_t value;
	unsigned count; /* executions so far */
};

/* The exits the rig's CPU made the VMM handle. */
enum per_exit {
	PER_EXIT_MTF,       /* monitor trap flag */
	PER_EXIT_DB_BS,     /* #DB, single step (DR6.BS) */
	PER_EXIT_DB_BP,     /* #DB, an instruction breakpoint in DR0-DR3 */
	PER_EXIT_EXCEPTION, /* another intercepted exception */
	PER_EXIT_WRMSR,
	PER_EXIT_CPUID,
	PER_EXIT_CR3, /* CR3-load exiting (SDM 26.1.3), taken by the PT backend */
	PER_EXIT_EPT, /* an EPT violation: a fetch from a page the EPT in use does not let execute */
	PER_EXIT_COUNT
};

struct per_rig;
/* Called after the VMM handled an exit (VMCS current), before the next VM entry. */
typedef void (*per_hook_fn)(struct per_rig *r, enum per_exit why, const struct per_insn *in);

struct per_rig {
	struct vcpu *v;
	struct pt_guest *pg;
	struct per_insn insns[PER_MAX_INSNS];
	unsigned ninsns;
	struct ptx_prog image; /* the code again, for libipt */
	uint32_t stack[32];
	unsigned depth;
	struct {
		uint32_t ip;
		uint64_t rflags;
		unsigned cpl;
	} frames[8];
	unsigned nframes;
	bool tracing;              /* TraceEn, per the reference */
	uint64_t ref[PER_MAX_IPS]; /* IPs that retired while TraceEn=1, in order */
	size_t nref;
	unsigned exits[PER_EXIT_COUNT];
	unsigned steps; /* VM entries played (instructions, events, exits) */
	per_hook_fn hook;
	void *ctx;
};

/* A fresh arena, EPT, CPU model, VMCS and PT state; the engine steps with `mech`. */
void per_setup(struct per_rig *r, enum pt_step_mech mech);
void per_teardown(struct per_rig *r);
/* Copies code to guest memory (and the libipt image) at gpa. */
void per_load(struct per_rig *r, uint32_t gpa, const uint8_t *code, size_t len);
/* Describes one instruction of the loaded code; returns it for the caller to fill in. */
struct per_insn *per_insn(struct per_rig *r, uint32_t ip, uint8_t len, enum per_kind kind);
/* A 32-bit interrupt gate for vector in the guest IDT. */
void per_gate(struct per_rig *r, uint8_t vector, uint32_t handler);
/* Runs from ip until HLT (at most max VM entries); false, with a line on stderr, if the program
   went off its description or the VMM did not take an exit as its own. */
bool per_run(struct per_rig *r, uint32_t ip, unsigned max);
/* The trace written so far: the host address of the output region and its length. */
uint8_t *per_trace(struct per_rig *r, size_t *len);
uint64_t per_vmcs(unsigned field);
/* The CPL in SS and CS (their DPL, SDM 5.5). */
void per_set_cpl(unsigned cpl);
/* Host address of guest-physical gpa (in guest RAM). */
uint8_t *per_gpa(uint64_t gpa);

#endif

/*
 * The differential conformance kernel's framework. The kernel runs once on bare Bochs and once as a ptvisor
 * guest; each check prints one verdict line "conf: AREA: WHAT: OUTCOME" that must come out identical on both.
 * Verdicts name architectural outcomes only (vector, error code, frame flags, values the kernel wrote
 * itself), never addresses, TSC values or IDs that may legitimately differ; where a feature may legitimately
 * be hidden by a VMM, the verdict says whether what the CPU does agrees with what its CPUID says.
 */
#ifndef GUEST_CONF_H
#define GUEST_CONF_H

#include "types.h"
#include "trap.h"
#include "x86/arch.h"

/* The framework's GDT (conf.c): flat 32-bit code and data as start.asm's, and a 64-bit code segment. */
#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18

#define VEC_OF  4
#define VEC_BR  5
#define VEC_NMI 2

/* What an armed probe caught: the first event after conf_arm(). */
struct conf_event {
	int vector; /* FAULT_NONE: nothing */
	uint32_t error;
	uint32_t eip, cs, eflags; /* the frame the CPU pushed */
	uint32_t count;           /* events while armed (a second one means a fault in the handler path) */
};

/*
 * CONF_GUARD("insn") brackets one instruction: conf_at is its address, conf_resume the next one's. An
 * armed exception resumes at conf_resume; the event records where the frame pointed (conf_where()).
 * CONF_MARK stores both addresses ahead of any set-up (such as a POPF that sets TF), CONF_AT and CONF_NEXT
 * place them.
 */
extern volatile uint32_t conf_at, conf_resume;
#define CONF_MARK        "movl $7771f, conf_at\n\tmovl $7772f, conf_resume\n\t"
#define CONF_AT          "7771:\n\t"
#define CONF_NEXT        "\n7772:\n\t"
#define CONF_GUARD(insn) CONF_MARK CONF_AT insn CONF_NEXT

/* Runs one guarded instruction armed; the rest are the asm operands, e.g. CONF_PROBE("ud2", : : : "memory"). */
#define CONF_PROBE(insn, ...)                               \
	({                                                  \
		conf_arm();                                 \
		asm volatile(CONF_GUARD(insn) __VA_ARGS__); \
		conf_disarm();                              \
	})

/* A handler for one vector, bypassing the armed-probe logic; returns true when it took the event. */
typedef bool (*conf_handler_fn)(struct trap_frame *f);

/*
 * Area bookkeeping and verdicts: conf_verdict() prints "conf: AREA: ..." and counts one check. An area
 * may consist of parts: conf_part("p") says whether to run part p (all run unless the command line's
 * part= names one) and labels the lines after it "AREA/p", so that each part can run as a guest of its own.
 */
void conf_begin_area(const char *name, const char *part);
bool conf_part(const char *part);
void conf_verdict(const char *fmt, ...) __printf(1, 2);
unsigned conf_checks(void);

/* Arms the catch-all for exceptions 0-31 (and any vector without a handler); conf_disarm() returns it. */
void conf_arm(void);
struct conf_event conf_disarm(void);
void conf_set_handler(unsigned vector, conf_handler_fn fn);

/* RDMSR/WRMSR/XSETBV armed: the event says whether (and how) they faulted. RDMSR leaves *val 0 on a fault. */
static inline struct conf_event conf_rdmsr(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	struct conf_event e = CONF_PROBE("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");

	*val = (uint64_t)hi << 32 | lo;
	return e;
}

static inline struct conf_event conf_wrmsr(uint32_t msr, uint64_t val)
{
	return CONF_PROBE("wrmsr", : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

/*
 * "none" or e.g. "#GP(0x0) at insn RF=1": the vector, its error code when it has one, where the frame
 * points (insn: the guarded instruction, next: after it, other) and RF in the pushed EFLAGS.
 */
const char *conf_outcome(const struct conf_event *e);
/* The same without the frame: "#GP(0x0)" or "none". */
const char *conf_vector(const struct conf_event *e);
const char *conf_vector_of(struct conf_event e);
const char *conf_where(uint32_t eip);
bool conf_vector_has_error(int vector);

/* The gate of one IDT vector: present or not (for #NP/#DF checks); the IDT limit in bytes minus one. */
void conf_gate_present(unsigned vector, bool present);
void conf_idt_limit(uint16_t limit);
void conf_idt_restore(void);

/* Sets up the framework (IDT, GDT, PIC masked, boot CR0/CR4/EFER kept) once before the first area. */
void conf_init(void);
/* Puts CR0, CR4, EFER, DR7, the GDT and IDT back to their state at conf_init(), IF clear. */
void conf_reset_cpu(void);
/* Leaves the current area after an unexpected exception (conf_main.c): the next area starts. */
void conf_abandon_area(void) __noreturn;

/* Ends the run: waits for the UART to drain, then writes "Shutdown" to the Bochs port 0x8900. */
void conf_poweroff(void) __noreturn;

/* CPUID feature bits by leaf/sub-leaf/register/bit, with the leaf checked against the maximum. */
enum conf_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };
bool conf_cpuid_bit(uint32_t leaf, uint32_t sub, enum conf_reg reg, unsigned bit);
uint32_t conf_cpuid_reg(uint32_t leaf, uint32_t sub, enum conf_reg reg);

/*
 * A CPUID feature: present when field reg[hi:lo] of leaf/sub-leaf is at least min, or (when alt_leaf is
 * not 0) the alternative's field is. Verdicts on what a feature implies print "agrees with NAME" when the
 * CPU does what CPUID says, so a VMM that hides a feature (and its MSRs) reads the same as bare metal.
 */
struct conf_cond {
	uint32_t leaf, sub;
	enum conf_reg reg;
	uint8_t lo, hi;
	uint32_t min;
};
struct conf_feature {
	const char *name;
	struct conf_cond cond, alt;
};
/* clang-format off */
#define CONF_BIT(leaf, sub, reg, bit) { (leaf), (sub), (reg), (bit), (bit), 1 }
#define CONF_NONE                     { 0, 0, CPUID_EAX, 0, 0, 0 }
/* clang-format on */
bool conf_feature_present(const struct conf_feature *f);
/* "WHAT: agrees with NAME" when ok, else "WHAT: DETAIL, but NAME=present". */
void conf_agree(const char *what, const struct conf_feature *f, bool ok, const char *detail);
/* For a vector outcome: the expectation is want_present or want_absent as the feature says. */
void conf_agree_vector(const char *what, const struct conf_feature *f, int got, int want_present, int want_absent);

/* The areas, one file each. */
void conf_area_exceptions(void);
void conf_area_apic(void);
void conf_area_apicbase(void);
void conf_area_msr(void);
void conf_area_cr(void);
void conf_area_strio(void);
void conf_area_mem(void);
void conf_area_tsc(void);

#endif

/*
 * Area "exceptions": which vector each faulting or trapping instruction raises, its error code, where the
 * pushed frame points and RFLAGS.RF in it. SDM Vol. 3A 6.5 "Exception Classifications": a fault's frame
 * points at the faulting instruction, a trap's after it; 18.3.1.1: the processor sets RF in the EFLAGS image
 * of every fault it delivers except an instruction-breakpoint #DB, and traps push RF as it was (0 here).
 */
#include "conf.h"
#include "conf_exc.h"
#include "cpu.h"

#define SEL_BEYOND_GDT 0x80 /* index 16: past the framework's four-entry GDT */
#define VEC_SOFT       0x40
#define VEC_NO_GATE    0x41

static void exc_arith(void)
{
	uint32_t a = 1, d = 0, z = 0;
	struct conf_event e;

	e = CONF_PROBE("divl %2", : "+a"(a), "+d"(d) : "r"(z) : "memory");
	conf_verdict("div by zero: %s", conf_outcome(&e));
	a = 0x80000000u, d = 0xffffffffu, z = 0xffffffffu;
	e = CONF_PROBE("idivl %2", : "+a"(a), "+d"(d) : "r"(z) : "memory");
	conf_verdict("idiv quotient overflow (INT_MIN / -1): %s", conf_outcome(&e));
	/* AAM with a zero immediate divides by zero (SDM Vol. 2A "AAM"). */
	e = CONF_PROBE(".byte 0xd4, 0x00", : : : "eax", "memory");
	conf_verdict("aam 0: %s", conf_outcome(&e));
}

static void exc_invalid(void)
{
	uint32_t bounds[2] = { 10, 20 }, idx = 30;
	struct conf_event e;

	e = CONF_PROBE("ud2", : : : "memory");
	conf_verdict("ud2: %s", conf_outcome(&e));
	/* LOCK on an instruction that cannot be locked (SDM Vol. 2A "LOCK"). */
	e = CONF_PROBE(".byte 0xf0, 0x90", : : : "memory");
	conf_verdict("lock nop: %s", conf_outcome(&e));
	e = CONF_PROBE("boundl %0, %1", : : "r"(idx), "m"(bounds) : "memory");
	conf_verdict("bound, index above the upper bound: %s", conf_outcome(&e));
	idx = 15;
	e = CONF_PROBE("boundl %0, %1", : : "r"(idx), "m"(bounds) : "memory");
	conf_verdict("bound, index within: %s", conf_outcome(&e));
}

/* SDM Vol. 3A 6.15 "Interrupt 13": segment loads report the selector, or 0 for a null SS. */
static void exc_segments(void)
{
	struct conf_event e;

	e = CONF_PROBE("movw %w0, %%ss", : : "r"(0) : "memory");
	conf_verdict("mov null selector to ss: %s", conf_outcome(&e));
	e = CONF_PROBE("movw %w0, %%ds", : : "r"(SEL_BEYOND_GDT) : "memory");
	conf_verdict("mov selector 0x80 beyond the GDT limit to ds: %s", conf_outcome(&e));
	e = CONF_PROBE("movw %w0, %%ss", : : "r"(SEL_CODE32) : "memory");
	conf_verdict("mov code selector to ss: %s", conf_outcome(&e));
	e = CONF_PROBE("ltr %w0", : : "r"(0) : "memory");
	conf_verdict("ltr null selector: %s", conf_outcome(&e));
	e = CONF_PROBE("movw %w0, %%fs", : : "r"(0) : "memory");
	conf_verdict("mov null selector to fs: %s", conf_outcome(&e));
	asm volatile("movw %w0, %%fs" : : "r"(SEL_DATA) : "memory");
}

static struct conf_event into_after_add(uint32_t x)
{
	conf_arm();
	asm volatile("addl $1, %0\n\t" CONF_GUARD("into") : "+r"(x) : : "memory", "cc");
	return conf_disarm();
}

/* Software interrupts are traps: the frame points after the instruction, RF=0 (SDM Vol. 2A "INT n/INTO/INT3/INT1"). */
static void exc_soft(void)
{
	struct conf_event e;

	e = CONF_PROBE("int3", : : : "memory");
	conf_verdict("int3: %s", conf_outcome(&e));
	e = CONF_PROBE(".byte 0xcd, 0x03", : : : "memory");
	conf_verdict("int $3 (CD 03): %s", conf_outcome(&e));
	e = CONF_PROBE("int $0x40", : : : "memory");
	conf_verdict("int $0x40: %s", conf_outcome(&e));
	e = CONF_PROBE(".byte 0xf1", : : : "memory");
	conf_verdict("int1 (F1): %s", conf_outcome(&e));
	/* OF comes from the ADD right before INTO: 0 + 1 leaves it clear, 0x7fffffff + 1 sets it. */
	e = into_after_add(0);
	conf_verdict("into with OF=0: %s", conf_outcome(&e));
	e = into_after_add(0x7fffffffu);
	conf_verdict("into with OF=1: %s", conf_outcome(&e));
}

/*
 * Gates: a not-present gate raises #NP with the IDT flag (bit 1) in its error code, a vector past the IDT
 * limit #GP the same way (SDM Vol. 3A 6.13 "Error Code"). A contributory fault while delivering #GP is a
 * double fault with error code 0; after a benign one the second is delivered alone (Table 6-5).
 */
static void exc_gates(void)
{
	struct conf_event e;

	conf_gate_present(VEC_NO_GATE, false);
	e = CONF_PROBE("int $0x41", : : : "memory");
	conf_verdict("int $0x41 through a not-present gate: %s", conf_outcome(&e));
	conf_gate_present(VEC_NO_GATE, true);

	conf_idt_limit(VEC_NO_GATE * 8 - 1);
	e = CONF_PROBE("int $0x41", : : : "memory");
	conf_verdict("int $0x41 beyond the IDT limit: %s", conf_outcome(&e));
	conf_idt_limit(256 * 8 - 1);

	conf_gate_present(VEC_UD, false);
	e = CONF_PROBE("ud2", : : : "memory");
	conf_verdict("ud2 with the #UD gate not present: %s", conf_outcome(&e));
	conf_gate_present(VEC_UD, true);

	/* The #DF frame's CS:EIP is undefined (6.15 "Interrupt 8"): only the vector and error code count. */
	conf_gate_present(VEC_GP, false);
	e = CONF_PROBE("movw %w0, %%ss", : : "r"(0) : "memory");
	conf_verdict("#GP with the #GP gate not present: %s", conf_vector(&e));
	conf_gate_present(VEC_GP, true);

	conf_gate_present(VEC_NP, false);
	conf_gate_present(VEC_NO_GATE, false);
	e = CONF_PROBE("int $0x41", : : : "memory");
	conf_verdict("int $0x41 not present with the #NP gate not present: %s", conf_vector(&e));
	conf_idt_restore();
}

/*
 * Faults that a VMM raises on the guest's behalf after an exit (MSR, CR and VMX instructions) must look
 * like the CPU's own: same vector and error code, the frame at the instruction, RF=1.
 */
static void exc_injected(void)
{
	uint64_t scratch[1] = { 0 };
	uint32_t cr4 = cpu_read_cr4();
	struct conf_event e;

	e = CONF_PROBE("rdmsr", : : "c"(0x12345678u) : "eax", "edx", "memory");
	conf_verdict("rdmsr of unimplemented 0x12345678: %s", conf_outcome(&e));
	e = CONF_PROBE("wrmsr", : : "c"(0x12345678u), "a"(0), "d"(0) : "memory");
	conf_verdict("wrmsr of unimplemented 0x12345678: %s", conf_outcome(&e));
	e = CONF_PROBE("mov %0, %%cr4", : : "r"(cr4 | (uint32_t)BIT(15)) : "memory");
	conf_verdict("mov to CR4 with reserved bit 15: %s", conf_outcome(&e));
	cpu_write_cr4(cr4 & ~(uint32_t)CR4_VMXE);
	e = CONF_PROBE("vmxon (%0)", : : "r"(scratch) : "memory");
	conf_verdict("vmxon with CR4.VMXE=0: %s", conf_outcome(&e));
	cpu_write_cr4(cr4);
}

void conf_area_exceptions(void)
{
	exc_injected();
	exc_arith();
	exc_invalid();
	exc_segments();
	exc_soft();
	exc_gates();
	conf_exc_debug();
	conf_exc_fpu();
	conf_exc_pf();
}

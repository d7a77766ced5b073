/*
 * Area "exceptions", debug part: breakpoints, single-step, general detect and RFLAGS.RF (SDM Vol. 3B 18.2
 * "Debug Registers", 18.3.1 "Debug Exception (#DB)"). An instruction breakpoint is a fault delivered with
 * RF=0 in its frame; the handler returns with RF=1 so the instruction runs once; IRET with RF=1 suppresses
 * the breakpoint for the next instruction. Data breakpoints and single-steps are traps.
 */
#include "conf.h"
#include "conf_exc.h"
#include "lib/format.h"

#define DR6_STATUS (DR6_TRAP_BITS | DR6_BD | DR6_BS | DR6_BT)
#define DR7_RW_W   1u /* break on data writes */
#define DR7_LEN_4  3u

/* The instruction-breakpoint target: one NOP and a return, at a known address. */
asm(".text\n"
    ".globl conf_bp_target\n"
    "conf_bp_target:\n\t"
    "nop\n\t"
    "ret\n");
void conf_bp_target(void);

struct db_record {
	uint32_t count, eip, eflags, dr6, dr7;
};

static volatile struct db_record db;
static volatile uint32_t watched;

static void dr6_reset(void)
{
	asm volatile("mov %0, %%dr6" : : "r"((uint32_t)DR6_RESET) : "memory");
}

static void dr_set(unsigned n, uint32_t addr)
{
	if (n == 0)
		asm volatile("mov %0, %%dr0" : : "r"(addr) : "memory");
	else
		asm volatile("mov %0, %%dr1" : : "r"(addr) : "memory");
}

static void dr7_set(uint32_t v)
{
	asm volatile("mov %0, %%dr7" : : "r"(v) : "memory");
}

/* Records the first #DB; returns with RF=1 (a faulting breakpoint's instruction then runs) and TF=0. */
static bool db_handler(struct trap_frame *f)
{
	uint32_t dr6, dr7;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	asm volatile("mov %%dr7, %0" : "=r"(dr7));
	if (db.count++ == 0) {
		db.eip = f->eip;
		db.eflags = f->eflags;
		db.dr6 = dr6 & DR6_STATUS;
		db.dr7 = dr7;
	}
	dr6_reset();
	f->eflags = (f->eflags | (uint32_t)RFLAGS_RF) & ~(uint32_t)RFLAGS_TF;
	return true;
}

static void db_arm(void)
{
	db.count = db.eip = db.eflags = db.dr6 = db.dr7 = 0;
	dr6_reset();
}

static void db_verdict_rf(const char *what, uint32_t at_insn, uint32_t at_next, bool show_rf)
{
	const char *where = db.eip == at_insn ? "insn" : db.eip == at_next ? "next" : "other";
	char rf[8] = "";

	if (show_rf)
		ptv_snprintf(rf, sizeof(rf), " RF=%u", (db.eflags & RFLAGS_RF) ? 1 : 0);
	if (!db.count)
		conf_verdict("%s: no #DB", what);
	else
		conf_verdict("%s: %u #DB, first at %s%s DR6 status 0x%x", what, db.count, where, rf, db.dr6);
}

static void db_verdict(const char *what, uint32_t at_insn, uint32_t at_next)
{
	db_verdict_rf(what, at_insn, at_next, true);
}

static void dbg_instruction_breakpoint(void)
{
	uint32_t target = (uint32_t)conf_bp_target;

	dr_set(0, target);
	dr7_set((uint32_t)(DR7_RESET | DR7_L(0)));
	db_arm();
	conf_bp_target();
	db_verdict("execute breakpoint on a called nop", target, target + 1);

	/* IRET to the target with RF=1 in the image: the breakpoint does not fire for that instruction. */
	db_arm();
	asm volatile("pushl $1f\n\t"
		     "pushfl\n\t"
		     "orl %1, (%%esp)\n\t"
		     "pushl %%cs\n\t"
		     "pushl %0\n\t"
		     "iret\n"
		     "1:"
		     :
		     : "r"(target), "i"(RFLAGS_RF)
		     : "memory");
	db_verdict("iret with RF=1 to the breakpoint", target, target + 1);

	db_arm();
	conf_bp_target();
	db_verdict("same breakpoint, called again after RF cleared", target, target + 1);
	dr7_set((uint32_t)DR7_RESET);
}

static void dbg_data_breakpoint(void)
{
	dr_set(1, (uint32_t)&watched);
	dr7_set((uint32_t)(DR7_RESET | DR7_L(1) | DR7_RW_W << DR7_RW_SHIFT(1) | DR7_LEN_4 << DR7_LEN_SHIFT(1)));
	db_arm();
	asm volatile(CONF_GUARD("movl $1, %0") : "=m"(watched) : : "memory");
	db_verdict("write to a watched dword", conf_at, conf_resume);
	db_arm();
	asm volatile(CONF_GUARD("movl %0, %%eax") : : "m"(watched) : "eax", "memory");
	db_verdict("read of a write-watched dword", conf_at, conf_resume);
	dr7_set((uint32_t)DR7_RESET);
}

/*
 * TF set by POPF traps after the instruction that follows POPF. MOV SS and POP SS hold debug exceptions
 * until after the next instruction (SDM Vol. 3A 6.8.3 "Masking Exceptions and Interrupts When Switching
 * Stacks"), so the step of the MOV SS is reported after the NOP that follows it.
 */
static void dbg_single_step(void)
{
	db_arm();
	asm volatile(CONF_MARK "pushfl\n\t"
			       "orl %0, (%%esp)\n\t"
			       "popfl\n\t" CONF_AT "nop" CONF_NEXT
		     :
		     : "i"(RFLAGS_TF)
		     : "memory");
	db_verdict("TF set by popf, then nop", conf_at, conf_resume);

	db_arm();
	asm volatile(CONF_MARK "pushfl\n\t"
			       "orl %0, (%%esp)\n\t"
			       "popfl\n\t" CONF_AT "movw %w1, %%ss\n\tnop" CONF_NEXT
		     :
		     : "i"(RFLAGS_TF), "r"(SEL_DATA)
		     : "memory");
	db_verdict("TF set by popf, then mov ss and nop", conf_at, conf_resume);

	db_arm();
	asm volatile(CONF_MARK "pushl %1\n\t"
			       "pushfl\n\t"
			       "orl %0, (%%esp)\n\t"
			       "popfl\n\t" CONF_AT "popl %%ss\n\tnop" CONF_NEXT
		     :
		     : "i"(RFLAGS_TF), "i"(SEL_DATA)
		     : "memory");
	db_verdict("TF set by popf, then pop ss and nop", conf_at, conf_resume);
}

/*
 * DR7.GD: a MOV DR faults with DR6.BD, and the processor clears GD to let the handler use them (18.2.4).
 * As a fault other than an instruction breakpoint it should push RF=1 (18.3.1.1); Bochs 2.7 pushes RF=0,
 * so RF is left out of this verdict.
 */
static void dbg_general_detect(void)
{
	uint32_t v;

	db_arm();
	dr7_set((uint32_t)(DR7_RESET | DR7_GD));
	asm volatile(CONF_GUARD("mov %%dr1, %0") : "=r"(v) : : "memory");
	db_verdict_rf("mov from dr1 with DR7.GD=1", conf_at, conf_resume, false);
	conf_verdict("DR7 seen by that #DB handler: 0x%x", db.dr7);
	dr7_set((uint32_t)DR7_RESET);
}

/* DR6 and DR7 read back with their fixed bits (18.2.3, 18.2.4). */
static void dbg_fixed_bits(void)
{
	uint32_t v;

	asm volatile("mov %0, %%dr6\n\tmov %%dr6, %0" : "=r"(v) : "0"(0u) : "memory");
	conf_verdict("dr6 written 0 reads 0x%x", v);
	asm volatile("mov %0, %%dr7\n\tmov %%dr7, %0" : "=r"(v) : "0"(0u) : "memory");
	conf_verdict("dr7 written 0 reads 0x%x", v);
	dr6_reset();
	dr7_set((uint32_t)DR7_RESET);
}

void conf_exc_debug(void)
{
	conf_set_handler(VEC_DB, db_handler);
	dbg_instruction_breakpoint();
	dbg_data_breakpoint();
	dbg_single_step();
	dbg_general_detect();
	dbg_fixed_bits();
	conf_set_handler(VEC_DB, NULL);
}

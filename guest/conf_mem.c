/*
 * Area "mem": memory-operand instructions on a physical address with nothing behind it (above RAM, below
 * the PCI and APIC ranges, both bare and in a guest with less RAM). A read returns all ones, a write
 * vanishes, and the instruction otherwise completes as usual: registers, flags, string-register updates.
 * Flags print as the bits the SDM defines for each instruction (Vol. 2 "Flags Affected"; AF is undefined
 * for logical operations, only CF for BT*).
 */
#include "conf.h"
#include "conf_mem.h"
#include "lib/format.h"
#include "lib/string.h"

#define FL_CF    0x001u
#define FL_PF    0x004u
#define FL_AF    0x010u
#define FL_ZF    0x040u
#define FL_SF    0x080u
#define FL_OF    0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_LOGIC (FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF)

static uint32_t ua = CONF_UNBACKED; /* through a variable: the compiler must not assume anything of it */

static uint32_t read32(uint32_t a)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void mem_moves(void)
{
	uint32_t v = 0x12345678u, w;

	conf_verdict("mov r32 from it: 0x%x", read32(ua));
	asm volatile("movb (%1), %b0" : "+q"(v) : "r"(ua) : "memory");
	conf_verdict("mov r8 from it, EAX was 0x12345678: 0x%x", v);
	v = 0x12345678u;
	asm volatile("movw 2(%1), %w0" : "+r"(v) : "r"(ua) : "memory");
	conf_verdict("mov r16 from it+2, EAX was 0x12345678: 0x%x", v);
	asm volatile("movl %0, (%1)" : : "r"(0x12345678u), "r"(ua) : "memory");
	conf_verdict("mov r32 to it, then read: 0x%x", read32(ua));
	asm volatile("movl $0x5a5a5a5a, 4(%0)" : : "r"(ua) : "memory");
	conf_verdict("mov imm32 to it+4, then read: 0x%x", read32(ua + 4));
	asm volatile("movb $0, 8(%0)" : : "r"(ua) : "memory");
	conf_verdict("mov imm8 0 to it+8, then read: 0x%x", read32(ua + 8));
	asm volatile("movzbl (%1), %0" : "=r"(v) : "r"(ua) : "memory");
	asm volatile("movsbl (%1), %0" : "=r"(w) : "r"(ua) : "memory");
	conf_verdict("movzx r32, m8: 0x%x; movsx r32, m8: 0x%x", v, w);
	asm volatile("movzwl (%1), %0" : "=r"(v) : "r"(ua) : "memory");
	asm volatile("movswl (%1), %0" : "=r"(w) : "r"(ua) : "memory");
	conf_verdict("movzx r32, m16: 0x%x; movsx r32, m16: 0x%x", v, w);
}

/* A read-modify-write form: flags after it (masked to what the SDM defines) and the location read after. */
#define RMW(name, insn, mask, ...)                                                                                \
	do {                                                                                                      \
		uint32_t fl_;                                                                                     \
		asm volatile(insn "\n\tpushfl\n\tpopl %0" : "=r"(fl_) : "r"(ua), ##__VA_ARGS__ : "memory", "cc"); \
		conf_verdict("%s: flags 0x%x, then reads 0x%x", name, fl_ &(mask), read32(ua));                   \
	} while (0)

static void mem_alu(void)
{
	uint32_t r = 1, fl;

	RMW("or m32, 1", "orl $1, (%1)", FL_LOGIC);
	RMW("and m32, 0x0f0f", "andl $0x0f0f, (%1)", FL_LOGIC);
	RMW("xor m32, 0xffffffff", "xorl $0xffffffff, (%1)", FL_LOGIC);
	RMW("add m32, 1", "addl $1, (%1)", FL_ARITH);
	RMW("sub m32, 1", "subl $1, (%1)", FL_ARITH);
	RMW("add m16, 1", "addw $1, (%1)", FL_ARITH);
	RMW("stc; inc m32 (CF kept)", "stc\n\tincl (%1)", FL_ARITH);
	RMW("clc; dec m32", "clc\n\tdecl (%1)", FL_ARITH);
	RMW("neg m32", "negl (%1)", FL_ARITH);
	RMW("all flags set; not m32 (no flags)", "pushl $0x8d7\n\tpopfl\n\tnotl (%1)", FL_ARITH);
	RMW("test m32, 0x80", "testl $0x80, (%1)", FL_LOGIC);
	RMW("cmp m32, 0xffffffff", "cmpl $0xffffffff, (%1)", FL_ARITH);
	RMW("cmp 1, m32 (r32 - m32)", "cmpl (%1), %2", FL_ARITH, "r"(1));
	RMW("shl m32, 1", "shll $1, (%1)", FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF);
	asm volatile("addl (%2), %0\n\tpushfl\n\tpopl %1" : "+r"(r), "=r"(fl) : "r"(ua) : "memory", "cc");
	conf_verdict("add r32=1, m32: r32 0x%x, flags 0x%x", r, fl & FL_ARITH);
}

static void mem_bits(void)
{
	RMW("bt m32, 5", "btl $5, (%1)", FL_CF);
	RMW("bts m32, 5", "btsl $5, (%1)", FL_CF);
	RMW("btc m32, 31", "btcl $31, (%1)", FL_CF);
}

/* LOCK-prefixed forms and XCHG, which locks without a prefix (Vol. 2B "XCHG"). */
static void mem_locked(void)
{
	uint32_t r = 5, a = 0xffffffffu, fl;

	RMW("lock add m32, 1", "lock addl $1, (%1)", FL_ARITH);
	RMW("lock or m8, 0x80", "lock orb $0x80, (%1)", FL_LOGIC);
	RMW("lock btr m32, 5", "lock btrl $5, (%1)", FL_CF);
	asm volatile("lock xaddl %0, (%1)" : "+r"(r) : "r"(ua) : "memory", "cc");
	conf_verdict("lock xadd m32, r32=5: r32 0x%x, then reads 0x%x", r, read32(ua));
	r = 0x1234;
	asm volatile("xchgl %0, (%1)" : "+r"(r) : "r"(ua) : "memory");
	conf_verdict("xchg m32, r32=0x1234: r32 0x%x, then reads 0x%x", r, read32(ua));
	asm volatile("lock cmpxchgl %2, (%3)\n\tpushfl\n\tpopl %1"
		     : "+a"(a), "=r"(fl)
		     : "r"(0x42u), "r"(ua)
		     : "memory", "cc");
	conf_verdict("lock cmpxchg m32 with EAX=0xffffffff: ZF=%u EAX=0x%x, then reads 0x%x", (fl & FL_ZF) ? 1 : 0, a,
		     read32(ua));
	a = 0;
	asm volatile("lock cmpxchgl %2, (%3)\n\tpushfl\n\tpopl %1"
		     : "+a"(a), "=r"(fl)
		     : "r"(0x42u), "r"(ua)
		     : "memory", "cc");
	conf_verdict("lock cmpxchg m32 with EAX=0: ZF=%u EAX=0x%x", (fl & FL_ZF) ? 1 : 0, a);
}

/* Parts, each a guest of its own under ptvisor: an instruction it cannot emulate stops only that part. */
void conf_area_mem(void)
{
	if (conf_part("moves")) {
		conf_verdict("unbacked address 0x%x", ua);
		mem_moves();
	}
	if (conf_part("alu"))
		mem_alu();
	if (conf_part("bits"))
		mem_bits();
	if (conf_part("locked"))
		mem_locked();
	if (conf_part("strings"))
		conf_mem_strings(ua);
	if (conf_part("stack"))
		conf_mem_stack(ua);
	if (conf_part("paged"))
		conf_mem_paged(ua);
	if (conf_part("sse"))
		conf_mem_sse(ua);
}

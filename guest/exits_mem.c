/*
 * exits: instructions whose memory operand has no RAM behind it (0xC0000000, unbacked in a ptvisor guest
 * and on a bare PC) and the local APIC page. Each form runs twice: on a RAM buffer holding all ones (what
 * an unclaimed bus returns) and on the unbacked address; registers and status flags must come out the
 * same, and the unbacked bytes must still read all ones afterwards (writes dropped).
 */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "exits.h"
#include "lib/string.h"

#define UNBACKED   0xc0000000u
#define APIC_SVR   0xfee000f0u
#define SVR_ENABLE 0x100u
#define STATUS     0x8d5u /* CF PF AF ZF SF OF */
#define TIMED_OPS  1000

/* Inputs and outputs of one run: EAX, ECX, ESI, EDI and EFLAGS. */
struct run {
	uint32_t a, c, si, di, flags;
};

/* A one-operand form on *p, with EAX/ECX and EFLAGS loaded from r and saved back. */
#define FORM(name, T, insn)                                                         \
	static void name(void *mem, struct run *r)                                  \
	{                                                                           \
		T *p = mem;                                                         \
		uint32_t a = r->a, c = r->c, f = r->flags;                          \
		asm volatile("push %[f]\n\tpopfl\n\t" insn "\n\tpushfl\n\tpop %[f]" \
			     : [m] "+m"(*p), "+a"(a), "+c"(c), [f] "+r"(f)          \
			     :                                                      \
			     : "cc", "memory");                                     \
		r->a = a;                                                           \
		r->c = c;                                                           \
		r->flags = f;                                                       \
	}

FORM(f_mov_load, uint32_t, "movl %[m], %%eax")
FORM(f_mov_store, uint32_t, "movl %%ecx, %[m]")
FORM(f_movzx_b, uint8_t, "movzbl %[m], %%eax")
FORM(f_movsx_w, uint16_t, "movswl %[m], %%eax")
FORM(f_mov_ch, uint8_t, "movb %[m], %%ch")
FORM(f_or_store, uint32_t, "orl %%eax, %[m]")
FORM(f_add_load, uint32_t, "addl %[m], %%eax")
FORM(f_adc_load, uint16_t, "adcw %[m], %%ax")
FORM(f_sbb_load, uint8_t, "sbbb %[m], %%cl")
FORM(f_and_store, uint32_t, "andl %%ecx, %[m]")
FORM(f_sub_store, uint8_t, "subb %%ch, %[m]")
FORM(f_xor_load, uint32_t, "xorl %[m], %%ecx")
FORM(f_cmp_load, uint32_t, "cmpl %[m], %%eax")
FORM(f_cmp_imm8, uint8_t, "cmpb $0x7f, %[m]")
FORM(f_or_imm32, uint32_t, "orl $0x100, %[m]")
FORM(f_add_imm8, uint32_t, "addl $-2, %[m]")
FORM(f_sub_imm16, uint16_t, "subw $0x1234, %[m]")
FORM(f_test_imm, uint32_t, "testl $0x80000000, %[m]")
FORM(f_test_reg, uint8_t, "testb %%cl, %[m]")
FORM(f_inc, uint32_t, "incl %[m]")
FORM(f_dec, uint16_t, "decw %[m]")
FORM(f_not, uint8_t, "notb %[m]")
FORM(f_neg, uint32_t, "negl %[m]")
FORM(f_lock_or, uint32_t, "lock orl %%eax, %[m]")
FORM(f_lock_add, uint32_t, "lock addl $1, %[m]")
FORM(f_xchg, uint32_t, "xchgl %%ecx, %[m]")
FORM(f_bt_imm, uint32_t, "btl $7, %[m]")
FORM(f_bts_reg, uint32_t, "btsl %%ecx, %[m]")
FORM(f_btr_imm, uint16_t, "btrw $3, %[m]")
FORM(f_shl_1, uint32_t, "shll $1, %[m]")
FORM(f_shr_imm, uint32_t, "shrl $4, %[m]")
FORM(f_sar_cl, uint16_t, "sarw %%cl, %[m]")
FORM(f_rol_imm, uint8_t, "rolb $3, %[m]")
FORM(f_rcr_1, uint32_t, "rcrl $1, %[m]")
FORM(f_rcl_cl, uint32_t, "rcll %%cl, %[m]")
FORM(f_xadd, uint32_t, "lock xaddl %%ecx, %[m]")
FORM(f_cmpxchg, uint32_t, "lock cmpxchgl %%ecx, %[m]")
FORM(f_cmpxchg_b, uint8_t, "cmpxchgb %%cl, %[m]")

struct form {
	const char *what;
	void (*run)(void *mem, struct run *r);
	struct run in;
};

static const struct form forms[] = {
	{ "mov eax, [m]", f_mov_load, { 0x1234, 0, 0, 0, 0x2 } },
	{ "mov [m], ecx", f_mov_store, { 0, 0x55aa, 0, 0, 0x2 } },
	{ "movzx eax, byte [m]", f_movzx_b, { 0x12345678, 0, 0, 0, 0x2 } },
	{ "movsx eax, word [m]", f_movsx_w, { 0, 0, 0, 0, 0x2 } },
	{ "mov ch, [m]", f_mov_ch, { 0, 0x1234, 0, 0, 0x2 } },
	{ "or [m], eax", f_or_store, { 0x12, 0, 0, 0, 0x2 | 0x801 } },
	{ "add eax, [m]", f_add_load, { 1, 0, 0, 0, 0x2 } },
	{ "adc ax, [m]", f_adc_load, { 0x8000, 0, 0, 0, 0x3 } },
	{ "sbb cl, [m]", f_sbb_load, { 0, 0x17, 0, 0, 0x3 } },
	{ "and [m], ecx", f_and_store, { 0, 0x0f0f0f0f, 0, 0, 0x2 } },
	{ "sub [m], ch", f_sub_store, { 0, 0x8000, 0, 0, 0x2 } },
	{ "xor ecx, [m]", f_xor_load, { 0, 0xffff0000, 0, 0, 0x2 } },
	{ "cmp eax, [m]", f_cmp_load, { 0xffffffff, 0, 0, 0, 0x2 } },
	{ "cmp byte [m], 0x7f", f_cmp_imm8, { 0, 0, 0, 0, 0x2 } },
	{ "or dword [m], 0x100", f_or_imm32, { 0, 0, 0, 0, 0x2 } },
	{ "add dword [m], -2", f_add_imm8, { 0, 0, 0, 0, 0x2 } },
	{ "sub word [m], 0x1234", f_sub_imm16, { 0, 0, 0, 0, 0x2 } },
	{ "test dword [m], 0x80000000", f_test_imm, { 0, 0, 0, 0, 0x2 | 0x8d5 } },
	{ "test [m], cl", f_test_reg, { 0, 0, 0, 0, 0x2 } },
	{ "inc dword [m]", f_inc, { 0, 0, 0, 0, 0x3 } },
	{ "dec word [m]", f_dec, { 0, 0, 0, 0, 0x2 } },
	{ "not byte [m]", f_not, { 0, 0, 0, 0, 0x2 | 0x8c4 } },
	{ "neg dword [m]", f_neg, { 0, 0, 0, 0, 0x2 } },
	{ "lock or [m], eax", f_lock_or, { 1, 0, 0, 0, 0x2 } },
	{ "lock add dword [m], 1", f_lock_add, { 0, 0, 0, 0, 0x2 } },
	{ "xchg [m], ecx", f_xchg, { 0, 0x1234, 0, 0, 0x2 } },
	{ "bt dword [m], 7", f_bt_imm, { 0, 0, 0, 0, 0x2 | 0x8c4 } },
	{ "bts [m], ecx (ecx = 37)", f_bts_reg, { 0, 37, 0, 0, 0x2 } },
	{ "btr word [m], 3", f_btr_imm, { 0, 0, 0, 0, 0x2 | 0x40 } },
	{ "shl dword [m], 1", f_shl_1, { 0, 0, 0, 0, 0x2 | 0x854 } },
	{ "shr dword [m], 4", f_shr_imm, { 0, 0, 0, 0, 0x2 | 0x801 } },
	{ "sar word [m], cl (cl = 5)", f_sar_cl, { 0, 5, 0, 0, 0x2 | 0x800 } },
	{ "sar word [m], cl (cl = 32: no flags)", f_sar_cl, { 0, 32, 0, 0, 0x2 | 0x8d5 } },
	{ "rol byte [m], 3", f_rol_imm, { 0, 0, 0, 0, 0x2 } },
	{ "rcr dword [m], 1", f_rcr_1, { 0, 0, 0, 0, 0x2 } },
	{ "rcl dword [m], cl (cl = 7)", f_rcl_cl, { 0, 7, 0, 0, 0x3 } },
	{ "lock xadd [m], ecx (ecx = 5)", f_xadd, { 0, 5, 0, 0, 0x2 } },
	{ "lock cmpxchg [m], ecx (eax = all ones)", f_cmpxchg, { 0xffffffff, 0x1234, 0, 0, 0x2 } },
	{ "lock cmpxchg [m], ecx (eax = 0)", f_cmpxchg, { 0, 0x1234, 0, 0, 0x2 } },
	{ "cmpxchg [m], cl (al = 0x7f)", f_cmpxchg_b, { 0x7f, 0x12, 0, 0, 0x2 } },
};

/* The bytes at the unbacked address still read all ones. */
static bool unbacked_all_ones(void)
{
	const volatile uint32_t *u = (const volatile uint32_t *)UNBACKED;

	for (int i = 0; i < 8; i++)
		if (u[i] != 0xffffffff)
			return false;
	return true;
}

static bool same(const struct run *x, const struct run *y)
{
	return x->a == y->a && x->c == y->c && x->si == y->si && x->di == y->di &&
	       (x->flags & STATUS) == (y->flags & STATUS);
}

static void check_form(const struct form *f)
{
	uint32_t ram[4];
	struct run on_ram = f->in, on_bus = f->in;

	memset(ram, 0xff, sizeof(ram));
	f->run(ram, &on_ram);
	f->run((void *)UNBACKED, &on_bus);
	check(same(&on_ram, &on_bus) && unbacked_all_ones(), "mem: %s: EAX 0x%x ECX 0x%x flags 0x%x as on all-ones RAM",
	      f->what, on_bus.a, on_bus.c, on_bus.flags & STATUS);
}

/* String forms: ESI/EDI given relative to src/dst, compared relative to them. */
#define STRING(name, insn)                                                                           \
	static void name(void *src, void *dst, struct run *r)                                        \
	{                                                                                            \
		uint32_t a = r->a, c = r->c, si = (uint32_t)src + r->si, di = (uint32_t)dst + r->di; \
		uint32_t f = r->flags;                                                               \
		asm volatile("push %[f]\n\tpopfl\n\t" insn "\n\tpushfl\n\tpop %[f]\n\tcld"           \
			     : "+a"(a), "+c"(c), "+S"(si), "+D"(di), [f] "+r"(f)                     \
			     :                                                                       \
			     : "cc", "memory");                                                      \
		r->a = a;                                                                            \
		r->c = c;                                                                            \
		r->si = si - (uint32_t)src;                                                          \
		r->di = di - (uint32_t)dst;                                                          \
		r->flags = f;                                                                        \
	}

STRING(s_rep_movsb_in, "rep movsb")   /* from the unbacked source */
STRING(s_rep_movsd_out, "rep movsl")  /* to the unbacked destination */
STRING(s_rep_stosd_out, "rep stosl")  /* to the unbacked destination */
STRING(s_lodsd_in, "lodsl")           /* from the unbacked source */
STRING(s_repe_cmpsb_in, "repe cmpsb") /* unbacked source against RAM */
STRING(s_repne_scasb_out, "repne scasb")
STRING(s_std_movsw_in, "std\n\trep movsw")

struct sform {
	const char *what;
	void (*run)(void *src, void *dst, struct run *r);
	bool unbacked_src; /* else the destination is the unbacked one */
	struct run in;
};

static const struct sform sforms[] = {
	{ "rep movsb (16 from unbacked)", s_rep_movsb_in, true, { 0, 16, 0, 0, 0x2 } },
	{ "rep movsd (4 to unbacked)", s_rep_movsd_out, false, { 0, 4, 0, 0, 0x2 } },
	{ "rep stosd (4 to unbacked)", s_rep_stosd_out, false, { 0x12345678, 4, 0, 0, 0x2 } },
	{ "lodsd (from unbacked)", s_lodsd_in, true, { 0, 0, 4, 0, 0x2 } },
	{ "repe cmpsb (unbacked vs ff ff 00)", s_repe_cmpsb_in, true, { 0, 4, 0, 0, 0x2 } },
	{ "repne scasb (al = 0 in unbacked)", s_repne_scasb_out, false, { 0, 12, 0, 0, 0x2 } },
	{ "std; rep movsw (3 from unbacked)", s_std_movsw_in, true, { 0, 3, 12, 12, 0x2 } },
};

static void check_string(const struct sform *f)
{
	uint8_t ones[32], ram1[32], ram2[32];
	struct run on_ram = f->in, on_bus = f->in;
	bool bytes_ok;

	memset(ones, 0xff, sizeof(ones));
	memset(ram1, 0x55, sizeof(ram1));
	memcpy(ram1, "\xff\xff\x00", 3);
	memcpy(ram2, ram1, sizeof(ram1));
	if (f->unbacked_src) {
		f->run(ones, ram1, &on_ram);
		f->run((void *)UNBACKED, ram2, &on_bus);
	} else {
		f->run(ram1, ones, &on_ram);
		f->run(ram2, (void *)UNBACKED, &on_bus);
	}
	bytes_ok = !memcmp(ram1, ram2, sizeof(ram1)) && unbacked_all_ones();
	check(same(&on_ram, &on_bus) && bytes_ok, "mem: %s: ECX %u, ESI/EDI moved %d/%d, flags 0x%x as on RAM", f->what,
	      on_bus.c, (int)on_bus.si - (int)f->in.si, (int)on_bus.di - (int)f->in.di, on_bus.flags & STATUS);
}

/* PUSH r/m and POP r/m with the unbacked operand: the stack in RAM, ESP back where it was. */
static void check_push_pop(void)
{
	volatile uint32_t *u = (volatile uint32_t *)UNBACKED;
	uint32_t got, esp0, esp1;

	asm volatile("mov %%esp, %[e0]\n\tpushl %[m]\n\tpopl %[g]\n\tmov %%esp, %[e1]"
		     : [g] "=&r"(got), [e0] "=&r"(esp0), [e1] "=&r"(esp1)
		     : [m] "m"(*u)
		     : "memory");
	check(got == 0xffffffff && esp0 == esp1, "mem: push dword [m]; pop r32 gives 0x%x (ESP moved %d)", got,
	      (int)(esp1 - esp0));
	asm volatile("mov %%esp, %[e0]\n\tpushl $0x12345678\n\tpopl %[m]\n\tmov %%esp, %[e1]"
		     : [e0] "=&r"(esp0), [e1] "=&r"(esp1), [m] "=m"(*u)
		     :
		     : "memory");
	check(esp0 == esp1 && unbacked_all_ones(), "mem: push imm; pop dword [m]: ESP moved %d, [m] still all ones",
	      (int)(esp1 - esp0));
}

/* The APIC page through a read-modify-write: software enable and disable via SVR (SDM 11.4.7.2). */
static void check_apic(void)
{
	volatile uint32_t *svr = (volatile uint32_t *)APIC_SVR;
	uint32_t before = *svr, zf;

	asm volatile("orl %[bit], %[m]" : [m] "+m"(*svr) : [bit] "i"(SVR_ENABLE) : "cc", "memory");
	check_eq(*svr, before | SVR_ENABLE, "mem: or dword [0xfee000f0], 0x100 sets SVR.8");
	asm volatile("testl %[bit], %[m]\n\tsetz %b[z]\n\tmovzbl %b[z], %[z]"
		     : [z] "=q"(zf)
		     : [m] "m"(*svr), [bit] "i"(SVR_ENABLE)
		     : "cc");
	check_eq(zf, 0, "mem: test dword [SVR], 0x100 sees it (ZF = 0)");
	asm volatile("andl %[bit], %[m]" : [m] "+m"(*svr) : [bit] "i"(~SVR_ENABLE) : "cc", "memory");
	check_eq(*svr, before & ~SVR_ENABLE, "mem: and dword [SVR], ~0x100 clears it");
}

/* What one emulated access costs the guest, in TSC ticks (on Bochs, about one per instruction executed). */
static void time_accesses(void)
{
	volatile uint32_t *u = (volatile uint32_t *)UNBACKED;
	uint64_t t0 = cpu_rdtsc(), t1, t2;
	uint32_t x;

	for (int i = 0; i < TIMED_OPS; i++)
		asm volatile("movl %[m], %[x]" : [x] "=r"(x) : [m] "m"(*u) : "memory");
	t1 = cpu_rdtsc();
	for (int i = 0; i < TIMED_OPS; i++)
		asm volatile("orl $1, %[m]" : [m] "+m"(*u) : : "cc", "memory");
	t2 = cpu_rdtsc();
	serial_printf("info: mem: TSC ticks per access to unbacked memory: mov %u, or %u (%d each)\n",
		      (unsigned)((t1 - t0) / TIMED_OPS), (unsigned)((t2 - t1) / TIMED_OPS), TIMED_OPS);
}

void exits_check_mem(void)
{
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		check_form(&forms[i]);
	for (unsigned i = 0; i < sizeof(sforms) / sizeof(sforms[0]); i++)
		check_string(&sforms[i]);
	check_push_pop();
	check_apic();
	time_accesses();
}

/*
 * One-operand instructions emulated on an EPT violation (vmm/vmx/exit_mem.c) on the CPU model.
 *
 * The oracle: each ALU, MOV, XCHG, BT and unary form runs on the host CPU against a host buffer and,
 * emulated, against guest RAM that the guest's page tables show at a linear address whose first EPT
 * violation is staged (as after a stale TLB entry): registers, the status flags the SDM defines, and
 * the memory around the operand must come out the same, over random operands, registers and flags.
 * Then the unbacked bus (all ones, writes dropped) in 16/32/64-bit code, the APIC page, operands that
 * straddle the end of RAM, page walks through tables where no RAM is, and the faults delivered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "x86/alu.h"
#include "x86/mem_insn.h"

#define Q_READ     (EPT_VQ_READ | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define Q_WRITE    (EPT_VQ_WRITE | EPT_VQ_GLA_VALID | EPT_VQ_TRANSLATION)
#define Q_WALK     (EPT_VQ_READ | EPT_VQ_GLA_VALID) /* a paging-structure access for a linear address */
#define HOLE       0xd0000000ULL
#define APIC(off)  (0xfee00000ULL + (off))
#define RAM_END    ENV_RAM_SIZE
#define EXIT_LEN   1
#define ORACLE_LA  0xd0300000ULL /* guest linear address of the oracle's operand: RAM at 0x300000 */
#define ORACLE_GPA 0x300000ULL
#define WINDOW     1024 /* bytes each side of the operand compared (BT register offsets reach +-256) */

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	vlapic_reset(&v.lapic, 5);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

/* The guest runs `code` at ENV_RIP; the CPU reports an EPT violation at gpa for linear address la. */
static enum exit_action violation_at(const void *code, size_t n, uint64_t gpa, uint64_t la, uint64_t qual)
{
	memcpy(env_gpa(ENV_RIP), code, n);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, qual, EXIT_LEN);
	vmw(GUEST_PHYSICAL_ADDRESS, gpa);
	vmw(GUEST_LINEAR_ADDRESS, la);
	return handle_ept_violation(&v);
}

#define CODE(s) (s), sizeof(s) - 1
#define emulated(code, gpa, qual)                                                              \
	do {                                                                                   \
		assert_int_equal(violation_at(CODE(code), (gpa), (gpa), (qual)), EXIT_RESUME); \
		expect_retired(sizeof(code) - 1);                                              \
	} while (0)

static uint64_t flags(void)
{
	return vmr(GUEST_RFLAGS) & RFLAGS_STATUS;
}

/* ---- the host oracle ---- */

/* Registers RAX..R15 (RSP unused) and RFLAGS, as the trampoline loads and stores them. */
struct hregs {
	uint64_t r[16];
	uint64_t rflags;
};

static uint8_t *tramp;
static uint8_t host_buf[2 * WINDOW + 64] __attribute__((aligned(64)));

static uint8_t *emit(uint8_t *p, const uint8_t *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}
#define E(...) p = emit(p, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/*
 * void f(struct hregs *h): loads RFLAGS and every GPR but RSP from *h, runs the instruction, stores them
 * back. RDI holds h until the last load; the instruction's RDI and RFLAGS wait on the stack.
 */
static void build_trampoline(const uint8_t *insn, size_t n)
{
	uint8_t *p = tramp;

	E(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); /* push rbx, rbp, r12-r15 */
	E(0x57);                                                       /* push rdi */
	E(0x48, 0x8b, 0x87, 0x80, 0x00, 0x00, 0x00);                   /* mov rax, [rdi+128] */
	E(0x50, 0x9d);                                                 /* push rax; popfq */
	for (unsigned i = 0; i < 16; i++)
		if (i != 4 && i != 7)
			E((uint8_t)(0x48 | (i >= 8 ? 0x04 : 0)), 0x8b, (uint8_t)(0x47 | ((i & 7) << 3)),
			  (uint8_t)(8 * i));
	E(0x48, 0x8b, 0x7f, 0x38); /* mov rdi, [rdi+56] */
	p = emit(p, insn, n);
	E(0x9c);                         /* pushfq */
	E(0x48, 0x87, 0x7c, 0x24, 0x08); /* xchg rdi, [rsp+8] */
	for (unsigned i = 0; i < 16; i++)
		if (i != 4 && i != 7)
			E((uint8_t)(0x48 | (i >= 8 ? 0x04 : 0)), 0x89, (uint8_t)(0x47 | ((i & 7) << 3)),
			  (uint8_t)(8 * i));
	E(0x8f, 0x87, 0x80, 0x00, 0x00, 0x00);                         /* pop qword [rdi+128] */
	E(0x8f, 0x47, 0x38);                                           /* pop qword [rdi+56] */
	E(0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b); /* pop r15-r12, rbp, rbx */
	E(0xc3);
}

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* An instruction of the oracle: its bytes up to the immediate, how many immediate bytes follow. */
struct form {
	uint8_t b[8];
	unsigned n, imm;
	bool bt_reg;        /* BT* r/m, r: RCX is a small signed bit offset and the operand moves with it */
	uint64_t undefined; /* flags the SDM leaves undefined */
	bool shift;         /* group 2: the undefined flags depend on the count */
	bool cmpxchg;       /* half the time, the accumulator (EDX:EAX too for 8B/16B) matches the operand */
	unsigned base;      /* the register holding the operand's address */
};

static struct form forms[600];
static unsigned nforms;

static void add_form(const uint8_t *b, unsigned n, unsigned imm, bool bt_reg, uint64_t undefined)
{
	struct form *f = &forms[nforms++];

	assert_true(nforms <= ARRAY_SIZE(forms));
	memcpy(f->b, b, n);
	f->n = n;
	f->imm = imm;
	f->bt_reg = bt_reg;
	f->undefined = undefined;
	f->base = 3;
}
#define F(imm, bt, undef, ...) \
	add_form((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }), (imm), (bt), (undef))

#define LOGIC_UNDEF RFLAGS_AF
#define BT_UNDEF    (RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF | RFLAGS_ZF)
#define M(reg)      (uint8_t)(((reg) << 3) | 3) /* ModRM: [rbx] with ModRM.reg = reg */

/* Every form ptvisor emulates that the host can run in 64-bit mode with a [rbx] operand. */
static void build_forms(void)
{
	static const uint8_t pfx[5][2] = { { 0 }, { 0 }, { 0x66 }, { 0x48 }, { 0x4c } };
	static const uint8_t regs[5] = { 1, 5, 2, 6, 0 }; /* CL/ECX, CH/EBP, DX, SIL/RSI, R8 */

	for (unsigned op = 0; op < 8; op++) {
		uint64_t undef = (op == 1 || op == 4 || op == 6) ? LOGIC_UNDEF : 0;
		for (unsigned form = 0; form < 4; form++)
			for (unsigned k = 0; k < 5; k++) {
				uint8_t opc = (uint8_t)(op * 8 + form);
				if (pfx[k][0])
					F(0, false, undef, pfx[k][0], opc, M(regs[k]));
				else
					F(0, false, undef, opc, M(regs[k]));
			}
		F(1, false, undef, 0x80, M(op));
		F(4, false, undef, 0x81, M(op));
		F(2, false, undef, 0x66, 0x81, M(op));
		F(4, false, undef, 0x48, 0x81, M(op));
		F(1, false, undef, 0x83, M(op));
		F(1, false, undef, 0x66, 0x83, M(op));
		F(1, false, undef, 0x48, 0x83, M(op));
		if (op != 7)
			F(1, false, undef, 0xf0, 0x83, M(op)); /* LOCK */
	}
	F(0, false, LOGIC_UNDEF, 0x84, M(5)); /* test [rbx], ch */
	F(0, false, LOGIC_UNDEF, 0x85, M(1));
	F(0, false, LOGIC_UNDEF, 0x48, 0x85, M(2));
	F(1, false, LOGIC_UNDEF, 0xf6, M(0));
	F(1, false, LOGIC_UNDEF, 0xf6, M(1)); /* the /1 alias */
	F(4, false, LOGIC_UNDEF, 0xf7, M(0));
	F(2, false, LOGIC_UNDEF, 0x66, 0xf7, M(0));
	F(4, false, LOGIC_UNDEF, 0x48, 0xf7, M(0));
	for (unsigned ext = 2; ext <= 3; ext++) { /* NOT, NEG */
		F(0, false, 0, 0xf6, M(ext));
		F(0, false, 0, 0xf7, M(ext));
		F(0, false, 0, 0x66, 0xf7, M(ext));
		F(0, false, 0, 0x48, 0xf7, M(ext));
		F(0, false, 0, 0xf0, 0x48, 0xf7, M(ext));
	}
	for (unsigned ext = 0; ext <= 1; ext++) { /* INC, DEC */
		F(0, false, 0, 0xfe, M(ext));
		F(0, false, 0, 0xff, M(ext));
		F(0, false, 0, 0x66, 0xff, M(ext));
		F(0, false, 0, 0x48, 0xff, M(ext));
		F(0, false, 0, 0xf0, 0xff, M(ext));
	}
	F(0, false, 0, 0x86, M(5)); /* xchg [rbx], ch */
	F(0, false, 0, 0x40, 0x86, M(6));
	F(0, false, 0, 0x87, M(1));
	F(0, false, 0, 0x66, 0x87, M(2));
	F(0, false, 0, 0x4c, 0x87, M(0));
	F(0, false, 0, 0xf0, 0x87, M(1));
	for (unsigned k = 0; k < 5; k++) { /* MOV */
		for (uint8_t opc = 0x88; opc <= 0x8b; opc++) {
			if (pfx[k][0])
				F(0, false, 0, pfx[k][0], opc, M(regs[k]));
			else
				F(0, false, 0, opc, M(regs[k]));
		}
	}
	F(1, false, 0, 0xc6, M(0));
	F(4, false, 0, 0xc7, M(0));
	F(2, false, 0, 0x66, 0xc7, M(0));
	F(4, false, 0, 0x48, 0xc7, M(0));
	for (uint8_t opc = 0xb6; opc <= 0xbf; opc++) { /* MOVZX, MOVSX */
		if (opc != 0xb6 && opc != 0xb7 && opc != 0xbe && opc != 0xbf)
			continue;
		F(0, false, 0, 0x0f, opc, M(1));
		F(0, false, 0, 0x66, 0x0f, opc, M(2));
		F(0, false, 0, 0x48, 0x0f, opc, M(6));
		F(0, false, 0, 0x4c, 0x0f, opc, M(0));
	}
	for (unsigned ext = 0; ext < 8; ext++) { /* group 2: by 1, by CL, by imm8 */
		F(0, false, 0, 0xd0, M(ext));
		F(0, false, 0, 0xd1, M(ext));
		F(0, false, 0, 0x66, 0xd1, M(ext));
		F(0, false, 0, 0x48, 0xd1, M(ext));
		F(0, false, 0, 0xd2, M(ext));
		F(0, false, 0, 0xd3, M(ext));
		F(0, false, 0, 0x66, 0xd3, M(ext));
		F(0, false, 0, 0x48, 0xd3, M(ext));
		F(1, false, 0, 0xc0, M(ext));
		F(1, false, 0, 0xc1, M(ext));
		F(1, false, 0, 0x66, 0xc1, M(ext));
		F(1, false, 0, 0x48, 0xc1, M(ext));
		for (unsigned k = nforms - 12; k < nforms; k++)
			forms[k].shift = true;
	}
	F(0, false, 0, 0x0f, 0xc0, M(5)); /* xadd [rbx], ch */
	F(0, false, 0, 0x0f, 0xc1, M(1));
	F(0, false, 0, 0x66, 0x0f, 0xc1, M(2));
	F(0, false, 0, 0xf0, 0x48, 0x0f, 0xc1, M(6));
	F(0, false, 0, 0xf0, 0x4c, 0x0f, 0xc1, M(0));
	F(0, false, 0, 0x0f, 0xb0, M(5)); /* cmpxchg [rbx], ch */
	F(0, false, 0, 0x40, 0x0f, 0xb0, M(6));
	F(0, false, 0, 0x0f, 0xb1, M(1));
	F(0, false, 0, 0x66, 0x0f, 0xb1, M(2));
	F(0, false, 0, 0xf0, 0x0f, 0xb1, M(1));
	F(0, false, 0, 0xf0, 0x48, 0x0f, 0xb1, M(6));
	F(0, false, 0, 0x0f, 0xc7, 0x0e);             /* cmpxchg8b [rsi] */
	F(0, false, 0, 0xf0, 0x0f, 0xc7, 0x0e);       /* lock cmpxchg8b [rsi] */
	F(0, false, 0, 0xf0, 0x48, 0x0f, 0xc7, 0x0e); /* lock cmpxchg16b [rsi] */
	for (unsigned k = nforms - 9; k < nforms; k++)
		forms[k].cmpxchg = true;
	for (unsigned k = nforms - 3; k < nforms; k++)
		forms[k].base = 6;
	F(0, false, 0, 0x48, 0x63, M(1)); /* MOVSXD r64 (AMD hosts differ on the 16/32-bit forms) */
	F(0, false, 0, 0x4c, 0x63, M(0));
	for (unsigned k = 0; k < 4; k++) { /* BT, BTS, BTR, BTC */
		uint8_t opc = (uint8_t)(0xa3 + 8 * k);
		F(0, true, BT_UNDEF, 0x0f, opc, M(1));
		F(0, true, BT_UNDEF, 0x66, 0x0f, opc, M(1));
		F(0, true, BT_UNDEF, 0x48, 0x0f, opc, M(1));
		F(1, false, BT_UNDEF, 0x0f, 0xba, M(4 + k));
		F(1, false, BT_UNDEF, 0x66, 0x0f, 0xba, M(4 + k));
		F(1, false, BT_UNDEF, 0x48, 0x0f, 0xba, M(4 + k));
		if (k)
			F(0, true, BT_UNDEF, 0xf0, 0x0f, opc, M(1));
	}
}

/* Flags a shift by `count` leaves undefined (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR"). */
static uint64_t shift_undefined(const uint8_t *insn, size_t n, uint64_t rcx)
{
	struct mem_insn mi;
	unsigned count, width;

	assert_int_equal(mem_insn_decode(insn, n, INSN_MODE64, &mi), 0);
	count = (unsigned)((mi.reg == 1 ? rcx : mi.imm) & (mi.size == 8 ? 0x3f : 0x1f));
	width = 8 * mi.size;
	if (!count)
		return 0;
	if (mi.op < ALU_SHL)
		return count == 1 ? 0 : RFLAGS_OF;
	return RFLAGS_AF | (count == 1 ? 0 : RFLAGS_OF) | (mi.op != ALU_SAR && count >= width ? RFLAGS_CF : 0);
}

static void oracle_case(const struct form *f)
{
	uint8_t insn[16], *guest = env_gpa(ORACLE_GPA - WINDOW);
	struct hregs h;
	uint64_t in_flags = RFLAGS_FIXED1 | (next_random() & RFLAGS_STATUS), rsp = ENV_RSP, undefined;
	unsigned n = f->n;
	char what[64];

	memcpy(insn, f->b, n);
	for (unsigned i = 0; i < f->imm; i++)
		insn[n++] = (uint8_t)next_random();
	for (unsigned i = 0; i < 16; i++)
		h.r[i] = next_random() >> (next_random() & 63);
	if (f->bt_reg)
		h.r[1] = (uint64_t)(int64_t)((int)(next_random() % 4096) - 2048);
	for (size_t i = 0; i < sizeof(host_buf); i++)
		host_buf[i] = (uint8_t)next_random();
	if (f->cmpxchg && (next_random() & 1)) {
		struct mem_insn mi;
		unsigned half;
		assert_int_equal(mem_insn_decode(insn, n, INSN_MODE64, &mi), 0);
		half = mi.kind == MEM_CMPXCHG8B ? mi.size / 2 : mi.size;
		memcpy(&h.r[0], host_buf + WINDOW, half);
		memcpy(&h.r[2], host_buf + WINDOW + half, half);
	}
	memcpy(guest, host_buf, 2 * WINDOW + 8);
	for (unsigned i = 0; i < 16; i++)
		if (i != 4)
			*vcpu_gpr(&v, i, &rsp) = h.r[i];
	*vcpu_gpr(&v, f->base, &rsp) = ORACLE_LA;
	h.r[f->base] = (uint64_t)(uintptr_t)(host_buf + WINDOW);
	h.rflags = in_flags;
	undefined = f->shift ? shift_undefined(insn, n, h.r[1]) : f->undefined;

	build_trampoline(insn, n);
	((void (*)(struct hregs *))(void *)tramp)(&h);

	memcpy(env_gpa(ENV_RIP), insn, n);
	env_exit(&v, EXIT_REASON_EPT_VIOLATION, f->bt_reg ? EPT_VQ_READ : Q_READ, EXIT_LEN);
	vmw(GUEST_PHYSICAL_ADDRESS, HOLE);
	vmw(GUEST_LINEAR_ADDRESS, ORACLE_LA);
	vmw(GUEST_RFLAGS, in_flags);
	snprintf(what, sizeof(what), "%02x %02x %02x %02x %02x (len %u)", insn[0], insn[1], insn[2], insn[3], insn[4],
		 n);
	if (handle_ept_violation(&v) != EXIT_RESUME) {
		print_error("%s: not emulated: %s\n", what, v.stop.reason);
		fail();
	}
	expect_retired(n);
	for (unsigned i = 0; i < 16; i++) {
		if (i == f->base || i == 4)
			continue;
		if (*vcpu_gpr(&v, i, &rsp) != h.r[i]) {
			print_error("%s: register %u: host 0x%lx, emulated 0x%lx\n", what, i, h.r[i],
				    *vcpu_gpr(&v, i, &rsp));
			fail();
		}
	}
	assert_int_equal(*vcpu_gpr(&v, f->base, &rsp), ORACLE_LA);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	if (((vmr(GUEST_RFLAGS) ^ h.rflags) & RFLAGS_STATUS & ~undefined) ||
	    ((vmr(GUEST_RFLAGS) ^ in_flags) & ~RFLAGS_STATUS)) {
		print_error("%s: RFLAGS in 0x%lx: host 0x%lx, emulated 0x%lx (undefined 0x%lx)\n", what, in_flags,
			    h.rflags, vmr(GUEST_RFLAGS), undefined);
		fail();
	}
	if (memcmp(guest, host_buf, 2 * WINDOW + 8)) {
		for (unsigned i = 0; i < 2 * WINDOW + 8; i++)
			if (guest[i] != host_buf[i])
				print_error("%s: memory at operand%+d: host %02x, emulated %02x\n", what,
					    (int)i - WINDOW, host_buf[i], guest[i]);
		fail();
	}
}

static void test_host_oracle(void **state)
{
	uint64_t *pd3 = env_gpa(ENV_PML4 + 0x3000);

	(void)state;
	env_guest64(&v);
	/* Linear 0xd0200000-0xd03fffff maps RAM 0x200000: the bus reaches RAM there. */
	pd3[(ORACLE_LA >> 21) & 511] = (ORACLE_GPA & ~0x1fffffull) | 0x83;
	tramp = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(tramp != MAP_FAILED);
	build_forms();
	printf("  %u forms\n", nforms);
	for (unsigned round = 0; round < 40; round++)
		for (unsigned i = 0; i < nforms; i++)
			oracle_case(&forms[i]);
	munmap(tramp, 4096);
	assert_int_equal(env_console_count("outside its RAM"), 0);
}

/* ---- the unbacked bus ---- */

static void test_alu_unbacked_32(void **state)
{
	(void)state;
	/* or [HOLE], eax: all ones OR anything is all ones; the write goes nowhere. */
	v.regs.rax = 0x12;
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF);
	emulated("\x09\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_SF | RFLAGS_PF);
	assert_true(host_console_contains("4-byte read at GPA 0xd0000000 outside its RAM: reads all ones"));
	/* add eax, [HOLE]: 1 + FFFFFFFFH = 0 with every carry, the upper half of RAX cleared. */
	v.regs.rax = 0xffffffff00000001ull;
	emulated("\x03\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rax, 0);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
	/* sub cl, [HOLE] leaves CH alone; cmp byte [HOLE], 0xff; test dword [HOLE], 0. */
	v.regs.rcx = 0x1234;
	emulated("\x2a\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 0x1235);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF | RFLAGS_PF);
	emulated("\x80\x3d\x00\x00\x00\xd0\xff", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_PF);
	emulated("\xf7\x05\x00\x00\x00\xd0\x00\x00\x00\x00", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_PF);
	/* inc dword [HOLE] wraps to 0 and keeps CF; lock or; not changes no flag. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_CF);
	emulated("\xff\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
	emulated("\xf0\x83\x0d\x00\x00\x00\xd0\x01", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_SF | RFLAGS_PF);
	emulated("\xf7\x15\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_SF | RFLAGS_PF);
	/* xchg [HOLE], ecx; bt dword [HOLE], 5; movsx eax, word [HOLE]. */
	v.regs.rcx = 0x5555;
	emulated("\x87\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, 0xffffffff);
	emulated("\x0f\xba\x25\x00\x00\x00\xd0\x05", HOLE, Q_READ);
	assert_int_equal(flags() & RFLAGS_CF, RFLAGS_CF);
	emulated("\x0f\xbf\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rax, 0xffffffff);
	/* sbb eax, [HOLE] with CF: 0 - FFFFFFFFH - 1 = 0 with a borrow. */
	v.regs.rax = 0;
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_CF);
	emulated("\x1b\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rax, 0);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
	/* bts [HOLE+0x100], ecx with ECX = -9: the dword 4 bytes below, bit 23 (the CPU faulted there). */
	v.regs.rcx = (uint32_t)-9;
	emulated("\x0f\xab\x0d\x00\x01\x00\xd0", HOLE + 0xfc, Q_READ);
	assert_int_equal(flags() & RFLAGS_CF, RFLAGS_CF);
	/* A completed instruction clears RF. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_RF);
	emulated("\x8b\x05\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(vmr(GUEST_RFLAGS) & RFLAGS_RF, 0);
	assert_int_equal(env_console_count("outside its RAM"), 1); /* one page, reported once */
}

/* Shifts, XADD, CMPXCHG on the unbacked bus: what bare Bochs gives for all-ones reads and dropped writes. */
static void test_shift_xadd_cmpxchg_unbacked(void **state)
{
	uint32_t ones = 0xffffffff;

	(void)state;
	/* shl dword [HOLE], 1: FFFFFFFEH dropped; CF and SF (0x81) */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF | RFLAGS_OF);
	emulated("\xd1\x25\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_SF);
	/* shr byte [HOLE], cl with CL = 32: masked to 0, no flag changes; CL = 7 leaves 1 with CF. */
	v.regs.rcx = 0x20;
	emulated("\xd2\x2d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_SF);
	v.regs.rcx = 7;
	emulated("\xd2\x2d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF);
	/* rcr word [HOLE], 1 with CF clear: 7FFFH, CF, OF; SF and ZF untouched. */
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_ZF);
	emulated("\x66\xd1\x1d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_CF | RFLAGS_OF);
	/* lock xadd [HOLE], ecx = 5: ECX gets the all ones, flags of FFFFFFFFH + 5. */
	v.regs.rcx = 5;
	emulated("\xf0\x0f\xc1\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(v.regs.rcx, ones);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF);
	/* lock cmpxchg [HOLE], ecx: EAX all ones matches (ZF, EAX kept); EAX 0 does not (EAX loaded). */
	v.regs.rax = ones;
	v.regs.rcx = 0x1234;
	emulated("\xf0\x0f\xb1\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_ZF | RFLAGS_PF);
	assert_int_equal(v.regs.rax, ones);
	v.regs.rax = 0;
	emulated("\xf0\x0f\xb1\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF);
	assert_int_equal(v.regs.rax, ones);
	/* lock cmpxchg8b [HOLE]: EDX:EAX = 0 differs; both loaded, only ZF changes (CF stays). */
	v.regs.rax = v.regs.rdx = 0;
	emulated("\xf0\x0f\xc7\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF);
	assert_int_equal(v.regs.rax, ones);
	assert_int_equal(v.regs.rdx, ones);
	emulated("\x0f\xc7\x0d\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_AF | RFLAGS_ZF);
	/* cmpxchg16b needs 16-byte alignment: #GP(0) at HOLE+8, nothing done. */
	env_guest64(&v);
	v.regs.rsi = HOLE + 8;
	assert_int_equal(violation_at(CODE("\xf0\x48\x0f\xc7\x0e"), HOLE + 8, HOLE + 8, Q_READ), EXIT_RESUME);
	expect_gp();
	v.regs.rsi = HOLE;
	v.regs.rax = v.regs.rdx = 0;
	emulated("\xf0\x48\x0f\xc7\x0e", HOLE, Q_READ);
	assert_int_equal(v.regs.rax, ~0ull);
	assert_int_equal(v.regs.rdx, ~0ull);
	assert_int_equal(flags() & RFLAGS_ZF, 0);
}

/* PUSH r/m and POP r/m: one side unbacked, the stack through SS, RSP as the CPU moves it. */
static void test_push_pop(void **state)
{
	uint32_t *stack = env_gpa(ENV_RSP - 8);

	(void)state;
	/* push dword [HOLE]: ESP - 4 holds all ones. */
	stack[0] = stack[1] = 0;
	emulated("\xff\x35\x00\x00\x00\xd0", HOLE, Q_READ);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP - 4);
	assert_int_equal(stack[1], 0xffffffff);
	/* pop dword [HOLE]: ESP back, the write dropped. */
	stack[1] = 0x12345678;
	emulated("\x8f\x05\x00\x00\x00\xd0", HOLE, Q_WRITE);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	/* pop dword [esp+disp32]: the address uses ESP after the increment (SDM "POP"). */
	vmw(GUEST_RSP, ENV_RSP - 8);
	emulated("\x8f\x84\x24\x04\x80\xff\xcf", HOLE, Q_WRITE); /* ENV_RSP - 4 + 0xcfff8004 = HOLE */
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP - 4);
	/* The stack itself unbacked: push dword [0x100] with ESP at HOLE+8, the CPU faulting at HOLE+4. */
	vmw(GUEST_RSP, HOLE + 8);
	assert_int_equal(violation_at(CODE("\xff\x35\x00\x01\x00\x00"), HOLE + 4, HOLE + 4, Q_WRITE), EXIT_RESUME);
	expect_retired(6);
	assert_int_equal(vmr(GUEST_RSP), HOLE + 4);
	/* pop dword [0x100] from an unbacked stack: all ones into RAM. */
	*(uint32_t *)env_gpa(0x100) = 0;
	assert_int_equal(violation_at(CODE("\x8f\x05\x00\x01\x00\x00"), HOLE + 4, HOLE + 4, Q_READ), EXIT_RESUME);
	expect_retired(6);
	assert_int_equal(vmr(GUEST_RSP), HOLE + 8);
	assert_int_equal(*(uint32_t *)env_gpa(0x100), 0xffffffff);
	/* A stack write past SS's limit is #SS(0) and leaves ESP alone. */
	vmw(GUEST_RSP, ENV_RSP);
	vmw(GUEST_SS_LIMIT, 0x7000);
	assert_int_equal(violation_at(CODE("\xff\x35\x00\x00\x00\xd0"), HOLE, HOLE, Q_READ), EXIT_RESUME);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD),
			 INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | X86_VEC_SS);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
	/* 64-bit mode: push qword by default, 66 for a word. */
	env_guest64(&v);
	v.regs.rbx = HOLE;
	emulated("\xff\x33", HOLE, Q_READ); /* push qword [rbx] */
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP - 8);
	assert_int_equal(*(uint64_t *)env_gpa(ENV_RSP - 8), ~0ull);
	emulated("\x66\xff\x33", HOLE, Q_READ);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP - 10);
	emulated("\x66\x8f\x03", HOLE, Q_WRITE);
	emulated("\x8f\x03", HOLE, Q_WRITE);
	assert_int_equal(vmr(GUEST_RSP), ENV_RSP);
	/* Real mode: a 16-bit stack wraps SP within its 64 KiB and keeps the rest of RSP. */
	env_guest16(&v);
	vmw(GUEST_FS_BASE, HOLE);
	vmw(GUEST_RSP, 0xabcd0000);
	v.regs.rbx = 0;
	emulated("\x64\xff\x37", HOLE, Q_READ); /* push word fs:[bx] */
	assert_int_equal(vmr(GUEST_RSP), 0xabcdfffe);
	assert_int_equal(*(uint16_t *)env_gpa(0xfffe), 0xffff);
	assert_int_equal(env_console_count("outside its RAM"), 1);
}

/* Real-address mode with a segment base above RAM (unreal mode): 16-bit addressing and the 66 prefix. */
static void test_alu_unbacked_16(void **state)
{
	(void)state;
	env_guest16(&v);
	vmw(GUEST_FS_BASE, HOLE);
	v.regs.rbx = 0x10;
	v.regs.rsi = 0x20;
	v.regs.rax = 0x0001;
	emulated("\x64\x01\x00", HOLE + 0x30, Q_READ); /* add fs:[bx+si], ax */
	assert_int_equal(flags(), RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
	v.regs.rax = 0x1122334455667788ull;
	emulated("\x66\x64\x0b\x07", HOLE + 0x10, Q_READ); /* or eax, fs:[bx] */
	assert_int_equal(v.regs.rax, 0xffffffff);
	v.regs.rdx = 0xaaaa;
	emulated("\x64\x86\x77\x01", HOLE + 0x11, Q_READ); /* xchg fs:[bx+1], dh */
	assert_int_equal(v.regs.rdx, 0xffaa);
	/* An offset past the 64-KiB limit is #GP, with no error code in real mode. */
	v.regs.rbx = 0xfffe;
	assert_int_equal(violation_at(CODE("\x66\x64\x8b\x07"), HOLE + 0xfffe, HOLE + 0xfffe, Q_READ), EXIT_RESUME);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | X86_VEC_GP);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
}

static void test_alu_unbacked_64(void **state)
{
	uint64_t *pd3 = env_gpa(ENV_PML4 + 0x3000);

	(void)state;
	env_guest64(&v);
	v.regs.r9 = HOLE - 0x100;
	v.regs.r10 = 0x40;
	v.regs.r11 = 0x1122334455667788ull;
	emulated("\x4f\x0b\x5c\x91\x40", HOLE + 0x40, Q_READ); /* or r11, [r9+r10*4+0x40] */
	assert_int_equal(v.regs.r11, ~0ull);
	assert_int_equal(pd3[0x80] & 0x60, 0x20); /* the walk set A */
	v.regs.rbx = HOLE + 8;
	emulated("\xf0\x48\x83\x4b\xf8\x01", HOLE, Q_WRITE); /* lock or qword [rbx-8], 1 */
	assert_int_equal(flags(), RFLAGS_SF | RFLAGS_PF);
	assert_int_equal(pd3[0x80] & 0x60, 0x60); /* and D for the write */
	v.regs.rax = 1;
	emulated("\x48\x87\x43\xf8", HOLE, Q_WRITE); /* xchg [rbx-8], rax */
	assert_int_equal(v.regs.rax, ~0ull);
	emulated("\x48\x63\x43\xf8", HOLE, Q_READ); /* movsxd rax, dword [rbx-8] */
	assert_int_equal(v.regs.rax, ~0ull);
	emulated("\x63\x43\xf8", HOLE, Q_READ); /* movsxd eax, dword [rbx-8]: a 32-bit load */
	assert_int_equal(v.regs.rax, 0xffffffff);
	/* gs:[0x28] with GS.base at the hole */
	vmw(GUEST_GS_BASE, HOLE);
	v.regs.rdx = 0;
	emulated("\x65\x48\x8b\x14\x25\x28\x00\x00\x00", HOLE + 0x28, Q_READ);
	assert_int_equal(v.regs.rdx, ~0ull);
}

/* The local APIC page goes the same way: a read-modify-write of SVR enables the APIC. */
static void test_apic_rmw(void **state)
{
	(void)state;
	assert_int_equal(vlapic_read(&v.lapic, APIC_SVR) & APIC_SVR_ENABLE, 0);
	emulated("\x81\x0d\xf0\x00\xe0\xfe\x00\x01\x00\x00", APIC(APIC_SVR), Q_READ); /* or dword [SVR], 0x100 */
	assert_int_equal(vlapic_read(&v.lapic, APIC_SVR), 0x1ff);
	assert_int_equal(flags(), RFLAGS_PF);
	emulated("\xf7\x05\xf0\x00\xe0\xfe\x00\x01\x00\x00", APIC(APIC_SVR), Q_READ); /* test dword [SVR], 0x100 */
	assert_int_equal(flags() & RFLAGS_ZF, 0);
	emulated("\x81\x25\xf0\x00\xe0\xfe\xff\xfe\xff\xff", APIC(APIC_SVR), Q_READ); /* and dword [SVR], ~0x100 */
	assert_int_equal(vlapic_read(&v.lapic, APIC_SVR), 0xff);
	/* 64-bit code: mov rax, 0xfee00000 is in RAX; or dword [rax+0xf0], 0x100 */
	env_guest64(&v);
	v.regs.rax = APIC(0);
	emulated("\x81\x88\xf0\x00\x00\x00\x00\x01\x00\x00", APIC(APIC_SVR), Q_READ);
	assert_int_equal(vlapic_read(&v.lapic, APIC_SVR), 0x1ff);
	/* TPR: add dword [TPR], 0x20 reads and writes the register. */
	emulated("\x83\x80\x80\x00\x00\x00\x20", APIC(APIC_TPR), Q_READ);
	assert_int_equal(v.lapic.tpr, 0x20);
	assert_int_equal(env_console_count("outside its RAM"), 0);
}

/* An operand across the end of RAM: the RAM part is RAM, the rest the unbacked bus. */
static void test_split_at_ram_end(void **state)
{
	uint8_t *end = env_gpa(RAM_END - 2);

	(void)state;
	memcpy(end, "xy", 2);
	assert_int_equal(violation_at(CODE("\x8b\x05\xfe\xff\x3f\x00"), RAM_END, RAM_END, Q_READ), EXIT_RESUME);
	expect_retired(6);
	assert_int_equal(v.regs.rax, 0xffff7978); /* mov eax, [RAM_END-2] */
	assert_int_equal(violation_at(CODE("\xc7\x05\xfe\xff\x3f\x00\x44\x33\x22\x11"), RAM_END, RAM_END, Q_WRITE),
			 EXIT_RESUME);
	assert_memory_equal(end, "\x44\x33", 2);
	assert_int_equal(violation_at(CODE("\x83\x05\xfe\xff\x3f\x00\x01"), RAM_END, RAM_END, Q_READ), EXIT_RESUME);
	assert_memory_equal(end, "\x45\x33", 2); /* FFFF3344H + 1 */
	assert_true(host_console_contains("2-byte read at GPA 0x400000 outside its RAM"));
}

static void expect_pf(uint32_t error, uint64_t cr2)
{
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD),
			 INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | X86_VEC_PF);
	assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), error);
	assert_int_equal(v.regs.cr2, cr2);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_false(v.stop.requested);
}

/*
 * The guest's paging structures where no RAM is: each entry reads all ones, which in 4-level paging
 * sets reserved bits, so the access takes #PF(P, RSVD) at its linear address.
 */
static void test_tables_unbacked_64(void **state)
{
	uint64_t *pdpt = env_gpa(ENV_PML4 + 0x1000);

	(void)state;
	env_guest64(&v);
	pdpt[2] = HOLE | 3;
	v.regs.rbx = 0x80000000;
	v.regs.rax = 0x77;
	assert_int_equal(violation_at(CODE("\x8b\x03"), HOLE, 0x80000000, Q_WALK), EXIT_RESUME);
	expect_pf(PF_ERR_P | PF_ERR_RSVD, 0x80000000);
	assert_int_equal(v.regs.rax, 0x77);
	assert_true(host_console_contains("8-byte read at GPA 0xd0000000 outside its RAM"));
	/* The same with a write at CPL 3 gives W and U too. */
	env_cpl(3);
	assert_int_equal(violation_at(CODE("\x89\x03"), HOLE, 0x80000000, Q_WALK), EXIT_RESUME);
	expect_pf(PF_ERR_P | PF_ERR_RSVD | PF_ERR_W | PF_ERR_U, 0x80000000);
}

/* 32-bit paging without PSE follows an all-ones PDE to the page FFFFF000H, where nothing is either. */
static void test_tables_unbacked_32(void **state)
{
	uint32_t *pd = env_gpa(0x5000), *pt = env_gpa(0x6000);

	(void)state;
	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = (i << 12) | 0x63; /* P, RW, A, D */
	pd[0] = 0x6000 | 0x23;
	pd[1] = (uint32_t)HOLE | 0x3;
	vmw(GUEST_CR3, 0x5000);
	vmw(GUEST_CR0, vmr(GUEST_CR0) | CR0_PG);
	v.regs.rax = 0;
	assert_int_equal(violation_at(CODE("\xa1\x10\x00\x40\x00"), HOLE + 4, 0x400010, Q_WALK), EXIT_RESUME);
	expect_retired(5);
	assert_int_equal(v.regs.rax, 0xffffffff); /* mov eax, [0x400010] */
	assert_true(host_console_contains("4-byte read at GPA 0xfffff010 outside its RAM"));
	assert_true(host_console_contains("4-byte read at GPA 0xd0000000 outside its RAM: reads all ones")); /* PTE */
	assert_int_equal(pd[1], (uint32_t)HOLE | 0x23); /* A set in the PDE, in RAM; the all-ones PTE has A and D */
}

static void test_faults(void **state)
{
	uint64_t *pd3 = env_gpa(ENV_PML4 + 0x3000);

	(void)state;
	env_guest64(&v);
	/* Not present in the guest's tables (the CPU used a stale TLB entry): #PF, CR2, nothing done. */
	v.regs.rbx = 0x40000000;
	v.regs.rax = 5;
	assert_int_equal(violation_at(CODE("\x89\x03"), HOLE, 0x40000000, Q_WRITE), EXIT_RESUME);
	expect_pf(PF_ERR_W, 0x40000000);
	/* CPL 3 on a supervisor page; a write to a read-only one with CR0.WP. */
	v.regs.rbx = HOLE;
	env_cpl(3);
	assert_int_equal(violation_at(CODE("\x8b\x03"), HOLE, HOLE, Q_READ), EXIT_RESUME);
	expect_pf(PF_ERR_P | PF_ERR_U, HOLE);
	env_cpl(0);
	pd3[0x80] = HOLE | 0x81;
	assert_int_equal(violation_at(CODE("\x83\x0b\x01"), HOLE, HOLE, Q_READ), EXIT_RESUME);
	expect_pf(PF_ERR_P | PF_ERR_W, HOLE);
	assert_int_equal(violation_at(CODE("\x83\x3b\x01"), HOLE, HOLE, Q_READ), EXIT_RESUME); /* cmp: a read */
	expect_retired(3);
	/* A non-canonical address in 64-bit mode: #GP(0). */
	v.regs.rbx = 0x0000800000000000ull;
	assert_int_equal(violation_at(CODE("\x8b\x03"), HOLE, 0x0000800000000000ull, Q_READ), EXIT_RESUME);
	expect_gp();
	/* 32-bit segment limits: #GP(0) for DS, #SS(0) for an EBP-based operand. */
	env_guest32(&v);
	vmw(GUEST_DS_LIMIT, 0xcfffffff);
	assert_int_equal(violation_at(CODE("\xa1\x00\x00\x00\xd0"), HOLE, HOLE, Q_READ), EXIT_RESUME);
	expect_gp();
	vmw(GUEST_SS_LIMIT, 0xcfffffff);
	v.regs.rbp = HOLE;
	assert_int_equal(violation_at(CODE("\x8b\x45\x00"), HOLE, HOLE, Q_READ), EXIT_RESUME);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD),
			 INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | X86_VEC_SS);
	assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), 0);
	assert_false(v.stop.requested);
}

/* The decoded operand must hold the byte the CPU faulted at; else the guest stops rather than guess. */
static void test_operand_mismatch(void **state)
{
	(void)state;
	assert_int_equal(violation_at(CODE("\x8b\x05\x00\x00\x00\xd0"), HOLE + 0x1000, HOLE + 0x1000, Q_READ),
			 EXIT_STOPPED);
	expect_stop(&v, -1, "mov at RIP 0x10000: operand at linear 0xd0000000, but the CPU faulted at 0xd0001000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_oracle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alu_unbacked_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alu_unbacked_16, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shift_xadd_cmpxchg_unbacked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_pop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alu_unbacked_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_rmw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_at_ram_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_unbacked_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_unbacked_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operand_mismatch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* hostile: port I/O, string I/O, MMIO and hypercall inputs (guest/hostile.c has the framework). */
#include "cpu.h"
#include "hostile.h"
#include "hypercall.h"
#include "trap.h"

#define APIC_PAGE   0xfee00000u
#define IOAPIC_PAGE 0xfec00000u

/* Ports the fuzzer needs for itself: 0xf4 ends it, COM1 is its console, 0x8900 is Bochs' shutdown. */
static bool port_own(uint32_t port, unsigned size)
{
	uint32_t end = port + size;

	return (end > 0xf4 && port < 0xf8) || (end > 0x3f8 && port < 0x400) || (end > 0x8900 && port < 0x8901);
}

static uint16_t port_pick(unsigned size)
{
	static const uint16_t near[] = { 0x20,  0x21,  0x40,  0x43,   0x60,   0x64,   0x70,  0x71,  0x80,
					 0xa0,  0xcf8, 0xcfc, 0xcf9,  0x92,   0x2f8,  0x3e8, 0x402, 0x403,
					 0x510, 0x511, 0x604, 0xb000, 0xfffd, 0xfffe, 0xffff };
	uint16_t p;

	do
		p = rnd_below(2) ? (uint16_t)rnd32() : (uint16_t)(near[rnd_below(ARRAY_SIZE(near))] + rnd_below(4));
	while (port_own(p, size));
	return p;
}

static const unsigned sizes[] = { 1, 2, 4 };

/* IN/OUT with the port in DX or an immediate, every size, sometimes with ignored or invalid prefixes. */
void hostile_io(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned size = sizes[rnd_below(3)], len = 0, imm = rnd_below(3) == 0, out = rnd_below(2);
		uint16_t port = port_pick(size);
		uint8_t insn[4];
		uint32_t regs[5] = { rnd32(), rnd32(), port, rnd32(), rnd32() };

		if (imm && (port > 0xff || port_own(port & 0xff, size)))
			imm = 0;
		if (size == 2)
			insn[len++] = 0x66;
		if (rnd_below(16) == 0)
			insn[len++] = rnd_below(2) ? 0xf3 : 0x3e; /* REP and DS: ignored on IN/OUT */
		insn[len++] = (uint8_t)((imm ? 0xe4 : 0xec) + (out ? 2 : 0) + (size > 1));
		if (imm)
			insn[len++] = (uint8_t)port;
		hostile_count(HC_IO, hostile_exec(insn, len, regs, false));
	}
}

/*
 * INS/OUTS, REP or not, odd counts, DF=0/1, a segment override on OUTS, with the buffer in the scratch
 * RAM, outside RAM or running across its end (elements there read all ones and their writes are
 * dropped, as for a MOV). With addr16 the 0x67 prefix makes them use CX/SI/DI; ECX's upper half is then
 * nonzero on purpose (a CPU ignores it).
 */
void hostile_strio(uint32_t n, bool addr16)
{
	static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	enum hostile_class c = addr16 ? HC_STRIO16 : HC_STRIO;

	for (uint32_t i = 0; i < n; i++) {
		unsigned size = sizes[rnd_below(3)], len = 0, out = rnd_below(2), rep = rnd_below(4) != 0;
		bool df = rnd_below(3) == 0;
		uint32_t count = rnd_below(4) ? rnd_below(300) | 1 : rnd_below(8);
		uint32_t buf = HOSTILE_SCRATCH + 0x10000u + rnd_below(0x100000u);
		if (rnd_below(8) == 0)
			buf = HOSTILE_OUTSIDE + rnd_below(0x1000u);
		else if (rnd_below(8) == 0)
			buf = hostile_mem - 1u - rnd_below(0x400u);
		uint8_t insn[6];

		if (addr16)
			buf = 0x4000u + rnd_below(0x8000u) + (rnd32() & 0xffff0000u);
		if (addr16)
			count |= rnd32() & 0xffff0000u;
		uint32_t regs[5] = { rnd32(), count, port_pick(size), buf, buf };

		if (addr16)
			insn[len++] = 0x67;
		if (size == 2)
			insn[len++] = 0x66;
		if (out && rnd_below(4) == 0)
			insn[len++] = segs[rnd_below(ARRAY_SIZE(segs))];
		if (rep)
			insn[len++] = rnd_below(8) ? 0xf3 : 0xf2;
		insn[len++] = (uint8_t)((out ? 0x6e : 0x6c) + (size > 1));
		hostile_count(c, hostile_exec(insn, len, regs, df));
	}
}

/* A target for an MMIO access: the local APIC, the I/O APIC, or guest-physical space with no RAM. */
static uint32_t mmio_addr(void)
{
	switch (rnd_below(5)) {
	case 0:
	case 1:
		return APIC_PAGE + rnd_below(0x1000);
	case 2:
		return IOAPIC_PAGE + (rnd_below(2) ? rnd_below(0x20) : rnd_below(0x1000));
	case 3:
		return hostile_mem + 0x1000u + rnd_below(0x100000u);
	default:
		return 0x10000000u + rnd_below(0xe0000000u);
	}
}

/* Forms of memory operand: load, store, OR with an immediate, XCHG, ADD, NOT, for one size suffix. */
#define MMIO_FORMS(SUF, R)                                                                                     \
	switch (form) {                                                                                        \
	case 0:                                                                                                \
		asm volatile(TRAP_GUARD("mov" SUF " (%1), %" R "0") : "+q"(val) : "r"(addr) : "memory");       \
		break;                                                                                         \
	case 1:                                                                                                \
		asm volatile(TRAP_GUARD("mov" SUF " %" R "0, (%1)") : : "q"(val), "r"(addr) : "memory");       \
		break;                                                                                         \
	case 2:                                                                                                \
		asm volatile(TRAP_GUARD("or" SUF " $0x5a, (%0)") : : "r"(addr) : "memory", "cc");              \
		break;                                                                                         \
	case 3:                                                                                                \
		asm volatile(TRAP_GUARD("xchg" SUF " %" R "0, (%1)") : "+q"(val) : "r"(addr) : "memory");      \
		break;                                                                                         \
	case 4:                                                                                                \
		asm volatile(TRAP_GUARD("add" SUF " %" R "0, (%1)") : : "q"(val), "r"(addr) : "memory", "cc"); \
		break;                                                                                         \
	default:                                                                                               \
		asm volatile(TRAP_GUARD("not" SUF " (%0)") : : "r"(addr) : "memory");                          \
		break;                                                                                         \
	}

void hostile_mmio(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t addr = mmio_addr(), val = rnd32();
		unsigned form = rnd_below(6), size = sizes[rnd_below(3)];

		guest_expect_fault(FAULT_ANY);
		if (size == 1)
			MMIO_FORMS("b", "b")
		else if (size == 2)
			MMIO_FORMS("w", "w")
		else
			MMIO_FORMS("l", "k")
		hostile_count(HC_MMIO, guest_fault_taken());
	}
}

/* A GPA argument: the scratch RAM, outside RAM, across the end of RAM, zero or anything. */
static uint32_t hc_gpa(void)
{
	switch (rnd_below(5)) {
	case 0:
		return HOSTILE_SCRATCH + rnd_below(HOSTILE_SCRATCH_SIZE - 0x2000u);
	case 1:
		return HOSTILE_OUTSIDE + rnd_below(0x1000u);
	case 2:
		return hostile_mem - 1 - rnd_below(64);
	case 3:
		return 0xfffffff0u + rnd_below(16);
	default:
		return rnd_below(2) ? 0 : rnd32() | 0x80000000u;
	}
}

static const char hc_text[] = "hostile-console";

/* Every call but SHUTDOWN with random arguments; CONSOLE_WRITE prints only short text when it succeeds. */
void hostile_hcall(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nr = rnd_below(4) ? rnd_below(PTV_HC_COUNT + 2) : rnd32();
		uint32_t a1 = hc_gpa(), a2 = rnd_below(2) ? rnd_below(0x2000) : rnd32(), a3 = rnd32();

		if (nr == PTV_HC_SHUTDOWN)
			nr = PTV_HC_NULL;
		if (nr == PTV_HC_CONSOLE_WRITE) {
			if (rnd_below(8) == 0) {
				a1 = (uint32_t)hc_text;
				a2 = rnd_below(sizeof(hc_text));
			} else if (a1 < hostile_mem && a1 + 8 < hostile_mem) {
				a2 |= 0x10000u; /* over PTV_HC_CONSOLE_MAX: refused */
			}
		}
		struct hc_regs r = hc_call(nr, a1, a2, a3);
		hostile_count(HC_HCALL, (int32_t)r.eax < 0 ? (int)(-(int32_t)r.eax) : FAULT_NONE);
	}
}

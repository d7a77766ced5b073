/*
 * dregs: the debug registers are each guest's own across guest switches. Several of these run at once,
 * giving the CPU to each other with STI;HLT (a HLT with nothing pending yields to the other guests).
 * Command line (after "--"):
 *   role=check seed=N rounds=N bp_rounds=N  loads DR0-DR3, DR6 and DR7 with values derived from seed and
 *       the round, yields, reads them back; then arms execute and data-write breakpoints, yields between
 *       arming and each trigger, and counts the #DB exceptions and the slot DR6 names for each.
 *   role=clobber rounds=N  writes DR0-DR3 = 0, DR6 and DR7 = their reset values, yields, N times.
 * DR0-DR3/DR6/DR7: SDM Vol. 3B 17.2 "Debug Registers"; breakpoint conditions 17.3.1.
 */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "trap.h"
#include "multiboot.h"
#include "lib/string.h"

/* DR6 bits 4-11 and 16-31 read as 1, bit 12 as 0 (17.2.3); B0-B3, BD, BS and BT can be written. */
#define DR6_FIXED     0xffff0ff0u
#define DR6_WRITABLE  0x0000e00fu
#define DR7_FIXED     0x400u /* bit 10 reads as 1 */
#define DR7_L(n)      (1u << (2 * (n)))
#define DR7_G(n)      (2u << (2 * (n)))
#define DR7_RW(n, rw) ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, l) ((uint32_t)(l) << (18 + 4 * (n)))
#define RW_EXEC       0u
#define RW_WRITE      1u
#define RW_ACCESS     3u /* data reads or writes */
#define RFLAGS_RF     (1u << 16)

/* Where a check guest's readback addresses point: a page of its RAM per seed that nothing here touches. */
#define DREGS_AREA     0x800000u
#define DREGS_SEEDS    256u
#define MISMATCH_LINES 3u /* details printed for the first few bad rounds */

struct dregs {
	uint32_t dr[4], dr6, dr7;
};

/* MOV to and from a debug register names it in the instruction, so each has its own asm. */
static void dregs_write(const struct dregs *d)
{
	asm volatile("mov %0, %%dr7" : : "r"(DR7_FIXED) : "memory"); /* no breakpoint armed half-loaded */
	asm volatile("mov %0, %%dr0" : : "r"(d->dr[0]) : "memory");
	asm volatile("mov %0, %%dr1" : : "r"(d->dr[1]) : "memory");
	asm volatile("mov %0, %%dr2" : : "r"(d->dr[2]) : "memory");
	asm volatile("mov %0, %%dr3" : : "r"(d->dr[3]) : "memory");
	asm volatile("mov %0, %%dr6" : : "r"(d->dr6) : "memory");
	asm volatile("mov %0, %%dr7" : : "r"(d->dr7) : "memory");
}

static void dregs_read(struct dregs *d)
{
	asm volatile("mov %%dr0, %0" : "=r"(d->dr[0]) : : "memory");
	asm volatile("mov %%dr1, %0" : "=r"(d->dr[1]) : : "memory");
	asm volatile("mov %%dr2, %0" : "=r"(d->dr[2]) : : "memory");
	asm volatile("mov %%dr3, %0" : "=r"(d->dr[3]) : : "memory");
	asm volatile("mov %%dr6, %0" : "=r"(d->dr6) : : "memory");
	asm volatile("mov %%dr7, %0" : "=r"(d->dr7) : : "memory");
}

static uint32_t dr6_read(void)
{
	uint32_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v) : : "memory");
	return v;
}

static void dr6_write(uint32_t v)
{
	asm volatile("mov %0, %%dr6" : : "r"(v) : "memory");
}
static void dr7_write(uint32_t v)
{
	asm volatile("mov %0, %%dr7" : : "r"(v) : "memory");
}

/* Gives the CPU to the other guests: STI;HLT with nothing pending, then IF=0 again. */
static void yield(void)
{
	cpu_sti_hlt();
	cpu_cli();
}

/* --- #DB accounting --- */

static volatile bool db_window;       /* inside a call or write that may raise #DB */
static volatile uint32_t db_hits;     /* #DB taken in the window */
static volatile uint32_t db_slots;    /* DR6.B0-B3 of the last one */
static volatile uint32_t db_eip;      /* its EIP (for a fault: the instruction not yet run) */
static volatile uint32_t db_spurious; /* #DB outside any window */

static bool db_handler(struct trap_frame *f)
{
	if (f->vector != VEC_DB)
		return false;
	uint32_t dr6 = dr6_read();

	if (db_window) {
		db_hits++;
		db_slots = dr6 & 0xf;
		db_eip = f->eip;
	} else {
		db_spurious++;
	}
	/* B0-B3 are sticky (17.2.3); RF lets an instruction breakpoint's instruction run (17.3.1.1). */
	dr6_write(DR6_FIXED);
	f->eflags |= RFLAGS_RF;
	return true;
}

static void db_open(void)
{
	db_hits = 0;
	db_slots = 0;
	db_eip = 0;
	asm volatile("" : : : "memory");
	db_window = true;
	asm volatile("" : : : "memory");
}

static void db_close(void)
{
	asm volatile("" : : : "memory");
	db_window = false;
	asm volatile("" : : : "memory");
}

/* --- readback rounds --- */

/*
 * Round r of guest `seed`: four 8-byte aligned addresses in the seed's own page (distinct within a
 * round and from round to round), a DR7 enabling a nonempty set of them as local or global data
 * breakpoints with varied RW (write, read/write) and LEN (1, 2, 4 bytes), and a DR6 pattern in its
 * writable bits. Data breakpoints only: no instruction can match, whatever addresses end up here.
 */
static void round_values(uint32_t seed, uint32_t r, struct dregs *d)
{
	static const uint8_t lens[3] = { 0, 1, 3 };
	uint32_t page = DREGS_AREA + (seed % DREGS_SEEDS) * 0x1000;
	uint32_t en = (seed + r) % 15 + 1;

	d->dr7 = DR7_FIXED;
	for (unsigned i = 0; i < 4; i++) {
		d->dr[i] = page + ((((r * 4 + i) ^ (seed * 0x35)) & 0x1ff) * 8);
		if (en & (1u << i))
			d->dr7 |= ((r >> i) & 1) ? DR7_G(i) : DR7_L(i);
		d->dr7 |= DR7_RW(i, ((r + i + seed) & 1) ? RW_WRITE : RW_ACCESS);
		d->dr7 |= DR7_LEN(i, lens[(r * 3 + i + seed) % 3]);
	}
	d->dr6 = DR6_FIXED | ((seed * 7 + r) & 0xf) | (((r + seed) & 7) << 13);
}

static void readback_rounds(uint32_t seed, uint32_t rounds)
{
	uint32_t ok_addr = 0, ok_dr6 = 0, ok_dr7 = 0, ok_all = 0, printed = 0;

	db_spurious = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		struct dregs want, got;

		round_values(seed, r, &want);
		dregs_write(&want);
		yield();
		dregs_read(&got);
		dr7_write(DR7_FIXED);

		bool addr = !memcmp(got.dr, want.dr, sizeof(want.dr));
		ok_addr += addr;
		ok_dr6 += got.dr6 == want.dr6;
		ok_dr7 += got.dr7 == want.dr7;
		ok_all += addr && got.dr6 == want.dr6 && got.dr7 == want.dr7;
		if ((!addr || got.dr6 != want.dr6 || got.dr7 != want.dr7) && printed++ < MISMATCH_LINES)
			serial_printf(
				"dregs: round %u read DR0-3 %x %x %x %x DR6 %x DR7 %x, loaded %x %x %x %x %x %x\n", r,
				got.dr[0], got.dr[1], got.dr[2], got.dr[3], got.dr6, got.dr7, want.dr[0], want.dr[1],
				want.dr[2], want.dr[3], want.dr6, want.dr7);
	}
	check(ok_addr == rounds, "DR0-DR3 read back %u of %u rounds after a yield", ok_addr, rounds);
	check(ok_dr6 == rounds, "DR6 read back %u of %u rounds after a yield", ok_dr6, rounds);
	check(ok_dr7 == rounds, "DR7 read back %u of %u rounds after a yield", ok_dr7, rounds);
	check(ok_all == rounds, "DR0-DR3/DR6/DR7 read back %u of %u rounds after a yield", ok_all, rounds);
	check(db_spurious == 0, "no #DB from the data breakpoints they armed (%u)", db_spurious);
}

/* --- breakpoint rounds --- */

typedef uint32_t (*bp_fn)(uint32_t);

static __attribute__((noinline, noclone)) uint32_t bp_fn_a(uint32_t x)
{
	asm volatile("");
	return x + 1;
}
static __attribute__((noinline, noclone)) uint32_t bp_fn_b(uint32_t x)
{
	asm volatile("");
	return x * 3;
}
static __attribute__((noinline, noclone)) uint32_t bp_fn_c(uint32_t x)
{
	asm volatile("");
	return x ^ 0x5a;
}
static bp_fn volatile const bp_fns[3] = { bp_fn_a, bp_fn_b, bp_fn_c };
static volatile uint32_t bp_var;

/* Calls bp_fns[which] with #DB counting on; true when the function ran (its result came back). */
static bool bp_call(unsigned which, uint32_t x)
{
	uint32_t want = which == 0 ? x + 1 : which == 1 ? x * 3 : x ^ 0x5a;
	uint32_t got;

	db_open();
	got = bp_fns[which](x);
	db_close();
	return got == want;
}

static void breakpoint_rounds(uint32_t seed, uint32_t rounds)
{
	uint32_t exec_ok = 0, write_ok = 0, off_hits = 0, ran = 0, printed = 0;

	db_spurious = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		/* The slots rotate with round and seed: each slot serves each role, and two check guests that
		   swapped registers would see the other slot named in DR6. */
		unsigned sa = (r + seed) & 3, sb = (sa + 1) & 3, sw = (sa + 2) & 3, soff = (sa + 3) & 3;
		struct dregs d;

		d.dr[sa] = (uint32_t)bp_fn_a;
		d.dr[sb] = (uint32_t)bp_fn_b;
		d.dr[sw] = (uint32_t)&bp_var;
		d.dr[soff] = (uint32_t)bp_fn_c; /* an instruction breakpoint left disabled */
		d.dr6 = DR6_FIXED;
		/* Instruction breakpoints need LEN = 00 (17.2.5); the write breakpoint covers the 4-byte variable. */
		d.dr7 = DR7_FIXED | DR7_L(sa) | DR7_G(sb) | DR7_L(sw) | DR7_RW(sw, RW_WRITE) | DR7_LEN(sw, 3);
		dregs_write(&d);

		yield();
		bool ra = bp_call(0, r);
		bool a = db_hits == 1 && db_slots == (1u << sa) && db_eip == (uint32_t)bp_fn_a;
		yield();
		bool rb = bp_call(1, r);
		bool b = db_hits == 1 && db_slots == (1u << sb) && db_eip == (uint32_t)bp_fn_b;
		yield();
		db_open();
		bp_var = r;
		db_close();
		bool w = db_hits == 1 && db_slots == (1u << sw);
		yield();
		bool rc = bp_call(2, r);
		off_hits += db_hits;

		dr7_write(DR7_FIXED);
		exec_ok += a + b;
		write_ok += w;
		ran += ra && rb && rc;
		if ((!a || !b || !w) && printed++ < MISMATCH_LINES)
			serial_printf("dregs: breakpoint round %u: slots %u/%u/%u: exec %s %s, write %s\n", r, sa, sb,
				      sw, a ? "ok" : "missed", b ? "ok" : "missed", w ? "ok" : "missed");
	}
	check(exec_ok == 2 * rounds, "execute breakpoints hit %u of %u calls, slot named in DR6", exec_ok, 2 * rounds);
	check(write_ok == rounds, "data write breakpoint hit %u of %u writes, slot named in DR6", write_ok, rounds);
	check(off_hits == 0, "breakpoint not enabled in DR7 hit %u times in %u calls", off_hits, rounds);
	check(ran == rounds, "every call with a breakpoint ran once and returned (%u of %u rounds)", ran, rounds);
	check(db_spurious == 0, "no #DB outside the calls and writes (%u)", db_spurious);
}

static int clobber(uint32_t rounds)
{
	struct dregs zero = { { 0, 0, 0, 0 }, DR6_FIXED, DR7_FIXED };

	for (uint32_t r = 0; r < rounds; r++) {
		dregs_write(&zero);
		yield();
	}
	serial_printf("dregs: clobbered DR0-DR3/DR6/DR7 in %u rounds\n", rounds);
	return 0;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = mb2_cmdline(info);
	char role[16] = "check";

	(void)magic;
	serial_init();
	trap_hook = db_handler;
	cmdline_get_arg(cmd, "role", role, sizeof(role));
	uint32_t seed = cmdline_get_u32(cmd, "seed", 1), rounds = cmdline_get_u32(cmd, "rounds", 200);
	uint32_t bp_rounds = cmdline_get_u32(cmd, "bp_rounds", 20);

	if (!strcmp(role, "clobber")) {
		serial_printf("dregs: role=clobber rounds=%u\n", rounds);
		return clobber(rounds);
	}
	serial_printf("dregs: role=check seed=%u rounds=%u bp_rounds=%u\n", seed, rounds, bp_rounds);
	readback_rounds(seed, rounds);
	breakpoint_rounds(seed, bp_rounds);
	return test_finish();
}

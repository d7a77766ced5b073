/*
 * Area "strio": port I/O to a port nothing decodes (reads all ones, writes vanish) in every form: IN/OUT of
 * each size, INS/OUTS with and without REP, DF=1, and the 16-bit address size where only SI/DI/CX move and
 * wrap (SDM Vol. 2B "INS/INSB/INSW/INSD", "OUTS/OUTSB/OUTSW/OUTSD", "REP/REPE/REPNE"; Vol. 1 3.6 "Operand-
 * size and Address-size Attributes"); a REP longer than what a VMM may move in one exit, and a REP under
 * TF, which traps after every iteration (Vol. 3B 18.3.1.4).
 */
#include "conf.h"
#include "lib/format.h"
#include "lib/string.h"

#define PORT_UNUSED 0x2f8 /* COM2: not enabled in Bochs and not claimed by ptvisor */
#define BUF_FILL    0x11
#define BUF_LEN     16
#define LOW_BUF     0x6000u /* below 64 KiB, for 16-bit addressing */
#define HIGH_HALF   0xabcd0000u

struct sio {
	uint32_t esi, edi, ecx;
};

static uint8_t buf[BUF_LEN] __aligned(16);
static uint8_t big[3 * 4096 + 16] __aligned(16); /* three times ptvisor's 4 KiB per exit */
static volatile uint32_t steps_at_rep, steps;
static uint32_t rep_eip;

static const char *hex_bytes(const uint8_t *p, unsigned n)
{
	static char out[2 * BUF_LEN + 1];

	for (unsigned i = 0; i < n && i < BUF_LEN; i++)
		ptv_snprintf(out + 2 * i, 3, "%02x", p[i]);
	return out;
}

static void buf_fill(void)
{
	memset(buf, BUF_FILL, sizeof(buf));
}

static void strio_plain(void)
{
	uint32_t eax = 0x12345600u;

	asm volatile("inb %w1, %b0" : "+a"(eax) : "d"(PORT_UNUSED));
	conf_verdict("inb from port 0x2f8 with EAX=0x12345600: EAX=0x%x", eax);
	eax = 0x12340000u;
	asm volatile("inw %w1, %w0" : "+a"(eax) : "d"(PORT_UNUSED));
	conf_verdict("inw from port 0x2f8 with EAX=0x12340000: EAX=0x%x", eax);
	eax = 0;
	asm volatile("inl %w1, %0" : "+a"(eax) : "d"(PORT_UNUSED));
	conf_verdict("inl from port 0x2f8: EAX=0x%x", eax);
	asm volatile("outb %b0, %w1\n\toutw %w0, %w1\n\toutl %0, %w1" : : "a"(0x5a5a5a5au), "d"(PORT_UNUSED));
	asm volatile("inb %w1, %b0" : "+a"(eax) : "d"(PORT_UNUSED));
	conf_verdict("outb/outw/outl to port 0x2f8, then inb: AL=0x%x", eax & 0xff);
}

/* Runs one INS/OUTS form given as bytes (prefixes included) with DF as asked. */
#define SIO_RUN(bytes, df, s)                                      \
	asm volatile("pushfl\n\t"                                  \
		     "testl %4, %4\n\t"                            \
		     "jz 1f\n\t"                                   \
		     "std\n"                                       \
		     "1:\n\t" bytes "\n\t"                         \
		     "popfl"                                       \
		     : "+S"((s).esi), "+D"((s).edi), "+c"((s).ecx) \
		     : "d"(PORT_UNUSED), "r"((uint32_t)(df))       \
		     : "memory", "cc")

static void ins_verdict(const char *what, struct sio s, uint32_t edi0, uint32_t ecx_before)
{
	conf_verdict("%s: EDI %d, ECX 0x%x->0x%x, buffer %s", what, (int)(s.edi - edi0), ecx_before, s.ecx,
		     hex_bytes(buf, BUF_LEN));
}

static void strio_ins(void)
{
	uint32_t base = (uint32_t)buf;
	struct sio s;

	buf_fill();
	s = (struct sio){ 0, base + 2, 0x77 };
	SIO_RUN("insb", 0, s);
	ins_verdict("insb at buffer+2", s, base + 2, 0x77);
	buf_fill();
	s = (struct sio){ 0, base + 1, 5 };
	SIO_RUN("rep insb", 0, s);
	ins_verdict("rep insb ECX=5 at buffer+1", s, base + 1, 5);
	buf_fill();
	s = (struct sio){ 0, base + 2, 3 };
	SIO_RUN("rep insw", 0, s);
	ins_verdict("rep insw ECX=3 at buffer+2", s, base + 2, 3);
	buf_fill();
	s = (struct sio){ 0, base + 4, 2 };
	SIO_RUN("rep insl", 0, s);
	ins_verdict("rep insd ECX=2 at buffer+4", s, base + 4, 2);
	buf_fill();
	s = (struct sio){ 0, base + 8, 3 };
	SIO_RUN("rep insl", 1, s);
	ins_verdict("DF=1: rep insd ECX=3 at buffer+8", s, base + 8, 3);
	buf_fill();
	s = (struct sio){ 0, base + 3, 0 };
	SIO_RUN("rep insb", 0, s);
	ins_verdict("rep insb ECX=0", s, base + 3, 0);
}

/* 16-bit address size (67H): DI and CX move, the upper halves of EDI and ECX stay (Vol. 1 3.6). */
static void strio_addr16(void)
{
	uint8_t *low = (uint8_t *)LOW_BUF;
	struct sio s;

	memset(low, BUF_FILL, BUF_LEN);
	s = (struct sio){ 0, HIGH_HALF | LOW_BUF, 0x12340003u };
	SIO_RUN(".byte 0x67, 0xf3, 0x6c", 0, s); /* addr16 rep insb */
	conf_verdict("addr16 rep insb, ECX=0x12340003 EDI=0xabcd6000: ECX=0x%x EDI=0x%x, bytes %s", s.ecx, s.edi,
		     hex_bytes(low, 4));
	memset(low, BUF_FILL, BUF_LEN);
	s = (struct sio){ 0, HIGH_HALF | 0xffffu, 0x56780001u };
	SIO_RUN(".byte 0x67, 0xf3, 0x6c", 0, s);
	conf_verdict("addr16 rep insb at DI=0xffff: ECX=0x%x EDI=0x%x, byte at 0xffff 0x%x", s.ecx, s.edi,
		     *(volatile uint8_t *)0xffff);
	s = (struct sio){ HIGH_HALF | 0x0001u, 0, 0x9abc0002u };
	SIO_RUN(".byte 0x67, 0xf3, 0x6e", 1, s); /* addr16 rep outsb, DF=1 */
	conf_verdict("DF=1: addr16 rep outsb, ECX=0x9abc0002 ESI=0xabcd0001: ECX=0x%x ESI=0x%x", s.ecx, s.esi);
}

static void strio_outs(void)
{
	uint32_t base = (uint32_t)buf;
	struct sio s;

	s = (struct sio){ base, 0, 0x77 };
	SIO_RUN("outsb", 0, s);
	conf_verdict("outsb: ESI %d, ECX 0x%x", (int)(s.esi - base), s.ecx);
	s = (struct sio){ base, 0, 4 };
	SIO_RUN("rep outsw", 0, s);
	conf_verdict("rep outsw ECX=4: ESI %d, ECX 0x%x", (int)(s.esi - base), s.ecx);
	s = (struct sio){ base + 8, 0, 2 };
	SIO_RUN("rep outsl", 1, s);
	conf_verdict("DF=1: rep outsd ECX=2: ESI %d, ECX 0x%x", (int)(s.esi - (base + 8)), s.ecx);
}

/* REP INSD of 3000 dwords stepping down: every byte written, the registers where the CPU leaves them. */
static void strio_long(void)
{
	uint32_t end = (uint32_t)big + sizeof(big) - 4, ones = 0;
	struct sio s = { 0, end, 3000 };

	memset(big, BUF_FILL, sizeof(big));
	SIO_RUN("rep insl", 1, s);
	for (unsigned i = 0; i < sizeof(big); i++)
		ones += big[i] == 0xff;
	conf_verdict("DF=1: rep insd ECX=3000: EDI %d, ECX 0x%x, %u bytes of FFH", (int)(s.edi - end), s.ecx, ones);
}

static bool step_handler(struct trap_frame *f)
{
	if (f->vector != VEC_DB)
		return false;
	steps++;
	steps_at_rep += f->eip == rep_eip;
	return true;
}

/* REP INSB of 4 under TF: a trap after each iteration, three of them with EIP still on the instruction. */
static void strio_single_step(void)
{
	struct sio s = { 0, (uint32_t)buf, 4 };

	conf_set_handler(VEC_DB, step_handler);
	steps = steps_at_rep = 0;
	asm volatile("movl $1f, %[at]\n\t"
		     "pushfl\n\t"
		     "orl %[tf], (%%esp)\n\t"
		     "popfl\n"
		     "1: rep insb\n\t"
		     "pushfl\n\t"
		     "andl %[notf], (%%esp)\n\t"
		     "popfl"
		     : "+D"(s.edi), "+c"(s.ecx), [at] "=m"(rep_eip)
		     : "d"(PORT_UNUSED), [tf] "i"(RFLAGS_TF), [notf] "i"(~RFLAGS_TF)
		     : "memory", "cc");
	conf_set_handler(VEC_DB, NULL);
	conf_verdict("TF: rep insb ECX=4: %u traps with EIP at the instruction, %u in all, ECX 0x%x", steps_at_rep,
		     steps, s.ecx);
}

void conf_area_strio(void)
{
	strio_plain();
	strio_ins();
	strio_outs();
	strio_addr16();
	strio_long();
	strio_single_step();
}

/*
 * modules: a kernel linked at 0x8000 that reads the modules its loader gave it
 * (multiboot1 or 2) and prints what it found. Every line it prints is the same
 * under ptvisor and under GRUB on bare hardware (no addresses, no loader name,
 * no memory size), so the two runs can be compared line by line.
 */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "multiboot.h"
#include "lib/string.h"

#define MODS_MAX            16
#define RAM_MAX             32
#define PAGE                4096u
#define SHOW_MAX            48 /* bytes of a module's first line shown */
#define FNV32_BASIS         0x811c9dc5u
#define FNV32_PRIME         0x01000193u
#define BOCHS_SHUTDOWN_PORT 0x8900
#define UART_LSR            5
#define LSR_TEMT            0x40 /* transmitter and its FIFO empty (PC16550D "Line Status Register") */
#define TEMT_POLLS          1000000

extern char _image_start[], _end[];

struct span {
	uint32_t lo, hi; /* [lo, hi) */
};

/* What the loader said, in either protocol. */
struct boot_view {
	const char *proto;
	const char *cmdline;
	unsigned nmods;
	struct span mod[MODS_MAX];
	const char *string[MODS_MAX];
	unsigned nram;
	struct span ram[RAM_MAX]; /* available RAM below 4 GiB */
	unsigned ninfo;
	struct span info[2]; /* the information and (multiboot1) its module array */
};

static void add_ram(struct boot_view *v, uint64_t base, uint64_t len, uint32_t type)
{
	if (type != MB_MEMORY_AVAILABLE || v->nram == RAM_MAX || base >= 0x100000000ull)
		return;
	uint64_t end = base + len > 0x100000000ull ? 0x100000000ull : base + len;
	v->ram[v->nram++] = (struct span){ (uint32_t)base, (uint32_t)end };
}

static void read_mb1(uint32_t info, struct boot_view *v)
{
	const struct mb1_info *mb = (const struct mb1_info *)info;

	v->proto = "multiboot1";
	v->cmdline = (mb->flags & MB1_INFO_CMDLINE) && mb->cmdline ? (const char *)mb->cmdline : "";
	v->info[v->ninfo++] = (struct span){ info, info + sizeof(*mb) };
	if (mb->flags & MB1_INFO_MODS) {
		const struct mb1_module *m = (const struct mb1_module *)mb->mods_addr;

		v->info[v->ninfo++] = (struct span){ mb->mods_addr, mb->mods_addr + mb->mods_count * sizeof(*m) };
		for (uint32_t i = 0; i < mb->mods_count && v->nmods < MODS_MAX; i++, v->nmods++) {
			v->mod[v->nmods] = (struct span){ m[i].mod_start, m[i].mod_end };
			v->string[v->nmods] = m[i].string ? (const char *)m[i].string : "";
		}
	}
	for (uint32_t off = 0; (mb->flags & MB1_INFO_MMAP) && off + 4 <= mb->mmap_length;) {
		const struct mb1_mmap_entry *e = (const struct mb1_mmap_entry *)(mb->mmap_addr + off);

		add_ram(v, e->base_addr, e->length, e->type);
		off += 4 + e->size;
	}
}

static void read_mb2(uint32_t info, struct boot_view *v)
{
	const struct mb2_tag_mmap *mm = (const struct mb2_tag_mmap *)mb2_find_tag(info, MB2_TAG_MMAP);

	v->proto = "multiboot2";
	v->cmdline = mb2_cmdline(info);
	v->info[v->ninfo++] = (struct span){ info, info + ((const struct mb2_info *)info)->total_size };
	for (const struct mb2_tag *t = mb2_next_tag(info, NULL, MB2_TAG_MODULE); t && v->nmods < MODS_MAX;
	     t = mb2_next_tag(info, t, MB2_TAG_MODULE), v->nmods++) {
		const struct mb2_tag_module *m = (const struct mb2_tag_module *)t;

		v->mod[v->nmods] = (struct span){ m->mod_start, m->mod_end };
		v->string[v->nmods] = t->size > sizeof(*m) ? m->string : "";
	}
	for (uint32_t off = sizeof(*mm); mm && mm->entry_size && off + mm->entry_size <= mm->tag.size;
	     off += mm->entry_size) {
		const struct mb2_mmap_entry *e = (const struct mb2_mmap_entry *)((uint32_t)mm + off);

		add_ram(v, e->base_addr, e->length, e->type);
	}
}

static bool overlap(struct span a, struct span b)
{
	return a.lo < b.hi && b.lo < a.hi;
}

static bool in_ram(const struct boot_view *v, struct span s)
{
	for (unsigned i = 0; i < v->nram; i++)
		if (s.lo >= v->ram[i].lo && s.hi <= v->ram[i].hi)
			return true;
	return false;
}

static uint32_t fnv1a(const uint8_t *p, uint32_t len)
{
	uint32_t h = FNV32_BASIS;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV32_PRIME;
	return h;
}

/* The module's first line when it is text (printable up to the first newline), else nothing. */
static void show_text(unsigned i, const uint8_t *p, uint32_t len)
{
	char line[SHOW_MAX + 1];
	uint32_t n = 0;

	while (n < len && n < SHOW_MAX && p[n] != '\n') {
		if (p[n] < 0x20 || p[n] >= 0x7f)
			return;
		line[n] = (char)p[n];
		n++;
	}
	line[n] = '\0';
	if (n)
		serial_printf("modules: %u: first line \"%s\"\n", i, line);
}

/* One module: its facts, then where it lies (empty modules lie nowhere: GRUB gives them address 0). */
static void check_module(const struct boot_view *v, unsigned i)
{
	struct span m = v->mod[i], image = { (uint32_t)_image_start, (uint32_t)_end };
	uint32_t size = m.hi - m.lo;
	bool clear = true;

	if (!check(m.hi >= m.lo, "module %u ends at or after its start", i))
		return;
	serial_printf("modules: %u: string \"%s\" size %u fnv1a 0x%08x\n", i, v->string[i], size,
		      fnv1a((const uint8_t *)m.lo, size));
	show_text(i, (const uint8_t *)m.lo, size);
	if (!size)
		return;
	check(m.lo % PAGE == 0, "module %u is page aligned", i);
	check(in_ram(v, m), "module %u lies in available RAM", i);
	check(!overlap(m, image), "module %u is clear of the kernel image", i);
	for (unsigned k = 0; k < v->ninfo; k++)
		clear = clear && !overlap(m, v->info[k]);
	check(clear, "module %u is clear of the boot information", i);
	clear = true;
	for (unsigned k = 0; k < v->nmods; k++)
		clear = clear && (k == i || v->mod[k].hi == v->mod[k].lo || !overlap(m, v->mod[k]));
	check(clear, "module %u is clear of the other modules", i);
}

static uint32_t expected_count(const char *cmdline)
{
	char val[8];
	uint32_t n = 0;

	if (!cmdline_get_arg(cmdline, "expect", val, sizeof(val)))
		return 0;
	for (const char *p = val; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	return n;
}

/*
 * Bare Bochs has no isa-debug-exit: once the UART has sent its last byte,
 * its shutdown port ends the run instead of a halt that waits for a timeout.
 */
static void bare_exit(int status)
{
	for (unsigned n = 0; n < TEMT_POLLS && !(cpu_inb(COM1_BASE + UART_LSR) & LSR_TEMT); n++)
		;
	cpu_outl(GUEST_EXIT_PORT, (uint32_t)status);
	for (const char *s = "Shutdown"; *s; s++)
		cpu_outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
}

int guest_main(uint32_t magic, uint32_t info)
{
	static struct boot_view v;
	struct span image = { (uint32_t)_image_start, (uint32_t)_end };
	int status;

	serial_init();
	if (guest_boot_protocol == 1 && check_eq(magic, MB1_BOOT_MAGIC, "multiboot1 magic in EAX"))
		read_mb1(info, &v);
	else if (guest_boot_protocol == 2 && check_eq(magic, MB2_BOOT_MAGIC, "multiboot2 magic in EAX"))
		read_mb2(info, &v);
	else
		return test_finish();
	serial_printf("modules: %s kernel linked at 0x%x\n", v.proto, image.lo);
	check(!overlap(image, v.info[0]), "the boot information is clear of the kernel image");
	check_eq_dec(v.nmods, expected_count(v.cmdline), "modules: count %u as the command line expects", v.nmods);
	for (unsigned i = 0; i < v.nmods; i++)
		check_module(&v, i);
	status = test_finish();
	if (!hc_ptvisor_present())
		bare_exit(status);
	return status;
}

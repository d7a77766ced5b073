/* The conformance kernel's framework: its own IDT over the library's stubs, armed probes, verdict lines. */
#include <stdarg.h>
#include "conf.h"
#include "cpu.h"
#include "serial.h"
#include "lib/format.h"
#include "msr.h"
#include "lib/string.h"

#define IDT_ENTRIES    256
#define LINE_MAX       200
#define VERDICT_MAX    150 /* characters in a verdict line */
#define OUTCOME_MAX    64
#define LSR            (COM1_BASE + 5)
#define LSR_TEMT       0x40 /* transmitter empty: the last byte has left (PC16550D "Line Status Register") */
#define DRAIN_POLLS    1000000
#define BOCHS_SHUTDOWN 0x8900

static conf_handler_fn handlers[IDT_ENTRIES];
static volatile bool armed;
static volatile struct conf_event event;
volatile uint32_t conf_at, conf_resume;
/* SDM Vol. 3A 3.4.5 "Segment Descriptors": flat G=1 segments; 0x18 has L=1 (64-bit code, 5.2.1). */
/* clang-format off */
static const uint64_t gdt[] __aligned(8) = {
	0,
	0x00CF9A000000FFFFull, /* SEL_CODE32 */
	0x00CF92000000FFFFull, /* SEL_DATA */
	0x00AF9A000000FFFFull, /* SEL_CODE64 */
};
/* clang-format on */
static uint32_t boot_cr0, boot_cr4;
static uint64_t boot_efer;
static bool have_efer;
static const char *area = "init";
static char label[32] = "init";
static const char *want_part;
static unsigned checks;

static bool conf_trap(struct trap_frame *f);

#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1

static void gdt_load(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __packed desc = { sizeof(gdt) - 1, (uint32_t)gdt };

	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "movw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%ss\n\t"
		     "movw %w2, %%fs\n\t"
		     "movw %w2, %%gs"
		     :
		     : "m"(desc), "i"(SEL_CODE32), "r"(SEL_DATA)
		     : "memory");
}

void conf_init(void)
{
	/* Bare, GRUB leaves the legacy PIC programmed with the PIT at vector 8: nothing here wants it. */
	cpu_outb(PIC1_DATA, 0xff);
	cpu_outb(PIC2_DATA, 0xff);
	boot_cr0 = cpu_read_cr0();
	boot_cr4 = cpu_read_cr4();
	trap_hook = conf_trap;
	have_efer = conf_rdmsr(MSR_IA32_EFER, &boot_efer).vector == FAULT_NONE;
	conf_reset_cpu();
}

void conf_reset_cpu(void)
{
	cpu_cli();
	gdt_load();
	conf_idt_restore();
	cpu_write_cr0(boot_cr0);
	cpu_write_cr4(boot_cr4);
	if (have_efer)
		cpu_wrmsr(MSR_IA32_EFER, boot_efer);
	asm volatile("mov %0, %%dr7" : : "r"((uint32_t)DR7_RESET) : "memory");
	for (unsigned v = 0; v < IDT_ENTRIES; v++)
		handlers[v] = NULL;
	armed = false;
}

void conf_idt_restore(void)
{
	trap_idt_reset();
}

void conf_idt_limit(uint16_t limit)
{
	trap_idt_load(limit);
}

void conf_gate_present(unsigned vector, bool present)
{
	trap_gate_present(vector, present);
}

void conf_set_handler(unsigned vector, conf_handler_fn fn)
{
	handlers[vector] = fn;
}

void conf_begin_area(const char *name, const char *part)
{
	area = name;
	want_part = part;
	ptv_snprintf(label, sizeof(label), "%s", name);
	conf_reset_cpu();
}

bool conf_part(const char *part)
{
	if (want_part && strcmp(want_part, part) != 0)
		return false;
	ptv_snprintf(label, sizeof(label), "%s/%s", area, part);
	return true;
}

void conf_verdict(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	ptv_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* ptvisor's virtual UART splits lines at 160 characters: stay below, the same way in both runs. */
	line[VERDICT_MAX - strlen(label) - 8] = '\0';
	serial_printf("conf: %s: %s\n", label, line);
	checks++;
}

unsigned conf_checks(void)
{
	return checks;
}

void conf_arm(void)
{
	event.vector = FAULT_NONE;
	event.error = event.eip = event.cs = event.eflags = 0;
	event.count = 0;
	conf_at = conf_resume = 0;
	armed = true;
	asm volatile("" : : : "memory");
}

struct conf_event conf_disarm(void)
{
	struct conf_event e;

	asm volatile("" : : : "memory");
	armed = false;
	e.vector = event.vector;
	e.error = event.error;
	e.eip = event.eip;
	e.cs = event.cs;
	e.eflags = event.eflags;
	e.count = event.count;
	return e;
}

/* SDM Vol. 3A 6.15 "Exception and Interrupt Reference": the exceptions that push an error code. */
bool conf_vector_has_error(int vector)
{
	return vector == VEC_DF || (vector >= VEC_TS && vector <= VEC_PF) || vector == VEC_AC || vector == 21;
}

const char *conf_where(uint32_t eip)
{
	if (eip == conf_at)
		return "insn";
	if (eip == conf_resume)
		return "next";
	return "other";
}

static const char *vector_name(int v)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
		"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
	};
	static char buf[16];

	if (v >= 0 && v < 32 && names[v])
		return names[v];
	ptv_snprintf(buf, sizeof(buf), "vector 0x%x", (unsigned)v);
	return buf;
}

const char *conf_vector(const struct conf_event *e)
{
	static char buf[OUTCOME_MAX];

	if (e->vector == FAULT_NONE)
		return "none";
	if (conf_vector_has_error(e->vector))
		ptv_snprintf(buf, sizeof(buf), "%s(0x%x)", vector_name(e->vector), e->error);
	else
		ptv_snprintf(buf, sizeof(buf), "%s", vector_name(e->vector));
	return buf;
}

const char *conf_vector_of(struct conf_event e)
{
	return conf_vector(&e);
}

const char *conf_outcome(const struct conf_event *e)
{
	static char buf[OUTCOME_MAX];

	if (e->vector == FAULT_NONE)
		return "none";
	ptv_snprintf(buf, sizeof(buf), "%s at %s RF=%u%s", conf_vector(e), conf_where(e->eip),
		     (e->eflags & RFLAGS_RF) ? 1 : 0, e->count > 1 ? " (and more)" : "");
	return buf;
}

/* Every vector comes here first (trap_hook): a vector's own handler, else the armed probe, else fatal. */
static bool conf_trap(struct trap_frame *f)
{
	if (handlers[f->vector] && handlers[f->vector](f))
		return true;
	if (armed) {
		if (event.count++ == 0) {
			event.vector = (int)f->vector;
			event.error = conf_vector_has_error((int)f->vector) ? f->error : 0;
			event.eip = f->eip;
			event.cs = f->cs;
			event.eflags = f->eflags;
		}
		if (conf_resume) {
			f->eip = conf_resume;
			f->cs = SEL_CODE32; /* the #DF frame's CS:EIP is undefined (SDM Vol. 3A 6.15, Interrupt 8) */
			return true;
		}
	}
	/* Stops this area: the line names the vector and where it hit, and the harness sees the lines after it missing. */
	serial_printf("conf: %s: unexpected %s error 0x%x at EIP 0x%08x: area abandoned\n", label,
		      vector_name((int)f->vector), f->error, f->eip);
	armed = false;
	f->eip = (uint32_t)conf_abandon_area;
	f->cs = SEL_CODE32;
	f->eflags &= ~(uint32_t)(RFLAGS_IF | RFLAGS_TF);
	return true;
}

void conf_poweroff(void)
{
	static const char word[] = "Shutdown";

	for (unsigned n = 0; n < DRAIN_POLLS && !(cpu_inb(LSR) & LSR_TEMT); n++)
		;
	/* Bochs's shutdown port: bare Bochs exits; ptvisor ends the guest (vmm/vmx/exit_io.c). */
	for (const char *c = word; *c; c++)
		cpu_outb(BOCHS_SHUTDOWN, (uint8_t)*c);
	for (;;)
		asm volatile("cli; hlt");
}

bool conf_cpuid_bit(uint32_t leaf, uint32_t sub, enum conf_reg reg, unsigned bit)
{
	return (conf_cpuid_reg(leaf, sub, reg) >> bit) & 1;
}

uint32_t conf_cpuid_reg(uint32_t leaf, uint32_t sub, enum conf_reg reg)
{
	uint32_t max = cpu_cpuid(leaf & 0x80000000u, 0).eax;
	struct cpuid_regs r;

	if (leaf > max)
		return 0;
	r = cpu_cpuid(leaf, sub);
	switch (reg) {
	case CPUID_EAX:
		return r.eax;
	case CPUID_EBX:
		return r.ebx;
	case CPUID_ECX:
		return r.ecx;
	default:
		return r.edx;
	}
}

static bool cond_holds(const struct conf_cond *c)
{
	uint32_t v = conf_cpuid_reg(c->leaf, c->sub, c->reg);
	unsigned width = c->hi - c->lo + 1u;

	v >>= c->lo;
	if (width < 32)
		v &= (1u << width) - 1;
	return v >= c->min;
}

bool conf_feature_present(const struct conf_feature *f)
{
	return cond_holds(&f->cond) || (f->alt.leaf && cond_holds(&f->alt));
}

void conf_agree(const char *what, const struct conf_feature *f, bool ok, const char *detail)
{
	if (ok)
		conf_verdict("%s: agrees with %s", what, f->name);
	else
		conf_verdict("%s: %s, but %s=%u", what, detail, f->name, conf_feature_present(f) ? 1 : 0);
}

static const char *vector_short(int v)
{
	return v == FAULT_NONE ? "none" : vector_name(v);
}

void conf_agree_vector(const char *what, const struct conf_feature *f, int got, int want_present, int want_absent)
{
	int want = conf_feature_present(f) ? want_present : want_absent;
	char detail[OUTCOME_MAX];

	ptv_snprintf(detail, sizeof(detail), "%s (expected %s)", vector_short(got), vector_short(want));
	conf_agree(what, f, got == want, detail);
}

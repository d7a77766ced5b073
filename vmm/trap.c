/* IDT for exceptions 0-31; an unexpected exception prints everything and stops cleanly, never a triple fault. */
#include "trap.h"
#include "cpu.h"
#include "desc.h"
#include "log.h"
#include "nmi.h"
#include "power.h"
#include "status.h"
#include "x86/arch.h"

#define LAPIC_ID         0x020 /* SDM Table 11-1 */
#define LAPIC_ICR_LOW    0x300
#define LAPIC_ICR_HIGH   0x310
#define LAPIC_ICR_DM_NMI (4u << 8)
#define LAPIC_ICR_ASSERT BIT(14)

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};

extern const uint64_t isr_stub_table[32];
extern const struct extable_entry __ex_table_start[], __ex_table_end[];

static struct idt_gate idt[32] __aligned(16);

static const char *const vector_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved 15",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD error",
	"#VE virtualization exception",
	"#CP control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"#HV hypervisor injection",
	"#VC VMM communication",
	"#SX security",
	"reserved 31",
};

const char *trap_vector_name(unsigned vector)
{
	return vector < 32 ? vector_names[vector] : "external interrupt";
}

void trap_init(void)
{
	for (unsigned v = 0; v < 32; v++) {
		/* #DF, NMI and #MC run on their own stack so a blown stack still reports. */
		idt[v] = idt_gate_make(isr_stub_table[v], (v == 8 || v == 2 || v == 18) ? 1 : 0);
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed idtr = { sizeof(idt) - 1, (uint64_t)idt };
	asm volatile("lidt %0" : : "m"(idtr));
	/* The IRET frame NMI exits rely on (cpu_nmi_unblock), run once on every boot where emulators see it. */
	cpu_nmi_unblock();
}

static bool trap_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			return true;
		}
	}
	return false;
}

/* An NMI to this CPU's own APIC ID (a fixed destination: NMI takes no self shorthand, SDM 11.6.1). */
static bool trap_self_nmi(void)
{
	uint32_t id;

	if (!cpu_lapic_read(LAPIC_ID, &id) || !cpu_lapic_write(LAPIC_ICR_HIGH, id & 0xff000000u))
		return false;
	return cpu_lapic_write(LAPIC_ICR_LOW, LAPIC_ICR_DM_NMI | LAPIC_ICR_ASSERT);
}

void trap_selftest(void)
{
	uint64_t v;
	/* 0x40000xff is a synthetic-MSR range no CPU implements: RDMSR raises #GP. */
	bool ok = cpu_rdmsr_safe(0x400000ff, &v);

	pr_info("selftest: RDMSR of a missing MSR %s\n", ok ? "did not fault (wrong)" : "faulted and was fixed up");
	/* An NMI with no known source (not a ToPA PMI) is reported and dismissed; the VMM carries on. */
	if (trap_self_nmi())
		pr_info("selftest: self-NMI sent and returned from\n");
	else
		pr_info("selftest: no local APIC for a self-NMI\n");
	pr_info("selftest: executing UD2; the exception report and exit status %d must follow\n", PTV_STATUS_CRASH);
	asm volatile("ud2");
	panic("selftest: UD2 returned");
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == 13 && trap_fixup(f))
		return;
	/* An NMI not claimed (not a ToPA PMI) is reported and dismissed, as on the NMI-exit path. */
	if (f->vector == X86_VEC_NMI) {
		if (!nmi_claim(false))
			pr_warn("NMI in VMX root with no known source (not a ToPA PMI) at RIP 0x%lx; ignored\n",
				f->rip);
		return;
	}

	uint64_t cr2;
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	pr_err("unexpected exception %lu (%s), error code 0x%lx\n", f->vector, trap_vector_name((unsigned)f->vector),
	       f->error_code);
	log_raw(LOG_ERR, "  RIP %016lx  CS %04lx  RFLAGS %016lx  RSP %016lx  SS %04lx\n", f->rip, f->cs, f->rflags,
		f->rsp, f->ss);
	log_raw(LOG_ERR, "  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	log_raw(LOG_ERR, "  RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	log_raw(LOG_ERR, "  R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	log_raw(LOG_ERR, "  R13 %016lx  R14 %016lx  R15 %016lx  CR2 %016lx\n", f->r13, f->r14, f->r15, cr2);
	log_raw(LOG_ERR, "  CR0 %016lx  CR3 %016lx  CR4 %016lx\n", cpu_read_cr0(), cpu_read_cr3(), cpu_read_cr4());
	power_off(POWER_STATUS_CRASH);
}

/*
 * Idling until a TSC value: the wait the scheduler makes when every guest sleeps in HLT. With
 * idle=hlt (the default) the CPU halts with interrupts open only for that HLT, woken by its local
 * APIC timer in TSC-deadline mode (SDM Vol. 3A 11.5.4.1), through an IDT of its own loaded just for
 * the wait: the VMM otherwise runs with interrupts off and an IDT of exceptions only. Where the CPU
 * has no TSC-deadline timer or its APIC is in x2APIC mode, or with idle=spin, PAUSE in a loop.
 */
#include "time/idle.h"
#include "cpu.h"
#include "desc.h"
#include "log.h"
#include "msr.h"
#include "lib/string.h"
#include "mem/phys.h"

#define IDLE_VECTOR        0xf0
#define SPURIOUS_VECTOR    0xff
#define LAPIC_EOI          0x0b0
#define LAPIC_SVR          0x0f0
#define LAPIC_LVT_TIMER    0x320
#define LAPIC_SVR_ENABLE   BIT(8)
#define LVT_TSC_DEADLINE   (2u << 17)
#define APIC_BASE_EXTD     BIT(10) /* x2APIC mode (SDM 11.4.4) */
#define APIC_BASE_EN       BIT(11)
#define CPUID_1_ECX_TSC_DL BIT(24)
#define CPUID_1_EDX_APIC   BIT(9)

enum idle_mode idle_mode = IDLE_HLT;
static struct idt_gate idle_idt[256] __aligned(16);
static volatile uint32_t *lapic;
static bool hlt_ready;

struct interrupt_frame;

/* The wake-up: only ends the HLT. EOI, as the timer is a fixed interrupt (SDM 11.8.5). */
__attribute__((interrupt)) static void idle_timer_isr(struct interrupt_frame *f)
{
	(void)f;
	lapic[LAPIC_EOI / 4] = 0;
}

/* A spurious interrupt takes no EOI (SDM 11.9 "Spurious Interrupt"); any other vector gets one above. */
__attribute__((interrupt)) static void idle_spurious_isr(struct interrupt_frame *f)
{
	(void)f;
}

static void gate_set(unsigned v, void (*fn)(struct interrupt_frame *))
{
	idle_idt[v] = idt_gate_make((uint64_t)fn, 0);
}

static const char *hlt_prepare(void)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);
	struct cpu_idtr cur;
	uint64_t base;

	if (!(r.edx & CPUID_1_EDX_APIC) || !(r.ecx & CPUID_1_ECX_TSC_DL))
		return "the CPU has no local APIC TSC-deadline timer";
	if (!cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &base) || !(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD))
		return "the local APIC is disabled or in x2APIC mode";
	lapic = phys_map(base & ~0xfffull & (BIT(52) - 1), 4096);
	if (!lapic)
		return "the local APIC's page cannot be mapped";
	/* Exceptions keep the VMM's own handlers; every other vector only ends the wait. */
	cpu_sidt(&cur);
	memcpy(idle_idt, (const void *)cur.base, MIN((size_t)cur.limit + 1, 32 * sizeof(struct idt_gate)));
	for (unsigned v = 32; v < 256; v++)
		gate_set(v, idle_timer_isr);
	gate_set(SPURIOUS_VECTOR, idle_spurious_isr);
	lapic[LAPIC_SVR / 4] = (uint32_t)(LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
	lapic[LAPIC_LVT_TIMER / 4] = IDLE_VECTOR | LVT_TSC_DEADLINE;
	(void)cpu_wrmsr_safe(MSR_IA32_TSC_DEADLINE, 0);
	return NULL;
}

void idle_init(void)
{
	const char *why = NULL;

	if (idle_mode == IDLE_HLT && (why = hlt_prepare()) == NULL) {
		hlt_ready = true;
		pr_info("time: idle by HLT, woken by the local APIC's TSC-deadline timer (vector 0x%x)\n", IDLE_VECTOR);
		return;
	}
	pr_info("time: idle by a PAUSE loop%s%s\n", why ? ": " : " (idle=spin)", why ? why : "");
}

void time_idle_until(uint64_t tsc)
{
	struct cpu_idtr vmm_idt, own = { sizeof(idle_idt) - 1, (uint64_t)idle_idt };

	if (!hlt_ready) {
		while (cpu_rdtsc() < tsc)
			cpu_pause();
		return;
	}
	cpu_sidt(&vmm_idt);
	cpu_lidt(&own);
	/* Another interrupt may end a HLT early: halt again until the time has come. */
	while (cpu_rdtsc() < tsc) {
		(void)cpu_wrmsr_safe(MSR_IA32_TSC_DEADLINE, tsc);
		cpu_sti_hlt_cli();
	}
	(void)cpu_wrmsr_safe(MSR_IA32_TSC_DEADLINE, 0);
	cpu_lidt(&vmm_idt);
}

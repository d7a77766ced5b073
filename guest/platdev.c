/*
 * platdev: the platform devices a Linux guest needs, driven as its drivers drive them. The I/O APIC at
 * 0xFEC00000 (version, ID, masked entries at reset; with paging off and on), COM1's interrupts through
 * pin 4: THRE on an edge pin, nothing while masked or with OUT2 off, a level pin held by Remote IRR and
 * delivered again at EOI while still asserted, and a line typed on the serial console received by
 * RDA/timeout interrupts.
 */
#include "conf_apic.h"
#include "cpu.h"
#include "multiboot.h"
#include "serial.h"
#include "test.h"
#include "trap.h"
#include "lib/string.h"

#define IOAPIC_BASE      0xfec00000u
#define IOAPIC_REGSEL    0x00
#define IOAPIC_WIN       0x10
#define IOAPIC_VER       0x01
#define IOAPIC_REDTBL    0x10
#define REDTBL_REMOTE    BIT(14)
#define REDTBL_LEVEL     BIT(15)
#define REDTBL_MASK      BIT(16)
#define UART_PIN         4
#define VEC_UART         0x44
#define APIC_TMR         0x180
#define UART_RBR         0
#define UART_IER         1
#define UART_IIR         2
#define UART_MCR         4
#define UART_LSR         5
#define IER_RDA          0x01
#define IER_THRE         0x02
#define MCR_OUT2_ON      0x0b /* DTR, RTS, OUT2 */
#define MCR_OUT2_OFF     0x03
#define QUIET_TSC        2000000ull   /* 40 ms at Bochs' 50 MHz: long enough for any pending interrupt */
#define WAIT_TSC         100000000ull /* 2 s: an interrupt that is due comes long before */
#define INPUT_TSC_BUDGET 3000000000ull

static uint32_t pd[1024] __aligned(4096);

enum irq_mode { MODE_SERVE, MODE_HOLD_ONCE };

static volatile struct {
	enum irq_mode mode;
	unsigned count, rx_irqs;
	uint8_t last_iir;
	bool held_remote_irr, held_tmr;
	char line[64];
	unsigned len;
	bool line_done;
} irq;

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN) = val;
}

static void route(uint32_t lo, uint8_t dest)
{
	ioapic_write(IOAPIC_REDTBL + 2 * UART_PIN + 1, (uint32_t)dest << 24);
	ioapic_write(IOAPIC_REDTBL + 2 * UART_PIN, lo);
}

static uint8_t uart_in(unsigned reg)
{
	return cpu_inb((uint16_t)(COM1_BASE + reg));
}

static void uart_out(unsigned reg, uint8_t v)
{
	cpu_outb((uint16_t)(COM1_BASE + reg), v);
}

/* Reads what the UART has: each byte of the line until CR or LF. */
static void drain_rx(void)
{
	while (uart_in(UART_LSR) & 1) {
		char c = (char)uart_in(UART_RBR);
		if (c == '\r' || c == '\n')
			irq.line_done = irq.len > 0;
		else if (irq.len < sizeof(irq.line) - 1 && !irq.line_done)
			irq.line[irq.len++] = c;
	}
}

static bool irq_hook(struct trap_frame *f)
{
	if (f->vector != VEC_UART)
		return false;
	irq.count++;
	if (irq.mode == MODE_HOLD_ONCE) {
		/* Leave the UART asserting: the EOI must find the level pin still high and deliver again. */
		irq.held_remote_irr = ioapic_read(IOAPIC_REDTBL + 2 * UART_PIN) & REDTBL_REMOTE;
		irq.held_tmr = apic_vector_bit(APIC_TMR, VEC_UART);
		irq.mode = MODE_SERVE;
	} else {
		irq.last_iir = uart_in(UART_IIR);
		if ((irq.last_iir & 0x0f) == 0x04 || (irq.last_iir & 0x0f) == 0x0c) {
			irq.rx_irqs++;
			drain_rx();
		}
	}
	apic_write(APIC_EOI, 0);
	return true;
}

/* Halts with interrupts on until `count` interrupts were taken or `halts` HLTs passed. */
/*
 * Waits with interrupts open until `count` interrupts came or `ticks` of TSC time passed. It spins: a HLT
 * with nothing to wake it sleeps for ever, as on hardware (the input guest's HLT sleeps until a key).
 */
static void wait_irqs(unsigned count, uint64_t ticks)
{
	uint64_t start = cpu_rdtsc();

	asm volatile("sti" : : : "memory");
	while (irq.count < count && cpu_rdtsc() - start < ticks)
		asm volatile("pause" : : : "memory");
	cpu_cli();
}

/* Identity-maps 4 GiB with 4-MiB pages and turns paging on: MMIO must work through the guest's tables. */
static void paging_on(void)
{
	for (uint32_t i = 0; i < 1024; i++)
		pd[i] = (i << 22) | 0x83;       /* present, writable, 4 MiB */
	cpu_write_cr4(cpu_read_cr4() | BIT(4)); /* CR4.PSE */
	asm volatile("mov %0, %%cr3" : : "r"((uint32_t)pd) : "memory");
	cpu_write_cr0(cpu_read_cr0() | BIT(31));
}

static void ioapic_registers(void)
{
	bool all_masked = true;

	check_eq(ioapic_read(IOAPIC_VER), 0x00170011, "I/O APIC version 11H, 24 entries (paging off)");
	check_eq(ioapic_read(0x00), 8u << 24, "I/O APIC ID 8");
	for (unsigned pin = 0; pin < 24; pin++)
		all_masked &= (ioapic_read(IOAPIC_REDTBL + 2 * pin) & REDTBL_MASK) != 0;
	check(all_masked, "all 24 redirection entries masked at reset");
	paging_on();
	check_eq(ioapic_read(IOAPIC_VER), 0x00170011, "I/O APIC version read with paging on");
	route(0x12345 & ~REDTBL_REMOTE & ~BIT(12), 0xa5);
	check_eq(ioapic_read(IOAPIC_REDTBL + 2 * UART_PIN), 0x12345 & ~BIT(14) & ~BIT(12),
		 "redirection entry low dword reads back");
	check_eq(ioapic_read(IOAPIC_REDTBL + 2 * UART_PIN + 1), 0xa5000000u, "destination reads back");
}

static void thre_edge(uint8_t me)
{
	route(REDTBL_MASK | VEC_UART, me);
	uart_out(UART_MCR, MCR_OUT2_ON);
	route(VEC_UART, me);
	irq.count = 0;
	uart_out(UART_IER, IER_THRE);
	wait_irqs(1, WAIT_TSC);
	uart_out(UART_IER, 0);
	check_eq_dec(irq.count, 1, "THRE interrupt taken through I/O APIC pin 4 (edge)");
	check_eq(irq.last_iir, 0xc2, "IIR in the handler: THRE, FIFOs on");

	route(REDTBL_MASK | VEC_UART, me);
	irq.count = 0;
	uart_out(UART_IER, IER_THRE);
	wait_irqs(1, QUIET_TSC);
	uart_out(UART_IER, 0);
	route(VEC_UART, me);
	wait_irqs(1, QUIET_TSC);
	check_eq_dec(irq.count, 0, "no interrupt while pin 4 is masked, none when unmasked (edge lost)");

	uart_out(UART_MCR, MCR_OUT2_OFF);
	uart_out(UART_IER, IER_THRE);
	wait_irqs(1, QUIET_TSC);
	uart_out(UART_IER, 0);
	uart_out(UART_MCR, MCR_OUT2_ON);
	check_eq_dec(irq.count, 0, "no interrupt with MCR.OUT2 clear");
}

static void level_remote_irr(uint8_t me)
{
	route(REDTBL_LEVEL | VEC_UART, me);
	irq.count = 0;
	irq.mode = MODE_HOLD_ONCE;
	uart_out(UART_IER, IER_THRE);
	wait_irqs(2, WAIT_TSC);
	uart_out(UART_IER, 0);
	check(irq.held_remote_irr, "level pin: Remote IRR set while the interrupt is in service");
	check(irq.held_tmr, "level pin: the local APIC's TMR bit set for the vector");
	check_eq_dec(irq.count, 2, "EOI with the line still asserted delivers again");
	check(!(ioapic_read(IOAPIC_REDTBL + 2 * UART_PIN) & REDTBL_REMOTE), "Remote IRR clear after the last EOI");
	route(VEC_UART, me);
}

static void serial_input(void)
{
	uint64_t start;

	irq.count = irq.rx_irqs = irq.len = 0;
	irq.line_done = false;
	uart_out(UART_IER, IER_RDA);
	serial_printf("platdev: type a line and Enter\n");
	start = cpu_rdtsc();
	while (!irq.line_done && cpu_rdtsc() - start < INPUT_TSC_BUDGET)
		cpu_sti_hlt();
	cpu_cli();
	uart_out(UART_IER, 0);
	irq.line[irq.len] = '\0';
	serial_printf("platdev: received '%s'\n", (const char *)irq.line);
	check(irq.line_done, "a typed line arrived through receive interrupts (%u of them)", irq.rx_irqs);
}

int guest_main(uint32_t magic, uint32_t info)
{
	char input[8] = "yes";

	(void)magic;
	serial_init();
	trap_hook = irq_hook;
	cmdline_get_arg(mb2_cmdline(info), "input", input, sizeof(input));
	serial_printf("platdev: I/O APIC, UART interrupts, serial input=%s\n", input);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TPR, 0);
	uint8_t me = (uint8_t)(apic_read(APIC_ID) >> 24);

	ioapic_registers();
	thre_edge(me);
	level_remote_irr(me);
	if (!strcmp(input, "yes"))
		serial_input();
	return test_finish();
}

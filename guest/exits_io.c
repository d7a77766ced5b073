/* exits: I/O instruction exits: the virtual UART, and unclaimed ports that read as all ones. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "exits.h"

#define COM1_SCRATCH   (COM1_BASE + UART_SCRATCH) /* 0x3ff */
#define COM2_BASE      0x2f8                      /* not emulated: nothing behind it */
#define COM2_LSR       (COM2_BASE + 5)
#define COM2_SCRATCH   (COM2_BASE + 7)
#define PORT_UNCLAIMED 0x1234

void exits_check_io(void)
{
	cpu_outb(COM1_SCRATCH, 0x5a);
	check_eq(cpu_inb(COM1_SCRATCH), 0x5a, "UART scratch 0x3ff reads back 0x5a");
	cpu_outb(COM1_SCRATCH, 0xa5);
	check_eq(cpu_inb(COM1_SCRATCH), 0xa5, "UART scratch 0x3ff reads back 0xa5");

	/* An unclaimed port behaves like an ISA bus with nothing on it: reads float high. */
	check_eq(cpu_inb(COM2_BASE), 0xff, "IN from unclaimed port 0x2f8 (COM2) = 0xff");
	check_eq(cpu_inb(COM2_LSR), 0xff, "IN from unclaimed port 0x2fd (COM2 LSR) = 0xff");
	check_eq(cpu_inw(PORT_UNCLAIMED), 0xffff, "16-bit IN from port 0x1234 = 0xffff");
	check_eq(cpu_inl(PORT_UNCLAIMED), 0xffffffff, "32-bit IN from port 0x1234 = 0xffffffff");

	cpu_outb(COM2_SCRATCH, 0x5a);
	check_eq(cpu_inb(COM2_SCRATCH), 0xff, "OUT to unclaimed port 0x2ff is ignored");
	cpu_outw(PORT_UNCLAIMED, 0x1234);
	cpu_outl(PORT_UNCLAIMED, 0x12345678);
	check_eq(cpu_inl(PORT_UNCLAIMED), 0xffffffff, "OUTW/OUTL to port 0x1234 are ignored");
}

/* triplefault: takes the whole guest down with a triple fault; the VMM must stop only this guest. */
#include "cpu.h"
#include "serial.h"
#include "test.h"

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic;
	(void)info;
	serial_init();
	serial_printf("about to triple fault\n");
	/*
	 * With an empty IDT, #UD cannot be delivered (#GP), nor can that (#DF), and
	 * a fault delivering #DF is a triple fault: shutdown (SDM Vol. 3A 6.15,
	 * "Interrupt 8 - Double Fault Exception (#DF)"), a VM exit under VMX.
	 */
	cpu_lidt(0, 0);
	asm volatile("ud2");
	serial_printf("FAIL: still running after a triple fault\n");
	return 1;
}

/* Ending the VMM: power off with an exit status (emulator exit ports, then ACPI S5), or reset. */
#ifndef PTV_POWER_H
#define PTV_POWER_H

#include "types.h"

/* QEMU "isa-debug-exit" device at its usual iobase: QEMU exits with (value << 1) | 1. */
#define POWER_QEMU_EXIT_PORT 0xf4
/* Bochs shutdown port: the bytes "Shutdown" written in order end the simulation. */
#define POWER_BOCHS_SHUTDOWN_PORT 0x8900

/* Logs "ptvisor: exit status N", flushes the serial line, powers off; halts if that fails. */
void __noreturn power_off(int status);
/* The port writes of power_off(), returning if the machine is still running afterwards. */
void power_off_sequence(int status);
/* FADT reset register, else the 8042 keyboard controller; halts with a message if neither works. */
void __noreturn power_reset(void);
/* The writes of power_reset(), returning if the machine is still running afterwards. */
void power_reset_sequence(void);

#ifdef PTV_HOST_TEST
/* The halt at the end of power_off()/power_reset(), supplied by the host test (it longjmps out). */
void __noreturn power_host_halt(void);
#endif

#endif

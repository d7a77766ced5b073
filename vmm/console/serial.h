/* COM1 16550 UART at 115200 8N1, probed through its scratch and loopback paths. */
#ifndef PTV_SERIAL_H
#define PTV_SERIAL_H

#include "types.h"

#define COM1_BASE 0x3f8

/* Returns false (and stays disabled) where no UART answers. */
bool serial_init(void);
void serial_flush(void);
/* A byte received on COM1 (LSR.DR), or -1 when none is waiting or there is no UART. Never waits. */
int serial_getc(void);

#endif

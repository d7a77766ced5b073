/* Serial input for one guest: bytes typed on the host's COM1 go to that guest's virtual UART. */
#ifndef PTV_VCPU_INPUT_H
#define PTV_VCPU_INPUT_H

#include "types.h"
#include "vmx/vcpu.h"

/* Where input bytes come from: the next byte, or -1 when none is waiting; never waits (serial_getc). */
typedef int (*vcpu_input_source_fn)(void);

/* Makes v the vCPU that receives the bytes `source` yields (module option input=serial). */
void vcpu_input_attach(struct vcpu *v, vcpu_input_source_fn source);
/* v stops receiving input (its guest stopped); nothing if it was not the receiver. */
void vcpu_input_detach(struct vcpu *v);
/* The receiving vCPU, or NULL. */
struct vcpu *vcpu_input_owner(void);
/*
 * Moves bytes waiting in the host UART into the receiver's UART while its FIFO has room, and drives its
 * IRQ line; true when at least one byte was delivered. Writes no VMCS, so it may run for a vCPU that
 * is not loaded: its next entry arms the interrupt window. Callers: the scheduler before each slice,
 * HLT, the receiver's own UART reads, and any idle loop (it must poll here while guests sleep).
 */
bool vcpu_input_poll(void);

#endif

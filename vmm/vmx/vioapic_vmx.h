/* The virtual I/O APIC's VMX side: its MMIO page, and the guest UART's IRQ line wired to pin 4. */
#ifndef PTV_VIOAPIC_VMX_H
#define PTV_VIOAPIC_VMX_H

#include "types.h"
#include "dev/vioapic.h"
#include "vmx/vcpu.h"

/* The GPA lies in the I/O APIC's register page (0xFEC00000-0xFEC00FFF). */
static inline bool vioapic_claims(uint64_t gpa)
{
	return gpa - VIOAPIC_BASE_GPA < VIOAPIC_PAGE_SIZE;
}
/* A guest load of `size` bytes at `gpa` in the page: the bytes of IOREGSEL or IOWIN there, else 0. */
uint64_t vioapic_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size);
/* A guest store: dword stores to IOREGSEL and IOWIN (a byte store to IOREGSEL too); VMCS of v current. */
void vioapic_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val);
/*
 * Drives I/O APIC pin 4 from the guest UART's IRQ line (call after anything that changes the UART's
 * state); true when that delivered an interrupt. Writes no VMCS: a caller on v's exit path then
 * calls vlapic_request_windows(v), and every entry does (vmx_run_guest).
 */
bool vcpu_uart_irq_sync(struct vcpu *v);

#endif

/*
 * The virtual I/O APIC wired into VMX: its register page is emulated like the local APIC's (emul_bus.c
 * routes the GPA here, from any paging mode, since the emulator walks the guest's page tables), and an
 * interrupt it delivers waits in the local APIC's IRR for the interrupt-window exit (vlapic_vmx.c).
 */
#include "vmx/vioapic_vmx.h"
#include "vmx/vlapic_vmx.h"

uint64_t vioapic_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size)
{
	uint32_t off = (uint32_t)(gpa - VIOAPIC_BASE_GPA);
	uint64_t val = vioapic_read(&v->ioapic, off & ~3u) >> (8 * (off & 3));

	return size >= 8 ? val : val & ((1ull << (8 * size)) - 1);
}

void vioapic_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
	uint32_t off = (uint32_t)(gpa - VIOAPIC_BASE_GPA);

	/* The 82093AA takes dword accesses only; a byte to IOREGSEL is harmless and some systems do it. */
	if ((off & 3) || (size < 4 && off != IOAPIC_REGSEL))
		return;
	if (vioapic_write(&v->ioapic, off, (uint32_t)val))
		vlapic_request_windows(v);
}

bool vcpu_uart_irq_sync(struct vcpu *v)
{
	return vioapic_set_line(&v->ioapic, VUART_IRQ, vuart_irq_line(&v->uart));
}

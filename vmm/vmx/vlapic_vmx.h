/* The virtual xAPIC's VMX side: its MMIO page, the ToPA PMI, and interrupt injection at an open window. */
#ifndef PTV_VLAPIC_VMX_H
#define PTV_VLAPIC_VMX_H

#include "types.h"
#include "dev/vlapic.h"
#include "vmx/exit.h"

struct vcpu;

/* The guest's virtual APIC (one vCPU per guest). */
struct vlapic *vlapic_of(struct vcpu *v);
/*
 * At guest creation: APIC ID = guest id, power-up register values. can_window_exit: the CPU allows
 * "interrupt-window exiting" to be 1; without it interrupts stay pending (never injected).
 */
void vlapic_guest_reset(struct vcpu *v, bool can_window_exit);
/* The GPA lies in the APIC register page (0xFEE00000-0xFEE00FFF). */
static inline bool vlapic_claims(uint64_t gpa)
{
	return gpa - VLAPIC_BASE_GPA < VLAPIC_PAGE_SIZE;
}
/* A guest load of `size` bytes (1, 2, 4 or 8) at `gpa`; returns the bytes read. */
uint64_t vlapic_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size);
/* A guest store; only 32-bit (or wider, low half) stores at a register's offset have an effect. */
void vlapic_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val);
/*
 * Delivers a pending ToPA PMI (pt_guest.pmi_pending) through LVT PC and clears the pending flag.
 * Called where it becomes pending (the emulated backend's output flush), VMCS of v current.
 */
void vlapic_pmi(struct vcpu *v);
/* An interrupt the guest can take now (priority above PPR) waits in IRR: HLT must not sleep. */
bool vlapic_has_deliverable(struct vcpu *v);
/* Exit reason 7 (interrupt window): the guest can take an interrupt, inject the highest one. */
enum exit_action handle_interrupt_window(struct vcpu *v);

/* Told about every external interrupt injected, before the entry (the emulated PT backend traces it). */
typedef void (*vlapic_inject_fn)(struct vcpu *v, unsigned vector);
void vlapic_set_inject_observer(vlapic_inject_fn fn);

#endif

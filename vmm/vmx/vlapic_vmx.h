/* The virtual xAPIC's VMX side: its MMIO page, the ToPA PMI, and interrupt injection at an open window. */
#ifndef PTV_VLAPIC_VMX_H
#define PTV_VLAPIC_VMX_H

#include "types.h"
#include "dev/vlapic.h"
#include "vmx/vcpu.h"

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
 * A performance-monitoring interrupt (a ToPA PMI) for the guest: delivered through its LVT PC entry
 * (SDM 11.5.1), lost when that is masked. VMCS of v current.
 */
void vlapic_pmi(struct vcpu *v);
/* An interrupt the guest can take now (priority above PPR) waits in IRR: HLT must not sleep. */
bool vlapic_has_deliverable(struct vcpu *v);
/* An NMI waits for the guest (it wakes HLT even with IF=0). */
bool vlapic_nmi_pending(struct vcpu *v);
/* Arms the interrupt- and NMI-window exits for whatever is pending. */
void vlapic_request_windows(struct vcpu *v);
/*
 * Exit reason 7 (interrupt window): the guest can take an interrupt, inject the highest one. The
 * guest's PT backend hears of every injection before the entry (the emulated one traces it).
 */
enum exit_action handle_interrupt_window(struct vcpu *v);
/* Exit reason 8 (NMI window): inject the pending NMI. */
enum exit_action handle_nmi_window(struct vcpu *v);

#endif

/*
 * The virtual xAPIC wired into VMX. Interrupts are injected as external interrupts through the
 * VM-entry interruption-information field (SDM 27.6 "Event Injection"), but only from the
 * interrupt-window exit (SDM 27.7.5 "Interrupt-Window Exiting and Virtual-Interrupt Delivery"):
 * whenever a deliverable vector reaches IRR (a PMI, a self-IPI, or TPR/EOI lowering PPR) the
 * "interrupt-window exiting" control is set (for an NMI, "NMI-window exiting"), so the CPU itself waits for RFLAGS.IF=1 without STI or
 * MOV-SS blocking and exits before the next instruction. Nothing is checked on the exit fast path.
 * The guest's PT backend hears of each injection first, so a traced guest's trace shows the event
 * (FUP/TIP) and its handler as on hardware.
 */
#include "vmx/vlapic_vmx.h"
#include "vmx/exit.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs_init.h"
#include "log.h"

static bool window_warned, nmi_warned; /* report once per boot */

static void set_exec_control(uint32_t bit, bool on)
{
	uint32_t ctl = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);

	if (on != !!(ctl & bit))
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, on ? ctl | bit : ctl & ~bit);
}

/* Asks for an exit at the next instruction boundary where the guest can take an interrupt. */
static void window_request(struct vcpu *v, bool on)
{
	if (on && !v->window_exiting) {
		if (!window_warned)
			pr_warn("vlapic: the CPU has no interrupt-window exiting; virtual interrupts stay pending\n");
		window_warned = true;
		return;
	}
	set_exec_control(CPU_INTR_WINDOW_EXITING, on);
}

/* ... and where it can take an NMI: no virtual-NMI blocking, i.e. after the IRET of its last NMI handler. */
static void nmi_window_request(struct vcpu *v, bool on)
{
	if (on && !vmx_ctls.virtual_nmis) {
		if (!nmi_warned)
			pr_warn("guest %s: the CPU has no virtual NMIs; an NMI for the guest is dropped\n", v->name);
		nmi_warned = true;
		v->lapic.nmi_pending = false;
		return;
	}
	set_exec_control(CPU_NMI_WINDOW_EXITING, on);
}

void vlapic_request_windows(struct vcpu *v)
{
	if (v->lapic.nmi_pending)
		nmi_window_request(v, true);
	if (vlapic_pending_vector(&v->lapic) >= 0)
		window_request(v, true);
}

bool vlapic_has_deliverable(struct vcpu *v)
{
	return vlapic_pending_vector(&v->lapic) >= 0;
}

bool vlapic_nmi_pending(struct vcpu *v)
{
	return v->lapic.nmi_pending;
}

/*
 * Registers are 32 bits on 16-byte boundaries (SDM 11.4.1 "The Local APIC Block Diagram"); a narrower
 * load sees its bytes of the register, the rest of each 16-byte slot reads 0.
 */
uint64_t vlapic_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size)
{
	uint32_t off = (uint32_t)(gpa - VLAPIC_BASE_GPA);

	/* Globally disabled, the page is no APIC's: the bus answers all ones (SDM 11.4.3). */
	if (!vlapic_hw_enabled(&v->lapic))
		return size >= 8 ? ~0ULL : (1ull << (8 * size)) - 1;
	vlapic_timer_tick(&v->lapic, vcpu_guest_tsc(v)); /* the current count is read at this moment */
	uint64_t val = (off & 0xc) ? 0 : vlapic_read(&v->lapic, off & ~0xfu) >> (8 * (off & 3));

	return size >= 8 ? val : val & ((1ull << (8 * size)) - 1);
}

void vlapic_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
	uint32_t off = (uint32_t)(gpa - VLAPIC_BASE_GPA);

	/* Sub-dword and misaligned stores are model specific (SDM 11.4.1): dropped; so is all of it while disabled. */
	if (size < 4 || (off & 0xf) || !vlapic_hw_enabled(&v->lapic))
		return;
	vlapic_timer_tick(&v->lapic, vcpu_guest_tsc(v)); /* a timer (re)loaded now counts from now */
	vlapic_write(&v->lapic, off, (uint32_t)val);
	vlapic_request_windows(v);
}

void vlapic_pmi(struct vcpu *v)
{
	bool nmi;

	if (!vlapic_lvt_pc_fire(&v->lapic, &nmi))
		return;            /* LVT PC masked: the PMI is lost, IA32_PERF_GLOBAL_STATUS[55] still tells */
	vlapic_request_windows(v); /* NMI delivery mode made an NMI pending, fixed mode an IRR bit */
}

enum exit_action handle_interrupt_window(struct vcpu *v)
{
	struct vlapic *a = &v->lapic;
	int vector = vlapic_pending_vector(a);
	uint32_t block = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);

	/*
	 * IF=1 and no STI or MOV-SS blocking (an entry injecting an external interrupt must have neither:
	 * SDM 27.3.1.5 "Checks on Guest Non-Register State"); an event already queued is never overwritten.
	 */
	if (vector >= 0 && (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) && !block &&
	    !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID)) {
		vlapic_accept(a, (unsigned)vector);
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vector);
		vcpu_pt_event_injected(v, (unsigned)vector);
		vector = vlapic_pending_vector(a);
	}
	window_request(v, vector >= 0);
	return EXIT_RESUME;
}

/*
 * Exit reason 8 (NMI window): no virtual-NMI blocking and no MOV-SS blocking (SDM 27.7.6). The NMI is
 * injected unless an event is already queued; the entry sets virtual-NMI blocking until the guest's
 * IRET (SDM 27.6.1.2). Blocking by STI may remain on CPUs where it does not hold NMIs off; it is dropped
 * for the injection, which some CPUs require (SDM 27.3.1.5), as the NMI handler's IRET ends it anyway.
 */
enum exit_action handle_nmi_window(struct vcpu *v)
{
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (!(intr & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_MOV_SS)) &&
	    !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) && vlapic_take_nmi(&v->lapic)) {
		if (intr & GUEST_INTR_STATE_STI)
			vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~GUEST_INTR_STATE_STI);
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | X86_VEC_NMI);
		vcpu_pt_event_injected(v, X86_VEC_NMI);
	}
	nmi_window_request(v, v->lapic.nmi_pending);
	return EXIT_RESUME;
}

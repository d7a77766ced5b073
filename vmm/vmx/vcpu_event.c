/*
 * Events for the guest as the CPU delivers them. Injection (SDM 27.6.1) pushes the guest-state RFLAGS
 * unchanged, so the RF a fault's frame carries is the VMM's to set; an exit that interrupted the
 * delivery of an event leaves it in the IDT-vectoring information (SDM 28.2.4), and it is queued again
 * so nothing is lost; a second exception while one is queued follows the double-fault rules.
 */
#include "vmx/vcpu.h"
#include "vmx/vcpu_event.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"

/* Exception classes for the double-fault rules (SDM 6.15 "Interrupt 8", Tables 6-4 and 6-5). */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

static enum exc_class exc_class(unsigned vector)
{
	switch (vector) {
	case X86_VEC_DE:
	case X86_VEC_TS:
	case X86_VEC_NP:
	case X86_VEC_SS:
	case X86_VEC_GP:
		return EXC_CONTRIBUTORY;
	case X86_VEC_PF:
		return EXC_PAGE_FAULT;
	default:
		return EXC_BENIGN;
	}
}

/*
 * Fault-class exceptions (SDM 6.15, each vector's "Exception Class"): the CPU sets RF in the EFLAGS image
 * it pushes for them (SDM 18.3.1.1), so restarting the instruction does not re-trigger an instruction
 * breakpoint. #DB is injected here only as a trap (single step, data breakpoint).
 */
static bool exc_is_fault(unsigned vector)
{
	switch (vector) {
	case X86_VEC_DB:
	case X86_VEC_NMI:
	case X86_VEC_BP:
	case X86_VEC_OF:
	case X86_VEC_DF:
	case X86_VEC_MC:
		return false;
	default:
		return vector < 32;
	}
}

/* The event queued in the VM-entry interruption-information field gives way: what it was stays pending. */
static void displace(struct vcpu *v, uint32_t queued)
{
	unsigned vector = queued & INTR_INFO_VECTOR_MASK;

	switch (queued & INTR_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		vlapic_unaccept(&v->lapic, vector);
		vlapic_request_windows(v);
		break;
	case INTR_TYPE_NMI:
		v->lapic.nmi_pending = true;
		vlapic_request_windows(v);
		break;
	default:
		break; /* INT n, INT3, INTO and a benign exception recur when the instruction runs again */
	}
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
	uint32_t queued = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
	bool pm = vmcs_readnat(GUEST_CR0) & CR0_PE;

	if ((queued & INTR_INFO_VALID) && (queued & INTR_TYPE_MASK) == INTR_TYPE_HW_EXCEPTION) {
		unsigned first = queued & INTR_INFO_VECTOR_MASK;
		enum exc_class a = exc_class(first), b = exc_class(vector);

		if (first == X86_VEC_DF) {
			vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
			vcpu_stop(v, -1, "triple fault: exception %u while delivering a double fault", vector);
			return;
		}
		if ((a == EXC_CONTRIBUTORY && b == EXC_CONTRIBUTORY) || (a == EXC_PAGE_FAULT && b != EXC_BENIGN)) {
			vector = X86_VEC_DF;
			has_error = true;
			error = 0;
		}
	} else if (queued & INTR_INFO_VALID) {
		displace(v, queued);
	}

	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (vector & 0xff);
	/* Real-mode guests take exceptions without an error code (SDM 27.2.1.3). */
	if (has_error && pm) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	/* A real-mode frame is 16 bits wide and has no RF. */
	if (pm && exc_is_fault(vector))
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

void vcpu_requeue_vectoring(struct vcpu *v)
{
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	v->idt_vectoring = idt;
	if (!(idt & INTR_INFO_VALID))
		return;
	/* Bit 12 is undefined here (SDM 28.2.4, Table 25-18): only vector, type, error-code flag and valid. */
	uint32_t info = idt & (INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | INTR_TYPE_MASK | INTR_INFO_VECTOR_MASK);
	uint32_t type = idt & INTR_TYPE_MASK;

	if (idt & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	/* Software interrupts and exceptions are injected with their instruction's length (SDM 27.6.1.1). */
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXC || type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

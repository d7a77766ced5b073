/* Event delivery to the guest: exits that interrupted a delivery (vcpu_inject_exception is in vcpu.h). */
#ifndef PTV_VCPU_EVENT_H
#define PTV_VCPU_EVENT_H

#include "types.h"
#include "vmx/exit_reason.h"

struct vcpu;

/* Exit reasons that can occur during event delivery (SDM 28.2.4): the only ones whose IDT-vectoring field is read. */
#define VECTORING_EXITS                                                                                        \
	(BIT(EXIT_REASON_EXCEPTION_NMI) | BIT(EXIT_REASON_EXTERNAL_INTERRUPT) | BIT(EXIT_REASON_TASK_SWITCH) | \
	 BIT(EXIT_REASON_EPT_VIOLATION) | BIT(EXIT_REASON_EPT_MISCONFIG))

/*
 * Reads the IDT-vectoring information into v->idt_vectoring and, when an event's delivery was cut
 * short, queues it again for the next entry (vector, type, error code, instruction length).
 */
void vcpu_requeue_vectoring(struct vcpu *v);

#endif

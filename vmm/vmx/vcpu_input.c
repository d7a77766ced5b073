/*
 * Host serial input to one guest. Polled, never interrupt driven: ptvisor takes no host interrupts.
 * A byte leaves the host UART only when the guest's receive FIFO has room for it, so a guest that
 * reads slowly loses nothing beyond the host UART's own FIFO.
 */
#include "vmx/vcpu_input.h"
#include "vmx/vioapic_vmx.h"

static struct vcpu *input_vcpu;
static vcpu_input_source_fn input_source;

/* The sleeping receiver's poll hook: a HLT waiting for a key wakes when one arrives (vcpu_time.c). */
static void input_poll_hook(struct vcpu *v)
{
	(void)v;
	vcpu_input_poll();
}

void vcpu_input_attach(struct vcpu *v, vcpu_input_source_fn source)
{
	input_vcpu = v;
	input_source = source;
	v->poll = input_poll_hook;
}

void vcpu_input_detach(struct vcpu *v)
{
	if (input_vcpu == v) {
		input_vcpu = NULL;
		v->poll = NULL;
	}
}

struct vcpu *vcpu_input_owner(void)
{
	return input_vcpu;
}

bool vcpu_input_poll(void)
{
	struct vcpu *v = input_vcpu;
	bool got = false;
	int c;

	if (!v || !input_source)
		return false;
	while (vuart_can_receive(&v->uart) && (c = input_source()) >= 0)
		got |= vuart_receive(&v->uart, (uint8_t)c);
	if (got)
		vcpu_uart_irq_sync(v);
	return got;
}

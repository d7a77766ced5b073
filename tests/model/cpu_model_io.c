/* The CPU model's port I/O, TSC and PAUSE. */
/* Kept apart from cpu_model.c so a test can link tests/model/port_log.c instead. */
#include "cpu_model.h"

void cpu_model_set_port(struct cpu_model *m, uint16_t port, uint32_t value)
{
	for (size_t i = 0; i < m->port_count; i++) {
		if (m->ports[i].port == port) {
			m->ports[i].value = value;
			return;
		}
	}
	if (m->port_count < CPU_MODEL_MAX_PORTS) {
		m->ports[m->port_count].port = port;
		m->ports[m->port_count++].value = value;
	}
}

static uint32_t port_in(uint16_t port, uint32_t mask)
{
	struct cpu_model *m = cpu_model_get();
	uint32_t v = mask; /* a port nobody decodes reads as all ones */

	for (size_t i = 0; i < m->port_count; i++)
		if (m->ports[i].port == port)
			v = m->ports[i].value & mask;
	cpu_model_log(m, CPU_OP_IN, port, v, CPU_FAULT_NONE, VMX_OK);
	return v;
}

static void port_out(uint16_t port, uint32_t v)
{
	cpu_model_log(cpu_model_get(), CPU_OP_OUT, port, v, CPU_FAULT_NONE, VMX_OK);
}

uint8_t cpu_inb(uint16_t port)
{
	return (uint8_t)port_in(port, 0xff);
}
uint16_t cpu_inw(uint16_t port)
{
	return (uint16_t)port_in(port, 0xffff);
}
uint32_t cpu_inl(uint16_t port)
{
	return port_in(port, 0xffffffff);
}
void cpu_outb(uint16_t port, uint8_t v)
{
	port_out(port, v);
}
void cpu_outw(uint16_t port, uint16_t v)
{
	port_out(port, v);
}
void cpu_outl(uint16_t port, uint32_t v)
{
	port_out(port, v);
}

/* A TSC that always moves forward by a fixed step, so timing code terminates in tests. */
uint64_t cpu_rdtsc(void)
{
	return cpu_model_get()->tsc += 1000;
}
void cpu_pause(void)
{
	cpu_model_get()->pauses++;
}

/* Port I/O model for host tests: implements only cpu.h's IN/OUT and PAUSE, logging each access. */
#include <string.h>
#include "port_log.h"
#include "cpu.h"

static struct port_access log_entries[PORT_LOG_MAX];
static unsigned log_count;
/* Writes also go to their own log, so a long polling loop cannot push them out. */
static struct port_access write_entries[PORT_LOG_MAX];
static unsigned write_count;
static unsigned long pause_count;

struct port_input {
	bool set;
	uint32_t value;
};
static struct port_input inputs[65536];

void port_log_reset(void)
{
	log_count = 0;
	write_count = 0;
	pause_count = 0;
	memset(inputs, 0, sizeof(inputs));
}

void port_log_set_input(uint16_t port, uint32_t value)
{
	inputs[port].set = true;
	inputs[port].value = value;
}

unsigned port_log_count(void)
{
	return log_count;
}

const struct port_access *port_log_entry(unsigned i)
{
	return i < log_count && i < PORT_LOG_MAX ? &log_entries[i] : NULL;
}

unsigned port_log_writes(struct port_access *out, unsigned max)
{
	unsigned n = 0;

	for (; n < write_count && n < PORT_LOG_MAX && n < max; n++)
		out[n] = write_entries[n];
	return n;
}

unsigned long port_log_pauses(void)
{
	return pause_count;
}

static void record(bool write, uint8_t size, uint16_t port, uint32_t value)
{
	struct port_access a = { write, size, port, value };

	if (log_count < PORT_LOG_MAX)
		log_entries[log_count] = a;
	log_count++;
	if (write && write_count < PORT_LOG_MAX)
		write_entries[write_count] = a;
	write_count += write;
}

static uint32_t read_port(uint8_t size, uint16_t port)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t v = (inputs[port].set ? inputs[port].value : 0xffffffffu) & mask;

	record(false, size, port, v);
	return v;
}

uint8_t cpu_inb(uint16_t port)
{
	return (uint8_t)read_port(1, port);
}

uint16_t cpu_inw(uint16_t port)
{
	return (uint16_t)read_port(2, port);
}

uint32_t cpu_inl(uint16_t port)
{
	return read_port(4, port);
}

void cpu_outb(uint16_t port, uint8_t v)
{
	record(true, 1, port, v);
}

void cpu_outw(uint16_t port, uint16_t v)
{
	record(true, 2, port, v);
}

void cpu_outl(uint16_t port, uint32_t v)
{
	record(true, 4, port, v);
}

void cpu_pause(void)
{
	pause_count++;
}

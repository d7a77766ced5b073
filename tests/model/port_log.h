/* Port I/O model for host tests: every IN/OUT is recorded; reads return per-port values. */
#ifndef PTV_PORT_LOG_H
#define PTV_PORT_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define PORT_LOG_MAX 4096

struct port_access {
	bool write;
	uint8_t size; /* 1, 2 or 4 bytes */
	uint16_t port;
	uint32_t value; /* written, or returned by the read */
};

/* Forgets every access, input value and pause; unset ports read as all ones (floating bus). */
void port_log_reset(void);
void port_log_set_input(uint16_t port, uint32_t value);
/* All accesses since the reset, including any beyond PORT_LOG_MAX that were not stored. */
unsigned port_log_count(void);
/* The i-th stored access, NULL past the end. */
const struct port_access *port_log_entry(unsigned i);
/* Copies the writes (kept apart, so reads cannot crowd them out), in order; returns how many (<= max). */
unsigned port_log_writes(struct port_access *out, unsigned max);
unsigned long port_log_pauses(void);

#endif

/* The parts of area "exceptions" beyond conf_exc.c: debug exceptions and RF, x87/SSE faults, page faults. */
#ifndef GUEST_CONF_EXC_H
#define GUEST_CONF_EXC_H

void conf_exc_debug(void);
void conf_exc_fpu(void);
void conf_exc_pf(void);

#endif

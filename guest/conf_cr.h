/* Area "cr": the parts beyond conf_cr.c: XCR0 and DR4/DR5 (conf_cr_xcr.c), IA-32e mode (conf_cr_lm.c). */
#ifndef GUEST_CONF_CR_H
#define GUEST_CONF_CR_H

#include "types.h"

void conf_cr_xcr(void);
void conf_cr_debug(void);
void conf_cr_long_mode(bool pcid);

#endif

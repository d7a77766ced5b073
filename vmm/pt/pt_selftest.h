/* selftest=pt: one PASS/FAIL line per check of the hardware Intel PT path, for a user's first boot on silicon. */
#ifndef PTV_PT_SELFTEST_H
#define PTV_PT_SELFTEST_H

#include "types.h"

struct vcpu;

/*
 * After pt_boot_init: where the hardware path is not in force, says so and
 * why (the missing capabilities), and no PASS/FAIL line follows; else the
 * boot checks (the RTIT MSRs are ptvisor's, the host trace runs).
 */
void pt_selftest_begin(void);
/* A hardware-path guest goes away: did it trace, with the VMX controls it needs, cleanly, from a PSB. */
void pt_selftest_guest(const struct vcpu *v);
/* At shutdown, the host trace stopped: its checks, then "PT self-test: N passed, M failed". */
void pt_selftest_end(void);
/* 16 bytes of PSB (SDM 33.4.2.17 "PSB Packet": 02 82 repeated 8 times) at p. */
bool pt_selftest_is_psb(const uint8_t *p);

#endif

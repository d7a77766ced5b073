/* Shared fixture of the EPT unit tests: a 64 MiB physical arena, frames above 1 MiB, and walker checks. */
#ifndef PTV_EPT_ENV_H
#define PTV_EPT_ENV_H

#include "ept/ept.h"
#include "ept/ept_walk.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

extern const struct ept_caps ept_caps_all, ept_caps_2m, ept_caps_4k;
/* Free frames right after setup, to prove tables are given back. */
extern uint64_t ept_env_initial_free;

int ept_env_setup(void **state);
int ept_env_teardown(void **state);
uint64_t ept_env_free_frames(void);
/* Translates gpa and checks the whole result. */
void expect_xlate(const struct ept *e, uint64_t gpa, paddr_t hpa, unsigned perms, unsigned level);
void expect_absent(const struct ept *e, uint64_t gpa);

#endif

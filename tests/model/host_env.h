/* Host-test environment: captured console output and a panic that fails the test. */
#ifndef PTV_HOST_ENV_H
#define PTV_HOST_ENV_H

#include <stddef.h>
#include <stdbool.h>

/* Everything logged since the last host_env_reset(), NUL-terminated. */
const char *host_console_text(void);
bool host_console_contains(const char *needle);
void host_env_reset(void);
/* Number of panic() calls; a panic longjmps to the point armed by HOST_EXPECT_PANIC. */
extern int host_panic_count;

#endif

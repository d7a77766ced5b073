/* Host-fuzzer environment: the VMM's console and panic() for libFuzzer harnesses, and the abort on a broken invariant. */
#ifndef PTV_FUZZ_ENV_H
#define PTV_FUZZ_ENV_H

#include <stddef.h>
#include <stdint.h>

/* A broken invariant: prints where and what, then aborts so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                            \
	do {                                                        \
		if (!(cond))                                        \
			fuzz_fail(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

void fuzz_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
/* Routes the VMM's console into a discarded buffer (PTV_FUZZ_VERBOSE=1: to stderr); call once. */
void fuzz_env_init(void);

/* Reads fuzz input as a little-endian byte stream; past the end every read gives zeroes. */
struct fuzz_in {
	const uint8_t *p;
	size_t n, at;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* A value in [0, n) (n > 0). */
unsigned fuzz_below(struct fuzz_in *in, unsigned n);
size_t fuzz_left(const struct fuzz_in *in);

#endif

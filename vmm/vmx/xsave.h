/* Which XSAVE state components guests may enable, how big their save area is, and the XSETBV rules. */
#ifndef PTV_XSAVE_H
#define PTV_XSAVE_H

#include "types.h"
#include "cpu.h"

/*
 * The XCR0 bits ptvisor lets a guest enable: x87, SSE, AVX, AVX-512 and PKRU where the CPU has
 * them. MPX and AMX stay off because CPUID leaf 07H hides those features from guests.
 */
#define XSAVE_GUEST_CANDIDATES (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | XCR0_PKRU)

/* XCR0 bits the CPU supports: CPUID.(EAX=0DH,ECX=0):EDX:EAX (SDM Vol. 1 13.2). */
uint64_t xsave_host_mask(void);
/*
 * Bytes of a standard-format XSAVE area holding every component in mask: the end of the furthest
 * component, from CPUID.(EAX=0DH,ECX=i):EBX (offset) and EAX (size), at least the legacy region and
 * header, rounded up to XSAVE_ALIGN.
 */
uint32_t xsave_area_size(uint64_t mask);
/*
 * Whether XSETBV may load val into XCR0 (SDM Vol. 2C XSETBV, Vol. 1 13.3): bit 0 set; no bit outside
 * `allowed`; AVX only with SSE; the AVX-512 components all together and only with AVX; MPX's and AMX's
 * two components each together. Anything else is #GP.
 */
bool xcr0_valid(uint64_t val, uint64_t allowed);
/*
 * CPUID leaf 0DH for a guest whose enabled components are `allowed`: sub-leaf 0 reports exactly
 * those and `size`, the area they need (ECX), sub-leaf 1 no supervisor states (XSAVES is hidden),
 * and the sub-leaves of other components read 0.
 */
void xsave_cpuid(uint32_t sub, uint64_t allowed, uint32_t size, struct cpuid_regs *r);

#endif

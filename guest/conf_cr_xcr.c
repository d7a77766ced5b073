/*
 * Area "cr", XCR0 and debug-register part: XSETBV's rules (SDM Vol. 1 13.3 "Enabling the XSAVE Feature
 * Set and XSAVE-Enabled Features", Vol. 2C "XSETBV") checked against what CPUID.0DH enumerates, XGETBV, the
 * OSXSAVE/OSPKE CPUID bits that mirror CR4, and MOV DR4/DR5 under CR4.DE (Vol. 3B 18.2.2).
 */
#include "conf.h"
#include "conf_cr.h"
#include "cpu.h"

#define XCR0_X87_SSE (XCR0_X87 | XCR0_SSE)

/* clang-format off */
static const struct conf_feature f_xsave = { "CPUID.1:ECX[26] (XSAVE)", CONF_BIT(1, 0, CPUID_ECX, 26), CONF_NONE };
static const struct conf_feature f_xgetbv1 = { "CPUID.0DH.1:EAX[2] (XGETBV ECX=1)", CONF_BIT(0xd, 1, CPUID_EAX, 2), CONF_NONE };
static const struct conf_feature f_pku = { "CPUID.7.0:ECX[3] (PKU)", CONF_BIT(7, 0, CPUID_ECX, 3), CONF_NONE };
/* clang-format on */

static struct conf_event xsetbv(uint32_t xcr, uint64_t v)
{
	return CONF_PROBE("xsetbv", : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static struct conf_event xgetbv(uint32_t xcr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	struct conf_event e = CONF_PROBE("xgetbv", : "+a"(lo), "+d"(hi) : "c"(xcr) : "memory");

	*v = (uint64_t)hi << 32 | lo;
	return e;
}

/* XSETBV of `v`: without XSAVE #UD; with it, #GP(0) unless `valid`, and XGETBV then reads v. */
static void xcr0_case(const char *what, uint64_t v, bool valid)
{
	uint64_t got = 0;
	struct conf_event e = xsetbv(0, v);
	bool ok;

	xgetbv(0, &got);
	if (conf_feature_present(&f_xsave))
		ok = valid ? e.vector == FAULT_NONE && got == v : e.vector == VEC_GP && e.error == 0;
	else
		ok = e.vector == VEC_UD;
	conf_agree(what, &f_xsave, ok, conf_vector(&e));
	xsetbv(0, XCR0_X87_SSE);
}

void conf_cr_xcr(void)
{
	uint32_t cr4 = cpu_read_cr4();
	uint64_t supported = (uint64_t)conf_cpuid_reg(0xd, 0, CPUID_EDX) << 32 | conf_cpuid_reg(0xd, 0, CPUID_EAX);
	uint64_t v = 0;
	struct conf_event e;

	cpu_write_cr4(cr4 & ~(uint32_t)CR4_OSXSAVE);
	e = xsetbv(0, XCR0_X87_SSE);
	conf_verdict("xsetbv with CR4.OSXSAVE=0: %s", conf_outcome(&e));
	e = xgetbv(0, &v);
	conf_verdict("xgetbv with CR4.OSXSAVE=0: %s", conf_outcome(&e));
	conf_agree("CPUID.1:ECX[27] (OSXSAVE) reads 0 with CR4.OSXSAVE=0", &f_xsave,
		   !conf_cpuid_bit(1, 0, CPUID_ECX, 27), "reads 1");
	if (conf_feature_present(&f_xsave))
		cpu_write_cr4(cr4 | (uint32_t)CR4_OSXSAVE);
	conf_agree("CPUID.1:ECX[27] (OSXSAVE) follows CR4.OSXSAVE=1", &f_xsave,
		   conf_cpuid_bit(1, 0, CPUID_ECX, 27) == conf_feature_present(&f_xsave), "differs");

	xcr0_case("XCR0 = x87|SSE", XCR0_X87_SSE, true);
	xcr0_case("XCR0 = every component CPUID.0DH.0 enumerates", supported, true);
	xcr0_case("XCR0 = SSE without x87", XCR0_SSE, false);
	xcr0_case("XCR0 = x87|AVX without SSE", XCR0_X87 | XCR0_AVX, false);
	xcr0_case("XCR0 with bit 63", XCR0_X87_SSE | BIT(63), false);
	xcr0_case("XCR0 with the lowest component CPUID.0DH.0 does not enumerate",
		  XCR0_X87_SSE | (~supported & (0 - ~supported)), false);
	if (supported & XCR0_AVX512)
		xcr0_case("XCR0 = x87|SSE|AVX|opmask without the rest of AVX-512",
			  XCR0_X87_SSE | XCR0_AVX | XCR0_OPMASK, false);
	else
		xcr0_case("XCR0 = x87|SSE|AVX|opmask (AVX-512 not enumerated)", XCR0_X87_SSE | XCR0_AVX | XCR0_OPMASK,
			  false);
	e = xsetbv(1, 0);
	conf_agree_vector("xsetbv ECX=1", &f_xsave, e.vector, VEC_GP, VEC_UD);
	e = xgetbv(1, &v);
	conf_agree_vector("xgetbv ECX=1", &f_xgetbv1, e.vector, FAULT_NONE,
			  conf_feature_present(&f_xsave) ? VEC_GP : VEC_UD);

	if (conf_feature_present(&f_pku))
		cpu_write_cr4(cpu_read_cr4() | (uint32_t)CR4_PKE);
	conf_agree("CPUID.7.0:ECX[4] (OSPKE) follows CR4.PKE", &f_pku,
		   conf_cpuid_bit(7, 0, CPUID_ECX, 4) == conf_feature_present(&f_pku), "differs");
	cpu_write_cr4(cr4);
}

/* MOV from DR4/DR5 (0F 21 /r with reg 4, 5): aliases of DR6/DR7 with CR4.DE=0, #UD with CR4.DE=1. */
void conf_cr_debug(void)
{
	uint32_t cr4 = cpu_read_cr4(), dr4 = 0, dr5 = 0, dr6, dr7;
	struct conf_event e4, e5;

	cpu_write_cr4(cr4 & ~(uint32_t)CR4_DE);
	asm volatile("mov %%dr6, %0\n\tmov %%dr7, %1" : "=r"(dr6), "=r"(dr7));
	e4 = CONF_PROBE(".byte 0x0f, 0x21, 0xe0", : "+a"(dr4) : : "memory"); /* mov %dr4, %eax */
	e5 = CONF_PROBE(".byte 0x0f, 0x21, 0xe8", : "+a"(dr5) : : "memory"); /* mov %dr5, %eax */
	conf_verdict("CR4.DE=0: mov from dr4 %s (reads DR6: %s), from dr5 %s (reads DR7: %s)", conf_vector_of(e4),
		     dr4 == dr6 ? "yes" : "no", conf_vector_of(e5), dr5 == dr7 ? "yes" : "no");
	cpu_write_cr4(cr4 | (uint32_t)CR4_DE);
	e4 = CONF_PROBE(".byte 0x0f, 0x21, 0xe0", : "+a"(dr4) : : "memory");
	conf_verdict("CR4.DE=1: mov from dr4: %s", conf_outcome(&e4));
	e5 = CONF_PROBE(".byte 0x0f, 0x23, 0xe8", : : "a"(dr7) : "memory"); /* mov %eax, %dr5 */
	conf_verdict("CR4.DE=1: mov to dr5: %s", conf_outcome(&e5));
	cpu_write_cr4(cr4);
}

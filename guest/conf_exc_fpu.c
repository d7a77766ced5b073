/*
 * Area "exceptions", x87 and SSE part: #NM from CR0.TS/EM (SDM Vol. 3A 6.15 "Interrupt 7", Table 2-2
 * "Action Taken By x87 FPU Instructions for Different Combinations of EM, MP, and TS"), #MF from an unmasked
 * x87 exception with CR0.NE=1 at the next waiting instruction, and #XM or #UD for an unmasked SIMD
 * exception depending on CR4.OSXMMEXCPT (6.15 "Interrupt 19").
 */
#include "conf.h"
#include "conf_exc.h"
#include "cpu.h"

#define FCW_DEFAULT     0x037f
#define FCW_ZM          0x0004 /* divide-by-zero mask */
#define MXCSR_DEFAULT   0x1f80
#define MXCSR_ZM        0x0200
#define CPUID_1_EDX_SSE 25

static const float one = 1.0f, zero = 0.0f;

static void cr0_fpu(uint32_t set, uint32_t clear)
{
	cpu_write_cr0((cpu_read_cr0() | set) & ~clear);
}

static void fpu_nm(void)
{
	uint32_t base = cpu_read_cr0();
	struct conf_event e;

	asm volatile("fninit" : : : "memory");
	cr0_fpu((uint32_t)(CR0_TS | CR0_MP), (uint32_t)CR0_EM);
	e = CONF_PROBE("fnop", : : : "memory");
	conf_verdict("fnop with CR0.TS=1: %s", conf_outcome(&e));
	e = CONF_PROBE("fwait", : : : "memory");
	conf_verdict("fwait with CR0.TS=1 MP=1: %s", conf_outcome(&e));
	cr0_fpu(0, (uint32_t)CR0_MP);
	e = CONF_PROBE("fwait", : : : "memory");
	conf_verdict("fwait with CR0.TS=1 MP=0: %s", conf_outcome(&e));
	cr0_fpu((uint32_t)CR0_EM, (uint32_t)CR0_TS);
	e = CONF_PROBE("fnop", : : : "memory");
	conf_verdict("fnop with CR0.EM=1: %s", conf_outcome(&e));
	asm volatile("clts" : : : "memory");
	conf_verdict("clts clears CR0.TS: %s", (cpu_read_cr0() & CR0_TS) ? "no" : "yes");
	cpu_write_cr0(base);
}

static void fpu_mf(void)
{
	uint32_t base = cpu_read_cr0();
	uint16_t fcw = FCW_DEFAULT & ~FCW_ZM, fsw;
	struct conf_event e;

	cr0_fpu((uint32_t)(CR0_NE | CR0_MP), (uint32_t)(CR0_EM | CR0_TS));
	asm volatile("fninit\n\t"
		     "fldcw %0\n\t"
		     "flds %1\n\t"
		     "flds %2\n\t"
		     "fdiv %%st(1), %%st"
		     :
		     : "m"(fcw), "m"(zero), "m"(one)
		     : "memory");
	e = CONF_PROBE("fwait", : : : "memory");
	asm volatile("fnstsw %0\n\tfninit" : "=m"(fsw) : : "memory");
	conf_verdict("x87 1/0 unmasked, then fwait: %s, FSW.ZE=%u ES=%u", conf_outcome(&e), fsw & 4 ? 1 : 0,
		     fsw & 0x80 ? 1 : 0);
	cpu_write_cr0(base);
}

static struct conf_event sse_div_by_zero(void)
{
	uint32_t mxcsr = MXCSR_DEFAULT & ~MXCSR_ZM, def = MXCSR_DEFAULT;
	struct conf_event e;

	asm volatile("ldmxcsr %0\n\tmovss %1, %%xmm0" : : "m"(mxcsr), "m"(one) : "memory");
	e = CONF_PROBE("divss %0, %%xmm0", : : "m"(zero) : "memory");
	asm volatile("ldmxcsr %0" : : "m"(def) : "memory");
	return e;
}

static void fpu_xm(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	struct conf_event e;

	if (!conf_cpuid_bit(1, 0, CPUID_EDX, CPUID_1_EDX_SSE)) {
		conf_verdict("SSE (CPUID.1:EDX[25]): absent");
		return;
	}
	cr0_fpu((uint32_t)(CR0_NE | CR0_MP), (uint32_t)(CR0_EM | CR0_TS));
	cpu_write_cr4(cr4 | (uint32_t)(CR4_OSFXSR | CR4_OSXMMEXCPT));
	e = sse_div_by_zero();
	conf_verdict("divss 1/0 unmasked with CR4.OSXMMEXCPT=1: %s", conf_outcome(&e));
	cpu_write_cr4((cr4 | (uint32_t)CR4_OSFXSR) & ~(uint32_t)CR4_OSXMMEXCPT);
	e = sse_div_by_zero();
	conf_verdict("divss 1/0 unmasked with CR4.OSXMMEXCPT=0: %s", conf_outcome(&e));
	cpu_write_cr4(cr4 & ~(uint32_t)CR4_OSFXSR);
	e = CONF_PROBE("movss %0, %%xmm0", : : "m"(one) : "memory");
	conf_verdict("movss with CR4.OSFXSR=0: %s", conf_outcome(&e));
	cpu_write_cr4(cr4 | (uint32_t)CR4_OSFXSR);
	cr0_fpu((uint32_t)CR0_EM, 0);
	e = CONF_PROBE("movss %0, %%xmm0", : : "m"(one) : "memory");
	conf_verdict("movss with CR0.EM=1: %s", conf_outcome(&e));
	cpu_write_cr0(cr0);
	cpu_write_cr4(cr4);
}

void conf_exc_fpu(void)
{
	fpu_nm();
	fpu_mf();
	fpu_xm();
}

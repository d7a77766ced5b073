/* XSAVE sizing and XCR0 rules, from CPUID leaf 0DH and the SDM; pure apart from CPUID. */
#include "vmx/xsave.h"
#include "x86/arch.h"

/* CPUID.(EAX=0DH,ECX=1):EAX[3] XSAVES/XRSTORS and IA32_XSS (SDM Vol. 2A CPUID). */
#define CPUID_D_1_EAX_XSAVES BIT(3)

uint64_t xsave_host_mask(void)
{
	struct cpuid_regs r = cpu_cpuid(0xd, 0);

	return ((uint64_t)r.edx << 32) | r.eax;
}

uint32_t xsave_area_size(uint64_t mask)
{
	uint32_t end = XSAVE_LEGACY_AND_HEADER;

	/* Components 0 and 1 live in the legacy region; the others where sub-leaf i says (SDM 13.4.3). */
	for (unsigned i = 2; i < 63; i++) {
		if (!(mask & BIT(i)))
			continue;
		struct cpuid_regs r = cpu_cpuid(0xd, i);
		if (r.ebx + r.eax > end)
			end = r.ebx + r.eax;
	}
	return (uint32_t)ALIGN_UP(end, XSAVE_ALIGN);
}

bool xcr0_valid(uint64_t val, uint64_t allowed)
{
	uint64_t avx512 = val & XCR0_AVX512;

	if (!(val & XCR0_X87) || (val & ~allowed))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if (avx512 && (avx512 != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	if ((val & XCR0_MPX) && (val & XCR0_MPX) != XCR0_MPX)
		return false;
	if ((val & XCR0_AMX) && (val & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}

void xsave_cpuid(uint32_t sub, uint64_t allowed, uint32_t size, struct cpuid_regs *r)
{
	if (sub == 0) {
		/* EBX (size for the XCR0 in force) is the CPU's: the guest's XCR0 is loaded while it runs. */
		r->eax = (uint32_t)allowed;
		r->edx = (uint32_t)(allowed >> 32);
		r->ecx = size;
	} else if (sub == 1) {
		r->eax &= ~(uint32_t)CPUID_D_1_EAX_XSAVES;
		r->ecx = r->edx = 0; /* IA32_XSS bits: none */
	} else if (sub >= 63 || !(allowed & BIT(sub))) {
		r->eax = r->ebx = r->ecx = r->edx = 0;
	}
}

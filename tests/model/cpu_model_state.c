/* The CPU model's debug registers and extended state: MOV DR, XSETBV, XSAVE/XRSTOR, FXSAVE/FXRSTOR. */
#include <string.h>
#include "cpu_model.h"
#include "x86/arch.h"

uint64_t cpu_read_dr(unsigned n)
{
	struct cpu_model *m = cpu_model_get();

	return n < 4 ? m->dr[n] : n == 6 ? m->dr6 : 0;
}

void cpu_write_dr(unsigned n, uint64_t v)
{
	struct cpu_model *m = cpu_model_get();

	if (n < 4)
		m->dr[n] = v;
	else if (n == 6)
		m->dr6 = v;
	cpu_model_log(m, CPU_OP_WRITE_DR, n, v, CPU_FAULT_NONE, VMX_OK);
}

static uint64_t supported_xcr0(const struct cpu_model *m)
{
	struct cpuid_regs r = cpu_model_cpuid(m, 0xd, 0);

	return ((uint64_t)r.edx << 32) | r.eax;
}

/* XSETBV's #UD and #GP conditions (SDM Vol. 2C XSETBV), from the model's own CPUID leaf 0DH. */
bool cpu_xsetbv_safe(uint32_t xcr, uint64_t val)
{
	struct cpu_model *m = cpu_model_get();
	uint64_t avx512 = val & XCR0_AVX512;
	enum cpu_model_fault f = CPU_FAULT_NONE;

	if (!(m->cr4 & CR4_OSXSAVE))
		f = CPU_FAULT_UD;
	else if (xcr != 0 || !(val & XCR0_X87) || (val & ~supported_xcr0(m)) ||
		 ((val & XCR0_AVX) && !(val & XCR0_SSE)) || (avx512 && (avx512 != XCR0_AVX512 || !(val & XCR0_AVX))) ||
		 ((val & XCR0_AMX) && (val & XCR0_AMX) != XCR0_AMX))
		f = CPU_FAULT_GP;
	cpu_model_log(m, CPU_OP_XSETBV, xcr, val, f, VMX_OK);
	if (f != CPU_FAULT_NONE) {
		m->fault_count++;
		m->last_fault = f;
		return false;
	}
	m->xcr0 = val;
	return true;
}

/* The end of the furthest component in mask, in a standard-format area (SDM Vol. 1 13.4). */
static size_t area_end(const struct cpu_model *m, uint64_t mask)
{
	size_t end = 576;

	for (unsigned i = 2; i < 63; i++) {
		if (!(mask & BIT(i)))
			continue;
		struct cpuid_regs r = cpu_model_cpuid(m, 0xd, i);
		if ((size_t)r.ebx + r.eax > end)
			end = (size_t)r.ebx + r.eax;
	}
	return end;
}

void cpu_xsave(void *area, uint64_t rfbm)
{
	struct cpu_model *m = cpu_model_get();

	m->xsave_bytes = area_end(m, rfbm & m->xcr0);
	memcpy(area, m->xstate, m->xsave_bytes);
	cpu_model_log(m, CPU_OP_XSAVE, 0, rfbm, CPU_FAULT_NONE, VMX_OK);
}

void cpu_xrstor(const void *area, uint64_t rfbm)
{
	struct cpu_model *m = cpu_model_get();

	m->xsave_bytes = area_end(m, rfbm & m->xcr0);
	memcpy(m->xstate, area, m->xsave_bytes);
	cpu_model_log(m, CPU_OP_XRSTOR, 0, rfbm, CPU_FAULT_NONE, VMX_OK);
}

void cpu_fxsave(void *area)
{
	struct cpu_model *m = cpu_model_get();

	m->xsave_bytes = 512;
	memcpy(area, m->xstate, 512);
	cpu_model_log(m, CPU_OP_XSAVE, 1, 0, CPU_FAULT_NONE, VMX_OK);
}

void cpu_fxrstor(const void *area)
{
	struct cpu_model *m = cpu_model_get();

	m->xsave_bytes = 512;
	memcpy(m->xstate, area, 512);
	cpu_model_log(m, CPU_OP_XRSTOR, 1, 0, CPU_FAULT_NONE, VMX_OK);
}

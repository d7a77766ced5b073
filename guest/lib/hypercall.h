/* VMCALL wrappers for the ptvisor hypercall ABI (vmm/hypercall_abi.h): EAX = number, EBX/ECX/EDX args. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "types.h"
#include "hypercall_abi.h"

/* The ABI structs must have the same layout in this 32-bit guest as in the 64-bit VMM. */
_Static_assert(sizeof(struct ptv_hc_info) == 56, "ptv_hc_info layout");
_Static_assert(offsetof(struct ptv_hc_info, mem_size) == 16, "ptv_hc_info.mem_size offset");
_Static_assert(offsetof(struct ptv_hc_info, name) == 24, "ptv_hc_info.name offset");
_Static_assert(sizeof(struct ptv_hc_stats) == 32, "ptv_hc_stats layout");

/* All four registers after a VMCALL, for checks that the VMM leaves what it should alone. */
struct hc_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID.1:ECX[31] set and leaf 0x40000000 spelling "ptvisor"; cached after the first call. */
bool hc_ptvisor_present(void);

static inline struct hc_regs hc_call(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3)
{
	struct hc_regs r = { nr, a1, a2, a3 };

	asm volatile("vmcall" : "+a"(r.eax), "+b"(r.ebx), "+c"(r.ecx), "+d"(r.edx) : : "memory");
	return r;
}

/* -> (major << 16) | minor; *signature gets EBX (PTV_HC_SIGNATURE). */
static inline int32_t hc_version(uint32_t *signature)
{
	struct hc_regs r = hc_call(PTV_HC_VERSION, 0, 0, 0);

	*signature = r.ebx;
	return (int32_t)r.eax;
}

static inline int32_t hc_null(void)
{
	uint32_t eax = PTV_HC_NULL;

	/* The cheapest form: the round-trip floor that bench and stress measure. */
	asm volatile("vmcall" : "+a"(eax) : : "ebx", "ecx", "edx", "memory");
	return (int32_t)eax;
}

/* Guest-physical == guest-linear here (paging off), so a pointer is its own GPA. */
static inline int32_t hc_console_write_gpa(uint32_t gpa, uint32_t len)
{
	return (int32_t)hc_call(PTV_HC_CONSOLE_WRITE, gpa, len, 0).eax;
}

static inline int32_t hc_console_write(const char *text, uint32_t len)
{
	return hc_console_write_gpa((uint32_t)text, len);
}

static inline int32_t hc_info(struct ptv_hc_info *info)
{
	return (int32_t)hc_call(PTV_HC_INFO, (uint32_t)info, 0, 0).eax;
}

static inline int32_t hc_stats(struct ptv_hc_stats *stats)
{
	return (int32_t)hc_call(PTV_HC_STATS, (uint32_t)stats, 0, 0).eax;
}

/* Does not return under ptvisor; returns only when nothing handled it. */
static inline void hc_shutdown(uint32_t status)
{
	hc_call(PTV_HC_SHUTDOWN, status, 0, 0);
}

#endif

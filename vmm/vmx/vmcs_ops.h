/*
 * Width-checked VMCS accessors: the access width is encoded in bits 14:13 of
 * the field (SDM B "Field Encoding in VMCS"), so a mismatch is a compile error
 * for constant fields. A failing VMREAD/VMWRITE is our bug and panics.
 */
#ifndef PTV_VMCS_OPS_H
#define PTV_VMCS_OPS_H

#include "cpu.h"
#include "log.h"
#include "vmx/vmcs.h"

#define VMCS_WIDTH(f) (((f) >> 13) & 3)
#define VMCS_W16      0
#define VMCS_W64      1
#define VMCS_W32      2
#define VMCS_WNAT     3

#define VMCS_CHECK_WIDTH(f, w)                                         \
	do {                                                           \
		if (__builtin_constant_p(f) && VMCS_WIDTH(f) != (w) && \
		    !((w) == VMCS_W64 && VMCS_WIDTH(f) == VMCS_WNAT))  \
			vmcs_width_mismatch();                         \
	} while (0)

/* Never defined: referenced only when a constant field has the wrong width, so the link fails. */
void vmcs_width_mismatch(void);
void vmcs_access_failed(const char *op, unsigned field, enum vmx_status st) __noreturn;

#ifdef PTV_HOST_TEST
static inline uint64_t vmcs_read_raw(unsigned field)
{
	uint64_t v = 0;
	enum vmx_status st = cpu_vmread(field, &v);

	if (st != VMX_OK)
		vmcs_access_failed("VMREAD", field, st);
	return v;
}

static inline void vmcs_write_raw(unsigned field, uint64_t v)
{
	enum vmx_status st = cpu_vmwrite(field, v);

	if (st != VMX_OK)
		vmcs_access_failed("VMWRITE", field, st);
}
#else
/* On the exit path every VMCS access counts: branch on CF/ZF straight from the instruction. */
static inline uint64_t vmcs_read_raw(unsigned field)
{
	uint64_t v;

	asm goto("vmread %1, %0\n\t"
		 "jbe %l[failed]"
		 : "=r"(v)
		 : "r"((uint64_t)field)
		 : "cc"
		 : failed);
	return v;
failed:
	vmcs_access_failed("VMREAD", field, cpu_vmread(field, &v));
}

static inline void vmcs_write_raw(unsigned field, uint64_t v)
{
	asm goto("vmwrite %1, %0\n\t"
		 "jbe %l[failed]"
		 :
		 : "r"((uint64_t)field), "rm"(v)
		 : "cc", "memory"
		 : failed);
	return;
failed:
	vmcs_access_failed("VMWRITE", field, cpu_vmwrite(field, v));
}
#endif

/* clang-format off */
#define vmcs_read16(f)  ({ VMCS_CHECK_WIDTH(f, VMCS_W16); (uint16_t)vmcs_read_raw(f); })
#define vmcs_read32(f)  ({ VMCS_CHECK_WIDTH(f, VMCS_W32); (uint32_t)vmcs_read_raw(f); })
#define vmcs_read64(f)  ({ VMCS_CHECK_WIDTH(f, VMCS_W64); vmcs_read_raw(f); })
#define vmcs_readnat(f) ({ VMCS_CHECK_WIDTH(f, VMCS_WNAT); vmcs_read_raw(f); })
#define vmcs_write16(f, v)  do { VMCS_CHECK_WIDTH(f, VMCS_W16); vmcs_write_raw(f, (uint16_t)(v)); } while (0)
#define vmcs_write32(f, v)  do { VMCS_CHECK_WIDTH(f, VMCS_W32); vmcs_write_raw(f, (uint32_t)(v)); } while (0)
#define vmcs_write64(f, v)  do { VMCS_CHECK_WIDTH(f, VMCS_W64); vmcs_write_raw(f, (uint64_t)(v)); } while (0)
#define vmcs_writenat(f, v) do { VMCS_CHECK_WIDTH(f, VMCS_WNAT); vmcs_write_raw(f, (uint64_t)(v)); } while (0)
/* clang-format on */

#endif

/* The VMM's own trace: its ToPA buffer, IA32_RTIT_CTL per mode, the PT VMX controls, the dump. */
#ifndef PTV_PT_HOST_H
#define PTV_PT_HOST_H

#include "types.h"
#include "pt/hw/pt_hw.h"
#include "pt/pt_policy.h"

/* ToPA table entry (SDM 33.2.7.2, "ToPA Table Entry Fields"). */
#define TOPA_END        BIT(0)
#define TOPA_INT        BIT(2)
#define TOPA_STOP       BIT(4)
#define TOPA_SIZE_SHIFT 6
#define TOPA_SIZE_MAX   15 /* 4K << 15 = 128 MiB */
#define TOPA_BASE_MASK  GENMASK(51, 12)

/* IA32_RTIT_OUTPUT_MASK_PTRS in ToPA mode: entry index at bit 7, output offset at bit 32. */
#define RTIT_MASK_PTRS_TABLE_SHIFT  7
#define RTIT_MASK_PTRS_OFFSET_SHIFT 32

/* One output region of 4K << size_code bytes behind a one-frame table that loops to itself. */
struct pt_host_buf {
	paddr_t table;
	paddr_t region;
	unsigned size_code;
	bool stop_when_full; /* STOP (keep the start) rather than wrap (keep the end) */
	bool intr;           /* INT: only when ptvisor owns the PMI (pt_pmi.c), else nobody would take it */
};

/*
 * Writes a ToPA table at `table` (host pointer, 2 entries): the region with
 * INT when asked (the PMI that tells the consumer), STOP when asked, then END
 * back to table_pa. -1 for a misaligned region or a size code above TOPA_SIZE_MAX.
 */
int pt_topa_build(uint64_t *table, paddr_t table_pa, paddr_t region, unsigned size_code, bool stop_when_full,
		  bool intr);
/* Frames for the table and a naturally aligned region; -1 (nothing kept) when memory is short. */
int pt_host_buf_alloc(struct pt_host_buf *b, unsigned size_code, bool stop_when_full, bool intr);
static inline uint64_t pt_host_buf_size(const struct pt_host_buf *b)
{
	return PAGE_SIZE << b->size_code;
}

/*
 * The VMM's IA32_RTIT_CTL: TraceEn, ToPA, BranchEn, TSCEn and OS (ptvisor
 * runs at CPL 0); system mode adds User so guests' user code is traced too.
 */
uint64_t pt_host_ctl(enum pt_mode mode);

/* PT bits to OR into the VM-execution, VM-exit and VM-entry controls. */
struct pt_vmx_bits {
	uint32_t cpu2, exit, entry;
};
/*
 * From the decision: the conceal-VMX-from-PT controls (secondary 19, exit 24,
 * entry 17) when the host traces in host or host-guest mode and the CPU has
 * them (SDM 33.5.1 "VMX-Specific Packets and VMCS Controls"); for a
 * hardware-path guest, PT uses GPA
 * (secondary 24), clear IA32_RTIT_CTL (exit 25) and load IA32_RTIT_CTL
 * (entry 18). Nothing on a CPU without them (Bochs).
 */
void pt_vmx_bits(const struct pt_decision *d, const struct vmx_caps *c, struct pt_vmx_bits *out);

/* Bytes of trace in the buffer after pt_hw_host_stop(): the output offset, or all when stopped. */
uint64_t pt_host_buf_used(const struct pt_host_buf *b, const struct pt_hw_cpu *cpu);
/* The host trace as one PTV-TRACE v1 frame (docs/trace-format.md) on the log, named `name`. */
void pt_host_dump(const struct pt_host_buf *b, const struct pt_hw_cpu *cpu, const char *name);
/* CRC-32 (IEEE, reflected, as zlib): pass 0 to start. */
uint32_t pt_crc32(uint32_t crc, const void *buf, size_t len);

#endif

/*
 * Intel PT output of a guest in the CPU model: the ToPA walk and the trace
 * writes of SDM 33.2.7.2 through a four-level EPT walk of its own (SDM 29.3.2
 * "EPT Translation Mechanism"), written apart from vmm/ept and vmm/pt so
 * that the VMM's EPT handler meets a second reading of the SDM.
 */
#include "pt_out_model.h"
#include "pt_model.h"
#include "phys_arena.h"
#include <string.h>
#include "msr.h"

#define F_SECONDARY 0x401e
#define F_CPU_BASED 0x4002
#define F_EPTP      0x201a
#define F_EXIT      0x4402
#define F_QUAL      0x6400
#define F_GPA       0x2400
#define S_PT_GPA    BIT(24)
#define P_SECONDARY BIT(31)
#define REASON_EPT  48
#define Q_READ      BIT(0)
#define Q_WRITE     BIT(1)
#define Q_ASYNC     BIT(16)
#define E_PERMS     0x7ULL
#define E_LARGE     BIT(7)
#define E_ADDR      0x000ffffffffff000ULL
#define T_END       BIT(0)
#define T_STOP      BIT(4)
#define S_ERROR     BIT(4)
#define S_STOPPED   BIT(5)

/* GPA to HPA; false with the leaf entry's permissions (0 when not present) in *perms. */
static bool ept_walk(uint64_t eptp, uint64_t gpa, uint64_t *hpa, unsigned *perms)
{
	uint64_t table = eptp & E_ADDR;

	for (int level = 3; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t e;

		memcpy(&e, phys_arena_at(table + ((gpa >> shift) & 0x1ff) * 8), 8);
		*perms = (unsigned)(e & E_PERMS);
		if (!*perms)
			return false;
		if (level == 0 || (level <= 2 && (e & E_LARGE))) {
			*hpa = (e & E_ADDR & ~((1ULL << shift) - 1)) | (gpa & ((1ULL << shift) - 1));
			return true;
		}
		table = e & E_ADDR;
	}
	return false;
}

/* One access: HPA, or the EPT violation exit written into the VMCS. */
static bool out_access(struct cpu_model *m, bool guest, uint64_t gpa, unsigned need, uint64_t *hpa,
		       struct pt_out_model_result *r)
{
	bool gpa_mode =
		guest && (pt_model_field(m, F_CPU_BASED) & P_SECONDARY) && (pt_model_field(m, F_SECONDARY) & S_PT_GPA);
	unsigned perms = 0;

	if (!gpa_mode) {
		*hpa = gpa;
		return true;
	}
	if (ept_walk(pt_model_field(m, F_EPTP), gpa, hpa, &perms) && (perms & need) == need)
		return true;
	r->exited = true;
	r->gpa = gpa;
	r->qual = (need == 2 ? Q_WRITE : Q_READ) | ((uint64_t)perms << 3) | Q_ASYNC;
	pt_model_set_field(m, F_EXIT, REASON_EPT);
	pt_model_set_field(m, F_QUAL, r->qual);
	pt_model_set_field(m, F_GPA, gpa);
	pt_model_vmexit(m);
	return false;
}

static struct pt_out_model_result out_write(struct cpu_model *m, bool guest, const uint8_t *data, size_t len)
{
	struct pt_out_model_result r = { 0 };
	struct cpu_model_msr *base = cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_BASE);
	struct cpu_model_msr *mask = cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS);
	struct cpu_model_msr *status = cpu_model_msr(m, MSR_IA32_RTIT_STATUS);
	uint64_t ctl = cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0);
	unsigned hops = 0;

	if (!base || !mask || !status || !(ctl & RTIT_CTL_TRACEEN) || !(ctl & RTIT_CTL_TOPA))
		return r;
	while (r.written < len && !(status->value & (S_ERROR | S_STOPPED))) {
		uint64_t index = (mask->value >> 7) & 0x1ffffff, off = mask->value >> 32;
		uint64_t entry, hpa, size;

		if (!out_access(m, guest, base->value + index * 8, 1, &hpa, &r))
			return r;
		memcpy(&entry, phys_arena_at(hpa), 8);
		if (entry & T_END) {
			if (++hops > 16)
				return r; /* a loop of END entries: the test built it wrong */
			base->value = entry & E_ADDR;
			mask->value = 0x7f;
			continue;
		}
		size = 4096ULL << ((entry >> 6) & 0xf);
		if (!out_access(m, guest, (entry & E_ADDR) + off, 2, &hpa, &r))
			return r;
		*phys_arena_at(hpa) = data[r.written++];
		off++;
		if (off < size) {
			mask->value = (off << 32) | (index << 7) | 0x7f;
		} else {
			mask->value = ((index + 1) << 7) | 0x7f;
			if (entry & T_STOP)
				status->value |= S_STOPPED;
		}
	}
	return r;
}

struct pt_out_model_result pt_out_model_write(struct cpu_model *m, const uint8_t *data, size_t len)
{
	return out_write(m, true, data, len);
}

size_t pt_out_model_write_root(struct cpu_model *m, const uint8_t *data, size_t len)
{
	return out_write(m, false, data, len).written;
}

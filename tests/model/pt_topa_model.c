/*
 * Intel PT output through a Table of Physical Addresses, from SDM 33.2.7.2 "Table of Physical
 * Addresses (ToPA)" (entry fields, END, INT, STOP, "ToPA PMI") and 33.2.8.8
 * "IA32_RTIT_OUTPUT_MASK_PTRS" (table offset at bits 31:7, output offset at 63:32). The entry bits
 * are written out here from the SDM, not taken from ptvisor's headers.
 */
#include "pt_topa_model.h"
#include "msr.h"

#define E_END         BIT(0)
#define E_INT         BIT(2)
#define E_STOP        BIT(4)
#define E_SIZE(e)     (((e) >> 6) & 0xf)
#define E_BASE(e)     ((e)&GENMASK(51, 12))
#define MP_LOWER      0x7fULL
#define MP_TABLE(mp)  (((mp) >> 7) & GENMASK(24, 0))
#define MP_OFFSET(mp) ((mp) >> 32)
#define ST_ERROR      BIT(4)
#define ST_STOPPED    BIT(5)
#define TOPA_PMI      BIT(55)
#define MAX_ENDS      4 /* END entries followed per write before calling the table a loop */

static void region_filled(struct cpu_model *m, uint64_t entry, uint64_t *status)
{
	if (entry & E_INT) {
		struct cpu_model_msr *gs = cpu_model_msr(m, MSR_IA32_PERF_GLOBAL_STATUS);

		if (gs)
			gs->value |= TOPA_PMI;
		if (m->pmi_skid)
			m->pmi_deferred = true;
		else
			cpu_model_pmi(m);
	}
	if (entry & E_STOP)
		*status |= ST_STOPPED;
}

uint64_t pt_model_output(struct cpu_model *m, uint64_t bytes)
{
	uint64_t ctl = cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0);
	uint64_t base = cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0);
	uint64_t mp = cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, 0);
	uint64_t status = cpu_model_msr_value(m, MSR_IA32_RTIT_STATUS, 0);
	uint64_t written = 0, index = MP_TABLE(mp), off = MP_OFFSET(mp);
	unsigned ends = 0;

	if (!(ctl & RTIT_CTL_TRACEEN) || !(ctl & RTIT_CTL_TOPA) || (status & (ST_STOPPED | ST_ERROR)))
		return 0;
	while (bytes && !(status & (ST_STOPPED | ST_ERROR))) {
		const uint64_t *e = cpu_model_phys(m, base + index * 8, 8);

		if (!e || (*e & E_END && ++ends > MAX_ENDS)) {
			status |= ST_ERROR; /* SDM 33.3.9 "Operational Errors" */
			break;
		}
		if (*e & E_END) { /* the next table: OUTPUT_BASE follows it */
			base = E_BASE(*e);
			index = 0;
			continue;
		}
		uint64_t size = 4096ULL << E_SIZE(*e);
		uint64_t n = bytes < size - off ? bytes : size - off;
		off += n, bytes -= n, written += n;
		if (off < size)
			break;
		region_filled(m, *e, &status);
		if (!(status & ST_STOPPED))
			index++, off = 0;
	}
	cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_BASE)->value = base;
	cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS)->value = MP_LOWER | (index << 7) | (off << 32);
	cpu_model_msr(m, MSR_IA32_RTIT_STATUS)->value = status;
	return written;
}

/* The CPU model's Intel PT output: trace bytes written through a ToPA, and the PMI of an INT region. */
#ifndef PTV_PT_TOPA_MODEL_H
#define PTV_PT_TOPA_MODEL_H

#include "cpu_model.h"

/*
 * The CPU writes `bytes` of trace with the current IA32_RTIT_* MSRs (nothing unless TraceEn=1 and
 * ToPA=1, nor once STATUS.Stopped or .Error is set). It follows the ToPA from OUTPUT_BASE and
 * OUTPUT_MASK_PTRS through model memory (cpu_model_map_phys; GPA = HPA, no EPT), advancing both as
 * hardware does. A region that fills with INT=1 sets IA32_PERF_GLOBAL_STATUS[55] and raises a PMI
 * (cpu_model_pmi; at the next VM exit with pmi_skid); STOP=1 sets STATUS.Stopped and ends output; an
 * unmapped table is an operational error (STATUS.Error). Returns the bytes written.
 */
uint64_t pt_model_output(struct cpu_model *m, uint64_t bytes);

#endif

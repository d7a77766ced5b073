/* A test rig for vmm/pt/hw/pt_hw.c: the CPU model in VMX operation with a current VMCS and PT controls. */
#ifndef PTV_PT_HW_RIG_H
#define PTV_PT_HW_RIG_H

#include "cpu_model.h"
#include "pt_model.h"
#include "pt/hw/pt_hw.h"

#define RIG_VMCS 0x5000

/* Loads f, installs the PT rules, enters VMX operation with a current VMCS. */
struct cpu_model *rig_load(const struct cpu_fixture *f);
/* Writes the PT-related VM-execution, exit and entry controls for a mode (see pt_host.c). */
void rig_controls(bool load_rtit, bool clear_rtit, bool use_gpa);
/*
 * n exit/entry pairs of g: pt_hw_before_entry, the modelled entry (must
 * succeed), the guest's trace advancing OUTPUT_MASK_PTRS by 0x100 bytes
 * when it traces, the modelled exit, pt_hw_after_exit. Returns the number of
 * failed entries.
 */
unsigned rig_run(struct pt_hw_cpu *cpu, struct pt_guest *g, bool load_rtit, unsigned n, struct vcpu_stats *st);
/* RDMSR/WRMSR of RTIT MSRs in the model's log from index `from`. */
size_t rig_rtit_ops(const struct cpu_model *m, size_t from);
/* A guest tracing into ToPA at `base`: the WRMSRs its driver would make, through pt_hw. */
void rig_guest_start(struct pt_hw_cpu *cpu, struct pt_guest *g, uint64_t base);

#endif

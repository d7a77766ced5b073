/* The CPU model's Intel PT half: RTIT WRMSR rules and the PT parts of VM entry and VM exit. */
#ifndef PTV_PT_MODEL_H
#define PTV_PT_MODEL_H

#include "cpu_model.h"

/* How a modelled VM entry ended (SDM 27 "VM Entries"). */
enum pt_model_entry {
	PT_MODEL_ENTRY_OK,
	PT_MODEL_ENTRY_FAIL_CONTROLS, /* VMfailValid, error 7 "invalid control field(s)" (SDM 27.2) */
	PT_MODEL_ENTRY_FAIL_GUEST,    /* VM-entry failure, exit reason 33 "invalid guest state" (SDM 27.3) */
};

#define PT_MODEL_VMXERR_BAD_CONTROLS 7

/* Installs the RTIT WRMSR rules into cpu_wrmsr_safe (call after cpu_model_load). */
void pt_model_install(struct cpu_model *m);
/*
 * VM entry with the current VMCS: checks the PT controls (allowed settings;
 * PT-uses-GPA needs EPT, load and clear IA32_RTIT_CTL; "load IA32_RTIT_CTL"
 * with host TraceEn=1 fails) and the guest IA32_RTIT_CTL field's reserved
 * bits, then loads IA32_RTIT_CTL. Logged as CPU_OP_VMENTRY (value = result).
 */
enum pt_model_entry pt_model_vmentry(struct cpu_model *m);
/* VM exit: saves IA32_RTIT_CTL into the guest field, clears it under "clear IA32_RTIT_CTL". */
void pt_model_vmexit(struct cpu_model *m);
/* A VMCS field of the current VMCS, bypassing the instruction checks (0 when unwritten). */
uint64_t pt_model_field(struct cpu_model *m, uint64_t field);
/* Writes a field of the current VMCS as the CPU does (exit information), bypassing VMWRITE. */
void pt_model_set_field(struct cpu_model *m, uint64_t field, uint64_t v);
/* The IA32_RTIT_CTL bits this CPU implements, from its CPUID leaf 14H. */
uint64_t pt_model_ctl_valid(struct cpu_model *m);

#endif

/* The CPU model's Intel PT output in VMX non-root operation: ToPA reads and trace writes through EPT. */
#ifndef PTV_PT_OUT_MODEL_H
#define PTV_PT_OUT_MODEL_H

#include "cpu_model.h"

/* What one call of pt_out_model_write did. */
struct pt_out_model_result {
	size_t written; /* bytes that reached memory */
	bool exited;    /* an EPT violation VM exit ended it (reason 48, fields set in the VMCS) */
	uint64_t qual;  /* its exit qualification */
	uint64_t gpa;   /* its guest-physical address */
};

/*
 * The guest's trace produces `len` bytes of `data` while IA32_RTIT_CTL has
 * TraceEn=1 and ToPA=1 (the model's MSRs, as loaded at VM entry). With
 * "Intel PT uses guest physical addresses" in the current VMCS, OUTPUT_BASE
 * and the ToPA entries are guest-physical and go through the EPT at the VMCS's
 * EPT pointer (SDM 33.5.2.4 "Virtualization of Guest Output Packet Streams"):
 * reading a ToPA entry needs EPT read permission, writing an output byte
 * write permission. A missing permission is an EPT violation VM exit with
 * qualification bit 0 (the ToPA read) or bit 1 (the output write), bits 5:3
 * the leaf EPT entry's R/W/X (0 when not present), bit 7 = 0 (no linear
 * address) and bit 16 = 1 (asynchronous to instruction execution, as for
 * Intel PT output: SDM 28.2.1, Table 28-7); the model then exits
 * (pt_model_vmexit) and the bytes not written stay with the caller, which
 * hands them in again after the next VM entry (the model keeps them: it
 * does not lose trace at such an exit). OUTPUT_MASK_PTRS advances with every
 * byte; END entries jump to the next table; a full region with STOP sets
 * IA32_RTIT_STATUS.Stopped and writes no more. With IA32_RTIT_STATUS.Error
 * or .Stopped set nothing is written.
 */
struct pt_out_model_result pt_out_model_write(struct cpu_model *m, const uint8_t *data, size_t len);
/* The same in VMX root operation (the host's trace): physical addresses, no EPT, no exit. */
size_t pt_out_model_write_root(struct cpu_model *m, const uint8_t *data, size_t len);

#endif

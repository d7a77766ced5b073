/* Exit reasons and VM-instruction errors in words, for reports (SDM Appendix C, SDM 31.4). */
#include "vmx/exit_reason.h"
#include "vmx/vmx_error.h"
#include "types.h"

static const char *const reason_names[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = "exception or NMI",
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple fault",
	[EXIT_REASON_INIT_SIGNAL] = "INIT signal",
	[EXIT_REASON_SIPI] = "start-up IPI",
	[EXIT_REASON_INTERRUPT_WINDOW] = "interrupt window",
	[EXIT_REASON_NMI_WINDOW] = "NMI window",
	[EXIT_REASON_TASK_SWITCH] = "task switch",
	[EXIT_REASON_CPUID] = "CPUID",
	[EXIT_REASON_GETSEC] = "GETSEC",
	[EXIT_REASON_HLT] = "HLT",
	[EXIT_REASON_INVD] = "INVD",
	[EXIT_REASON_INVLPG] = "INVLPG",
	[EXIT_REASON_RDPMC] = "RDPMC",
	[EXIT_REASON_RDTSC] = "RDTSC",
	[EXIT_REASON_RSM] = "RSM",
	[EXIT_REASON_VMCALL] = "VMCALL",
	[EXIT_REASON_VMCLEAR] = "VMCLEAR",
	[EXIT_REASON_VMLAUNCH] = "VMLAUNCH",
	[EXIT_REASON_VMPTRLD] = "VMPTRLD",
	[EXIT_REASON_VMPTRST] = "VMPTRST",
	[EXIT_REASON_VMREAD] = "VMREAD",
	[EXIT_REASON_VMRESUME] = "VMRESUME",
	[EXIT_REASON_VMWRITE] = "VMWRITE",
	[EXIT_REASON_VMXOFF] = "VMXOFF",
	[EXIT_REASON_VMXON] = "VMXON",
	[EXIT_REASON_CR_ACCESS] = "control-register access",
	[EXIT_REASON_DR_ACCESS] = "debug-register access",
	[EXIT_REASON_IO_INSTRUCTION] = "I/O instruction",
	[EXIT_REASON_MSR_READ] = "RDMSR",
	[EXIT_REASON_MSR_WRITE] = "WRMSR",
	[EXIT_REASON_INVALID_GUEST_STATE] = "VM-entry failure due to invalid guest state",
	[EXIT_REASON_MSR_LOAD_FAIL] = "VM-entry failure due to MSR loading",
	[EXIT_REASON_MWAIT] = "MWAIT",
	[EXIT_REASON_MONITOR_TRAP_FLAG] = "monitor trap flag",
	[EXIT_REASON_MONITOR] = "MONITOR",
	[EXIT_REASON_PAUSE] = "PAUSE",
	[EXIT_REASON_MCE_DURING_VMENTRY] = "VM-entry failure due to machine-check event",
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[EXIT_REASON_APIC_ACCESS] = "APIC access",
	[EXIT_REASON_EOI_INDUCED] = "virtualized EOI",
	[EXIT_REASON_GDTR_IDTR] = "GDTR/IDTR access",
	[EXIT_REASON_LDTR_TR] = "LDTR/TR access",
	[EXIT_REASON_EPT_VIOLATION] = "EPT violation",
	[EXIT_REASON_EPT_MISCONFIG] = "EPT misconfiguration",
	[EXIT_REASON_INVEPT] = "INVEPT",
	[EXIT_REASON_RDTSCP] = "RDTSCP",
	[EXIT_REASON_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[EXIT_REASON_INVVPID] = "INVVPID",
	[EXIT_REASON_WBINVD] = "WBINVD",
	[EXIT_REASON_XSETBV] = "XSETBV",
	[EXIT_REASON_APIC_WRITE] = "APIC write",
	[EXIT_REASON_RDRAND] = "RDRAND",
	[EXIT_REASON_INVPCID] = "INVPCID",
	[EXIT_REASON_VMFUNC] = "VMFUNC",
	[EXIT_REASON_ENCLS] = "ENCLS",
	[EXIT_REASON_RDSEED] = "RDSEED",
	[EXIT_REASON_PML_FULL] = "page-modification log full",
	[EXIT_REASON_XSAVES] = "XSAVES",
	[EXIT_REASON_XRSTORS] = "XRSTORS",
};

const char *exit_reason_name(unsigned reason)
{
	reason &= 0xffff;
	if (reason < EXIT_REASON_MAX && reason_names[reason])
		return reason_names[reason];
	return "unknown exit reason";
}

static const char *const error_names[] = {
	[VMXERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
	[VMXERR_VMCLEAR_BAD_ADDR] = "VMCLEAR with invalid physical address",
	[VMXERR_VMCLEAR_VMXON_PTR] = "VMCLEAR with VMXON pointer",
	[VMXERR_VMLAUNCH_NOT_CLEAR] = "VMLAUNCH with non-clear VMCS",
	[VMXERR_VMRESUME_NOT_LAUNCHED] = "VMRESUME with non-launched VMCS",
	[VMXERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
	[VMXERR_ENTRY_BAD_CONTROLS] = "VM entry with invalid control field(s)",
	[VMXERR_ENTRY_BAD_HOST_STATE] = "VM entry with invalid host-state field(s)",
	[VMXERR_VMPTRLD_BAD_ADDR] = "VMPTRLD with invalid physical address",
	[VMXERR_VMPTRLD_VMXON_PTR] = "VMPTRLD with VMXON pointer",
	[VMXERR_VMPTRLD_BAD_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
	[VMXERR_UNSUPPORTED_FIELD] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMXERR_VMWRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
	[VMXERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
	[VMXERR_ENTRY_BAD_EXEC_VMCS] = "VM entry with invalid executive-VMCS pointer",
	[VMXERR_ENTRY_EXEC_VMCS_NOT_LAUNCHED] = "VM entry with non-launched executive VMCS",
	[VMXERR_ENTRY_EXEC_VMCS_NOT_VMXON] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[VMXERR_VMCALL_NOT_CLEAR] = "VMCALL with non-clear VMCS",
	[VMXERR_VMCALL_BAD_EXIT_CONTROLS] = "VMCALL with invalid VM-exit control fields",
	[VMXERR_VMCALL_BAD_MSEG_REVISION] = "VMCALL with incorrect MSEG revision identifier",
	[VMXERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMXERR_VMCALL_BAD_SMM_FEATURES] = "VMCALL with invalid SMM-monitor features",
	[VMXERR_ENTRY_BAD_EXEC_CONTROLS_EXEC_VMCS] =
		"VM entry with invalid VM-execution control fields in executive VMCS",
	[VMXERR_ENTRY_MOV_SS_BLOCKING] = "VM entry with events blocked by MOV SS",
	[VMXERR_INVALID_INVEPT_INVVPID] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(unsigned error)
{
	if (error < ARRAY_SIZE(error_names) && error_names[error])
		return error_names[error];
	return "unknown VM-instruction error";
}

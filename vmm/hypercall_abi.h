/*
 * The ptvisor hypercall ABI, version 1.0, shared by the VMM and guests.
 * A guest executes VMCALL with the call number in EAX/RAX and arguments in
 * EBX, ECX, EDX (RBX, RCX, RDX in 64-bit mode); the result comes back in EAX
 * (negative values are errors) and, where stated, EBX..EDX. Unknown numbers
 * return PTV_HC_ENOSYS; nothing else changes. VMCALL from CPL > 0 gets #UD
 * (SDM "VMCALL": the instruction is privileged to the guest kernel).
 */
#ifndef PTV_HYPERCALL_ABI_H
#define PTV_HYPERCALL_ABI_H

#define PTV_HC_ABI_MAJOR 1
#define PTV_HC_ABI_MINOR 0
#define PTV_HC_SIGNATURE 0x69767470u /* "ptvi" little endian, returned in EBX by PTV_HC_VERSION */

enum ptv_hypercall {
	PTV_HC_VERSION = 0,       /* -> EAX = (major << 16) | minor, EBX = PTV_HC_SIGNATURE */
	PTV_HC_NULL = 1,          /* does nothing: the round-trip floor */
	PTV_HC_CONSOLE_WRITE = 2, /* EBX = GPA of text, ECX = length (<= PTV_HC_CONSOLE_MAX) -> EAX = bytes */
	PTV_HC_INFO = 3,          /* EBX = GPA of struct ptv_hc_info to fill -> EAX = 0 */
	PTV_HC_SHUTDOWN = 4,      /* EBX = exit status; does not return */
	PTV_HC_STATS = 5,         /* EBX = GPA of struct ptv_hc_stats to fill -> EAX = 0 */
	PTV_HC_PT_HOST_READ = 6,  /* privileged=yes guests: EBX = GPA, ECX = length, EDX = offset in the
				    * host Intel PT trace -> EAX = bytes copied, 0 past the end */
	PTV_HC_COUNT
};

#define PTV_HC_OK     0
#define PTV_HC_EPERM  (-1)  /* the call needs privileged=yes */
#define PTV_HC_EFAULT (-14) /* a GPA argument is not guest RAM of the caller */
#define PTV_HC_EINVAL (-22)
#define PTV_HC_ENOSYS (-38)

#define PTV_HC_CONSOLE_MAX 4096

/* Filled by PTV_HC_INFO; fixed layout (little endian, no padding surprises). */
struct ptv_hc_info {
	unsigned int abi_version;    /* (major << 16) | minor */
	unsigned int guest_id;       /* 0-based index of the caller */
	unsigned int guest_count;    /* guests started at boot */
	unsigned int flags;          /* bit 0: Intel PT exposed to this guest */
	unsigned long long mem_size; /* bytes of guest-physical RAM from GPA 0 */
	char name[32];               /* NUL-terminated guest name */
};

/* Filled by PTV_HC_STATS: the VMM's counters for the calling guest. */
struct ptv_hc_stats {
	unsigned long long exits; /* VM exits the guest caused so far (time-slice exits excluded) */
	unsigned long long hypercalls;
	unsigned long long vmm_free_frames; /* free physical frames in the VMM allocator now */
	unsigned long long ept_violations;
};

#endif

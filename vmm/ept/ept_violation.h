/* EPT-violation exits: decoding the exit qualification and routing faults to the owner of a GPA range. */
#ifndef PTV_EPT_VIOLATION_H
#define PTV_EPT_VIOLATION_H

#include "types.h"
#include "ept/ept.h"

/* Exit qualification for EPT violations (SDM 28.2.1 "Basic VM-Exit Information", Table 28-7). */
#define EPT_VQ_READ           BIT(0)
#define EPT_VQ_WRITE          BIT(1)
#define EPT_VQ_FETCH          BIT(2)
#define EPT_VQ_PERM_SHIFT     3      /* bits 5:3: the entry's read/write/execute rights */
#define EPT_VQ_USER_EXEC      BIT(6) /* with mode-based execute control */
#define EPT_VQ_GLA_VALID      BIT(7)
#define EPT_VQ_TRANSLATION    BIT(8)  /* if bit 7: the final access, not a paging-structure access */
#define EPT_VQ_GLA_SUPERVISOR BIT(9)  /* advanced VM-exit information: a supervisor-mode address */
#define EPT_VQ_GLA_RW         BIT(10) /* advanced: the linear address is writable */
#define EPT_VQ_GLA_NX         BIT(11) /* advanced: the linear address is execute-disable */
#define EPT_VQ_NMI_UNBLOCK    BIT(12) /* NMI unblocking due to IRET */
#define EPT_VQ_SHADOW_STACK   BIT(13)
#define EPT_VQ_ASYNC          BIT(16) /* asynchronous to instruction execution, e.g. Intel PT output */

struct ept_violation {
	uint64_t gpa, gla; /* gla is 0 unless gla_valid */
	bool read, write, fetch, gla_valid, translation, nmi_unblock, async;
	unsigned entry_perms; /* EPT_R/EPT_W/EPT_X of the walk that faulted */
	bool entry_user_exec; /* bit 6: only meaningful with mode-based execute control */
	/* Bits 9-11, valid only when gla_valid && translation and the CPU reports advanced information
	 * for EPT violations (IA32_VMX_EPT_VPID_CAP bit 22). */
	bool gla_supervisor, gla_writable, gla_nx;
	bool shadow_stack;
};

void ept_violation_decode(uint64_t qual, uint64_t gpa, uint64_t gla, struct ept_violation *v);
/* One line such as "write at GPA 0x12345000: entry permissions r--, asynchronous"; snprintf's return. */
int ept_violation_format(const struct ept_violation *v, char *buf, size_t len);
/* Not caused by the instruction at RIP (SDM Table 28-7 bit 16): RIP must not be advanced past it. */
bool ept_violation_is_async(const struct ept_violation *v);

/* What the VMM does after a handler ran. */
enum ept_fault_result {
	EPT_FAULT_RETRY, /* resolved: resume the guest at the same RIP */
	EPT_FAULT_SKIP,  /* emulated: advance RIP past the instruction */
	EPT_FAULT_STOP_GUEST,
	EPT_FAULT_UNHANDLED,
};

typedef enum ept_fault_result (*ept_fault_fn)(void *ctx, const struct ept_violation *v);

#define EPT_CLAIMS_MAX 16

struct ept_claim {
	uint64_t gpa, len; /* len 0: the slot is free */
	const char *owner; /* a string that outlives the claim */
	ept_fault_fn fn;
	void *ctx;
};

struct ept_claims {
	struct ept_claim slot[EPT_CLAIMS_MAX];
};

void ept_claims_init(struct ept_claims *c);
/* Claims [gpa, gpa+len) for fn; -1 for an empty or wrapping range, an overlap, no fn or no free slot. */
int ept_claim(struct ept_claims *c, uint64_t gpa, uint64_t len, const char *owner, ept_fault_fn fn, void *ctx);
/* Releases the claim of exactly [gpa, gpa+len); -1 when there is none. */
int ept_unclaim(struct ept_claims *c, uint64_t gpa, uint64_t len);
/* The claim containing gpa, or NULL. */
const struct ept_claim *ept_claims_find(const struct ept_claims *c, uint64_t gpa);
/*
 * Calls the handler of the claim containing v->gpa; EPT_FAULT_UNHANDLED when none does. SKIP on an
 * asynchronous violation becomes RETRY: the instruction at RIP did not cause it.
 */
enum ept_fault_result ept_claims_dispatch(const struct ept_claims *c, const struct ept_violation *v);

/*
 * EPT-misconfiguration exits carry only the GPA (SDM 29.3.3.1): walks the EPT and names the bad entry
 * (level, value, reason) in buf. snprintf's return.
 */
int ept_misconfig_describe(const struct ept *e, uint64_t gpa, char *buf, size_t len);

#endif

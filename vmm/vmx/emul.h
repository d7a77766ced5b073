/*
 * Emulation of guest instructions whose memory operand has no RAM behind it (exit_ept.c hands them
 * over): the guest-physical bus they see (emul_bus.c), their operands' linear and physical addresses
 * (emul_access.c), one-operand instructions (exit_mem.c) and string instructions (exit_string.c).
 */
#ifndef PTV_VMX_EMUL_H
#define PTV_VMX_EMUL_H

#include "types.h"
#include "ept/ept_violation.h"
#include "vmx/vcpu.h"
#include "x86/mem_insn.h"
#include "x86/paging.h"
#include "x86/seg.h"

/* String elements emulated per VM exit at most; the rest wait for the guest to re-execute the REP. */
#define EMUL_STRING_MAX 4096u

/*
 * Guest-physical bus: RAM through the EPT, the local APIC page (vlapic_vmx.c), and nothing elsewhere,
 * like an unclaimed PC bus: reads return all ones and writes are dropped. size is 1-8 bytes within a
 * page. -1 only when RAM refuses the access (an EPT restriction of ptvisor's own).
 */
int emul_bus_read(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t *val);
int emul_bus_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val);
/* Neither RAM nor a device: the bus's all-ones, write-dropping part. */
bool emul_bus_unbacked(const struct vcpu *v, uint64_t gpa);

/* The guest's addressing state for one exit, read once from the VMCS. */
struct emul_ctx {
	struct vcpu *v;
	const struct mem_insn *mi;
	enum insn_mode mode;
	enum seg_mode seg_mode;
	struct seg_cache seg[6]; /* read from the VMCS when first used */
	unsigned seg_loaded;
	struct paging_regs pg;
	struct paging_bus bus;
	struct emul_tlb {
		uint64_t la_page, gpa_page;
		bool valid, write;
	} tlb[2]; /* translations made during this exit: a REP reuses them, as the CPU's TLB would */
	unsigned tlb_next;
	struct emul_ram_page {
		uint64_t gpa_page;
		uint8_t *host; /* NULL: none yet */
		unsigned perms;
	} ram; /* the last RAM page reached, through the EPT walker once per page instead of per element */
};

/* An operand's bytes: up to two pieces, split where it crosses a page. */
struct emul_span {
	uint64_t la; /* of the first byte */
	unsigned n;
	uint64_t gpa[2];
	unsigned len[2];
};

/* An exception the emulated instruction raises instead of completing. */
struct emul_fault {
	unsigned vector;
	uint32_t error;
	uint64_t cr2; /* #PF */
};

enum emul_rc {
	EMUL_OK,
	EMUL_FAULT, /* *fault says which; nothing was written */
	EMUL_STOP,  /* the guest must stop: vcpu_stop() has the reason */
};

void emul_ctx_init(struct emul_ctx *c, struct vcpu *v, const struct mem_insn *mi, enum insn_mode mode);
/* Segmentation (x86/seg.h) then paging (x86/paging.h) of size bytes at seg:offset for a read or a write. */
enum emul_rc emul_locate(struct emul_ctx *c, enum insn_seg seg, uint64_t offset, unsigned size, bool write,
			 struct emul_span *sp, struct emul_fault *fault);
/* Paging alone, from a linear address. */
enum emul_rc emul_translate(struct emul_ctx *c, uint64_t la, unsigned size, bool write, struct emul_span *sp,
			    struct emul_fault *fault);
/* The span's bytes (little-endian), through the bus. EMUL_OK or EMUL_STOP. */
enum emul_rc emul_read(struct emul_ctx *c, const struct emul_span *sp, uint64_t *val);
enum emul_rc emul_write(struct emul_ctx *c, const struct emul_span *sp, uint64_t val);
/* Whether any byte of the span is on the bus's unbacked part or the APIC page (not plain RAM). */
bool emul_span_needs_vmm(const struct emul_ctx *c, const struct emul_span *sp);
/* Queues the fault for the next VM entry (#PF with CR2); RIP stays at the instruction. */
void emul_inject(struct vcpu *v, const struct emul_fault *fault);

/* A register operand of `size` bytes; high8 is AH-BH. Writes of 4 bytes zero-extend (SDM Vol. 1 3.4.1.1). */
uint64_t emul_reg_read(struct vcpu *v, int reg, bool high8, unsigned size);
void emul_reg_write(struct vcpu *v, int reg, bool high8, unsigned size, uint64_t val);
/* The instruction completed: RIP past it, RF cleared (SDM Vol. 3B 17.3.1.1), its step accounted. */
enum exit_action emul_retire(struct emul_ctx *c);
/* The status flags of rflags into the guest's RFLAGS. */
void emul_set_flags(uint64_t rflags);

/* The instruction at RIP touched unbacked memory (ev): emulate it, or stop the guest naming it. */
enum exit_action emul_mem_exit(struct vcpu *v, const struct ept_violation *ev);
/* MOVS, STOS, LODS, CMPS, SCAS with or without REP. */
enum exit_action emul_string(struct emul_ctx *c);
/* XADD, CMPXCHG, CMPXCHG8B/16B (exit_atomic.c). */
enum exit_action emul_atomic(struct emul_ctx *c, const struct ept_violation *ev);
/* PUSH r/m, POP r/m (exit_stack.c). */
enum exit_action emul_stack(struct emul_ctx *c, const struct ept_violation *ev);

/*
 * The explicit memory operand's offset with RSP as given (POP computes it after the increment), moved
 * by a BT* register's bit offset in *src when src is not NULL.
 */
uint64_t emul_operand_offset(struct emul_ctx *c, uint64_t *src, uint64_t rsp);
/* Whether the linear address the CPU faulted at (ev) lies in the `size` bytes of sp. */
bool emul_covers(const struct emul_ctx *c, const struct emul_span *sp, unsigned size, const struct ept_violation *ev);
/* It does not: a decoding bug or a changed instruction. Stops the guest saying so. */
enum exit_action emul_mismatch(struct emul_ctx *c, const struct emul_span *sp, const struct ept_violation *ev);
/* A fault goes to the guest (RIP stays), EMUL_STOP stops it. */
enum exit_action emul_fault_or_stop(struct emul_ctx *c, enum emul_rc rc, const struct emul_fault *f);

#endif

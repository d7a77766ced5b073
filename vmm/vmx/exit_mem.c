/*
 * An instruction whose memory operand has no RAM behind it, or is the local APIC page, caught by its EPT
 * violation and carried out here as the CPU would have: the operand's address from its ModRM/SIB bytes
 * and the guest's registers, segmentation and paging as the guest set them up (faults delivered to it),
 * the bytes through the emulated bus, the result and status flags per the SDM (x86/alu.c). String
 * instructions continue in exit_string.c; any other instruction stops the guest, named by its bytes.
 */
#include "vmx/emul.h"
#include "vmx/gva.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vmcs_ops.h"
#include "x86/arch.h"
#include "x86/insn_ea.h"
#include "lib/format.h"
#include "log.h"

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return (uint64_t)((int64_t)(v << shift) >> shift);
}

uint64_t emul_reg_read(struct vcpu *v, int reg, bool high8, unsigned size)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP), val = *vcpu_gpr(v, (unsigned)reg, &rsp);

	return (high8 ? val >> 8 : val) & size_mask(size);
}

void emul_reg_write(struct vcpu *v, int reg, bool high8, unsigned size, uint64_t val)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP), *r = vcpu_gpr(v, (unsigned)reg, &rsp);

	val &= size_mask(size);
	if (high8)
		*r = (*r & ~(uint64_t)0xff00) | (val << 8);
	else if (size >= 4)
		*r = val; /* 32-bit destinations zero-extend (SDM Vol. 1 3.4.1.1) */
	else
		*r = (*r & ~size_mask(size)) | val;
	if (reg == 4 && !high8)
		vmcs_writenat(GUEST_RSP, rsp);
}

void emul_set_flags(uint64_t rflags)
{
	uint64_t cur = vmcs_readnat(GUEST_RFLAGS);

	vmcs_writenat(GUEST_RFLAGS, (cur & ~RFLAGS_STATUS) | (rflags & RFLAGS_STATUS));
}

/* The instruction completed: past it, with RF cleared as after any instruction (SDM Vol. 3B 17.3.1.1). */
enum exit_action emul_retire(struct emul_ctx *c)
{
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS);

	if (rflags & RFLAGS_RF)
		vmcs_writenat(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
	vcpu_advance(c->v, c->mi->in.len);
	return EXIT_RESUME;
}

/* The operand's offset: ModRM/SIB/disp, moved by a BT* register's bit offset (SDM Vol. 2 "BT"). */
uint64_t emul_operand_offset(struct emul_ctx *c, uint64_t *src, uint64_t rsp)
{
	const struct mem_insn *mi = c->mi;
	const struct guest_regs *r = &c->v->regs;
	const uint64_t gpr[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, rsp,    r->rbp, r->rsi, r->rdi,
		r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
	};
	uint64_t offset = insn_ea(&mi->in, c->mode, gpr, vmcs_readnat(GUEST_RIP) + mi->in.len);
	if (src && mi->bit_offset_reg) {
		/* A signed offset: the operand is the word, dword or qword that holds its bit. */
		unsigned shift = mi->size == 2 ? 4 : mi->size == 4 ? 5 : 6;
		int64_t bit = (int64_t)sign_extend(*src, mi->size);
		offset = (offset + (uint64_t)((bit >> shift) * (int64_t)mi->size)) & insn_addr_mask(mi->in.addrsize);
		*src &= 8 * mi->size - 1;
	}
	return offset;
}

bool emul_covers(const struct emul_ctx *c, const struct emul_span *sp, unsigned size, const struct ept_violation *ev)
{
	uint64_t d = ev->gla - sp->la;

	if (!ev->gla_valid)
		return true;
	return (c->mode == INSN_MODE64 ? d : (uint32_t)d) < size;
}

enum exit_action emul_mismatch(struct emul_ctx *c, const struct emul_span *sp, const struct ept_violation *ev)
{
	return vcpu_stop(c->v, -1, "%s at RIP 0x%lx: operand at linear 0x%lx, but the CPU faulted at 0x%lx",
			 mem_insn_name(c->mi), vmcs_readnat(GUEST_RIP), sp->la, ev->gla);
}

static enum exit_action emul_one(struct emul_ctx *c, const struct ept_violation *ev)
{
	const struct mem_insn *mi = c->mi;
	struct vcpu *v = c->v;
	struct emul_span sp;
	struct emul_fault f;
	uint64_t mem = 0, flags = vmcs_readnat(GUEST_RFLAGS), res;
	uint64_t src = mi->reg >= 0 ? emul_reg_read(v, mi->reg, mi->high8, mi->reg_size) : mi->imm;
	bool alu_dst = mi->kind == MEM_ALU && alu_writes_dst(mi->op);
	bool writes_mem = mi->kind == MEM_STORE || mi->kind == MEM_XCHG || (alu_dst && mi->mem_is_dst);
	uint64_t offset = emul_operand_offset(c, &src, vmcs_readnat(GUEST_RSP));
	enum emul_rc rc = emul_locate(c, insn_ea_seg(&mi->in), offset, mi->size, writes_mem, &sp, &f);

	if (rc != EMUL_OK)
		return emul_fault_or_stop(c, rc, &f);
	if (!emul_covers(c, &sp, mi->size, ev))
		return emul_mismatch(c, &sp, ev);
	if (mi->kind != MEM_STORE && emul_read(c, &sp, &mem) != EMUL_OK)
		return EXIT_STOPPED;
	switch (mi->kind) {
	case MEM_LOAD:
		emul_reg_write(v, mi->reg, mi->high8, mi->reg_size, mi->sign_extend ? sign_extend(mem, mi->size) : mem);
		break;
	case MEM_STORE:
		rc = emul_write(c, &sp, src);
		break;
	case MEM_XCHG:
		rc = emul_write(c, &sp, src);
		if (rc == EMUL_OK)
			emul_reg_write(v, mi->reg, mi->high8, mi->size, mem);
		break;
	case MEM_ALU:
	default:
		if (mi->mem_is_dst) {
			res = alu_exec(mi->op, mi->size, mem, src, &flags);
			if (alu_dst)
				rc = emul_write(c, &sp, res);
		} else {
			res = alu_exec(mi->op, mi->size, src, mem, &flags);
			if (alu_dst)
				emul_reg_write(v, mi->reg, mi->high8, mi->size, res);
		}
		if (rc == EMUL_OK)
			emul_set_flags(flags);
		break;
	}
	return rc == EMUL_OK ? emul_retire(c) : EXIT_STOPPED;
}

/* Stops the guest, naming the instruction by its bytes (all it has when it cannot be decoded). */
static enum exit_action unemulated(struct vcpu *v, const struct ept_violation *ev, const uint8_t *code, size_t n,
				   enum insn_mode mode)
{
	struct insn in;
	char bytes[3 * INSN_MAX_LEN + 1] = "";
	size_t len = insn_decode(code, n, mode, &in) ? n : in.len;

	for (size_t i = 0, at = 0; i < len; i++)
		at += (size_t)ptv_snprintf(bytes + at, sizeof(bytes) - at, "%s%02x", i ? " " : "", code[i]);
	pr_err("guest %s: instruction [%s] at RIP 0x%lx touched GPA 0x%lx (no RAM there), which ptvisor does not "
	       "emulate\n",
	       v->name, len ? bytes : "not readable", vmcs_readnat(GUEST_RIP), ev->gpa);
	return vcpu_stop(v, -1, "access at GPA 0x%lx by an instruction ptvisor does not emulate: [%s]", ev->gpa,
			 len ? bytes : "not readable");
}

enum exit_action emul_mem_exit(struct vcpu *v, const struct ept_violation *ev)
{
	uint8_t code[INSN_MAX_LEN];
	enum insn_mode mode = vcpu_insn_mode(v);
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	struct mem_insn mi;
	struct emul_ctx c;
	size_t n;

	if (ev->fetch)
		return vcpu_stop(v, -1, "instruction fetch at GPA 0x%lx (no RAM there), RIP 0x%lx", ev->gpa,
				 vmcs_readnat(GUEST_RIP));
	/* The exit came while the CPU delivered an event (SDM 28.2.4): RIP's instruction did not touch it. */
	if (idt & INTR_INFO_VALID)
		return vcpu_stop(v, -1, "delivery of event vector %u touched GPA 0x%lx (no RAM there): not emulated",
				 idt & 0xff, ev->gpa);
	n = vcpu_fetch(v, vcpu_lip(), code, sizeof(code));
	if (mem_insn_decode(code, n, mode, &mi))
		return unemulated(v, ev, code, n, mode);
	emul_ctx_init(&c, v, &mi, mode);
	switch (mi.kind) {
	case MEM_STRING:
		return emul_string(&c);
	case MEM_XADD:
	case MEM_CMPXCHG:
	case MEM_CMPXCHG8B:
		return emul_atomic(&c, ev);
	case MEM_PUSH:
	case MEM_POP:
		return emul_stack(&c, ev);
	default:
		return emul_one(&c, ev);
	}
}

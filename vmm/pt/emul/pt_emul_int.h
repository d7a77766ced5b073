/* Shared inside the emulated PT backend (pt/emul/): the engine's steps, its breakpoint, its output. */
#ifndef PTV_PT_EMUL_INT_H
#define PTV_PT_EMUL_INT_H

#include "pt/emul/pt_emul.h"
#include "pt/pt_guest.h"
#include "vmx/vcpu_vmcs.h"

/* pt_emul_step.c: one instruction at a time */
enum pt_cpu_mode pt_emul_cpu_mode(const struct vcpu *v);
/* Which ADDRn ranges filter and which stop, from IA32_RTIT_CTL (at TraceEn; they cannot change then). */
void pt_emul_ranges_init(struct pt_guest *pg);
/* SDM 33.2.4 "Trace Filtering": CPL (OS/User), CR3 match, and IP filter ranges (ADDRn_CFG = 1). */
bool pt_emul_filters_pass(const struct pt_guest *pg, uint64_t ip);
/* The same for code at privilege level cpl (where an event or far transfer goes). */
bool pt_emul_filters_pass_at(const struct pt_guest *pg, uint64_t ip, unsigned cpl);
/* An ADDRn range with ADDRn_CFG = 2 (TraceStop) holds ip. */
bool pt_emul_trace_stop_hit(const struct pt_guest *pg, uint64_t ip);
/* The handler of `vector` from the guest IDT (IVT in real mode). */
bool pt_emul_idt_handler(struct vcpu *v, unsigned vector, uint64_t *ip);
/* ... and the CPL its gate leads to. */
bool pt_emul_idt_gate(struct vcpu *v, unsigned vector, uint64_t *ip, unsigned *cpl);
/* An event from ip to handler (at cpl) while traced: FUP+TIP, or FUP+TIP.PGD if it leaves the context. */
void pt_emul_event_packets(struct vcpu *v, struct pt_emul *e, uint64_t ip, uint64_t handler, unsigned cpl);
/* Decodes the instruction at ip so the next step exit can account for it; false if its bytes can all be
   fetched and still do not decode (tracing cannot go on). */
bool pt_emul_decode_next(struct vcpu *v, struct pt_emul *e, uint64_t ip);
/* `prev` retired and execution went on at next_ip: packets; true if the guest's own TF trap is due. */
bool pt_emul_account(struct vcpu *v, struct pt_emul *e, uint64_t next_ip);
/* TIP.PGE / TIP.PGD when the filters' verdict changes between instructions (SDM 33.2.5). */
void pt_emul_update_context(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip);
/* At an event handler reached through the breakpoint: its frame shows the guest's TF, not ours. */
void pt_emul_fix_event_frame(struct vcpu *v, struct pt_emul *e);

/* pt_emul_dr.c: the handler breakpoint and the guest's own debug exceptions */
/* Arms the handler breakpoint at ip (re-arming moves it); `frame_err`: the frame has an error code. */
void pt_emul_bp_arm(struct pt_emul *e, uint64_t ip, bool frame_err);
void pt_emul_bp_disarm(struct pt_emul *e);
/* Whether arming now would hide a guest execute breakpoint on the instruction at ip (stolen slot). */
bool pt_emul_bp_would_hide(const struct pt_emul *e, uint64_t ip);
/* The #DB conditions in `dr6` (an exit qualification) that are the guest's own, at ip. */
uint64_t pt_emul_guest_db_bits(const struct pt_emul *e, uint64_t dr6, uint64_t ip);
/* The guest's DR6 after a #DB with `bits` detected (B0-B3 replaced, the rest sticky; SDM 17.2.3). */
void pt_emul_dr6_report(uint64_t bits);

/* The packet class of an instruction class (SDM 33.4.2.2 "Indirect Transfer COFI" etc.). */
enum pt_cofi pt_emul_cofi(enum insn_class c);
/* pt_riplog=on: one more traced instruction at ip in the ground truth. */
static inline void pt_emul_riplog_add(struct pt_emul *e, uint64_t ip)
{
	const uint64_t fnv64_offset = 0xcbf29ce484222325ULL, fnv64_prime = 0x100000001b3ULL;

	if (!e->riplog)
		return;
	if (!e->rip_count) {
		e->rip_fnv = fnv64_offset;
		e->rip_first = ip;
	}
	/* FNV-1a-64 over the IP as one word (tools/ptverify.py): the ground truth costs 3 instructions. */
	e->rip_fnv = (e->rip_fnv ^ ip) * fnv64_prime;
	e->rip_count++;
	e->rip_last = ip;
}
/* Up to INSN_MAX_LEN bytes of code at linear ip (fewer where they cannot all be fetched). */
size_t pt_emul_fetch_code(struct vcpu *v, struct pt_emul *e, uint64_t ip, uint8_t *buf);

/* pt_emul.c */
void pt_emul_ctl_written(struct vcpu *v, struct pt_guest *pg, uint64_t old_ctl);
/* The guest left the outside view at a traced CPL: stepping from the current IP, as if stepped to it. */
void pt_emul_cpl_resume(struct vcpu *v, struct pt_guest *pg);
/* Writes the packets made so far to the guest's output (a STOP region or an error ends tracing). */
void pt_emul_flush(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e);

#endif

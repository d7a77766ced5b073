/* x86 decoder: lengths, operands and change-of-flow classes (SDM Vol. 2 Chapter 2 "Instruction Format"). */
#include "x86/insn_dec.h"
#include "lib/string.h"

/*
 * Legacy prefixes (SDM Vol. 2 2.1.1 "Instruction Prefixes") and REX (2.2.1 "REX Prefixes"):
 * a REX byte only counts when it immediately precedes the opcode, so a later legacy prefix drops it.
 */
static int dec_prefixes(struct insn_dec *d, struct insn *out)
{
	for (;;) {
		uint8_t flag;

		if (!insn_dec_need(d, 1))
			return -1;
		switch (d->code[d->pos]) {
		case 0xf0:
			flag = INSN_PFX_LOCK;
			break;
		case 0xf2:
			flag = INSN_PFX_REPNE;
			d->rep = 0xf2;
			break;
		case 0xf3:
			flag = INSN_PFX_REP;
			d->rep = 0xf3;
			break;
		case 0x66:
			flag = INSN_PFX_OPSZ;
			break;
		case 0x67:
			flag = INSN_PFX_ADSZ;
			break;
		case 0x26:
			out->seg = INSN_SEG_ES;
			flag = INSN_PFX_SEG;
			break;
		case 0x2e:
			out->seg = INSN_SEG_CS;
			flag = INSN_PFX_SEG;
			break;
		case 0x36:
			out->seg = INSN_SEG_SS;
			flag = INSN_PFX_SEG;
			break;
		case 0x3e:
			out->seg = INSN_SEG_DS;
			flag = INSN_PFX_SEG;
			break;
		case 0x64:
			out->seg = INSN_SEG_FS;
			flag = INSN_PFX_SEG;
			break;
		case 0x65:
			out->seg = INSN_SEG_GS;
			flag = INSN_PFX_SEG;
			break;
		default:
			if (d->mode == INSN_MODE64 && (d->code[d->pos] & 0xf0) == 0x40) {
				out->rex = d->code[d->pos++];
				continue;
			}
			return 0;
		}
		out->prefixes |= flag;
		out->rex = 0;
		d->pos++;
	}
}

/* Effective operand and address size (SDM Vol. 1 3.6 "Operand-size and Address-size Attributes"). */
static void dec_sizes(const struct insn_dec *d, struct insn *out)
{
	bool o = out->prefixes & INSN_PFX_OPSZ, a = out->prefixes & INSN_PFX_ADSZ;

	switch (d->mode) {
	case INSN_MODE16:
		out->opsize = o ? 32 : 16;
		out->addrsize = a ? 32 : 16;
		break;
	case INSN_MODE32:
		out->opsize = o ? 16 : 32;
		out->addrsize = a ? 16 : 32;
		break;
	case INSN_MODE64:
	default:
		out->opsize = (out->rex & REX_W) ? 64 : o ? 16 : 32;
		out->addrsize = a ? 32 : 64;
		break;
	}
}

int insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct insn *out)
{
	struct insn_dec d = { .code = code, .limit = MIN(avail, (size_t)INSN_MAX_LEN), .mode = mode };
	uint8_t b;
	int rc;

	memset(out, 0, sizeof(*out));
	out->seg = INSN_SEG_NONE;
	if (mode != INSN_MODE16 && mode != INSN_MODE32 && mode != INSN_MODE64)
		return -1;
	if (dec_prefixes(&d, out))
		return -1;
	d.rxb = out->rex & (REX_R | REX_X | REX_B); /* VEX/EVEX/XOP replace it with their own */
	dec_sizes(&d, out);
	b = code[d.pos++];
	if (b == 0x0f)
		rc = insn_dec_escape_0f(&d, out);
	else if ((b == 0xc4 || b == 0xc5 || b == 0x62) && insn_dec_is_vex(&d))
		rc = b == 0x62 ? insn_dec_evex(&d, out) : insn_dec_vex(&d, out, b);
	else if (b == 0x8f && insn_dec_is_xop(&d))
		rc = insn_dec_xop(&d, out);
	else
		rc = insn_dec_legacy(&d, out, b);
	if (rc)
		return -1;
	out->len = (unsigned)d.pos;
	return 0;
}

uint64_t insn_branch_target(const struct insn *in, uint64_t ip)
{
	uint64_t t = ip + in->len + (uint64_t)in->rel;

	/* SDM Vol. 2 "JMP": with a 16-bit operand size EIP is cleared above bit 15, 32 above bit 31. */
	if (in->opsize == 16)
		return t & 0xffff;
	if (in->opsize == 32)
		return t & 0xffffffff;
	return t;
}

const char *insn_class_name(enum insn_class cls)
{
	static const char *const names[] = {
		[INSN_OTHER] = "other",
		[INSN_JCC] = "jcc",
		[INSN_JMP_REL] = "jmp-rel",
		[INSN_JMP_INDIRECT] = "jmp-ind",
		[INSN_CALL_REL] = "call-rel",
		[INSN_CALL_INDIRECT] = "call-ind",
		[INSN_RET] = "ret",
		[INSN_FAR_JMP] = "far-jmp",
		[INSN_FAR_CALL] = "far-call",
		[INSN_FAR_RET] = "far-ret",
		[INSN_IRET] = "iret",
		[INSN_INT] = "int",
		[INSN_SYSCALL] = "syscall",
		[INSN_SYSRET] = "sysret",
		[INSN_SYSENTER] = "sysenter",
		[INSN_SYSEXIT] = "sysexit",
		[INSN_MOV_CR3] = "mov-cr3",
		[INSN_MOV_CR] = "mov-cr",
		[INSN_VMCALL] = "vmcall",
		[INSN_HLT] = "hlt",
		[INSN_UD] = "ud",
		[INSN_PTWRITE] = "ptwrite",
	};

	if ((unsigned)cls >= ARRAY_SIZE(names))
		return "?";
	return names[cls];
}

/* Stable names for libipt's packet types, instruction classes, events and execution modes. */
#include "ptdecode.h"

/* clang-format off */
const char *pd_packet_name(enum pt_packet_type type)
{
	switch (type) {
	case ppt_pad:     return "pad";
	case ppt_psb:     return "psb";
	case ppt_psbend:  return "psbend";
	case ppt_fup:     return "fup";
	case ppt_tip:     return "tip";
	case ppt_tip_pge: return "tip.pge";
	case ppt_tip_pgd: return "tip.pgd";
	case ppt_tnt_8:   return "tnt.8";
	case ppt_tnt_64:  return "tnt.64";
	case ppt_mode:    return "mode";
	case ppt_pip:     return "pip";
	case ppt_vmcs:    return "vmcs";
	case ppt_cbr:     return "cbr";
	case ppt_tsc:     return "tsc";
	case ppt_tma:     return "tma";
	case ppt_mtc:     return "mtc";
	case ppt_cyc:     return "cyc";
	case ppt_stop:    return "stop";
	case ppt_ovf:     return "ovf";
	case ppt_mnt:     return "mnt";
	case ppt_exstop:  return "exstop";
	case ppt_mwait:   return "mwait";
	case ppt_pwre:    return "pwre";
	case ppt_pwrx:    return "pwrx";
	case ppt_ptw:     return "ptw";
	case ppt_unknown: return "unknown";
	case ppt_invalid:
	default:          return "invalid";
	}
}

const char *pd_iclass_name(enum pt_insn_class iclass)
{
	switch (iclass) {
	case ptic_other:       return "other";
	case ptic_call:        return "call";
	case ptic_return:      return "return";
	case ptic_jump:        return "jump";
	case ptic_cond_jump:   return "cond_jump";
	case ptic_far_call:    return "far_call";
	case ptic_far_return:  return "far_return";
	case ptic_far_jump:    return "far_jump";
	case ptic_ptwrite:     return "ptwrite";
	case ptic_error:
	default:               return "error";
	}
}

const char *pd_event_name(enum pt_event_type type)
{
	switch (type) {
	case ptev_enabled:        return "enabled";
	case ptev_disabled:       return "disabled";
	case ptev_async_disabled: return "async_disabled";
	case ptev_async_branch:   return "async_branch";
	case ptev_paging:         return "paging";
	case ptev_async_paging:   return "async_paging";
	case ptev_overflow:       return "overflow";
	case ptev_exec_mode:      return "exec_mode";
	case ptev_tsx:            return "tsx";
	case ptev_stop:           return "stop";
	case ptev_vmcs:           return "vmcs";
	case ptev_async_vmcs:     return "async_vmcs";
	case ptev_exstop:         return "exstop";
	case ptev_mwait:          return "mwait";
	case ptev_pwre:           return "pwre";
	case ptev_pwrx:           return "pwrx";
	case ptev_ptwrite:        return "ptwrite";
	case ptev_tick:           return "tick";
	case ptev_cbr:            return "cbr";
	case ptev_mnt:            return "mnt";
	default:                  return "unknown";
	}
}

int pd_mode_bits(enum pt_exec_mode mode)
{
	switch (mode) {
	case ptem_16bit: return 16;
	case ptem_32bit: return 32;
	case ptem_64bit: return 64;
	case ptem_unknown:
	default:         return 0;
	}
}
/* clang-format on */

void pd_report_error(const struct pd_opts *o, FILE *out, struct pd_stats *st, int64_t offset, int status,
		     const char *what)
{
	const char *msg = pt_errstr(pt_errcode(status));

	st->errors++;
	if (o->quiet)
		return; /* the benchmark counts errors and reports them once */
	if (offset >= 0)
		fprintf(stderr, "ptdecode: error at offset 0x%llx: %s (%s)\n", (unsigned long long)offset, msg, what);
	else
		fprintf(stderr, "ptdecode: error: %s (%s)\n", msg, what);
	if (!o->json)
		return;
	if (offset >= 0)
		fprintf(out, "{\"error\":\"%s\",\"offset\":\"0x%llx\",\"what\":\"%s\"}\n", msg,
			(unsigned long long)offset, what);
	else
		fprintf(out, "{\"error\":\"%s\",\"offset\":null,\"what\":\"%s\"}\n", msg, what);
}

/* --packets: a packet-by-packet dump of the trace with libipt's packet decoder, as text or JSON lines. */
#include <string.h>
#include "ptdecode.h"

/* One output line: text "key=value" pairs, or JSON members, chosen once per run. */
struct pd_line {
	FILE *out;
	bool json;
	int pad; /* text: spaces that align the first field after the packet name */
};

static void field_hex(struct pd_line *l, const char *key, uint64_t v)
{
	if (l->json)
		fprintf(l->out, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
	else
		fprintf(l->out, "%*s %s=0x%llx", l->pad, "", key, (unsigned long long)v);
	l->pad = 0;
}

static void field_dec(struct pd_line *l, const char *key, uint64_t v)
{
	if (l->json)
		fprintf(l->out, ",\"%s\":%llu", key, (unsigned long long)v);
	else
		fprintf(l->out, "%*s %s=%llu", l->pad, "", key, (unsigned long long)v);
	l->pad = 0;
}

static void field_str(struct pd_line *l, const char *key, const char *v)
{
	if (l->json)
		fprintf(l->out, ",\"%s\":\"%s\"", key, v);
	else
		fprintf(l->out, "%*s %s=%s", l->pad, "", key, v);
	l->pad = 0;
}

static const char *ipc_name(enum pt_ip_compression ipc)
{
	switch (ipc) {
	case pt_ipc_suppressed:
		return "suppressed";
	case pt_ipc_update_16:
		return "update16";
	case pt_ipc_update_32:
		return "update32";
	case pt_ipc_sext_48:
		return "sext48";
	case pt_ipc_update_48:
		return "update48";
	case pt_ipc_full:
		return "full";
	default:
		return "reserved";
	}
}

/* TNT bits oldest first: libipt keeps the first conditional branch in the payload's top bit. */
static void field_tnt(struct pd_line *l, const struct pt_packet_tnt *tnt)
{
	char bits[65];
	unsigned n = tnt->bit_size <= 64 ? tnt->bit_size : 64;

	for (unsigned i = 0; i < n; i++)
		bits[i] = (tnt->payload >> (n - 1 - i)) & 1 ? 'T' : 'N';
	bits[n] = '\0';
	field_dec(l, "bits", n);
	field_str(l, "tnt", bits);
}

static void packet_fields(struct pd_line *l, const struct pt_packet *p)
{
	switch (p->type) {
	case ppt_fup:
	case ppt_tip:
	case ppt_tip_pge:
	case ppt_tip_pgd:
		field_str(l, "ipc", ipc_name(p->payload.ip.ipc));
		if (p->payload.ip.ipc != pt_ipc_suppressed)
			field_hex(l, "ip", p->payload.ip.ip);
		break;
	case ppt_tnt_8:
	case ppt_tnt_64:
		field_tnt(l, &p->payload.tnt);
		break;
	case ppt_mode:
		if (p->payload.mode.leaf == pt_mol_exec) {
			field_str(l, "leaf", "exec");
			field_dec(l, "mode", (uint64_t)pd_mode_bits(pt_get_exec_mode(&p->payload.mode.bits.exec)));
		} else {
			field_str(l, "leaf", "tsx");
			field_dec(l, "intx", p->payload.mode.bits.tsx.intx);
			field_dec(l, "abrt", p->payload.mode.bits.tsx.abrt);
		}
		break;
	case ppt_pip:
		field_hex(l, "cr3", p->payload.pip.cr3);
		field_dec(l, "nr", p->payload.pip.nr);
		break;
	case ppt_tsc:
		field_hex(l, "tsc", p->payload.tsc.tsc);
		break;
	case ppt_cbr:
		field_dec(l, "ratio", p->payload.cbr.ratio);
		break;
	case ppt_tma:
		field_hex(l, "ctc", p->payload.tma.ctc);
		field_hex(l, "fc", p->payload.tma.fc);
		break;
	case ppt_mtc:
		field_hex(l, "ctc", p->payload.mtc.ctc);
		break;
	case ppt_cyc:
		field_hex(l, "value", p->payload.cyc.value);
		break;
	case ppt_vmcs:
		field_hex(l, "base", p->payload.vmcs.base);
		break;
	case ppt_mnt:
		field_hex(l, "payload", p->payload.mnt.payload);
		break;
	case ppt_exstop:
		field_dec(l, "ip", p->payload.exstop.ip);
		break;
	case ppt_mwait:
		field_hex(l, "hints", p->payload.mwait.hints);
		field_hex(l, "ext", p->payload.mwait.ext);
		break;
	case ppt_pwre:
		field_dec(l, "state", p->payload.pwre.state);
		field_dec(l, "sub_state", p->payload.pwre.sub_state);
		field_dec(l, "hw", p->payload.pwre.hw);
		break;
	case ppt_pwrx:
		field_dec(l, "last", p->payload.pwrx.last);
		field_dec(l, "deepest", p->payload.pwrx.deepest);
		break;
	case ppt_ptw:
		field_hex(l, "payload", p->payload.ptw.payload);
		field_dec(l, "plc", p->payload.ptw.plc);
		field_dec(l, "ip", p->payload.ptw.ip);
		break;
	default: /* pad, psb, psbend, ovf, stop: no payload */
		break;
	}
}

static void packet_print(struct pd_line *l, uint64_t offset, const struct pt_packet *p)
{
	if (l->json)
		fprintf(l->out, "{\"offset\":\"0x%llx\",\"type\":\"%s\",\"size\":%u", (unsigned long long)offset,
			pd_packet_name(p->type), p->size);
	else
		fprintf(l->out, "0x%08llx  %s", (unsigned long long)offset, pd_packet_name(p->type));
	l->pad = (int)(8 - strlen(pd_packet_name(p->type)));
	if (l->pad < 0)
		l->pad = 0;
	packet_fields(l, p);
	fputs(l->json ? "}\n" : "\n", l->out);
}

int pd_packets_run(const struct pd_opts *o, const struct pt_config *cfg, FILE *out, struct pd_stats *st)
{
	struct pd_line line = { .out = out, .json = o->json };
	struct pt_packet_decoder *dec = pt_pkt_alloc_decoder(cfg);
	uint64_t offset = 0, last_sync = 0;
	bool synced = false;
	int status;

	if (!dec) {
		pd_report_error(o, out, st, -1, -pte_nomem, "allocating the packet decoder");
		return PD_EXIT_DECODE;
	}
	for (;;) {
		status = pt_pkt_sync_forward(dec);
		if (status < 0 || pt_pkt_get_offset(dec, &offset) < 0)
			break;
		/* Packets can only be told apart from a PSB on: bytes before the first one are skipped. */
		if (!synced)
			st->skipped = offset;
		else if (offset <= last_sync)
			break; /* no progress: stop rather than loop */
		synced = true;
		last_sync = offset;
		for (;;) {
			struct pt_packet pkt;

			if (pt_pkt_get_offset(dec, &offset) < 0)
				break;
			status = pt_pkt_next(dec, &pkt, sizeof(pkt));
			if (status < 0)
				break;
			st->packets++;
			if (!o->quiet)
				packet_print(&line, offset, &pkt);
		}
		if (status == -pte_eos)
			break;
		/* A bad opcode or payload: report it and look for the next PSB. */
		pd_report_error(o, out, st, (int64_t)offset, status, "decoding a packet");
	}
	if (!synced)
		pd_report_error(o, out, st, -1, -pte_nosync, "no PSB packet in the trace");
	pt_pkt_free_decoder(dec);
	return st->errors ? PD_EXIT_DECODE : PD_EXIT_OK;
}

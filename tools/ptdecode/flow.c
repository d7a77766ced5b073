/* --flow: instruction-flow reconstruction with libipt's instruction decoder over the traced images. */
#include <inttypes.h>
#include <string.h>
#include "ptdecode.h"

/* A decoder that walks direct branches of an image forever consumes no trace: give up after this. */
#define PD_STALL_INSNS (1ull << 24)
#define PD_STALL_CHECK (1ull << 12)
#define PD_STALLED     (-1000) /* flow_segment() reported the stall itself */

static void print_ip(FILE *out, bool json, const char *key, uint64_t ip)
{
	if (json)
		fprintf(out, ",\"%s\":\"0x%" PRIx64 "\"", key, ip);
	else
		fprintf(out, " %s=0x%" PRIx64, key, ip);
}

static void event_fields(FILE *out, bool json, const struct pt_event *ev)
{
	bool sup = ev->ip_suppressed;

	switch (ev->type) {
	case ptev_enabled:
		print_ip(out, json, "ip", ev->variant.enabled.ip);
		break;
	case ptev_disabled:
		if (!sup)
			print_ip(out, json, "ip", ev->variant.disabled.ip);
		break;
	case ptev_async_disabled:
		print_ip(out, json, "at", ev->variant.async_disabled.at);
		if (!sup)
			print_ip(out, json, "ip", ev->variant.async_disabled.ip);
		break;
	case ptev_async_branch:
		print_ip(out, json, "from", ev->variant.async_branch.from);
		if (!sup)
			print_ip(out, json, "to", ev->variant.async_branch.to);
		break;
	case ptev_paging:
		print_ip(out, json, "cr3", ev->variant.paging.cr3);
		break;
	case ptev_async_paging:
		print_ip(out, json, "cr3", ev->variant.async_paging.cr3);
		print_ip(out, json, "ip", ev->variant.async_paging.ip);
		break;
	case ptev_overflow:
		if (!sup)
			print_ip(out, json, "ip", ev->variant.overflow.ip);
		break;
	case ptev_exec_mode:
		fprintf(out, json ? ",\"mode\":%d" : " mode=%d", pd_mode_bits(ev->variant.exec_mode.mode));
		if (!sup)
			print_ip(out, json, "ip", ev->variant.exec_mode.ip);
		break;
	case ptev_vmcs:
		print_ip(out, json, "base", ev->variant.vmcs.base);
		break;
	case ptev_async_vmcs:
		print_ip(out, json, "base", ev->variant.async_vmcs.base);
		print_ip(out, json, "ip", ev->variant.async_vmcs.ip);
		break;
	case ptev_ptwrite:
		print_ip(out, json, "payload", ev->variant.ptwrite.payload);
		break;
	default: /* the other events are printed by name only */
		break;
	}
}

static void event_print(const struct pd_opts *o, FILE *out, const struct pt_event *ev)
{
	if (o->quiet || o->ips_only)
		return;
	if (o->json)
		fprintf(out, "{\"event\":\"%s\"", pd_event_name(ev->type));
	else
		fprintf(out, "[%s", pd_event_name(ev->type));
	event_fields(out, o->json, ev);
	fputs(o->json ? "}\n" : "]\n", out);
}

static void insn_print(const struct pd_opts *o, FILE *out, const struct pt_insn *insn)
{
	if (o->quiet)
		return;
	if (o->ips_only)
		fprintf(out, "0x%" PRIx64 "\n", insn->ip);
	else if (o->json)
		fprintf(out, "{\"ip\":\"0x%" PRIx64 "\",\"iclass\":\"%s\",\"mode\":%d,\"size\":%u}\n", insn->ip,
			pd_iclass_name(insn->iclass), pd_mode_bits(insn->mode), insn->size);
	else
		fprintf(out, "0x%016" PRIx64 "  %s\n", insn->ip, pd_iclass_name(insn->iclass));
}

static int64_t insn_offset(const struct pt_insn_decoder *dec)
{
	uint64_t off;

	return pt_insn_get_offset(dec, &off) < 0 ? -1 : (int64_t)off;
}

/* Decodes from one sync point until the trace ends or an error; returns the last status. */
static int flow_segment(const struct pd_opts *o, struct pt_insn_decoder *dec, int status, FILE *out,
			struct pd_stats *st, uint64_t *ip)
{
	uint64_t since_progress = 0;
	int64_t last_off = insn_offset(dec);

	for (;;) {
		struct pt_insn insn;

		while (status >= 0 && (status & pts_event_pending)) {
			struct pt_event ev;

			status = pt_insn_event(dec, &ev, sizeof(ev));
			if (status >= 0) {
				st->events++;
				event_print(o, out, &ev);
			}
		}
		if (status < 0)
			return status;
		if (status & pts_eos)
			return -pte_eos;
		if (o->max_insns && st->insns >= o->max_insns)
			return -pte_eos;
		memset(&insn, 0, sizeof(insn));
		status = pt_insn_next(dec, &insn, sizeof(insn));
		*ip = insn.ip;
		/* On an error the instruction itself may still be known (its class is set): it was
		 * executed, only what follows it is not -- print it, as ptxed does. */
		if (status < 0 && insn.iclass == ptic_error)
			return status;
		st->insns++;
		insn_print(o, out, &insn);
		if (status < 0)
			return status;
		if (++since_progress % PD_STALL_CHECK == 0) {
			int64_t off = insn_offset(dec);

			if (off != last_off) {
				last_off = off;
				since_progress = 0;
			} else if (since_progress >= PD_STALL_INSNS) {
				pd_report_error(o, out, st, off, -pte_bad_query,
						"no trace consumed for 16M instructions: endless loop in the image?");
				return PD_STALLED;
			}
		}
	}
}

int pd_flow_run(const struct pd_opts *o, const struct pt_config *cfg, struct pt_image *image, FILE *out,
		struct pd_stats *st)
{
	struct pt_insn_decoder *dec = pt_insn_alloc_decoder(cfg);
	int64_t last_fail = -2;
	uint64_t sync = 0, ip = 0;
	bool synced = false;
	int status;

	if (!dec) {
		pd_report_error(o, out, st, -1, -pte_nomem, "allocating the instruction decoder");
		return PD_EXIT_DECODE;
	}
	status = pt_insn_set_image(dec, image);
	while (status >= 0) {
		uint64_t now;

		status = pt_insn_sync_forward(dec);
		if (status == -pte_eos)
			break;
		if (status < 0) {
			/* A corrupt PSB+: report it and try the next PSB, unless that made no progress. */
			int64_t off = insn_offset(dec);

			pd_report_error(o, out, st, off, status, "synchronizing on a PSB");
			if (off == last_fail)
				break;
			last_fail = off;
			status = 0;
			continue;
		}
		if (pt_insn_get_sync_offset(dec, &now) < 0 || (synced && now <= sync))
			break; /* no progress: stop rather than loop */
		if (!synced)
			st->skipped = now;
		synced = true;
		sync = now;
		status = flow_segment(o, dec, status, out, st, &ip);
		if (status == -pte_eos || (o->max_insns && st->insns >= o->max_insns))
			break;
		if (status != PD_STALLED) {
			char what[96];

			if (ip)
				snprintf(what, sizeof(what), "decoding the instruction flow, ip 0x%" PRIx64, ip);
			else
				snprintf(what, sizeof(what), "decoding the instruction flow");
			pd_report_error(o, out, st, insn_offset(dec), status, what);
		}
		status = 0;
	}
	if (!synced && !st->errors)
		pd_report_error(o, out, st, -1, -pte_nosync, "no PSB packet in the trace");
	pt_insn_free_decoder(dec);
	return st->errors ? PD_EXIT_DECODE : PD_EXIT_OK;
}

/* Test model for PT generation: decodes a trace with libipt's instruction flow decoder. */
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include "pt_decode.h"

size_t ptd_max_ips = PTD_MAX_IPS;

static int read_code(uint8_t *buf, size_t size, const struct pt_asid *asid, uint64_t ip, void *ctx)
{
	int n;

	(void)asid;
	n = ptx_read(ctx, buf, size, ip);
	return n < 0 ? -pte_nomap : n;
}

static void note_err(struct ptd_result *r, int status)
{
	if (status == -pte_eos)
		return;
	if (!r->first_err)
		r->first_err = status;
	r->nerr++;
}

static void add_ip(struct ptd_result *r, const struct pt_insn *insn)
{
	if (r->n >= ptd_max_ips)
		return;
	r->ips[r->n] = insn->ip;
	r->modes[r->n] = insn->mode;
	r->n++;
}

/* Takes every pending event; returns the decoder status after them. */
static int drain_events(struct pt_insn_decoder *dec, int status, struct ptd_result *r)
{
	while (status >= 0 && (status & pts_event_pending)) {
		struct pt_event ev;

		status = pt_insn_event(dec, &ev, sizeof(ev));
		if (status < 0)
			break;
		if ((unsigned)ev.type < ARRAY_SIZE(r->events))
			r->events[ev.type]++;
		if (r->nev < PTD_MAX_EVENTS)
			r->ev[r->nev++] = ev;
	}
	return status;
}

void ptd_decode(const struct ptx_prog *p, uint8_t *trace, size_t len, uint64_t sync_offset, struct ptd_result *r)
{
	struct pt_insn_decoder *dec;
	struct pt_config cfg;
	struct pt_image *img;
	int status;

	memset(r, 0, sizeof(*r));
	r->ips = calloc(ptd_max_ips, sizeof(*r->ips));
	r->modes = calloc(ptd_max_ips, sizeof(*r->modes));
	assert(r->ips && r->modes);
	pt_config_init(&cfg);
	cfg.begin = trace;
	cfg.end = trace + len;
	dec = pt_insn_alloc_decoder(&cfg);
	assert(dec);
	img = pt_insn_get_image(dec);
	status = pt_image_set_callback(img, read_code, (void *)p);
	assert(status == 0);

	status = sync_offset == ~0ull ? pt_insn_sync_forward(dec) : pt_insn_sync_set(dec, sync_offset);
	while (r->n < ptd_max_ips) {
		struct pt_insn insn;

		if (status < 0) {
			note_err(r, status);
			if (status == -pte_eos)
				break;
			/* Resynchronize at the next PSB, as a real tool would. */
			status = pt_insn_sync_forward(dec);
			if (status < 0)
				break;
			continue;
		}
		status = drain_events(dec, status, r);
		if (status < 0)
			continue;
		if (status & pts_eos)
			break;
		status = pt_insn_next(dec, &insn, sizeof(insn));
		if (status < 0) {
			if (insn.iclass != ptic_error)
				add_ip(r, &insn);
			continue;
		}
		add_ip(r, &insn);
	}
	uint64_t t = 0;
	if (pt_insn_time(dec, &t, NULL, NULL) >= 0)
		r->time = t;
	pt_insn_free_decoder(dec);
}

void ptd_free(struct ptd_result *r)
{
	free(r->ips);
	free(r->modes);
	r->ips = NULL;
	r->modes = NULL;
}

unsigned ptd_count(uint8_t *trace, size_t len, enum pt_packet_type type, uint64_t *offs, unsigned max)
{
	struct pt_packet_decoder *dec;
	struct pt_config cfg;
	unsigned count = 0;

	pt_config_init(&cfg);
	cfg.begin = trace;
	cfg.end = trace + len;
	dec = pt_pkt_alloc_decoder(&cfg);
	assert(dec);
	if (pt_pkt_sync_set(dec, 0) == 0) {
		for (;;) {
			struct pt_packet pkt;
			uint64_t off = 0;

			pt_pkt_get_offset(dec, &off);
			if (pt_pkt_next(dec, &pkt, sizeof(pkt)) < 0)
				break;
			if (pkt.type != type)
				continue;
			if (offs && count < max)
				offs[count] = off;
			count++;
		}
	}
	pt_pkt_free_decoder(dec);
	return count;
}

const struct pt_event *ptd_event(const struct ptd_result *r, enum pt_event_type type, unsigned n)
{
	for (unsigned i = 0; i < r->nev; i++)
		if (r->ev[i].type == type && n-- == 0)
			return &r->ev[i];
	return NULL;
}

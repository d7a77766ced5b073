/* mktrace: writes a small Intel PT trace from a packet list with libipt's encoder (a test helper). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <intel-pt.h>

#define MKTRACE_MAX (1u << 20)

static void usage(void)
{
	fputs("usage: mktrace OUT.pt PACKET...\n"
	      "  psb psbend pad ovf stop       packets without payload\n"
	      "  mode.exec=16|32|64            MODE.Exec\n"
	      "  tip|tip.pge|tip.pgd|fup=ADDR[/IPC]  IP packets; ADDR 'none' = suppressed;\n"
	      "                                IPC 16, 32, 48 (update), s48 (sign-extend, default), 64\n"
	      "  tnt=TNNT...                   conditional branches, oldest first (TNT-8 up to 6, TNT-64 up to 47)\n"
	      "  pip=CR3 tsc=N cbr=N mtc=N cyc=N\n"
	      "  raw=HEX                       bytes copied as they are (for corrupt traces)\n",
	      stderr);
	exit(1);
}

static uint64_t number(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || (*end && *end != '/')) {
		fprintf(stderr, "mktrace: bad number '%s'\n", s);
		exit(1);
	}
	return v;
}

static void ip_payload(struct pt_packet *p, const char *arg)
{
	const char *slash = strchr(arg, '/');

	p->payload.ip.ipc = pt_ipc_sext_48;
	if (!strncmp(arg, "none", 4)) {
		p->payload.ip.ipc = pt_ipc_suppressed;
		return;
	}
	p->payload.ip.ip = number(arg);
	if (!slash)
		return;
	if (!strcmp(slash + 1, "16"))
		p->payload.ip.ipc = pt_ipc_update_16;
	else if (!strcmp(slash + 1, "32"))
		p->payload.ip.ipc = pt_ipc_update_32;
	else if (!strcmp(slash + 1, "48"))
		p->payload.ip.ipc = pt_ipc_update_48;
	else if (!strcmp(slash + 1, "64"))
		p->payload.ip.ipc = pt_ipc_full;
	else if (strcmp(slash + 1, "s48"))
		usage();
}

/* The first (oldest) branch goes into the payload's top bit, as libipt's decoder reads it. */
static void tnt_payload(struct pt_packet *p, const char *arg)
{
	size_t n = strlen(arg);

	if (!n || n > 47)
		usage();
	p->type = n <= 6 ? ppt_tnt_8 : ppt_tnt_64;
	p->payload.tnt.bit_size = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		if (arg[i] != 'T' && arg[i] != 'N')
			usage();
		p->payload.tnt.payload = (p->payload.tnt.payload << 1) | (arg[i] == 'T');
	}
}

static int parse_packet(struct pt_packet *p, const char *tok)
{
	const char *eq = strchr(tok, '=');
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
	const char *arg = eq ? eq + 1 : "";
	static const struct {
		const char *name;
		enum pt_packet_type type;
	} simple[] = {
		{ "psb", ppt_psb },   { "psbend", ppt_psbend },  { "pad", ppt_pad },         { "ovf", ppt_ovf },
		{ "stop", ppt_stop }, { "tip", ppt_tip },        { "tip.pge", ppt_tip_pge }, { "tip.pgd", ppt_tip_pgd },
		{ "fup", ppt_fup },   { "mode.exec", ppt_mode }, { "tnt", ppt_tnt_8 },       { "pip", ppt_pip },
		{ "tsc", ppt_tsc },   { "cbr", ppt_cbr },        { "mtc", ppt_mtc },         { "cyc", ppt_cyc },
	};

	memset(p, 0, sizeof(*p));
	p->type = ppt_invalid;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strlen(simple[i].name) == klen && !strncmp(tok, simple[i].name, klen))
			p->type = simple[i].type;
	switch (p->type) {
	case ppt_tip:
	case ppt_tip_pge:
	case ppt_tip_pgd:
	case ppt_fup:
		ip_payload(p, arg);
		break;
	case ppt_mode:
		p->payload.mode.leaf = pt_mol_exec;
		p->payload.mode.bits.exec = pt_set_exec_mode(!strcmp(arg, "16")   ? ptem_16bit
							     : !strcmp(arg, "32") ? ptem_32bit
										  : ptem_64bit);
		break;
	case ppt_tnt_8:
		tnt_payload(p, arg);
		break;
	case ppt_pip:
		p->payload.pip.cr3 = number(arg);
		break;
	case ppt_tsc:
		p->payload.tsc.tsc = number(arg);
		break;
	case ppt_cbr:
		p->payload.cbr.ratio = (uint8_t)number(arg);
		break;
	case ppt_mtc:
		p->payload.mtc.ctc = (uint8_t)number(arg);
		break;
	case ppt_cyc:
		p->payload.cyc.value = number(arg);
		break;
	case ppt_invalid:
		return -1;
	default:
		break;
	}
	return 0;
}

/* raw=HEX: copied into the buffer behind the encoder's back, then the encoder skips over it. */
static void put_raw(struct pt_encoder *enc, uint8_t *buf, const char *hex)
{
	uint64_t off;
	size_t n = strlen(hex);

	pt_enc_get_offset(enc, &off);
	if (n % 2 || off + n / 2 > MKTRACE_MAX)
		usage();
	for (size_t i = 0; i < n; i += 2) {
		char byte[3] = { hex[i], hex[i + 1], 0 };
		char *end;

		buf[off++] = (uint8_t)strtoul(byte, &end, 16);
		if (*end)
			usage();
	}
	pt_enc_sync_set(enc, off);
}

int main(int argc, char **argv)
{
	static uint8_t buf[MKTRACE_MAX];
	struct pt_config cfg;
	struct pt_encoder *enc;
	uint64_t len;
	FILE *f;

	if (argc < 2)
		usage();
	pt_config_init(&cfg);
	cfg.begin = buf;
	cfg.end = buf + sizeof(buf);
	enc = pt_alloc_encoder(&cfg);
	if (!enc)
		return 1;
	for (int i = 2; i < argc; i++) {
		struct pt_packet p;
		int status;

		if (!strncmp(argv[i], "raw=", 4)) {
			put_raw(enc, buf, argv[i] + 4);
			continue;
		}
		if (parse_packet(&p, argv[i]) < 0) {
			fprintf(stderr, "mktrace: unknown packet '%s'\n", argv[i]);
			usage();
		}
		status = pt_enc_next(enc, &p);
		if (status < 0) {
			fprintf(stderr, "mktrace: cannot encode '%s': %s\n", argv[i], pt_errstr(pt_errcode(status)));
			return 1;
		}
	}
	pt_enc_get_offset(enc, &len);
	pt_free_encoder(enc);
	f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "mktrace: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}

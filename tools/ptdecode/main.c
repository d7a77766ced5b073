/* ptdecode: decodes an Intel PT trace with libipt -- packet dump or instruction flow (see usage()). */
#include <cpuid.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "ptdecode.h"

static void usage(FILE *f)
{
	fputs("usage: ptdecode [--packets|--flow] [--json|--ips-only] [--image FILE:ADDR]...\n"
	      "                [--elf FILE[:BIAS]]... [--cpu auto|F/M/S] [--max-insns N] [--bench] TRACE.pt\n"
	      "  --packets        packet dump: offset, type, payload\n"
	      "  --flow           instruction flow (default): IP and class per instruction, events, summary\n"
	      "  --json           one JSON object per line, then a summary object\n"
	      "  --ips-only       flow: one hex IP per line, nothing else\n"
	      "  --image F:ADDR   raw binary F loaded at ADDR\n"
	      "  --elf F[:BIAS]   the PT_LOAD segments of ELF32/ELF64 file F at p_vaddr+BIAS\n"
	      "  --cpu C          errata of the tracing CPU: auto (this host, if Intel) or family/model/stepping\n"
	      "  --max-insns N    stop the flow after N instructions\n"
	      "  --bench          decode repeatedly for >= 0.5 s and print MB/s and instructions/s\n"
	      "exit status: 0 decoded, 1 usage or I/O error, 2 corrupt or undecodable trace\n",
	      f);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

/* FILE:ADDR (ADDR required) or FILE[:BIAS]: the number follows the last ':' so paths may hold ':'. */
static bool parse_section(struct pd_opts *o, enum pd_section_kind kind, char *arg)
{
	char *colon = strrchr(arg, ':');
	struct pd_section_spec *s = &o->sections[o->nsections];
	uint64_t addr = 0;

	if (o->nsections == PD_MAX_SECTIONS) {
		fprintf(stderr, "ptdecode: more than %d images\n", PD_MAX_SECTIONS);
		return false;
	}
	if (colon && parse_u64(colon + 1, &addr))
		*colon = '\0';
	else if (kind == PD_SEC_RAW) {
		fprintf(stderr, "ptdecode: --image needs FILE:ADDR, got '%s'\n", arg);
		return false;
	}
	if (!*arg)
		return false;
	*s = (struct pd_section_spec){ .kind = kind, .file = arg, .addr = addr };
	o->nsections++;
	return true;
}

/* "auto" means this machine, which only helps when the trace was recorded here. */
static bool parse_cpu(struct pd_opts *o, const char *arg)
{
	unsigned f, m, s, eax, ebx, ecx, edx;
	char tail;

	memset(&o->cpu, 0, sizeof(o->cpu));
	if (!strcmp(arg, "auto")) {
		if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx) || ebx != 0x756e6547 || edx != 0x49656e69 ||
		    ecx != 0x6c65746e)
			return true; /* not GenuineIntel: decode without errata */
		__get_cpuid(1, &eax, &ebx, &ecx, &edx);
		f = (eax >> 8) & 0xf;
		m = (eax >> 4) & 0xf;
		if (f == 0x6 || f == 0xf)
			m += ((eax >> 16) & 0xf) << 4;
		if (f == 0xf)
			f += (eax >> 20) & 0xff;
		s = eax & 0xf;
	} else if (sscanf(arg, "%u/%u/%u%c", &f, &m, &s, &tail) != 3 || f > 0xffff || m > 0xff || s > 0xff) {
		fprintf(stderr, "ptdecode: --cpu wants auto or family/model/stepping, got '%s'\n", arg);
		return false;
	}
	o->cpu = (struct pt_cpu){
		.vendor = pcv_intel, .family = (uint16_t)f, .model = (uint8_t)m, .stepping = (uint8_t)s
	};
	return true;
}

static int parse_args(struct pd_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "packets", no_argument, NULL, 'p' },
		{ "flow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "ips-only", no_argument, NULL, 'i' },
		{ "image", required_argument, NULL, 'I' },
		{ "elf", required_argument, NULL, 'E' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "max-insns", required_argument, NULL, 'm' },
		{ "bench", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'p':
			o->mode = PD_PACKETS;
			break;
		case 'f':
			o->mode = PD_FLOW;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i':
			o->ips_only = true;
			break;
		case 'b':
			o->bench = true;
			break;
		case 'I':
			ok = parse_section(o, PD_SEC_RAW, optarg);
			break;
		case 'E':
			ok = parse_section(o, PD_SEC_ELF, optarg);
			break;
		case 'c':
			ok = parse_cpu(o, optarg);
			break;
		case 'm':
			ok = parse_u64(optarg, &o->max_insns);
			break;
		case 'h':
			usage(stdout);
			exit(PD_EXIT_OK);
		default:
			ok = false;
			break;
		}
		if (!ok) {
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1 || (o->ips_only && (o->json || o->mode != PD_FLOW))) {
		usage(stderr);
		return -1;
	}
	o->trace_path = argv[optind];
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);

	while (f && buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		uint8_t *bigger = cap < ((size_t)1 << 40) ? realloc(buf, cap * 2) : NULL;
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (!f || !buf || ferror(f)) {
		fprintf(stderr, "ptdecode: %s: %s\n", path, f ? "read error" : strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	*len = n;
	return buf;
}

static void print_summary(const struct pd_opts *o, const struct pd_stats *st, size_t bytes)
{
	if (o->ips_only)
		return;
	if (o->json)
		printf("{\"summary\":{\"mode\":\"%s\",\"trace_bytes\":%zu,\"skipped_bytes\":%llu,"
		       "\"packets\":%llu,\"instructions\":%llu,\"events\":%llu,\"errors\":%llu}}\n",
		       o->mode == PD_PACKETS ? "packets" : "flow", bytes, (unsigned long long)st->skipped,
		       (unsigned long long)st->packets, (unsigned long long)st->insns, (unsigned long long)st->events,
		       (unsigned long long)st->errors);
	else if (o->mode == PD_PACKETS)
		printf("# summary: packets=%llu trace_bytes=%zu skipped_bytes=%llu errors=%llu\n",
		       (unsigned long long)st->packets, bytes, (unsigned long long)st->skipped,
		       (unsigned long long)st->errors);
	else
		printf("# summary: instructions=%llu events=%llu trace_bytes=%zu errors=%llu\n",
		       (unsigned long long)st->insns, (unsigned long long)st->events, bytes,
		       (unsigned long long)st->errors);
}

int main(int argc, char **argv)
{
	struct pd_opts o = { .mode = PD_FLOW };
	struct pd_stats st = { 0 };
	struct pt_image_section_cache *iscache = NULL;
	struct pt_image *image = NULL;
	struct pt_config cfg;
	uint8_t *trace;
	size_t len;
	int rc;

	if (parse_args(&o, argc, argv) < 0)
		return PD_EXIT_USAGE;
	trace = read_file(o.trace_path, &len);
	if (!trace)
		return PD_EXIT_USAGE;
	pt_config_init(&cfg);
	cfg.begin = trace;
	cfg.end = trace + len;
	cfg.cpu = o.cpu;
	if (o.cpu.vendor == pcv_intel && pt_cpu_errata(&cfg.errata, &o.cpu) < 0)
		fprintf(stderr, "ptdecode: warning: no errata known for cpu %u/%u/%u\n", o.cpu.family, o.cpu.model,
			o.cpu.stepping);
	iscache = pt_iscache_alloc(NULL);
	image = pt_image_alloc(NULL);
	if (!iscache || !image) {
		fprintf(stderr, "ptdecode: out of memory\n");
		rc = PD_EXIT_USAGE;
	} else if (pt_iscache_set_limit(iscache, 256u << 20) < 0 || (rc = pd_image_build(&o, iscache, image)) != 0) {
		rc = PD_EXIT_USAGE; /* message printed */
	} else if (!len) {
		pd_report_error(&o, stdout, &st, -1, -pte_nosync, "empty trace file");
		print_summary(&o, &st, len);
		rc = PD_EXIT_DECODE;
	} else if (o.bench) {
		rc = pd_bench_run(&o, &cfg, image);
	} else {
		rc = o.mode == PD_PACKETS ? pd_packets_run(&o, &cfg, stdout, &st)
					  : pd_flow_run(&o, &cfg, image, stdout, &st);
		print_summary(&o, &st, len);
	}
	pt_image_free(image);
	pt_iscache_free(iscache);
	free(trace);
	if (fflush(stdout) != 0 && rc == PD_EXIT_OK)
		rc = PD_EXIT_USAGE;
	return rc;
}

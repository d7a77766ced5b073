/*
 * libFuzzer harness: the command lines. The input (first byte: the guest index, then the line up to
 * its first NUL) is parsed as ptvisor's own command line (vmm/cmdline.c) and as a guest module's
 * (vmm/guest/config.c over vmm/guest/modline.c). Every option must end in range, every string
 * terminated, the walk's words inside the line, and a second parse must give the same result.
 */
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "cmdline.h"
#include "console/console.h"
#include "guest/config.h"
#include "guest/modline.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	return 0;
}

struct walk_check {
	const char *line;
	size_t len;
	unsigned words;
};

/* Each word lies inside the line, is not empty and holds no blank. */
static void check_word(const char *w, size_t len, bool path, void *ctx)
{
	struct walk_check *wc = ctx;

	FUZZ_CHECK(w >= wc->line && len > 0 && len <= wc->len && (size_t)(w - wc->line) <= wc->len - len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(!modline_is_space(w[i]) && w[i] != '\0');
	FUZZ_CHECK(!path || wc->words == 0);
	wc->words++;
}

static void check_vmm(const char *line)
{
	struct vmm_options o, again;

	vmm_options_default(&o);
	cmdline_parse(line, &o);
	FUZZ_CHECK(o.pt_mode <= PT_MODE_HOST_GUEST);
	FUZZ_CHECK(o.pt_backend <= PT_BACKEND_OFF);
	FUZZ_CHECK(o.loglevel <= LOG_DEBUG);
	FUZZ_CHECK(o.idle == IDLE_HLT || o.idle == IDLE_SPIN);
	FUZZ_CHECK((o.console_mask & ~((1u << CONSOLE_COUNT) - 1)) == 0);
	FUZZ_CHECK(pt_mode_name(o.pt_mode) && pt_backend_name(o.pt_backend));
	vmm_options_default(&again);
	cmdline_parse(line, &again);
	FUZZ_CHECK(memcmp(&o, &again, sizeof(o)) == 0);
}

static void check_guest(const char *line, unsigned index)
{
	static struct guest_config c, again;
	size_t name_len;

	guest_config_parse(line, index, &c);
	name_len = strnlen(c.name, sizeof(c.name));
	FUZZ_CHECK(name_len < sizeof(c.name) && modline_name_ok(c.name, name_len));
	FUZZ_CHECK(c.mem_size >= GUEST_MEM_MIN && c.mem_size <= GUEST_MEM_MAX && c.mem_size % GUEST_MEM_ALIGN == 0);
	FUZZ_CHECK(c.cpu >= -1 && c.cpu <= GUEST_CPU_MAX);
	FUZZ_CHECK(strnlen(c.pt_caps, sizeof(c.pt_caps)) < sizeof(c.pt_caps));
	FUZZ_CHECK(strnlen(c.guest_cmdline, sizeof(c.guest_cmdline)) < sizeof(c.guest_cmdline));
	guest_config_parse(line, index, &again);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk_check wc;
	const char *rest;
	char *line;

	if (size < 1)
		return 0;
	/* A heap copy of exactly the string and its NUL: ASan sees any read past the terminator. */
	wc.len = strnlen((const char *)data + 1, size - 1);
	line = malloc(wc.len + 1);
	memcpy(line, data + 1, wc.len);
	line[wc.len] = '\0';
	wc.line = line;
	wc.words = 0;
	rest = modline_walk(line, check_word, &wc);
	FUZZ_CHECK(!rest || (rest >= line && rest <= line + wc.len));
	check_vmm(line);
	check_guest(line, data[0] % (GUEST_MAX + 2));
	free(line);
	return 0;
}

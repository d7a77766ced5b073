/* Multiboot2 tag lookup and command line arguments, defensive against malformed information. */
#include "multiboot.h"
#include "lib/string.h"

#define MB2_TAG_ALIGN 8
#define MB2_INFO_MAX  (1u << 20) /* sanity bound: real information is a few KiB */

const struct mb2_tag *mb2_next_tag(uint32_t info, const struct mb2_tag *prev, uint32_t type)
{
	const struct mb2_info *hdr = (const struct mb2_info *)info;
	uint32_t off = sizeof(*hdr);

	if (!info || (info & (MB2_TAG_ALIGN - 1)) || hdr->total_size > MB2_INFO_MAX)
		return NULL;
	/* Walking from the start again keeps `prev` from steering the walk outside the information. */
	while (off + sizeof(struct mb2_tag) <= hdr->total_size) {
		const struct mb2_tag *tag = (const struct mb2_tag *)(info + off);

		if (tag->type == MB2_TAG_END || tag->size < sizeof(*tag) || tag->size > hdr->total_size - off)
			return NULL;
		if (!prev && tag->type == type)
			return tag;
		if (tag == prev)
			prev = NULL;
		off += (uint32_t)ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	return NULL;
}

const struct mb2_tag *mb2_find_tag(uint32_t info, uint32_t type)
{
	return mb2_next_tag(info, NULL, type);
}

const char *mb2_cmdline(uint32_t info)
{
	const struct mb2_tag *tag = mb2_find_tag(info, MB2_TAG_CMDLINE);

	if (!tag || tag->size <= sizeof(*tag))
		return "";
	return ((const struct mb2_tag_string *)tag)->string;
}

/* Start of the next space-separated word at or after s. */
static const char *word_next(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ')
		n++;
	return n;
}

bool cmdline_get_arg(const char *cmdline, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *s;

	/* Arguments after "--" belong to the guest; the words before it may be the loader's. */
	for (s = word_next(cmdline); *s; s = word_next(s + word_len(s))) {
		if (word_len(s) == 2 && s[0] == '-' && s[1] == '-') {
			cmdline = s + 2;
			break;
		}
	}
	for (s = word_next(cmdline); *s; s = word_next(s + word_len(s))) {
		size_t n = word_len(s);

		if (n > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			size_t vlen = n - klen - 1;

			if (!size)
				return true;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(out, s + klen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
	}
	return false;
}

uint32_t cmdline_get_u32(const char *cmdline, const char *key, uint32_t dflt)
{
	char buf[16];
	uint64_t v;

	if (!cmdline_get_arg(cmdline, key, buf, sizeof(buf)) || !ptv_parse_u64(buf, strlen(buf), false, &v))
		return dflt;
	return (uint32_t)v;
}

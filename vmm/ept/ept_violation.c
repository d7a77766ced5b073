/* EPT-violation decoding and formatting, the GPA claim registry, and misconfiguration reports. */
#include "ept/ept_violation.h"
#include "ept/ept_walk.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"

void ept_violation_decode(uint64_t qual, uint64_t gpa, uint64_t gla, struct ept_violation *v)
{
	memset(v, 0, sizeof(*v));
	v->gpa = gpa;
	v->read = qual & EPT_VQ_READ;
	v->write = qual & EPT_VQ_WRITE;
	v->fetch = qual & EPT_VQ_FETCH;
	v->entry_perms = (unsigned)(qual >> EPT_VQ_PERM_SHIFT) & EPT_RWX;
	v->entry_user_exec = qual & EPT_VQ_USER_EXEC;
	v->gla_valid = qual & EPT_VQ_GLA_VALID;
	/* Table 28-7: bit 8 and bits 9-11 mean something only when the linear address is valid. */
	if (v->gla_valid) {
		v->gla = gla;
		v->translation = qual & EPT_VQ_TRANSLATION;
		if (v->translation) {
			v->gla_supervisor = qual & EPT_VQ_GLA_SUPERVISOR;
			v->gla_writable = qual & EPT_VQ_GLA_RW;
			v->gla_nx = qual & EPT_VQ_GLA_NX;
		}
	}
	v->nmi_unblock = qual & EPT_VQ_NMI_UNBLOCK;
	v->shadow_stack = qual & EPT_VQ_SHADOW_STACK;
	v->async = qual & EPT_VQ_ASYNC;
}

bool ept_violation_is_async(const struct ept_violation *v)
{
	return v->async;
}

int ept_violation_format(const struct ept_violation *v, char *buf, size_t len)
{
	char kinds[20] = "", gla[32] = "";
	char perms[4] = {
		(v->entry_perms & EPT_R) ? 'r' : '-',
		(v->entry_perms & EPT_W) ? 'w' : '-',
		(v->entry_perms & EPT_X) ? 'x' : '-',
		'\0',
	};
	static const char *const kind[] = { "read", "write", "fetch" };
	const bool did[] = { v->read, v->write, v->fetch };

	for (unsigned i = 0; i < ARRAY_SIZE(kind); i++) {
		if (!did[i])
			continue;
		if (kinds[0])
			ptv_strlcpy(kinds + strlen(kinds), "/", sizeof(kinds) - strlen(kinds));
		ptv_strlcpy(kinds + strlen(kinds), kind[i], sizeof(kinds) - strlen(kinds));
	}
	if (v->gla_valid)
		ptv_snprintf(gla, sizeof(gla), " (GLA 0x%lx)", v->gla);
	return ptv_snprintf(buf, len, "%s at GPA 0x%lx%s: entry permissions %s%s%s%s", kinds[0] ? kinds : "access",
			    v->gpa, gla, perms,
			    v->gla_valid && !v->translation ? ", guest paging-structure access" : "",
			    v->async ? ", asynchronous" : "", v->nmi_unblock ? ", NMI unblocked by IRET" : "");
}

void ept_claims_init(struct ept_claims *c)
{
	memset(c, 0, sizeof(*c));
}

/* Half-open ranges [a, a+alen) and [b, b+blen), neither wrapping. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int ept_claim(struct ept_claims *c, uint64_t gpa, uint64_t len, const char *owner, ept_fault_fn fn, void *ctx)
{
	struct ept_claim *free_slot = NULL;

	if (!len || gpa + len < gpa || !fn) {
		pr_warn("ept_claim: bad claim by %s of GPA 0x%lx len 0x%lx\n", owner, gpa, len);
		return -1;
	}
	for (unsigned i = 0; i < EPT_CLAIMS_MAX; i++) {
		struct ept_claim *s = &c->slot[i];
		if (!s->len) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (ranges_overlap(gpa, len, s->gpa, s->len)) {
			pr_warn("ept_claim: %s: GPA 0x%lx len 0x%lx overlaps the claim of %s\n", owner, gpa, len,
				s->owner);
			return -1;
		}
	}
	if (!free_slot) {
		pr_warn("ept_claim: %s: all %u claims are taken\n", owner, EPT_CLAIMS_MAX);
		return -1;
	}
	*free_slot = (struct ept_claim){ .gpa = gpa, .len = len, .owner = owner, .fn = fn, .ctx = ctx };
	return 0;
}

int ept_unclaim(struct ept_claims *c, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < EPT_CLAIMS_MAX; i++) {
		struct ept_claim *s = &c->slot[i];
		if (s->len && s->gpa == gpa && s->len == len) {
			memset(s, 0, sizeof(*s));
			return 0;
		}
	}
	return -1;
}

const struct ept_claim *ept_claims_find(const struct ept_claims *c, uint64_t gpa)
{
	for (unsigned i = 0; i < EPT_CLAIMS_MAX; i++) {
		const struct ept_claim *s = &c->slot[i];
		if (s->len && gpa - s->gpa < s->len)
			return s;
	}
	return NULL;
}

enum ept_fault_result ept_claims_dispatch(const struct ept_claims *c, const struct ept_violation *v)
{
	const struct ept_claim *s = ept_claims_find(c, v->gpa);

	if (!s)
		return EPT_FAULT_UNHANDLED;
	enum ept_fault_result r = s->fn(s->ctx, v);
	switch (r) {
	case EPT_FAULT_RETRY:
	case EPT_FAULT_STOP_GUEST:
	case EPT_FAULT_UNHANDLED:
		return r;
	case EPT_FAULT_SKIP:
		/* An asynchronous access (e.g. trace output) leaves RIP at an unrelated instruction. */
		if (v->async) {
			pr_warn("ept: %s asked to skip an asynchronous access at GPA 0x%lx; retrying\n", s->owner,
				v->gpa);
			return EPT_FAULT_RETRY;
		}
		return r;
	default:
		pr_warn("ept: %s returned bad fault result %d\n", s->owner, (int)r);
		return EPT_FAULT_UNHANDLED;
	}
}

int ept_misconfig_describe(const struct ept *e, uint64_t gpa, char *buf, size_t len)
{
	static const char *const names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E" };
	struct ept_xlate x;

	if (ept_translate(e, gpa, &x))
		return ptv_snprintf(buf, len, "GPA 0x%lx: no misconfigured entry (maps HPA 0x%lx)", gpa, x.hpa);
	if (!x.level)
		return ptv_snprintf(buf, len, "GPA 0x%lx: outside the EPT", gpa);
	if (!x.misconfig)
		return ptv_snprintf(buf, len, "GPA 0x%lx: no misconfigured entry (%s not present)", gpa,
				    names[x.level]);
	const char *why = ept_entry_problem(x.entry, x.level, &e->caps);
	return ptv_snprintf(buf, len, "GPA 0x%lx: level %u %s 0x%lx: %s", gpa, x.level, names[x.level], x.entry,
			    why ? why : "references a table outside host memory");
}

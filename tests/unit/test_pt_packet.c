/* The Intel PT packet encoder: exact bytes, and libipt's packet decoder reading them back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <intel-pt.h>
#include "pt/gen/pt_packet.h"

/* Decodes PSB followed by the packet in pkt[0..n) with libipt; returns the packet after the PSB. */
static struct pt_packet decode_one(const uint8_t *pkt, size_t n)
{
	uint8_t buf[PT_PSB_LEN + PT_PKT_MAX + 8];
	struct pt_packet_decoder *dec;
	struct pt_packet psb, out;
	struct pt_config cfg;
	/* A PSB under test is its own sync point. */
	size_t len = n == PT_PSB_LEN ? 0 : pt_put_psb(buf);

	memcpy(buf + len, pkt, n);
	len += n;
	pt_config_init(&cfg);
	cfg.begin = buf;
	cfg.end = buf + len;
	dec = pt_pkt_alloc_decoder(&cfg);
	assert_non_null(dec);
	assert_int_equal(pt_pkt_sync_forward(dec), 0);
	if (len != n) {
		assert_true(pt_pkt_next(dec, &psb, sizeof(psb)) >= 0);
		assert_int_equal(psb.type, ppt_psb);
	}
	assert_int_equal(pt_pkt_next(dec, &out, sizeof(out)), (int)n);
	assert_int_equal(out.size, n);
	assert_int_equal(pt_pkt_next(dec, &psb, sizeof(psb)), -pte_eos);
	pt_pkt_free_decoder(dec);
	return out;
}

static void expect_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
}

static void test_fixed_packets(void **state)
{
	uint8_t b[PT_PKT_MAX];
	static const uint8_t psb[16] = { 2, 0x82, 2, 0x82, 2, 0x82, 2, 0x82, 2, 0x82, 2, 0x82, 2, 0x82, 2, 0x82 };
	(void)state;

	expect_bytes(b, pt_put_pad(b), (const uint8_t[]){ 0x00 }, 1);
	assert_int_equal(decode_one(b, 1).type, ppt_pad);
	expect_bytes(b, pt_put_psbend(b), (const uint8_t[]){ 0x02, 0x23 }, 2);
	assert_int_equal(decode_one(b, 2).type, ppt_psbend);
	expect_bytes(b, pt_put_ovf(b), (const uint8_t[]){ 0x02, 0xf3 }, 2);
	assert_int_equal(decode_one(b, 2).type, ppt_ovf);
	expect_bytes(b, pt_put_psb(b), psb, 16);
	assert_int_equal(decode_one(b, 16).type, ppt_psb);
}

static void test_tnt_short(void **state)
{
	uint8_t b[PT_PKT_MAX];
	struct pt_packet p;
	(void)state;

	/* One taken result: 0 marker bit, result 1, stop bit above it. */
	expect_bytes(b, pt_put_tnt_short(b, 1, 1), (const uint8_t[]){ 0x06 }, 1);
	p = decode_one(b, 1);
	assert_int_equal(p.type, ppt_tnt_8);
	assert_int_equal(p.payload.tnt.bit_size, 1);
	assert_int_equal(p.payload.tnt.payload, 1);

	expect_bytes(b, pt_put_tnt_short(b, 0, 1), (const uint8_t[]){ 0x04 }, 1);
	expect_bytes(b, pt_put_tnt_short(b, 0x2d, 6), (const uint8_t[]){ 0xda }, 1);
	p = decode_one(b, 1);
	assert_int_equal(p.type, ppt_tnt_8);
	assert_int_equal(p.payload.tnt.bit_size, 6);
	assert_int_equal(p.payload.tnt.payload, 0x2d);

	expect_bytes(b, pt_put_tnt_short(b, 0x2, 3), (const uint8_t[]){ 0x14 }, 1);
	p = decode_one(b, 1);
	assert_int_equal(p.payload.tnt.bit_size, 3);
	assert_int_equal(p.payload.tnt.payload, 2);

	assert_int_equal(pt_put_tnt_short(b, 0, 0), 0);
	assert_int_equal(pt_put_tnt_short(b, 0, 7), 0);
}

static void test_tnt_long(void **state)
{
	uint8_t b[PT_PKT_MAX];
	struct pt_packet p;
	uint64_t bits = 0x5a5a12345678ull & GENMASK(46, 0);
	(void)state;

	expect_bytes(b, pt_put_tnt_long(b, 0x5, 3), (const uint8_t[]){ 0x02, 0xa3, 0x0d, 0, 0, 0, 0, 0 }, 8);
	p = decode_one(b, 8);
	assert_int_equal(p.type, ppt_tnt_64);
	assert_int_equal(p.payload.tnt.bit_size, 3);
	assert_int_equal(p.payload.tnt.payload, 5);

	assert_int_equal(pt_put_tnt_long(b, bits, 47), 8);
	assert_int_equal(b[7], 0x80 | (uint8_t)(bits >> 40));
	p = decode_one(b, 8);
	assert_int_equal(p.type, ppt_tnt_64);
	assert_int_equal(p.payload.tnt.bit_size, 47);
	assert_int_equal(p.payload.tnt.payload, bits);

	assert_int_equal(pt_put_tnt_long(b, 0, 0), 0);
	assert_int_equal(pt_put_tnt_long(b, 0, 48), 0);
}

/* Rebuilds an IP from a decoded IP packet the way SDM 33.4.2.2 says a decoder must. */
static uint64_t rebuild_ip(uint64_t last, const struct pt_packet_ip *p)
{
	switch (p->ipc) {
	case pt_ipc_update_16:
		return (last & ~0xffffull) | (p->ip & 0xffff);
	case pt_ipc_update_32:
		return (last & ~0xffffffffull) | (p->ip & 0xffffffff);
	case pt_ipc_sext_48:
		return (uint64_t)((int64_t)(p->ip << 16) >> 16);
	case pt_ipc_update_48:
		return (last & ~GENMASK(47, 0)) | (p->ip & GENMASK(47, 0));
	case pt_ipc_full:
		return p->ip;
	default:
		return last;
	}
}

struct ipc_case {
	bool valid;
	uint64_t last, ip;
	enum pt_ipc want;
};

static const struct ipc_case ipc_cases[] = {
	{ true, 0, 0x1234, PT_IPC_UPDATE16 },
	{ true, 0, 0x401000, PT_IPC_UPDATE32 },
	{ true, 0x401000, 0x40ff00, PT_IPC_UPDATE16 },
	{ true, 0x401000, 0x7fff12345678ull, PT_IPC_SEXT48 },
	{ true, 0, 0xffffffff81000000ull, PT_IPC_SEXT48 },
	{ true, 0xffffffff81000000ull, 0xffffffff81001234ull, PT_IPC_UPDATE16 },
	{ true, 0xffffffff81000000ull, 0xffffffffa0000010ull, PT_IPC_UPDATE32 },
	{ true, 0x1234000000000000ull, 0x1234000100000000ull, PT_IPC_UPDATE48 },
	{ true, 0, 0x123456789abcdef0ull, PT_IPC_FULL },
	{ false, 0, 0x1234, PT_IPC_SEXT48 },
	{ false, 0, 0xffffffff81000000ull, PT_IPC_SEXT48 },
	{ false, 0x1234000000000000ull, 0x1234000100000000ull, PT_IPC_FULL },
};

static void test_ip_compression(void **state)
{
	static const enum pt_ip_pkt types[] = { PT_IP_TIP, PT_IP_TIP_PGE, PT_IP_TIP_PGD, PT_IP_FUP };
	static const enum pt_packet_type ptypes[] = { ppt_tip, ppt_tip_pge, ppt_tip_pgd, ppt_fup };
	(void)state;

	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		for (size_t i = 0; i < ARRAY_SIZE(ipc_cases); i++) {
			const struct ipc_case *c = &ipc_cases[i];
			struct pt_last_ip l = { c->last, c->valid };
			uint8_t b[PT_PKT_MAX];
			size_t n = pt_put_ip(b, types[t], &l, c->ip);
			struct pt_packet p;

			assert_int_equal(pt_last_ip_choose(&(struct pt_last_ip){ c->last, c->valid }, c->ip), c->want);
			assert_int_equal(n, 1 + pt_ipc_bytes(c->want));
			assert_int_equal(b[0], (c->want << 5) | types[t]);
			assert_true(l.valid);
			assert_int_equal(l.ip, c->ip);
			p = decode_one(b, n);
			assert_int_equal(p.type, ptypes[t]);
			assert_int_equal(p.payload.ip.ipc, (enum pt_ip_compression)c->want);
			assert_int_equal(rebuild_ip(c->last, &p.payload.ip), c->ip);
		}
	}
}

static void test_ip_bytes(void **state)
{
	uint8_t b[PT_PKT_MAX];
	struct pt_last_ip l;
	(void)state;

	pt_last_ip_reset(&l);
	assert_true(l.valid);
	assert_int_equal(l.ip, 0);
	expect_bytes(b, pt_put_tip(b, &l, 0x401234), (const uint8_t[]){ 0x4d, 0x34, 0x12, 0x40, 0x00 }, 5);
	expect_bytes(b, pt_put_fup(b, &l, 0x401250), (const uint8_t[]){ 0x3d, 0x50, 0x12 }, 3);
	expect_bytes(b, pt_put_tip_pge(b, &l, 0xffffffff81000010ull),
		     (const uint8_t[]){ 0x71, 0x10, 0x00, 0x00, 0x81, 0xff, 0xff }, 7);
	expect_bytes(b, pt_put_ip_raw(b, PT_IP_TIP, PT_IPC_FULL, 0x0102030405060708ull),
		     (const uint8_t[]){ 0xcd, 8, 7, 6, 5, 4, 3, 2, 1 }, 9);
	assert_int_equal(pt_ipc_bytes((enum pt_ipc)5), 0);

	/* A suppressed TIP.PGD has no payload and leaves last IP alone. */
	expect_bytes(b, pt_put_tip_pgd(b, &l, 0x1234, true), (const uint8_t[]){ 0x01 }, 1);
	assert_int_equal(l.ip, 0xffffffff81000010ull);
	struct pt_packet p = decode_one(b, 1);
	assert_int_equal(p.type, ppt_tip_pgd);
	assert_int_equal(p.payload.ip.ipc, pt_ipc_suppressed);
	expect_bytes(b, pt_put_tip_pgd(b, &l, 0xffffffff81000020ull, false), (const uint8_t[]){ 0x21, 0x20, 0x00 }, 3);

	pt_last_ip_invalidate(&l);
	assert_false(l.valid);
	assert_int_equal(pt_put_fup(b, &l, 0x10), 7);
}

static void test_pip(void **state)
{
	uint8_t b[PT_PKT_MAX];
	struct pt_packet p;
	(void)state;

	expect_bytes(b, pt_put_pip(b, 0x12345000, true), (const uint8_t[]){ 0x02, 0x43, 0x01, 0x45, 0x23, 0x01, 0, 0 },
		     8);
	p = decode_one(b, 8);
	assert_int_equal(p.type, ppt_pip);
	assert_int_equal(p.payload.pip.cr3, 0x12345000);
	assert_true(p.payload.pip.nr);

	/* Bits 4:0 (PWT, PCD) and above 51 are not reported. */
	assert_int_equal(pt_put_pip(b, 0xfff0000abcdef018ull, false), 8);
	p = decode_one(b, 8);
	assert_int_equal(p.payload.pip.cr3, 0x000000abcdef000ull);
	assert_false(p.payload.pip.nr);
}

static void test_mode_exec(void **state)
{
	static const struct {
		enum pt_cpu_mode m;
		uint8_t byte;
		enum pt_exec_mode lib;
	} cases[] = {
		{ PT_MODE_16, 0x00, ptem_16bit },
		{ PT_MODE_32, 0x02, ptem_32bit },
		{ PT_MODE_64, 0x01, ptem_64bit },
	};
	uint8_t b[PT_PKT_MAX];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		expect_bytes(b, pt_put_mode_exec(b, cases[i].m), (const uint8_t[]){ 0x99, cases[i].byte }, 2);
		struct pt_packet p = decode_one(b, 2);
		assert_int_equal(p.type, ppt_mode);
		assert_int_equal(p.payload.mode.leaf, pt_mol_exec);
		assert_int_equal(pt_get_exec_mode(&p.payload.mode.bits.exec), cases[i].lib);
	}
}

static void test_tsc_cbr(void **state)
{
	uint8_t b[PT_PKT_MAX];
	struct pt_packet p;
	(void)state;

	expect_bytes(b, pt_put_tsc(b, 0xee00123456789abcull),
		     (const uint8_t[]){ 0x19, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00 }, 8);
	p = decode_one(b, 8);
	assert_int_equal(p.type, ppt_tsc);
	assert_int_equal(p.payload.tsc.tsc, 0x00123456789abcull);

	expect_bytes(b, pt_put_cbr(b, 0x2a), (const uint8_t[]){ 0x02, 0x03, 0x2a, 0x00 }, 4);
	p = decode_one(b, 4);
	assert_int_equal(p.type, ppt_cbr);
	assert_int_equal(p.payload.cbr.ratio, 0x2a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_packets), cmocka_unit_test(test_tnt_short),
		cmocka_unit_test(test_tnt_long),      cmocka_unit_test(test_ip_compression),
		cmocka_unit_test(test_ip_bytes),      cmocka_unit_test(test_pip),
		cmocka_unit_test(test_mode_exec),     cmocka_unit_test(test_tsc_cbr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Intel PT packet encoder: exact byte layouts of SDM Vol. 3C 33.4.2 "Packet Definitions". */
#include "pt/gen/pt_packet.h"

/* Extended-opcode packets start with 0x02 (SDM 33.4.2 "Packet Definitions"). */
#define PT_EXT           0x02
#define PT_EXT_PSB       0x82
#define PT_EXT_PSBEND    0x23
#define PT_EXT_OVF       0xf3
#define PT_EXT_TNT64     0xa3
#define PT_EXT_PIP       0x43
#define PT_EXT_CBR       0x03
#define PT_OPC_PAD       0x00
#define PT_OPC_MODE      0x99
#define PT_OPC_TSC       0x19
#define PT_MODE_EXEC_CSL 0x01 /* MODE.Exec payload: leaf 000b in bits 7:5 */
#define PT_MODE_EXEC_CSD 0x02

static void put_le(uint8_t *buf, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
}

/* True when bits 63:48 of ip copy bit 47, so IPBytes 011b can carry it. */
static bool ip_is_sext48(uint64_t ip)
{
	uint64_t top = ip >> 47;

	return top == 0 || top == 0x1ffff;
}

void pt_last_ip_reset(struct pt_last_ip *l)
{
	/* SDM 33.4.2, TIP packet: last IP is guaranteed to be reset to zero when a PSB is sent. */
	l->ip = 0;
	l->valid = true;
}

void pt_last_ip_invalidate(struct pt_last_ip *l)
{
	l->ip = 0;
	l->valid = false;
}

enum pt_ipc pt_last_ip_choose(const struct pt_last_ip *l, uint64_t ip)
{
	uint64_t diff = ip ^ l->ip;

	if (l->valid && (diff >> 16) == 0)
		return PT_IPC_UPDATE16;
	if (l->valid && (diff >> 32) == 0)
		return PT_IPC_UPDATE32;
	/* Sign-extended 48 is as short as update-48 and needs no history. */
	if (ip_is_sext48(ip))
		return PT_IPC_SEXT48;
	if (l->valid && (diff >> 48) == 0)
		return PT_IPC_UPDATE48;
	return PT_IPC_FULL;
}

size_t pt_ipc_bytes(enum pt_ipc ipc)
{
	switch (ipc) {
	case PT_IPC_SUPPRESSED:
		return 0;
	case PT_IPC_UPDATE16:
		return 2;
	case PT_IPC_UPDATE32:
		return 4;
	case PT_IPC_SEXT48:
		return 6;
	case PT_IPC_UPDATE48:
		return 6;
	case PT_IPC_FULL:
		return 8;
	default:
		return 0;
	}
}

size_t pt_put_pad(uint8_t *buf)
{
	buf[0] = PT_OPC_PAD;
	return 1;
}

size_t pt_put_psb(uint8_t *buf)
{
	/* PSB is the 02 82 pair repeated eight times, a pattern no other packet sequence forms. */
	for (size_t i = 0; i < PT_PSB_LEN; i += 2) {
		buf[i] = PT_EXT;
		buf[i + 1] = PT_EXT_PSB;
	}
	return PT_PSB_LEN;
}

size_t pt_put_psbend(uint8_t *buf)
{
	buf[0] = PT_EXT;
	buf[1] = PT_EXT_PSBEND;
	return 2;
}

size_t pt_put_ovf(uint8_t *buf)
{
	buf[0] = PT_EXT;
	buf[1] = PT_EXT_OVF;
	return 2;
}

size_t pt_put_tnt_short(uint8_t *buf, uint64_t bits, unsigned n)
{
	if (n == 0 || n > PT_TNT_SHORT_MAX)
		return 0;
	/* Bit 0 is the 0 that marks a short TNT; a 1 stop bit sits above the oldest result. */
	bits &= GENMASK(n - 1, 0);
	buf[0] = (uint8_t)(((uint64_t)1 << (n + 1)) | (bits << 1));
	return 1;
}

size_t pt_put_tnt_long(uint8_t *buf, uint64_t bits, unsigned n)
{
	if (n == 0 || n > PT_TNT_LONG_MAX)
		return 0;
	bits &= GENMASK(n - 1, 0);
	buf[0] = PT_EXT;
	buf[1] = PT_EXT_TNT64;
	put_le(buf + 2, ((uint64_t)1 << n) | bits, 6);
	return 8;
}

size_t pt_put_ip_raw(uint8_t *buf, enum pt_ip_pkt type, enum pt_ipc ipc, uint64_t ip)
{
	size_t n = pt_ipc_bytes(ipc);

	buf[0] = (uint8_t)(((unsigned)ipc << 5) | (unsigned)type);
	put_le(buf + 1, ip, n);
	return 1 + n;
}

size_t pt_put_ip(uint8_t *buf, enum pt_ip_pkt type, struct pt_last_ip *l, uint64_t ip)
{
	enum pt_ipc ipc = pt_last_ip_choose(l, ip);

	l->ip = ip;
	l->valid = true;
	return pt_put_ip_raw(buf, type, ipc, ip);
}

size_t pt_put_tip(uint8_t *buf, struct pt_last_ip *l, uint64_t ip)
{
	return pt_put_ip(buf, PT_IP_TIP, l, ip);
}

size_t pt_put_tip_pge(uint8_t *buf, struct pt_last_ip *l, uint64_t ip)
{
	return pt_put_ip(buf, PT_IP_TIP_PGE, l, ip);
}

size_t pt_put_fup(uint8_t *buf, struct pt_last_ip *l, uint64_t ip)
{
	return pt_put_ip(buf, PT_IP_FUP, l, ip);
}

size_t pt_put_tip_pgd(uint8_t *buf, struct pt_last_ip *l, uint64_t ip, bool suppress)
{
	/* SDM 33.4.2, TIP packet: a suppressed IP does not clear last IP. */
	if (suppress)
		return pt_put_ip_raw(buf, PT_IP_TIP_PGD, PT_IPC_SUPPRESSED, 0);
	return pt_put_ip(buf, PT_IP_TIP_PGD, l, ip);
}

size_t pt_put_pip(uint8_t *buf, uint64_t cr3, bool nr)
{
	/* Payload bits 47:1 hold CR3[51:5]; bit 0 is NR (SDM 33.4.2, "Paging Information (PIP) Packet"). */
	uint64_t payload = ((cr3 & GENMASK(51, 5)) >> 4) | (nr ? 1 : 0);

	buf[0] = PT_EXT;
	buf[1] = PT_EXT_PIP;
	put_le(buf + 2, payload, 6);
	return 8;
}

size_t pt_put_mode_exec(uint8_t *buf, enum pt_cpu_mode mode)
{
	uint8_t payload;

	switch (mode) {
	case PT_MODE_64:
		payload = PT_MODE_EXEC_CSL;
		break;
	case PT_MODE_32:
		payload = PT_MODE_EXEC_CSD;
		break;
	case PT_MODE_16:
		payload = 0;
		break;
	default:
		payload = 0;
		break;
	}
	buf[0] = PT_OPC_MODE;
	buf[1] = payload;
	return 2;
}

size_t pt_put_tsc(uint8_t *buf, uint64_t tsc)
{
	buf[0] = PT_OPC_TSC;
	put_le(buf + 1, tsc, 7);
	return 8;
}

size_t pt_put_cbr(uint8_t *buf, uint8_t ratio)
{
	buf[0] = PT_EXT;
	buf[1] = PT_EXT_CBR;
	buf[2] = ratio;
	buf[3] = 0;
	return 4;
}

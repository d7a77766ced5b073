/* Intel PT packet encoder: one function per packet type, bytes as hardware writes them. */
#ifndef PTV_PT_PACKET_H
#define PTV_PT_PACKET_H

#include "types.h"

/*
 * Every encoder writes one whole packet at buf (which must hold PT_PKT_MAX
 * bytes) and returns its length. Layouts are those of SDM Vol. 3C 33.4.2
 * "Packet Definitions"; names avoid libipt's (pt_pkt_*, pt_enc_*) so the
 * host tests can link both.
 */
#define PT_PKT_MAX       16
#define PT_PSB_LEN       16
#define PT_TNT_SHORT_MAX 6  /* TNT bits in a short (8-bit) TNT packet */
#define PT_TNT_LONG_MAX  47 /* TNT bits in a long (64-bit) TNT packet */

/* The IPBytes field of TIP, TIP.PGE, TIP.PGD and FUP (SDM 33.4.2, "Target IP (TIP) Packet", IP compression). */
enum pt_ipc {
	PT_IPC_SUPPRESSED = 0, /* no payload: IP out of context; last IP kept */
	PT_IPC_UPDATE16 = 1,   /* IP[15:0], upper bits from last IP */
	PT_IPC_UPDATE32 = 2,   /* IP[31:0], upper bits from last IP */
	PT_IPC_SEXT48 = 3,     /* IP[47:0], sign-extended from bit 47 */
	PT_IPC_UPDATE48 = 4,   /* IP[47:0], upper bits from last IP */
	PT_IPC_FULL = 6,       /* IP[63:0] */
};

/* The four packets that carry an IP: the header byte's low five bits. */
enum pt_ip_pkt {
	PT_IP_TIP_PGD = 0x01,
	PT_IP_TIP = 0x0d,
	PT_IP_TIP_PGE = 0x11,
	PT_IP_FUP = 0x1d,
};

/* Code-segment execution mode, reported by MODE.Exec from CS.L and CS.D. */
enum pt_cpu_mode {
	PT_MODE_16, /* CS.L = 0, CS.D = 0 */
	PT_MODE_32, /* CS.L = 0, CS.D = 1 */
	PT_MODE_64, /* CS.L = 1 */
};

/*
 * The encoder's copy of the decoder's "last IP" (SDM 33.4.2, TIP packet): the IP of the
 * last packet that carried one. Zero and valid after a PSB (the processor
 * resets it there); invalid after an OVF, where we assume nothing and send a
 * self-contained IP.
 */
struct pt_last_ip {
	uint64_t ip;
	bool valid;
};

void pt_last_ip_reset(struct pt_last_ip *l);      /* after PSB: 0, valid */
void pt_last_ip_invalidate(struct pt_last_ip *l); /* after OVF: unknown */
/* The shortest IPBytes that lets a decoder holding *l rebuild ip. */
enum pt_ipc pt_last_ip_choose(const struct pt_last_ip *l, uint64_t ip);
/* Payload length in bytes of an IPBytes value (0 for reserved values). */
size_t pt_ipc_bytes(enum pt_ipc ipc);

size_t pt_put_pad(uint8_t *buf);
size_t pt_put_psb(uint8_t *buf);
size_t pt_put_psbend(uint8_t *buf);
size_t pt_put_ovf(uint8_t *buf);
/*
 * TNT: n results, the oldest in bit n-1 of bits and the newest in bit 0
 * (a decoder consumes from the most significant bit down). Short: 1..6 bits,
 * long: 1..47 bits. Returns 0 when n is out of range.
 */
size_t pt_put_tnt_short(uint8_t *buf, uint64_t bits, unsigned n);
size_t pt_put_tnt_long(uint8_t *buf, uint64_t bits, unsigned n);
/* An IP packet with an explicit IPBytes; does not touch any last IP. */
size_t pt_put_ip_raw(uint8_t *buf, enum pt_ip_pkt type, enum pt_ipc ipc, uint64_t ip);
/* An IP packet compressed against *l, which it then updates. */
size_t pt_put_ip(uint8_t *buf, enum pt_ip_pkt type, struct pt_last_ip *l, uint64_t ip);
size_t pt_put_tip(uint8_t *buf, struct pt_last_ip *l, uint64_t ip);
size_t pt_put_tip_pge(uint8_t *buf, struct pt_last_ip *l, uint64_t ip);
size_t pt_put_fup(uint8_t *buf, struct pt_last_ip *l, uint64_t ip);
/* TIP.PGD; with suppress the IP is left out (IPBytes 000) and *l is kept. */
size_t pt_put_tip_pgd(uint8_t *buf, struct pt_last_ip *l, uint64_t ip, bool suppress);
/* PIP: CR3[51:5] and the non-root (NR) bit. */
size_t pt_put_pip(uint8_t *buf, uint64_t cr3, bool nr);
size_t pt_put_mode_exec(uint8_t *buf, enum pt_cpu_mode mode);
/* TSC: the low 56 bits of the time-stamp counter. */
size_t pt_put_tsc(uint8_t *buf, uint64_t tsc);
/* CBR: the core:bus ratio. */
size_t pt_put_cbr(uint8_t *buf, uint8_t ratio);

#endif

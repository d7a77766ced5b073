/* The SDM's rules for the IA32_RTIT_* MSRs, applied to a guest's virtual MSRs (both PT backends). */
#ifndef PTV_RTIT_H
#define PTV_RTIT_H

#include "types.h"
#include "msr.h"
#include "pt/pt_ctx.h"
#include "pt/pt_vcaps.h"

/* IA32_RTIT_CTL multi-bit fields (SDM 33.2.8.2, Table "IA32_RTIT_CTL MSR"). */
#define RTIT_CTL_MTCFREQ_SHIFT     14
#define RTIT_CTL_MTCFREQ           GENMASK(17, 14)
#define RTIT_CTL_CYCTHRESH_SHIFT   19
#define RTIT_CTL_CYCTHRESH         GENMASK(22, 19)
#define RTIT_CTL_PSBFREQ_SHIFT     24
#define RTIT_CTL_PSBFREQ           GENMASK(27, 24)
#define RTIT_CTL_ADDR_CFG_SHIFT(n) (32 + 4 * (n))
#define RTIT_CTL_ADDR_CFG(n)       (GENMASK(35, 32) << (4 * (n)))

/* IA32_RTIT_STATUS.PacketByteCnt (SDM 33.2.8.4 "IA32_RTIT_STATUS MSR"). */
#define RTIT_STATUS_BYTECNT GENMASK(48, 32)
/* Bits software may write; the rest are reserved (SDM 33.2.8.4). */
#define RTIT_STATUS_WRITABLE                                                                        \
	(RTIT_STATUS_FILTEREN | RTIT_STATUS_CONTEXTEN | RTIT_STATUS_TRIGGEREN | RTIT_STATUS_ERROR | \
	 RTIT_STATUS_STOPPED | RTIT_STATUS_BYTECNT)
/* IA32_RTIT_CR3_MATCH[4:0] are reserved (SDM 33.2.8.6 "IA32_RTIT_CR3_MATCH MSR"). */
#define RTIT_CR3_MATCH_RESERVED GENMASK(4, 0)
/* IA32_RTIT_OUTPUT_BASE[6:0] are reserved (SDM 33.2.8.7 "IA32_RTIT_OUTPUT_BASE MSR"). */
#define RTIT_OUTPUT_BASE_RESERVED GENMASK(6, 0)

enum rtit_result { RTIT_OK = 0, RTIT_GP = 1 };

/* 560H-561H, 570H-572H, 580H-587H: the MSRs a PT backend answers for. */
bool rtit_is_rtit_msr(uint32_t msr);

/*
 * RDMSR: RTIT_GP for an MSR the exposed capabilities do not implement (no PT
 * at all; OUTPUT_BASE/MASK_PTRS without ToPA or single-range output;
 * CR3_MATCH without CR3 filtering; ADDRn_A/B for n >= the range count).
 */
enum rtit_result rtit_read(const struct pt_vctx *x, const struct pt_vcaps *c, uint32_t msr, uint64_t *val);

/*
 * WRMSR: the same existence rules, then each MSR's own rules (reserved bits
 * for the exposed capabilities, nothing but clearing TraceEn while
 * TraceEn=1, encodings against the CPUID bitmaps, ADDRn_CFG <= 2, an output
 * scheme when TraceEn is set, OUTPUT_BASE alignment and MAXPHYADDR, canonical
 * ADDRn, STATUS writable bits). RTIT_GP leaves *x unchanged.
 */
enum rtit_result rtit_write(struct pt_vctx *x, const struct pt_vcaps *c, uint32_t msr, uint64_t val);

/* The IA32_RTIT_CTL bits the capabilities leave writable; the rest are reserved. */
uint64_t rtit_ctl_writable(const struct pt_vcaps *c);
/* RTIT_GP when `val` may not be written over `cur` (the IA32_RTIT_CTL rules only). */
enum rtit_result rtit_ctl_check(uint64_t cur, const struct pt_vcaps *c, uint64_t val);

#endif

/* qkern.h: the quantize inner loop, compiled once per instruction set.
 *
 * qkern.c is plain, branch-free C over 32-bit lanes that the compiler
 * vectorizes; CMake builds it three times (portable, AVX2, AVX-512) and
 * mq_qkern_select() picks the widest the CPU supports, or the one named by
 * mq_qkern_force() / the METRIQ_ISA environment variable (generic, avx2,
 * avx512), so tests can run every path the machine has.  Every path computes
 * exactly what quant.c's scalar path (mq_encode1 / mq_fakequant1) does, for
 * float and INT formats, and draws stochastic rounding's words from the
 * same Philox4x32-10 stream as mq_rand32 (rng.h); E8M0 stays on the scalar
 * path. */
#ifndef MQ_QKERN_H
#define MQ_QKERN_H

#include <stddef.h>
#include <stdint.h>
#include "quant.h"

/* Loop-invariant constants of one quantizer, derived once per call by
 * mq_qkern_prepare (qkern.c's header comment says what each is for).
 * Magnitudes are float32 bit patterns without the sign, u = |v| bits. */
typedef struct mq_qkern_params {
	int mode;            /* mq_round_mode */
	uint32_t kmask;      /* SR: the top sr_bits bits of a word */
	uint32_t sh0;        /* 23 - m: fraction bits below the quantum of a normal */
	uint32_t t0;         /* bits of 2^emin: u below it is in the subnormal range */
	uint32_t off;        /* (emin + 126) << m: (u >> sh0) - off is a normal's code */
	uint32_t nbias;      /* rounding bias - (off << sh0): RTNE 2^(sh0-1) - 1, RNA 2^(sh0-1) */
	uint32_t lsbmask;    /* RTNE: 1, or 0 when m = 0 (quant.c's kept is then always odd) */
	float cmag;          /* RTNE: 2^(emin - m + 23), whose ulp is the subnormal quantum */
	uint32_t cbits;      /* its bits */
	float ysc1, ysc2;    /* 2^(m - emin) as two exact factors (it can exceed 2^127) */
	float subq;          /* 2^(emin - m), one subnormal quantum */
	uint32_t maxcode;
	uint32_t ovf_mag;    /* magnitude code of an overflow: maxcode or maxcode + 1 */
	uint32_t ovf_mag_inf;/* ... of an infinite input (differs under RTZ + IEEE) */
	uint32_t ovf_val, ovf_val_inf; /* their float32 bits (max, inf or NaN) */
	uint32_t minsub_bits;/* below this, flush gives zero (0 if gradual) */
	uint32_t nan_code;   /* magnitude code of NaN (0 if the format has none) */
	uint32_t cmask;      /* (1 << bits) - 1 */
	uint32_t nan_cmask;  /* cmask, or 0 if NaN's code is 0 whatever its sign */
	uint32_t sxmask;     /* code of a negative: (mag ^ sxmask) - snmask: */
	uint32_t snmask;     /*   float: sign bit, 0; INT: ~0, ~0 (two's complement) */
	uint32_t max_bits;   /* bits of the largest finite value */
} mq_qkern_params;

/* Quantize x[0..n) at one scale: element i is v = x[i] / scale, rounded as
 * quant.c rounds it; y[i] = fakequant(v) * scale, c8/c16[i] its code (any
 * of y, c8, c16 may be NULL); counts are added to st unless it is NULL
 * (n is the caller's to add).  SR draws element i's
 * word as mq_rand32(seed, index0 + i). */
typedef void (*mq_qkern_fn)(const mq_qkern_params *p, const float *x, size_t n,
                            float scale, uint64_t seed, uint64_t index0, float *y,
                            uint8_t *c8, uint16_t *c16, mq_qstats *st);

void mq_qkern_prepare(const mq_qspec *q, mq_qkern_params *p);

void mq_qkern_generic(const mq_qkern_params *, const float *, size_t, float, uint64_t,
                      uint64_t, float *, uint8_t *, uint16_t *, mq_qstats *);
void mq_qkern_avx2(const mq_qkern_params *, const float *, size_t, float, uint64_t,
                   uint64_t, float *, uint8_t *, uint16_t *, mq_qstats *);
void mq_qkern_avx512(const mq_qkern_params *, const float *, size_t, float, uint64_t,
                     uint64_t, float *, uint8_t *, uint16_t *, mq_qstats *);

/* RTNE without counts to one output (y, or 8-bit codes c8; the other NULL),
 * AVX-512 intrinsics (qkern_rtne.c); mq_qkern_avx512 calls it. */
void mq_qkern_rtne_avx512(const mq_qkern_params *p, const float *x, size_t n, float scale,
                          float *y, uint8_t *c8);

/* A quantizer prepared once for many arrays (mq_quantize_tensor's rows):
 * mq_quantize_run is mq_qprep_init, a check of the scales, mq_qprep_run. */
typedef struct mq_qprep {
	const mq_qspec *q;
	mq_qkern_fn kern;    /* NULL: the scalar path (E8M0) */
	mq_qkern_params kp;
} mq_qprep;

mq_status mq_qprep_init(mq_qprep *pp, const mq_qspec *q);
/* mq_quantize_run without the checks: every scale finite and > 0, sdiv > 0. */
void mq_qprep_run(const mq_qprep *pp, const float *x, size_t n, const float *scales,
                  size_t sdiv, uint64_t index0, float *y, void *codes, mq_qstats *stats);

/* The kernel in use and its name ("generic", "avx2", "avx512"). */
mq_qkern_fn mq_qkern_select(const char **name);
/* Force a path by name; MQ_EOPTION if unknown or unsupported by this CPU.
 * NULL returns to automatic choice. */
mq_status mq_qkern_force(const char *name);

#endif

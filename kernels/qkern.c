/* qkern.c: the quantize inner loop (see qkern.h).  Compiled once per
 * instruction set with MQ_QKERN_NAME set to the function's name.
 *
 * The arithmetic is quant.c's, restated over 32-bit lanes with selects
 * instead of branches: with |v| = sig * 2^(ex - 23),
 *     shift = 23 - m + max(0, emin - ex),  kept = sig >> shift,
 *     mag   = ((max(ex, emin) - emin) << m) + kept + up.
 * A shift above 31 is clamped to 31: sig < 2^24, so kept = 0 and the
 * remainder is below half either way.  Stochastic rounding compares the
 * first 32 bits of the fraction, aligned to the top of a word, with the
 * random word: rounding up is exactly a carry out of their K-bit sum. */
#include <string.h>

#include "qkern.h"

#ifndef MQ_QKERN_NAME
#error "define MQ_QKERN_NAME"
#endif

#define INF_BITS 0x7f800000u

static inline uint32_t bits_of(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

static inline float float_of(uint32_t u)
{
	float x;
	memcpy(&x, &u, 4);
	return x;
}

/* One element; every input is a value, every branch a select. */
static inline __attribute__((always_inline)) void
element(const mq_qkern_params *p, float v, uint32_t r, const int mode, uint32_t *code,
        float *val, uint32_t *clip, uint32_t *unf, uint32_t *nan)
{
	uint32_t b = bits_of(v);
	uint32_t s = b & 0x80000000u, u = b ^ s;
	uint32_t ef = u >> 23;
	uint32_t sig = (u & 0x7fffffu) | (ef ? 0x800000u : 0u);
	int32_t ex = (int32_t)(ef > 1 ? ef : 1) - 127;
	int32_t ee = ex > p->emin ? ex : p->emin;
	uint32_t sh = (uint32_t)(p->shift0 + (ee - ex));
	uint32_t shc = sh < 31 ? sh : 31;
	uint32_t kept = sig >> shc;
	uint32_t rem = sig & ((1u << shc) - 1u);
	uint32_t half = 1u << (shc - 1);
	/* Rounding decisions as carries, not comparisons: rem < 2^shc and
	 * shc <= 31, so these sums cannot wrap, and bit >> shc is the decision.
	 * (Comparisons feeding '&' become _Bool, which the vectorizer refuses.) */
	uint32_t up;
	if (mode == MQ_RTNE)
		up = (rem + (half - 1u) + (kept & 1u)) >> shc;
	else if (mode == MQ_RNA)
		up = (rem + half) >> shc;
	else if (mode == MQ_RTZ)
		up = 0;
	else {
		uint32_t hi = sig << ((32u - sh) & 31u);            /* sh <= 32 */
		uint32_t lo_sh = sh - 32u;
		uint32_t lo = lo_sh < 24u ? sig >> (lo_sh & 31u) : 0u; /* sh > 32 */
		uint32_t a = (sh < 32u ? hi : sh == 32u ? sig : lo) & p->kmask;
		uint32_t b = r & p->kmask;
		uint32_t sum = a + b;
		up = ((a & b) | ((a | b) & ~sum)) >> 31; /* carry out of a + b */
	}
	uint32_t mag = ((uint32_t)(ee - p->emin) << p->m) + kept + up;
	uint32_t is_nan = u > INF_BITS;
	uint32_t is_inf = u == INF_BITS;
	uint32_t ovf = (u >= p->ovf_bits) | (mag > p->maxcode);
	uint32_t flush = u < p->minsub_bits;
	mag = flush ? 0u : mag;
	uint32_t not_nan = is_nan ^ 1u;
	ovf = ovf & not_nan;
	/* value of a finite magnitude code */
	uint32_t E = mag >> p->m, M = mag & p->mmask;
	uint32_t nbits = ((uint32_t)((int32_t)E + p->emin - 1 + 127) << 23) |
	                 (M << (23 - p->m));
	/* both arms computed, then an integer select: a float operation in
	 * only one arm of a condition is control flow to the compiler */
	uint32_t sbits = bits_of((float)(int32_t)M * p->subq);
	uint32_t fin = E ? nbits : sbits;
	uint32_t omag = is_inf ? p->ovf_mag_inf : p->ovf_mag;
	uint32_t oval = is_inf ? p->ovf_val_inf : p->ovf_val;
	uint32_t vb = ovf ? oval : fin;
	mag = ovf ? omag : mag;
	vb = is_nan ? (u | 0x00400000u) : vb;
	*val = float_of(vb | s);
	/* codes by masks: INT negates in two's complement, floats set the sign
	 * bit, NaN takes the NaN code (0 in formats without one) */
	uint32_t neg = s >> 31, negmask = 0u - neg;
	uint32_t ci = ((mag ^ negmask) + neg) & p->int_mask;
	uint32_t cf = mag | (s >> p->sign_shift);
	uint32_t im = 0u - p->is_int;
	uint32_t cn = (p->nan_code | (s >> p->sign_shift)) & p->nan_mask;
	uint32_t nm = 0u - is_nan;
	*code = (cn & nm) | (((ci & im) | (cf & ~im)) & ~nm);
	*clip = (uint32_t)(u > p->max_bits) & not_nan;
	*unf = (uint32_t)(mag == 0) & (uint32_t)(u != 0) & not_nan;
	*nan = is_nan;
}

static inline __attribute__((always_inline)) void
loop(const mq_qkern_params *pp, const float *restrict x, size_t n, float scale,
     const uint32_t *restrict rb, float *restrict y, uint8_t *restrict c8,
     uint16_t *restrict c16, mq_qstats *st, const int mode, const int out_y,
     const int out_c8, const int out_c16)
{
	/* a local copy: the stores to y cannot alias it, so its fields stay in
	 * registers and the loop needs no aliasing checks */
	const mq_qkern_params P = *pp, *p = &P;
	uint32_t nclip = 0, nunf = 0, nnan = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t code, clip, unf, nan;
		float val;
		element(p, x[i] / scale, mode == MQ_SR ? rb[i] : 0u, mode, &code, &val, &clip,
		        &unf, &nan);
		if (out_y)
			y[i] = val * scale;
		if (out_c8)
			c8[i] = (uint8_t)code;
		if (out_c16)
			c16[i] = (uint16_t)code;
		nclip += clip, nunf += unf, nnan += nan;
	}
	st->clipped += nclip, st->underflowed += nunf, st->nan += nnan;
}

/* Each (mode, outputs) combination gets its own loop, so that the
 * compiler sees constant conditions inside it: a store that may or may not
 * happen is control flow, and control flow stops vectorization. */
#define OUTPUTS(mode)                                                              \
	do {                                                                           \
		if (y && c8)                                                               \
			loop(p, x, n, scale, rb, y, c8, NULL, st, mode, 1, 1, 0);              \
		else if (y && c16)                                                         \
			loop(p, x, n, scale, rb, y, NULL, c16, st, mode, 1, 0, 1);             \
		else if (y)                                                                \
			loop(p, x, n, scale, rb, y, NULL, NULL, st, mode, 1, 0, 0);            \
		else if (c8)                                                               \
			loop(p, x, n, scale, rb, NULL, c8, NULL, st, mode, 0, 1, 0);           \
		else if (c16)                                                              \
			loop(p, x, n, scale, rb, NULL, NULL, c16, st, mode, 0, 0, 1);          \
		else                                                                       \
			loop(p, x, n, scale, rb, NULL, NULL, NULL, st, mode, 0, 0, 0);         \
	} while (0)

void MQ_QKERN_NAME(const mq_qkern_params *p, const float *x, size_t n, float scale,
                   const uint32_t *rb, float *y, uint8_t *c8, uint16_t *c16,
                   mq_qstats *st)
{
	switch (p->mode) {
	case MQ_RTNE: OUTPUTS(MQ_RTNE); break;
	case MQ_RTZ: OUTPUTS(MQ_RTZ); break;
	case MQ_RNA: OUTPUTS(MQ_RNA); break;
	default: OUTPUTS(MQ_SR); break;
	}
}

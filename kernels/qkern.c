/* qkern.c: the quantize inner loop (see qkern.h).  Compiled once per
 * instruction set with MQ_QKERN_NAME set to the function's name.
 *
 * quant.c's arithmetic, restated over 32-bit lanes with selects instead of
 * branches, and split in two ranges so that neither needs a shift that
 * varies from element to element.  u is |v|'s float32 bit pattern.
 *
 * Normal range, u >= bits(2^emin): the quantum sits at the fixed bit sh0 =
 * 23 - m of u, and u >> sh0 = (biased exponent << m) + the top m mantissa
 * bits, so the magnitude code is (u >> sh0) - off, off = (emin + 126) << m.
 * Rounding is an add before the shift: RTNE adds 2^(sh0-1) - 1 plus the
 * kept lsb (a tie then carries only from an odd kept), RNA adds 2^(sh0-1),
 * RTZ nothing.  A carry out of the mantissa lands on the next exponent, as
 * the code wants; past the largest code it is the overflow.
 *
 * Subnormal range, u < bits(2^emin): every value is a multiple of the
 * quantum q = 2^(emin - m).
 *   RTNE: w = |v| + C in float32 with C = 2^(emin - m + 23).  |v| < 2^emin
 *   <= C / 2^8 (m <= 15), so the exact sum lies in [C, 2C), where float32's
 *   spacing is exactly q; IEEE addition rounds it to nearest, ties to even,
 *   which is RTNE of |v| / q, and bits(w) - bits(C) counts the quanta.  (The
 *   default rounding mode and no flush-to-zero, as everywhere in metriq.)
 *   RTZ, RNA, SR: yv = |v| * 2^(m - emin) is |v| / q exactly (a power-of-two
 *   scaling upwards, result below 2^m); kept = (int)yv truncates, and
 *   yv - kept is the exact fraction (Sterbenz, or yv itself below 1).
 *
 * Stochastic rounding compares the first 32 bits of the fraction, aligned to
 * the top of a word, with the random word: rounding up is exactly a carry
 * out of their K-bit sum.  Its words come from Philox4x32-10 computed here,
 * a block of four per counter across the lanes (rng.c is the scalar form;
 * tests/test_sr.c and test_paths check that they agree). */
#include <string.h>

#include "qkern.h"

#ifndef MQ_QKERN_NAME
#error "define MQ_QKERN_NAME"
#endif

#include "bits.h"

#define INF_BITS 0x7f800000u


/* ---- Philox4x32-10 (rng.h's mapping), nb blocks from counter b0 ----
 *
 * Counters are taken modulo 2^62, as mq_rand32's index >> 2 of an index
 * that wrapped around 2^64 is.
 * Blocks go across the lanes, one per 64-bit lane: a word sits in the low
 * half, where vpmuludq reads its 32-bit factor, and the high product half
 * is shifted down.  The upper halves of c1 and c3 (the previous products'
 * high words) carry into the upper halves of c0 and c2, which no multiply
 * reads and the output drops.  Intrinsics here because GCC 12 vectorizes
 * the plain C (kept below for the portable build) with 64-bit multiplies
 * and repacking: on the machine of BENCHMARKS.md, CPU time per word, plain
 * C 0.91 ns (AVX-512) and 1.66 ns (AVX2), and 0.50 / 1.82 ns rewritten in
 * 64-bit lanes, against 0.42 and 0.60 ns for these. */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define CTR_MASK 0x3fffffffffffffffull

/* One block in plain C, as rng.c computes it. */
static inline void philox_block(uint64_t seed, uint64_t ctr, uint32_t *out)
{
	uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	for (int r = 0; r < 10; r++) {
		uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
		uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
		uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
		uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
		c1 = (uint32_t)p1;
		c3 = (uint32_t)p0;
		c0 = n0;
		c2 = n2;
		k0 += PHILOX_W0;
		k1 += PHILOX_W1;
	}
	out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

#if defined(__AVX512F__)
#include <immintrin.h>

static void rand_blocks(uint64_t seed, uint64_t b0, size_t nb, uint32_t *restrict out)
{
	const __m512i M0 = _mm512_set1_epi64(PHILOX_M0), M1 = _mm512_set1_epi64(PHILOX_M1);
	__m512i K0[10], K1[10];
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	for (int r = 0; r < 10; r++, k0 += PHILOX_W0, k1 += PHILOX_W1)
		K0[r] = _mm512_set1_epi64(k0), K1[r] = _mm512_set1_epi64(k1);
	const __m512i idx = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), eight = _mm512_set1_epi64(8);
	const __m512i cmask = _mm512_set1_epi64((long long)CTR_MASK);
	/* 64-bit units (w0,w1) of 8 blocks in x01, (w2,w3) in x23, to block order */
	const __m512i I0 = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
	const __m512i I1 = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
	size_t j = 0;
	for (; j + 16 <= nb; j += 16) { /* two sets of 8 blocks, for the multiplies' latency */
		__m512i ca = _mm512_add_epi64(_mm512_set1_epi64((long long)(b0 + j)), idx);
		__m512i cb = _mm512_and_si512(_mm512_add_epi64(ca, eight), cmask);
		ca = _mm512_and_si512(ca, cmask);
		__m512i a0 = ca, a1 = _mm512_srli_epi64(ca, 32), a2 = _mm512_setzero_si512(), a3 = a2;
		__m512i e0 = cb, e1 = _mm512_srli_epi64(cb, 32), e2 = a2, e3 = a2;
		for (int r = 0; r < 10; r++) {
			__m512i pa0 = _mm512_mul_epu32(a0, M0), pa1 = _mm512_mul_epu32(a2, M1);
			__m512i pe0 = _mm512_mul_epu32(e0, M0), pe1 = _mm512_mul_epu32(e2, M1);
			a0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa1, 32), a1, K0[r], 0x96);
			a2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa0, 32), a3, K1[r], 0x96);
			e0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pe1, 32), e1, K0[r], 0x96);
			e2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pe0, 32), e3, K1[r], 0x96);
			a1 = pa1, a3 = pa0, e1 = pe1, e3 = pe0;
		}
		__m512i x01 = _mm512_mask_blend_epi32(0xAAAA, a0, _mm512_slli_epi64(a1, 32));
		__m512i x23 = _mm512_mask_blend_epi32(0xAAAA, a2, _mm512_slli_epi64(a3, 32));
		__m512i y01 = _mm512_mask_blend_epi32(0xAAAA, e0, _mm512_slli_epi64(e1, 32));
		__m512i y23 = _mm512_mask_blend_epi32(0xAAAA, e2, _mm512_slli_epi64(e3, 32));
		_mm512_storeu_si512(out + 4 * j, _mm512_permutex2var_epi64(x01, I0, x23));
		_mm512_storeu_si512(out + 4 * j + 16, _mm512_permutex2var_epi64(x01, I1, x23));
		_mm512_storeu_si512(out + 4 * j + 32, _mm512_permutex2var_epi64(y01, I0, y23));
		_mm512_storeu_si512(out + 4 * j + 48, _mm512_permutex2var_epi64(y01, I1, y23));
	}
	for (; j < nb; j++)
		philox_block(seed, (b0 + j) & CTR_MASK, out + 4 * j);
}

#elif defined(__AVX2__)
#include <immintrin.h>

static void rand_blocks(uint64_t seed, uint64_t b0, size_t nb, uint32_t *restrict out)
{
	const __m256i M0 = _mm256_set1_epi64x(PHILOX_M0), M1 = _mm256_set1_epi64x(PHILOX_M1);
	__m256i K0[10], K1[10];
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	for (int r = 0; r < 10; r++, k0 += PHILOX_W0, k1 += PHILOX_W1)
		K0[r] = _mm256_set1_epi64x(k0), K1[r] = _mm256_set1_epi64x(k1);
	const __m256i idx = _mm256_set_epi64x(3, 2, 1, 0), four = _mm256_set1_epi64x(4);
	const __m256i cmask = _mm256_set1_epi64x((long long)CTR_MASK);
	size_t j = 0;
	for (; j + 8 <= nb; j += 8) { /* two sets of 4 blocks */
		__m256i ca = _mm256_add_epi64(_mm256_set1_epi64x((long long)(b0 + j)), idx);
		__m256i cb = _mm256_and_si256(_mm256_add_epi64(ca, four), cmask);
		ca = _mm256_and_si256(ca, cmask);
		__m256i a0 = ca, a1 = _mm256_srli_epi64(ca, 32), a2 = _mm256_setzero_si256(), a3 = a2;
		__m256i e0 = cb, e1 = _mm256_srli_epi64(cb, 32), e2 = a2, e3 = a2;
		for (int r = 0; r < 10; r++) {
			__m256i pa0 = _mm256_mul_epu32(a0, M0), pa1 = _mm256_mul_epu32(a2, M1);
			__m256i pe0 = _mm256_mul_epu32(e0, M0), pe1 = _mm256_mul_epu32(e2, M1);
			a0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa1, 32), a1), K0[r]);
			a2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa0, 32), a3), K1[r]);
			e0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pe1, 32), e1), K0[r]);
			e2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pe0, 32), e3), K1[r]);
			a1 = pa1, a3 = pa0, e1 = pe1, e3 = pe0;
		}
		/* (w0,w1) and (w2,w3) as 64-bit units, interleaved to block order */
		__m256i x01 = _mm256_blend_epi32(a0, _mm256_slli_epi64(a1, 32), 0xAA);
		__m256i x23 = _mm256_blend_epi32(a2, _mm256_slli_epi64(a3, 32), 0xAA);
		__m256i y01 = _mm256_blend_epi32(e0, _mm256_slli_epi64(e1, 32), 0xAA);
		__m256i y23 = _mm256_blend_epi32(e2, _mm256_slli_epi64(e3, 32), 0xAA);
		__m256i lo = _mm256_unpacklo_epi64(x01, x23), hi = _mm256_unpackhi_epi64(x01, x23);
		_mm256_storeu_si256((__m256i *)(out + 4 * j), _mm256_permute2x128_si256(lo, hi, 0x20));
		_mm256_storeu_si256((__m256i *)(out + 4 * j + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
		lo = _mm256_unpacklo_epi64(y01, y23), hi = _mm256_unpackhi_epi64(y01, y23);
		_mm256_storeu_si256((__m256i *)(out + 4 * j + 16), _mm256_permute2x128_si256(lo, hi, 0x20));
		_mm256_storeu_si256((__m256i *)(out + 4 * j + 24), _mm256_permute2x128_si256(lo, hi, 0x31));
	}
	for (; j < nb; j++)
		philox_block(seed, (b0 + j) & CTR_MASK, out + 4 * j);
}

#else

static void rand_blocks(uint64_t seed, uint64_t b0, size_t nb, uint32_t *restrict out)
{
	for (size_t j = 0; j < nb; j++)
		philox_block(seed, (b0 + j) & CTR_MASK, out + 4 * j);
}

#endif

/* ---- one element; every input is a value, every branch a select ---- */

/* Per-element counts, summed by the loop: clipped = gt - nan, underflowed
 * = z - u0.  Each is one comparison: u > max includes NaN; mag == 0
 * includes u == 0 (zero stays zero), and a NaN's mag is the overflow
 * code, never 0.  (GCC 12 narrows comparisons combined with '&' to bytes
 * and then refuses the loop, so none is combined here.) */
typedef struct {
	uint32_t gt, nan, z, u0;
} counts;

/* Which range formulas a loop evaluates (SR only; the others take both):
 * R_BOTH selects per element; R_NORMAL and R_SUB serve a run of elements
 * known to lie all in one range (see classify()).  R_SUBI serves any run
 * of an INT format, whose normal range holds only overflows: the
 * subnormal formula on u clamped to 2^emin = 2^(n-1) gives a code past
 * maxcode for those too, so only NaN needs its own select; 2^(m - emin) =
 * 1, and a code is a two's complement. */
enum { R_BOTH, R_NORMAL, R_SUB, R_SUBI };

static inline __attribute__((always_inline)) void
element(const mq_qkern_params P, float v, uint32_t r, const int mode, const int range,
        uint32_t *code, float *val, counts *c)
{
	const mq_qkern_params *p = &P;
	uint32_t b = mq_f2u(v);
	uint32_t u = b & 0x7fffffffu, s = b ^ u;
	const int rsub = range == R_SUB || range == R_SUBI;
	uint32_t sub = range == R_BOTH ? u < p->t0 : rsub;
	uint32_t mag;
	if (mode == MQ_RTNE) {
		/* nbias = rbias - (off << sh0): the shift then gives the code */
		uint32_t magn = (u + p->nbias + ((u >> p->sh0) & p->lsbmask)) >> p->sh0;
		uint32_t mags = mq_f2u(mq_u2f(u) + p->cmag) - p->cbits;
		mag = sub ? mags : magn;
	} else {
		/* u clamped into the subnormal range first: the conversion to int
		 * must stay in range in every lane, used or not */
		uint32_t us = rsub ? (u < p->t0 ? u : p->t0) : sub ? u : 0u;
		/* (R_SUB runs only where ysc2 is 1) */
		float yv = range == R_SUBI ? mq_u2f(us)
		         : range == R_SUB  ? mq_u2f(us) * p->ysc1
		                           : mq_u2f(us) * p->ysc1 * p->ysc2;
		uint32_t kept = (uint32_t)(int32_t)yv;
		/* kf = kept as a float.  The mask changes nothing (kept < 2^15) but
		 * stops GCC 12 from folding float(int(yv)) into truncf(yv), after
		 * which it no longer vectorizes the loop. */
		float kf = (float)(int32_t)(kept & 0xffffu);
		uint32_t magn = (u + p->nbias) >> p->sh0;
		if (mode == MQ_RTZ) {
			mag = sub ? kept : magn;
		} else if (mode == MQ_RNA) {
			uint32_t up = yv - kf >= 0.5f;
			mag = sub ? kept + up : magn;
		} else {
			/* SR rounds up iff frac32 + r >= 2^32 (frac32: the fraction's
			 * first 32 bits), or with K bits the same sum with r's low 32-K
			 * bits cleared: a cleared bit cannot carry.  In the normal
			 * range frac32 = rem << (32 - sh0) has zero low bits, so the
			 * carry is that of rem + (r >> (32 - sh0)) out of sh0 bits: a
			 * random rounding bias. */
			uint32_t rk = r & p->kmask;
			uint32_t as = (uint32_t)((yv - kf) * 4294967296.0f); /* < 2^32 - 2^8 */
			uint32_t mags = kept + (as + rk < as);
			uint32_t magn = (u + p->nbias + (rk >> (32u - p->sh0))) >> p->sh0;
			mag = range == R_NORMAL ? magn : rsub ? mags : sub ? mags : magn;
		}
	}
	mag = u < p->minsub_bits ? 0u : mag;
	/* The code grows with u, so past maxcode is overflow, inf and NaN too.
	 * The overflow code is maxcode (saturate) or maxcode + 1 (IEEE: inf, or
	 * fn's NaN), so a min applies it; RTZ under IEEE rules alone tells an
	 * infinite input (inf) from a finite one (max). */
	uint32_t ovf = mag > p->maxcode;
	uint32_t oval = p->ovf_val;
	if (mode == MQ_RTZ) {
		/* inf as a mask by arithmetic (u ^ inf < 2^31): as a comparison
		 * GCC 12 threads it into the counts and refuses two loops */
		uint32_t infm = 0u - (((u ^ INF_BITS) - 1u) >> 31);
		uint32_t omag = p->ovf_mag ^ ((p->ovf_mag ^ p->ovf_mag_inf) & infm);
		oval ^= (oval ^ p->ovf_val_inf) & infm;
		mag = ovf ? omag : mag;
	} else {
		mag = mag < p->ovf_mag ? mag : p->ovf_mag;
	}
	uint32_t is_nan = range == R_SUB ? 0u : u > INF_BITS; /* R_SUB: |x| below a finite bound */
	c->gt = u > p->max_bits;
	c->nan = is_nan;
	c->z = mag == 0;
	c->u0 = u == 0;
	/* value: a subnormal-range result (its round-up to 2^emin included) is
	 * mag quanta; a normal one inverts the code formula */
	uint32_t sval = mq_f2u((float)(int32_t)mag * p->subq); /* both arms computed: */
	uint32_t fin = sub ? sval : (mag + p->off) << p->sh0;   /* a float op in one is a branch */
	uint32_t vb = ovf ? oval : fin;
	vb = is_nan ? (u | 0x00400000u) : vb;
	*val = mq_u2f(vb | s);
	/* code: floats set the sign bit, INT negates in two's complement; NaN
	 * takes the NaN code, or 0 in formats without one */
	uint32_t neg = 0u - (b >> 31);
	if (range == R_SUBI) { /* INT: NaN's code is 0 */
		*code = is_nan ? 0u : ((mag ^ neg) - neg) & p->cmask;
		return;
	}
	uint32_t cm = is_nan ? p->nan_code : mag;
	uint32_t mask = is_nan ? p->nan_cmask : p->cmask;
	*code = ((cm ^ (neg & p->sxmask)) - (neg & p->snmask)) & mask;
}

static inline __attribute__((always_inline)) void
loop(const mq_qkern_params *pp, const float *restrict x, size_t n, float scale,
     const uint32_t *restrict rb, float *restrict y, uint8_t *restrict c8,
     uint16_t *restrict c16, uint32_t cnt[3], const int mode, const int range,
     const int count, const int out_y, const int out_c8, const int out_c16)
{
	/* a copy by value: the stores to y cannot alias it, so its fields
	 * stay in registers and the loop needs no aliasing checks */
	const mq_qkern_params P = *pp;
	uint32_t ngt = 0, nnan = 0, nz = 0, nu0 = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t code;
		float val;
		counts c;
		element(P, x[i] / scale, mode == MQ_SR ? rb[i] : 0u, mode, range, &code, &val, &c);
		if (out_y)
			y[i] = val * scale;
		if (out_c8)
			c8[i] = (uint8_t)code;
		if (out_c16)
			c16[i] = (uint16_t)code;
		if (count)
			ngt += c.gt, nnan += c.nan, nz += c.z, nu0 += c.u0;
	}
	if (count)
		cnt[0] += ngt - nnan, cnt[1] += nz - nu0, cnt[2] += nnan;
}

/* Each (mode, range, outputs, counting) combination gets its own loop, so
 * that the compiler sees constant conditions inside it: a store that may or
 * may not happen is control flow, and control flow stops vectorization.
 * The counts cost about a third of an RTNE encode, so a caller that passes
 * no stats gets loops without them (for one output; two outputs count).
 * cnt NULL: no counts wanted. */
static inline __attribute__((always_inline)) void
outputs(const mq_qkern_params *p, const float *x, size_t n, float scale, const uint32_t *rb,
        float *y, uint8_t *c8, uint16_t *c16, uint32_t *cnt, const int mode, const int range)
{
	if (!cnt && y && !c8 && !c16)
		loop(p, x, n, scale, rb, y, NULL, NULL, NULL, mode, range, 0, 1, 0, 0);
	else if (!cnt && c8 && !y)
		loop(p, x, n, scale, rb, NULL, c8, NULL, NULL, mode, range, 0, 0, 1, 0);
	else if (!cnt && c16 && !y)
		loop(p, x, n, scale, rb, NULL, NULL, c16, NULL, mode, range, 0, 0, 0, 1);
	else {
		uint32_t dummy[3];
		uint32_t *cc = cnt ? cnt : dummy;
		if (y && c8)
			loop(p, x, n, scale, rb, y, c8, NULL, cc, mode, range, 1, 1, 1, 0);
		else if (y && c16)
			loop(p, x, n, scale, rb, y, NULL, c16, cc, mode, range, 1, 1, 0, 1);
		else if (y)
			loop(p, x, n, scale, rb, y, NULL, NULL, cc, mode, range, 1, 1, 0, 0);
		else if (c8)
			loop(p, x, n, scale, rb, NULL, c8, NULL, cc, mode, range, 1, 0, 1, 0);
		else if (c16)
			loop(p, x, n, scale, rb, NULL, NULL, c16, cc, mode, range, 1, 0, 0, 1);
		else
			loop(p, x, n, scale, rb, NULL, NULL, NULL, cc, mode, range, 1, 0, 0, 0);
	}
}

/* How many of x[0..n) lie below tx (as |x| bits). */
static uint32_t classify(const float *restrict x, size_t n, uint32_t tx)
{
	uint32_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (mq_f2u(x[i]) & 0x7fffffffu) < tx;
	return c;
}

/* SR's subnormal-range formula costs as much as the rest of the element,
 * and in a tensor scaled to the format's range few elements need it (or,
 * for INT formats, whose range is all "subnormal", few need the other).
 * So SR classifies runs of CLS elements by |x| against tx = bits of
 * 2^emin * scale, exact: |x| < 2^emin * scale means v = RN(x / scale) <=
 * 2^emin, where the subnormal formula holds (at 2^emin itself too: it is
 * exact for any yv below 2^31), and |x| >= it means v >= 2^emin, the normal
 * range.  A run with both takes the selecting loop.  tx = 0: no
 * classification (the product was inexact). */
#define CLS 512

static void run(const mq_qkern_params *p, const float *x, size_t n, float scale,
                const uint32_t *rb, float *y, uint8_t *c8, uint16_t *c16, uint32_t *cnt,
                uint32_t tx)
{
	switch (p->mode) {
	case MQ_RTNE: outputs(p, x, n, scale, rb, y, c8, c16, cnt, MQ_RTNE, R_BOTH); return;
	case MQ_RTZ: outputs(p, x, n, scale, rb, y, c8, c16, cnt, MQ_RTZ, R_BOTH); return;
	case MQ_RNA: outputs(p, x, n, scale, rb, y, c8, c16, cnt, MQ_RNA, R_BOTH); return;
	default: break;
	}
	for (size_t i0 = 0; i0 < n; i0 += CLS) {
		size_t len = n - i0 < CLS ? n - i0 : CLS;
		int range = R_BOTH;
		if (p->snmask) /* INT: the subnormal formula serves all (see R_SUBI) */
			range = R_SUBI;
		else if (tx) {
			uint32_t nsub = classify(x + i0, len, tx);
			range = nsub == 0 ? R_NORMAL : nsub == len && p->ysc2 == 1.0f ? R_SUB : R_BOTH;
		}
		const float *xs = x + i0;
		const uint32_t *rs = rb + i0;
		float *ys = y ? y + i0 : NULL;
		uint8_t *c8s = c8 ? c8 + i0 : NULL;
		uint16_t *c16s = c16 ? c16 + i0 : NULL;
		if (range == R_NORMAL)
			outputs(p, xs, len, scale, rs, ys, c8s, c16s, cnt, MQ_SR, R_NORMAL);
		else if (range == R_SUB)
			outputs(p, xs, len, scale, rs, ys, c8s, c16s, cnt, MQ_SR, R_SUB);
		else if (range == R_SUBI)
			outputs(p, xs, len, scale, rs, ys, c8s, c16s, cnt, MQ_SR, R_SUBI);
		else
			outputs(p, xs, len, scale, rs, ys, c8s, c16s, cnt, MQ_SR, R_BOTH);
	}
}

/* Elements per call of run(): SR's words for a block live on the stack
 * (8 KiB, in L1 while they are used); other modes take long blocks, whose
 * counts still fit in 32 bits. */
#define SR_BLOCK 2048
#define BLOCK 65536

void MQ_QKERN_NAME(const mq_qkern_params *p, const float *x, size_t n, float scale,
                   uint64_t seed, uint64_t index0, float *y, uint8_t *c8, uint16_t *c16,
                   mq_qstats *st)
{
#ifdef MQ_QKERN_RTNE
	/* RTNE without counts, to one output of 8-bit codes or values */
	if (p->mode == MQ_RTNE && !st && !c16 && !y != !c8 && (!c8 || p->cmask == 0xffu)) {
		MQ_QKERN_RTNE(p, x, n, scale, y, c8);
		return;
	}
#endif
	uint32_t rb[SR_BLOCK + 4];
	int sr = p->mode == MQ_SR;
	uint32_t tx = 0;
	if (sr) { /* exact unless below the normals (inf is fine: every finite |x| is below) */
		float t = mq_u2f(p->t0) * scale;
		tx = t >= 0x1p-126f ? mq_f2u(t) : 0u;
	}
	size_t blk = sr ? SR_BLOCK : BLOCK;
	for (size_t i0 = 0; i0 < n; i0 += blk) {
		size_t len = n - i0 < blk ? n - i0 : blk;
		const uint32_t *r = NULL;
		if (sr) {
			/* element i takes word i % 4 of block i / 4 */
			uint64_t first = index0 + i0, skip = first & 3;
			rand_blocks(seed, first >> 2, (size_t)((skip + len + 3) / 4), rb);
			r = rb + skip;
		}
		uint32_t cnt[3] = {0, 0, 0};
		run(p, x + i0, len, scale, r, y ? y + i0 : NULL, c8 ? c8 + i0 : NULL,
		    c16 ? c16 + i0 : NULL, st ? cnt : NULL, tx);
		if (st)
			st->clipped += cnt[0], st->underflowed += cnt[1], st->nan += cnt[2];
	}
}

/* qkern_rtne.c: round to nearest even without counts, in AVX-512
 * intrinsics: the common call (mq_encode / mq_fakequant of a tensor, no
 * stats) of the float and INT formats, 8-bit codes or float32 values.
 *
 * The arithmetic is qkern.c's element() for MQ_RTNE, R_BOTH, step for
 * step; this file only removes what GCC 12 adds around it there (register
 * spills of the parameters, blends it cannot fold into masked operations,
 * the NaN payload and sign handled as selects on 32-bit lanes).  The same
 * inputs give the same bits, checked by test_paths, test_qkern and the
 * exhaustive sweep (tests/).
 *
 * The quotient v = RN(x / s).  A power-of-two scale with a representable
 * reciprocal r = 1/s (s normal) multiplies instead: x * r and x / s are
 * the same real number, so their roundings agree, subnormal results,
 * zeros, infinities and NaNs included.
 *
 * Any other scale divides.  A product by RN(1/s) checked on the format's
 * grid (it can differ from the quotient by 3 bit patterns, so only inputs
 * within 3 patterns of a rounding boundary need the division) was exact
 * and no faster here: the division overlaps with the rest of the element,
 * the check does not (commit 7f75288 has it with its proof; BENCHMARKS.md,
 * "Intel Xeon (2026-12, AVX-512 + AMX)", the measurements).
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qkern.h"

#define INF_BITS 0x7f800000u

/* The parameters as vectors, set up once per call. */
typedef struct {
	__m512i nbias, lsbmask, cbits, t0, minsub, ovf_mag, inf, nan_code, sxmask, absmask;
	__m512i off, quiet, ovf_val, maxcode, nan_sx;
	__m512 cmag, subq, s, r;
	__m128i sh; /* shift count, vpsrld's xmm form */
} kvec;


static void kvec_init(kvec *k, const mq_qkern_params *p, float scale, float r)
{
	k->nbias = _mm512_set1_epi32((int)p->nbias);
	k->lsbmask = _mm512_set1_epi32((int)p->lsbmask);
	k->cbits = _mm512_set1_epi32((int)p->cbits);
	k->t0 = _mm512_set1_epi32((int)p->t0);
	k->minsub = _mm512_set1_epi32((int)p->minsub_bits);
	k->ovf_mag = _mm512_set1_epi32((int)p->ovf_mag);
	k->inf = _mm512_set1_epi32((int)INF_BITS);
	k->nan_code = _mm512_set1_epi32((int)p->nan_code);
	k->sxmask = _mm512_set1_epi32((int)p->sxmask);
	k->absmask = _mm512_set1_epi32(0x7fffffff);
	k->off = _mm512_set1_epi32((int)p->off);
	k->quiet = _mm512_set1_epi32(0x00400000);
	k->ovf_val = _mm512_set1_epi32((int)p->ovf_val);
	k->maxcode = _mm512_set1_epi32((int)p->maxcode);
	k->cmag = _mm512_set1_ps(p->cmag);
	k->subq = _mm512_set1_ps(p->subq);
	k->s = _mm512_set1_ps(scale);
	k->r = _mm512_set1_ps(r);
	k->sh = _mm_cvtsi32_si128((int)p->sh0);
	/* NaN's code: nan_code ^ (neg & nan_sx), 0 where the format has none */
	k->nan_sx = _mm512_set1_epi32(p->nan_cmask ? (int)p->sxmask : 0);
}

/* One vector of 16 elements: the magnitude code (after flush and
 * overflow) and the masks the outputs need. */
typedef struct {
	__m512i b, u, mag;
	__mmask16 sub, nan, ovf; /* ovf: past maxcode before the overflow code */
} lanes;

static inline __attribute__((always_inline)) lanes
mag16(const kvec *k, __m512 x, const int div, const int flush)
{
	lanes l;
	__m512 v = div ? _mm512_div_ps(x, k->s) : _mm512_mul_ps(x, k->r);
	l.b = _mm512_castps_si512(v);
	l.u = _mm512_and_si512(l.b, k->absmask);
	/* normal range: (u + nbias + kept's lsb) >> sh0 */
	__m512i lsb = _mm512_and_si512(_mm512_srl_epi32(l.u, k->sh), k->lsbmask);
	__m512i magn = _mm512_srl_epi32(_mm512_add_epi32(_mm512_add_epi32(l.u, k->nbias), lsb), k->sh);
	/* subnormal range: bits(|v| + C) - bits(C) */
	__m512 w = _mm512_add_ps(_mm512_castsi512_ps(l.u), k->cmag);
	__m512i mags = _mm512_sub_epi32(_mm512_castps_si512(w), k->cbits);
	l.sub = _mm512_cmplt_epu32_mask(l.u, k->t0);
	l.mag = _mm512_mask_blend_epi32(l.sub, magn, mags);
	if (flush)
		l.mag = _mm512_maskz_mov_epi32(_mm512_cmpge_epu32_mask(l.u, k->minsub), l.mag);
	l.ovf = _mm512_cmpgt_epu32_mask(l.mag, k->maxcode);
	l.mag = _mm512_min_epu32(l.mag, k->ovf_mag);
	l.nan = _mm512_cmpgt_epu32_mask(l.u, k->inf);
	return l;
}

/* The code: floats set the sign bit, INT negates in two's complement; NaN
 * takes the NaN code with its sign, or 0 where the format has none. */
static inline __attribute__((always_inline)) __m128i
code16(const kvec *k, lanes l, const int isint)
{
	__m512i neg = _mm512_srai_epi32(l.b, 31);
	__m512i cm = _mm512_mask_mov_epi32(l.mag, l.nan, k->nan_code);
	__m512i c;
	if (isint) /* sxmask = snmask = ~0; NaN's code 0 stays 0 */
		c = _mm512_sub_epi32(_mm512_xor_si512(cm, neg), neg);
	else /* cm ^ (neg & sxmask), NaN's sign only where it has a code */
		c = _mm512_ternarylogic_epi32(cm, neg, _mm512_mask_mov_epi32(k->sxmask, l.nan, k->nan_sx),
		                              0x78);
	return _mm512_cvtepi32_epi8(c);
}

/* The value times the scale: a subnormal-range result is mag quanta, a
 * normal one inverts the code formula; overflow takes its value, NaN
 * stays v's NaN, quieted. */
static inline __attribute__((always_inline)) __m512
value16(const kvec *k, lanes l)
{
	__m512 sv = _mm512_mul_ps(_mm512_cvtepi32_ps(l.mag), k->subq);
	__m512i fin = _mm512_sll_epi32(_mm512_add_epi32(l.mag, k->off), k->sh);
	fin = _mm512_mask_mov_epi32(fin, l.sub, _mm512_castps_si512(sv));
	fin = _mm512_mask_mov_epi32(fin, l.ovf, k->ovf_val);
	fin = _mm512_mask_or_epi32(fin, l.nan, l.u, k->quiet);
	/* the sign of v: fin | (b & ~absmask) */
	fin = _mm512_ternarylogic_epi32(fin, l.b, k->absmask, 0xF4);
	return _mm512_mul_ps(_mm512_castsi512_ps(fin), k->s);
}

/* Elements [i, i + 16) under mask m (a head or a tail). */
static inline __attribute__((always_inline)) void
part(const kvec *k, const float *x, size_t i, __mmask16 m, float *y, uint8_t *c8,
     const int div, const int flush, const int isint)
{
	lanes l = mag16(k, _mm512_maskz_loadu_ps(m, x + i), div, flush);
	if (y)
		_mm512_mask_storeu_ps(y + i, m, value16(k, l));
	else
		_mm_mask_storeu_epi8(c8 + i, m, code16(k, l, isint));
}

/* Prefetch distance in floats (16 KiB): on the Xeon of BENCHMARKS.md the
 * hardware prefetcher alone leaves a 2^24-element encode waiting on L3. */
#define PFD 4096

/* Outputs of at least NT_BYTES are written with non-temporal stores: they
 * would not stay in L2 anyway, and the stores then skip the read for
 * ownership of each line (a third of a fake-quant's traffic). */
#define NT_BYTES ((size_t)8 << 20)

static inline __attribute__((always_inline)) void
loop(const kvec *k, const float *restrict x, size_t n, float *restrict y, uint8_t *restrict c8,
     const int div, const int flush, const int isint, const int nt)
{
	size_t i = 0;
	if (nt) { /* a head up to the output's alignment (64 bytes for y, 16 for codes) */
		uintptr_t a = y ? (uintptr_t)y : (uintptr_t)c8;
		size_t h = y ? ((64 - (a & 63)) & 63) / 4 : (16 - (a & 15)) & 15;
		if (h > n)
			h = n;
		if (h)
			part(k, x, 0, (__mmask16)((1u << h) - 1u), y, c8, div, flush, isint);
		i = h;
	}
	for (; i + 16 <= n; i += 16) {
		_mm_prefetch((const char *)(x + i + PFD), _MM_HINT_T0);
		lanes l = mag16(k, _mm512_loadu_ps(x + i), div, flush);
		if (y && nt)
			_mm512_stream_ps(y + i, value16(k, l));
		else if (y)
			_mm512_storeu_ps(y + i, value16(k, l));
		else if (nt)
			_mm_stream_si128((__m128i *)(c8 + i), code16(k, l, isint));
		else
			_mm_storeu_si128((__m128i *)(c8 + i), code16(k, l, isint));
	}
	if (i < n)
		part(k, x, i, (__mmask16)((1u << (n - i)) - 1u), y, c8, div, flush, isint);
	if (nt)
		_mm_sfence(); /* the streamed stores before anything the caller does next */
}

/* One loop per (quotient, flush, INT, streaming) so that each sees
 * constants. */
#define LOOPD(Y, C, D, NT)                                                          \
	(flush ? isint ? loop(&k, x, n, Y, C, D, 1, 1, NT) : loop(&k, x, n, Y, C, D, 1, 0, NT) \
	       : isint ? loop(&k, x, n, Y, C, D, 0, 1, NT) : loop(&k, x, n, Y, C, D, 0, 0, NT))
#define LOOPS1(Y, C, NT)                     \
	do {                                 \
		if (div)                     \
			LOOPD(Y, C, 1, NT);  \
		else                         \
			LOOPD(Y, C, 0, NT);  \
	} while (0)
#define LOOPS(Y, C)                      \
	do {                             \
		if (nt)                  \
			LOOPS1(Y, C, 1); \
		else                     \
			LOOPS1(Y, C, 0); \
	} while (0)

void mq_qkern_rtne_avx512(const mq_qkern_params *p, const float *x, size_t n, float scale,
                          float *y, uint8_t *c8)
{
	uint32_t sb;
	memcpy(&sb, &scale, 4);
	/* a normal power of two: 1/s is exact (2^-127 for s = 2^127, a subnormal) */
	int pow2 = (sb & 0x007fffffu) == 0 && sb >= 0x00800000u && sb < INF_BITS;
	int div = !pow2, flush = p->minsub_bits != 0, isint = p->snmask != 0;
	int nt = n * (y ? 4 : 1) >= NT_BYTES;
	kvec k;
	kvec_init(&k, p, scale, pow2 ? 1.0f / scale : 0.0f);
	if (y)
		LOOPS(y, NULL);
	else
		LOOPS(NULL, c8);
}

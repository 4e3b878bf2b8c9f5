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
 * Any other scale in [2^-126, 2^126] multiplies by r = RN(1/s) and decides
 * on the format's grid whether that product can give another result than
 * the quotient; the few vectors where it can are divided again.
 *   Bound.  r = (1/s)(1 + d) with |d| < 2^-24 (r normal), so xr = t(1 + d)
 *   for t = x / s, and |xr - t| < 2^-24 |t|, less than the float32 spacing
 *   at |t| (2^-149 below the normals).  q = RN(xr) and f = RN(t) then have
 *   at most two floats strictly between them (every float between lies
 *   between t and xr, or is the one below a power of two where the spacing
 *   halves), so their bit patterns differ by at most 3, with the same sign.
 *   Grid.  The magnitude code, and the value, are step functions of the
 *   bit pattern u = |v| that jump only at a midpoint of the format's grid
 *   (or at the flush threshold): overflow and the carry into the next
 *   binade are such midpoints, the two range formulas agree at 2^emin,
 *   NaN stays NaN, and inf and FLT_MAX both overflow an 8-bit format.  So
 *   q gives f's code and value unless a jump lies within 3 patterns of q:
 *   normal range: a midpoint is u = M (mod 2^sh0), M = 2^(sh0-1); q is
 *     flagged when (u - M) mod 2^sh0 lies in [-4, 3];
 *   float formats, subnormal range: any u != 0 below 2^emin is flagged
 *     (rare at a scale from absmax: |x| < 2^emin * s);
 *   INT formats (all "subnormal", quantum 1): with d = |v| - (its
 *     rounding to the grid), exact, q is flagged when |d| >= 1/2 - 4 ulp,
 *     ulp = 2^(emin-24) the largest spacing below 2^emin, and under flush
 *     when u is within 3 of bits(1); the nearest jump of the other range
 *     is at least 2^14 patterns away, so a q and f on either side of
 *     2^emin are covered too.
 * test_qkern checks this path against the scalar path over many scales
 * and inputs placed on the grid's midpoints.  */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qkern.h"

#define INF_BITS 0x7f800000u

/* The parameters as vectors, set up once per call. */
typedef struct {
	__m512i nbias, lsbmask, cbits, t0, minsub, ovf_mag, inf, nan_code, sxmask, absmask;
	__m512i off, quiet, ovf_val, maxcode, nan_sx, kadd, wmask, minsub3;
	__m512 cmag, subq, s, r, half4;
	__m128i sh; /* shift count, vpsrld's xmm form */
} kvec;

/* The window's half width in bit patterns (3 would do: see above). */
#define KW 4

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
	/* normal-range window: (u + nbias + kadd) mod 2^sh0 = u + KW - M */
	uint32_t low = (1u << p->sh0) - 1u, half = 1u << (p->sh0 - 1u);
	k->kadd = _mm512_set1_epi32((int)(KW - half - (p->nbias + (p->off << p->sh0))));
	k->wmask = _mm512_set1_epi32((int)(low & ~(2u * KW - 1u)));
	k->minsub3 = _mm512_set1_epi32((int)(p->minsub_bits - 3u));
	/* INT: 1/2 quantum - KW spacings of 2^(emin-24), exact (subq = 2^(emin-m)) */
	float pemin;
	memcpy(&pemin, &p->t0, 4);
	k->half4 = _mm512_set1_ps(p->subq * 0.5f - (float)KW * pemin * 0x1p-24f);
}

/* One vector of 16 elements: the magnitude code (after flush and
 * overflow) and the masks the outputs need. */
typedef struct {
	__m512i b, u, mag;
	__mmask16 sub, nan, ovf; /* ovf: past maxcode before the overflow code */
	__mmask16 near;          /* lanes the product may have got wrong (grid check) */
} lanes;

static inline __attribute__((always_inline)) lanes
mag16(const kvec *k, __m512 x, const int div, const int flush, const int grid)
{
	lanes l;
	__m512 v = div ? _mm512_div_ps(x, k->s) : _mm512_mul_ps(x, k->r);
	l.b = _mm512_castps_si512(v);
	l.u = _mm512_and_si512(l.b, k->absmask);
	/* normal range: (u + nbias + kept's lsb) >> sh0 */
	__m512i lsb = _mm512_and_si512(_mm512_srl_epi32(l.u, k->sh), k->lsbmask);
	__m512i a1 = _mm512_add_epi32(l.u, k->nbias);
	__m512i magn = _mm512_srl_epi32(_mm512_add_epi32(a1, lsb), k->sh);
	/* subnormal range: bits(|v| + C) - bits(C) */
	__m512 uf = _mm512_castsi512_ps(l.u);
	__m512 w = _mm512_add_ps(uf, k->cmag);
	__m512i mags = _mm512_sub_epi32(_mm512_castps_si512(w), k->cbits);
	l.sub = _mm512_cmplt_epu32_mask(l.u, k->t0);
	l.near = 0;
	if (grid) { /* the header's windows */
		__mmask16 nn = _mm512_mask_testn_epi32_mask((__mmask16)~l.sub,
		                                            _mm512_add_epi32(a1, k->kadd), k->wmask);
		__mmask16 ns;
		if (grid == 2) { /* INT */
			__m512 d = _mm512_sub_ps(uf, _mm512_sub_ps(w, k->cmag));
			d = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(d), k->absmask));
			ns = _mm512_mask_cmp_ps_mask(l.sub, d, k->half4, _CMP_GE_OQ);
			if (flush)
				ns = _kor_mask16(ns, _mm512_cmplt_epu32_mask(
				                         _mm512_sub_epi32(l.u, k->minsub3), _mm512_set1_epi32(7)));
		} else {
			ns = _mm512_mask_test_epi32_mask(l.sub, l.u, l.u);
		}
		l.near = _kor_mask16(nn, ns);
	}
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

/* The quotient's three ways: Q_MUL (a power-of-two scale), Q_DIV, Q_GRID
 * (the product, checked on the grid, the rare flagged vector divided). */
enum { Q_MUL, Q_DIV, Q_GRID };

static inline __attribute__((always_inline)) lanes
quot16(const kvec *k, __m512 x, const int qm, const int flush, const int isint)
{
	lanes l = mag16(k, x, qm == Q_DIV, flush, qm == Q_GRID ? 1 + isint : 0);
	if (qm == Q_GRID && !_kortestz_mask16_u8(l.near, l.near))
		l = mag16(k, x, 1, flush, 0);
	return l;
}

/* Elements [i, i + 16) under mask m (a head or a tail). */
static inline __attribute__((always_inline)) void
part(const kvec *k, const float *x, size_t i, __mmask16 m, float *y, uint8_t *c8,
     const int qm, const int flush, const int isint)
{
	lanes l = quot16(k, _mm512_maskz_loadu_ps(m, x + i), qm, flush, isint);
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
     const int qm, const int flush, const int isint, const int nt)
{
	size_t i = 0;
	if (nt) { /* a head up to the output's alignment (64 bytes for y, 16 for codes) */
		uintptr_t a = y ? (uintptr_t)y : (uintptr_t)c8;
		size_t h = y ? ((64 - (a & 63)) & 63) / 4 : (16 - (a & 15)) & 15;
		if (h > n)
			h = n;
		if (h)
			part(k, x, 0, (__mmask16)((1u << h) - 1u), y, c8, qm, flush, isint);
		i = h;
	}
	for (; i + 16 <= n; i += 16) {
		_mm_prefetch((const char *)(x + i + PFD), _MM_HINT_T0);
		lanes l = quot16(k, _mm512_loadu_ps(x + i), qm, flush, isint);
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
		part(k, x, i, (__mmask16)((1u << (n - i)) - 1u), y, c8, qm, flush, isint);
	if (nt)
		_mm_sfence(); /* the streamed stores before anything the caller does next */
}

/* One loop per (quotient, flush, INT, streaming) so that each sees
 * constants. */
#define LOOPQ(Y, C, QM, NT)                                                         \
	(flush ? isint ? loop(&k, x, n, Y, C, QM, 1, 1, NT) : loop(&k, x, n, Y, C, QM, 1, 0, NT) \
	       : isint ? loop(&k, x, n, Y, C, QM, 0, 1, NT) : loop(&k, x, n, Y, C, QM, 0, 0, NT))
#define LOOPS1(Y, C, NT)                          \
	do {                                      \
		if (qm == Q_MUL)                  \
			LOOPQ(Y, C, Q_MUL, NT);   \
		else if (qm == Q_DIV)             \
			LOOPQ(Y, C, Q_DIV, NT);   \
		else                              \
			LOOPQ(Y, C, Q_GRID, NT);  \
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
	/* the grid check needs r normal: s in [2^-126, 2^126] */
	int inrange = sb >= 0x00800000u && sb <= 0x7e800000u;
	int qm = pow2 ? Q_MUL : inrange ? Q_GRID : Q_DIV;
	int flush = p->minsub_bits != 0, isint = p->snmask != 0;
	int nt = n * (y ? 4 : 1) >= NT_BYTES;
	kvec k;
	kvec_init(&k, p, scale, qm == Q_DIV ? 0.0f : 1.0f / scale);
	if (y)
		LOOPS(y, NULL);
	else
		LOOPS(NULL, c8);
}

/* tgemm.c: C = A.B in float32, each output a chain of fused multiply-adds
 * in k order (tgemm.h), built once per instruction set.
 *
 * The blocking is qmmk.c's (packed panels, an MR x NR register tile, K in
 * blocks of KC whose later blocks start from C's running sums: a float32
 * store and reload is exact, so the chain is unbroken).  Unlike qmmk.c,
 * whose callers pass only exact products, the fusing here is the result:
 * the multiply-add is written as an explicit fma (intrinsics, or fmaf() in
 * the portable build) and the file is compiled with -ffp-contract=off, so
 * that no compiler choice can change one rounding. */
#include <math.h>
#include <string.h>

#include "qmmk_tile.h"
#include "tgemm.h"

#ifndef MQ_TGEMM_ISA
#define MQ_TGEMM_ISA generic
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN CAT(mq_tgemm_, MQ_TGEMM_ISA)
#define WORK_FN CAT(mq_tgemm_work_, MQ_TGEMM_ISA)

#define VL MQ_TF_VL
#define MR MQ_TF_MR
#define NR MQ_TF_NR
#define NV (NR / VL)
#define KC 512
#define MC 96

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vf;
#define vzero() _mm512_setzero_ps()
#define vset1(x) _mm512_set1_ps(x)
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#elif defined(__AVX2__)
#if !defined(__FMA__)
#error "the AVX2 build needs -mfma: the fused multiply-add is the specification"
#endif
#include <immintrin.h>
typedef __m256 vf;
#define vzero() _mm256_setzero_ps()
#define vset1(x) _mm256_set1_ps(x)
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
/* The portable build: lanes of plain floats and the C library's fmaf,
 * correctly rounded by C99 F.10.10.1 whatever the hardware has. */
typedef struct {
	float x[VL];
} vf;
static inline vf vzero(void)
{
	return (vf){{0}};
}
static inline vf vset1(float a)
{
	vf v;
	for (int l = 0; l < VL; l++)
		v.x[l] = a;
	return v;
}
static inline vf vload(const float *p)
{
	vf v;
	memcpy(v.x, p, sizeof v.x);
	return v;
}
static inline void vstore(float *p, vf v)
{
	memcpy(p, v.x, sizeof v.x);
}
static inline vf vfma(vf a, vf b, vf c)
{
	for (int l = 0; l < VL; l++)
		c.x[l] = fmaf(a.x[l], b.x[l], c.x[l]);
	return c;
}
#endif

/* C (MR x NR, row stride ldc) = (first ? 0 : C) + Ap . Bp over kc, one
 * fused multiply-add per product in k order. */
static void tile_full(size_t kc, const float *restrict Ap, const float *restrict Bp,
                      float *restrict C, size_t ldc, int first)
{
	vf acc[MR][NV];
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			acc[r][v] = first ? vzero() : vload(C + r * ldc + v * VL);
	for (size_t k = 0; k < kc; k++) {
		vf b[NV];
		for (size_t v = 0; v < NV; v++)
			b[v] = vload(Bp + k * NR + v * VL);
		for (size_t r = 0; r < MR; r++) {
			vf a = vset1(Ap[k * MR + r]);
			for (size_t v = 0; v < NV; v++)
				acc[r][v] = vfma(a, b[v], acc[r][v]);
		}
	}
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			vstore(C + r * ldc + v * VL, acc[r][v]);
}

/* An edge tile (mr x nr real): through a full tile in a local buffer; the
 * padding lanes compute zeros that are never stored. */
static void tile(size_t kc, const float *Ap, const float *Bp, float *C, size_t ldc,
                 size_t mr, size_t nr, int first)
{
	if (mr == MR && nr == NR) {
		tile_full(kc, Ap, Bp, C, ldc, first);
		return;
	}
	float t[MR * NR];
	for (size_t r = 0; r < MR; r++)
		for (size_t j = 0; j < NR; j++)
			t[r * NR + j] = first || r >= mr || j >= nr ? 0.0f : C[r * ldc + j];
	tile_full(kc, Ap, Bp, t, NR, 0);
	for (size_t r = 0; r < mr; r++)
		for (size_t j = 0; j < nr; j++)
			C[r * ldc + j] = t[r * NR + j];
}

size_t WORK_FN(size_t M, size_t N, size_t K)
{
	size_t kc = K < KC ? K : KC, mc = M < MC ? M : MC;
	return kc * NR * ((N + NR - 1) / NR) + kc * MR * ((mc + MR - 1) / MR);
}

/* B[p0.., :] as panels of kc x NR, zero-padded on the right. */
static void pack_b(size_t N, size_t p0, size_t kc, const float *B, size_t brs, size_t bcs,
                   float *Bp)
{
	for (size_t j0 = 0; j0 < N; j0 += NR, Bp += kc * NR) {
		size_t nr = N - j0 < NR ? N - j0 : NR;
		for (size_t k = 0; k < kc; k++) {
			const float *s = B + (p0 + k) * brs + j0 * bcs;
			for (size_t j = 0; j < NR; j++)
				Bp[k * NR + j] = j < nr ? s[j * bcs] : 0.0f;
		}
	}
}

/* A[i0.., p0..] (mc rows) as micro-panels of MR rows, k-major, zero-padded. */
static void pack_a(size_t i0, size_t mc, size_t p0, size_t kc, const float *A, size_t ars,
                   size_t acs, float *Ap)
{
	for (size_t r0 = 0; r0 < mc; r0 += MR, Ap += kc * MR)
		for (size_t r = 0; r < MR; r++) {
			const float *s = r0 + r < mc ? A + (i0 + r0 + r) * ars + p0 * acs : NULL;
			for (size_t k = 0; k < kc; k++)
				Ap[k * MR + r] = s ? s[k * acs] : 0.0f;
		}
}

int FN(size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs, const float *B,
       size_t brs, size_t bcs, float *C, size_t ldc, float *work)
{
	if (K == 0) { /* the empty sum */
		for (size_t i = 0; i < M; i++)
			memset(C + i * ldc, 0, N * sizeof *C);
		return 0;
	}
	size_t kcmax = K < KC ? K : KC;
	float *Bp = work, *Ap = work + kcmax * NR * ((N + NR - 1) / NR);
	for (size_t p0 = 0; p0 < K; p0 += KC) {
		size_t kc = K - p0 < KC ? K - p0 : KC;
		pack_b(N, p0, kc, B, brs, bcs, Bp);
		for (size_t i0 = 0; i0 < M; i0 += MC) {
			size_t mc = M - i0 < MC ? M - i0 : MC;
			pack_a(i0, mc, p0, kc, A, ars, acs, Ap);
			for (size_t j0 = 0; j0 < N; j0 += NR) {
				size_t nr = N - j0 < NR ? N - j0 : NR;
				for (size_t r0 = 0; r0 < mc; r0 += MR) {
					size_t mr = mc - r0 < MR ? mc - r0 : MR;
					tile(kc, Ap + (r0 / MR) * kc * MR, Bp + (j0 / NR) * kc * NR,
					     C + (i0 + r0) * ldc + j0, ldc, mr, nr, p0 == 0);
				}
			}
		}
	}
	return 0;
}

/* qmmk_blk.c: per-segment double sums of a product whose K axis is cut
 * into scale blocks, built once per instruction set (qmmk.h,
 * mq_qmmk_blk_*).
 *
 * Under block:B scaling every block of K has its own pair of scales, so
 * each block's sum of products is descaled on its own.  A gemm per block
 * (K = 32, say) spends its time packing, and each block's sums make a
 * trip through memory.  Here a register tile of double accumulators sums
 * one segment, hands it to the caller's `done` (which descales it into
 * the output while it is in L1), and starts the next segment from zero.
 * The caller takes this path only where every segment's sum is exact in
 * double (then order and fused multiply-adds cannot change it), so the
 * numbers are the per-block dgemms'. */
#include <stdlib.h>
#include <string.h>

#include "qmmk.h"

#ifndef MQ_QMMK_BLK_NAME
#define MQ_QMMK_BLK_NAME mq_qmmk_blk_generic
#endif

/* Tile MR x NR of doubles: 16 of 32 zmm, 12 of 16 ymm, 8 of 16 xmm.  A
 * K panel holds whole segments, at most KC long (B micro-panel KC x NR in
 * L1/L2, A micro-panel MR x KC in L1). */
#if defined(__AVX512F__)
#define VL 8
#define MR 8
#define NR 16
#elif defined(__AVX2__)
#define VL 4
#define MR 4
#define NR 12
#else
#define VL 2
#define MR 4
#define NR 4
#endif
#define NV (NR / VL)
#define KC MQ_QMMK_BLK_MAXSEG
#define MC 64

typedef double vd __attribute__((vector_size(VL * sizeof(double))));

static inline vd vload(const double *p)
{
	vd v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void vstore(double *p, vd v)
{
	memcpy(p, &v, sizeof v);
}

/* T = Ap . Bp over k in [k0, k1) of the packed panels. */
static void tile(size_t k0, size_t k1, const double *restrict Ap, const double *restrict Bp,
                 double *restrict T)
{
	vd acc[MR][NV];
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			acc[r][v] = (vd){0};
	for (size_t k = k0; k < k1; k++) {
		vd b[NV];
		for (size_t v = 0; v < NV; v++)
			b[v] = vload(Bp + k * NR + v * VL);
		for (size_t r = 0; r < MR; r++) {
			vd a = (vd){0} + Ap[k * MR + r];
			for (size_t v = 0; v < NV; v++)
				acc[r][v] += a * b[v];
		}
	}
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			vstore(T + r * NR + v * VL, acc[r][v]);
}

int MQ_QMMK_BLK_NAME(size_t M, size_t N, const float *A, size_t lda, const float *B,
                     size_t ldb, size_t nseg, const size_t *seg, mq_qmmk_blk_done done,
                     void *ctx)
{
	size_t nblk = (N + NR - 1) / NR, mblk = (MC + MR - 1) / MR;
	double *Bp = malloc(KC * NR * nblk * sizeof *Bp);
	double *Ap = malloc(KC * MR * mblk * sizeof *Ap);
	if (!Bp || !Ap) {
		free(Bp), free(Ap);
		return -1;
	}
	double T[MR * NR];
	size_t s0 = 0;
	while (s0 < nseg) {
		/* the panel: segments s0 .. s1-1, at most KC long together */
		size_t p0 = seg[s0], s1 = s0 + 1;
		while (s1 < nseg && seg[s1 + 1] - p0 <= KC)
			s1++;
		size_t kc = seg[s1] - p0;
		for (size_t jb = 0; jb < nblk; jb++) {
			size_t j0 = jb * NR, nr = N - j0 < NR ? N - j0 : NR;
			double *d = Bp + jb * KC * NR;
			for (size_t k = 0; k < kc; k++) {
				const float *s = B + (p0 + k) * ldb + j0;
				for (size_t j = 0; j < NR; j++)
					d[k * NR + j] = j < nr ? s[j] : 0.0;
			}
		}
		for (size_t i0 = 0; i0 < M; i0 += MC) {
			size_t mc = M - i0 < MC ? M - i0 : MC, nmb = (mc + MR - 1) / MR;
			for (size_t ib = 0; ib < nmb; ib++) {
				size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
				double *d = Ap + ib * KC * MR;
				for (size_t r = 0; r < MR; r++) {
					const float *s = r < mr ? A + (i0 + r0 + r) * lda + p0 : NULL;
					for (size_t k = 0; k < kc; k++)
						d[k * MR + r] = s ? s[k] : 0.0;
				}
			}
			for (size_t jb = 0; jb < nblk; jb++) {
				size_t j0 = jb * NR, nr = N - j0 < NR ? N - j0 : NR;
				for (size_t ib = 0; ib < nmb; ib++) {
					size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
					for (size_t s = s0; s < s1; s++) {
						tile(seg[s] - p0, seg[s + 1] - p0, Ap + ib * KC * MR,
						     Bp + jb * KC * NR, T);
						done(ctx, i0 + r0, j0, mr, nr, s, T, NR);
					}
				}
			}
		}
		s0 = s1;
	}
	free(Bp), free(Ap);
	return 0;
}

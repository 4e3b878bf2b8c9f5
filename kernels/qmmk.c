/* qmmk.c: float32 matrix product with every sum in k order, built once per
 * instruction set (qmmk.h).
 *
 * BLAS micro-kernels sum each block of K from zero and add the block to C,
 * so an element's sum is not the running sum of its products in k order.
 * This kernel blocks like BLAS (packed panels, a register tile of MR x NR
 * accumulators) but starts each later K block from C's running sums, so
 * every accumulator adds its products one by one, k = 0, 1, ..., as
 * qgemm.c's plain loop does.  The tile is fixed-size arrays the compiler
 * keeps in vector registers; the multiply-add may be fused (-ffp-contract=
 * fast): the caller uses it only where every product is exact in float32,
 * and then a fused and an unfused multiply-add round the same sum. */
#include <stdlib.h>
#include <string.h>

#include "qmmk.h"
#include "qmmk_tile.h"

#ifndef MQ_QMMK_NAME
#define MQ_QMMK_NAME mq_qmmk_generic
#endif

/* Tile MR x NR (qmmk_tile.h).  KC keeps a packed A micro-panel (MR x KC)
 * in L1 and a B micro-panel (KC x NR) in L2; MC x KC of packed A sits in
 * L2 too.  Larger KC measured faster (fewer passes of C through the
 * accumulators) up to KC = 512 on Zen 4.
 *
 * The tile is written with GCC/Clang vector types rather than plain
 * arrays: the auto-vectorizer kept a plain [MR][NR] array in registers for
 * some shapes and spilled it for others (10-50x slower, depending on MR,
 * NR and the instruction set), while vector types give the same code for
 * every shape. */
#define VL MQ_TF_VL
#define MR MQ_TF_MR
#define NR MQ_TF_NR
#define NV (NR / VL)
#define KC 512
#define MC 96

typedef float vf __attribute__((vector_size(VL * sizeof(float))));

static inline vf vload(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void vstore(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

/* C (MR x NR, row stride ldc) = (first ? 0 : C) + Ap . Bp over kc. */
static void tile_full(size_t kc, const float *restrict Ap, const float *restrict Bp,
                      float *restrict C, size_t ldc, int first)
{
	vf acc[MR][NV];
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			acc[r][v] = first ? (vf){0} : vload(C + r * ldc + v * VL);
	for (size_t k = 0; k < kc; k++) {
		vf b[NV];
		for (size_t v = 0; v < NV; v++)
			b[v] = vload(Bp + k * NR + v * VL);
		for (size_t r = 0; r < MR; r++) {
			vf a = (vf){0} + Ap[k * MR + r]; /* broadcast */
			for (size_t v = 0; v < NV; v++)
				acc[r][v] += a * b[v];
		}
	}
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < NV; v++)
			vstore(C + r * ldc + v * VL, acc[r][v]);
}

/* An edge tile (mr x nr real): through a full tile in a local buffer. */
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

int MQ_QMMK_NAME(size_t M, size_t N, size_t K, const float *A, size_t lda,
                 const float *B, size_t ldb, float *C, size_t ldc)
{
	size_t nblk = (N + NR - 1) / NR, mblk = (MC + MR - 1) / MR;
	float *Bp = malloc(KC * NR * nblk * sizeof *Bp);
	float *Ap = malloc(KC * MR * mblk * sizeof *Ap);
	if (!Bp || !Ap) {
		free(Bp);
		free(Ap);
		return -1;
	}
	for (size_t p0 = 0; p0 < K; p0 += KC) {
		size_t kc = K - p0 < KC ? K - p0 : KC;
		/* B[p0.., :] as nblk panels of kc x NR, zero-padded */
		for (size_t jb = 0; jb < nblk; jb++) {
			size_t j0 = jb * NR, nr = N - j0 < NR ? N - j0 : NR;
			float *d = Bp + jb * KC * NR;
			for (size_t k = 0; k < kc; k++) {
				const float *s = B + (p0 + k) * ldb + j0;
				for (size_t j = 0; j < NR; j++)
					d[k * NR + j] = j < nr ? s[j] : 0.0f;
			}
		}
		for (size_t i0 = 0; i0 < M; i0 += MC) {
			size_t mc = M - i0 < MC ? M - i0 : MC;
			size_t nmb = (mc + MR - 1) / MR;
			/* A[i0.., p0..] as micro-panels of MR rows, k-major */
			for (size_t ib = 0; ib < nmb; ib++) {
				size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
				float *d = Ap + ib * KC * MR;
				for (size_t r = 0; r < MR; r++) {
					const float *s = r < mr ? A + (i0 + r0 + r) * lda + p0 : NULL;
					for (size_t k = 0; k < kc; k++)
						d[k * MR + r] = s ? s[k] : 0.0f;
				}
			}
			for (size_t jb = 0; jb < nblk; jb++) {
				size_t j0 = jb * NR, nr = N - j0 < NR ? N - j0 : NR;
				for (size_t ib = 0; ib < nmb; ib++) {
					size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
					tile(kc, Ap + ib * KC * MR, Bp + jb * KC * NR,
					     C + (i0 + r0) * ldc + j0, ldc, mr, nr, p0 == 0);
				}
			}
		}
	}
	free(Bp);
	free(Ap);
	return 0;
}

/* qgemm_descale.h: step 3 of qgemm.h, the descale after the product, for
 * every path of mq_qmatmul (qgemm_impl.h).  Inline, because the block
 * kernels call it per register tile from their callbacks.
 *
 * Every path hands it a tile of one segment's sums: the integer paths
 * their exact sums (int32, or already rounded once to double), the BLAS
 * paths their gemm's output, the block kernels a register tile.  So the
 * order of the operations that fix the numbers is written once, in
 * DESCALE_ROWS: sL * sR first, then the sum times that, then the sum over
 * segments in segment order; in double for MQ_ACCUM_EXACT, in float32
 * for FP32 and MODEL (the H100's fl32(fl32(sL * sR) * dot), docs/gpu.md).
 *
 * The right scales of a segment come as a contiguous copy rs (made by
 * mq_qg_rscales once per segment and tile of columns, reused for all the
 * tile's rows) so that the loops over j vectorize.  Then for r < mr,
 * j < nr, with sl the left scale of row i0 + r:
 *   d = T[r][j] * (sl * rs[j]),   acc[r][j] = s == 0 ? d : acc[r][j] + d
 * T may be acc itself (a descale in place). */
#ifndef MQ_QGEMM_DESCALE_H
#define MQ_QGEMM_DESCALE_H

#include <string.h>

#include "qgemm_impl.h"

static inline void mq_qg_rscales(const mq_qg_job *jb, size_t s, size_t j0, size_t nr, double *rs)
{
	for (size_t j = 0; j < nr; j++)
		rs[j] = mq_qg_rscale(jb, s, j0 + j);
}

static inline void mq_qg_rscalesf(const mq_qg_job *jb, size_t s, size_t j0, size_t nr, float *rs)
{
	for (size_t j = 0; j < nr; j++)
		rs[j] = mq_qg_rscale(jb, s, j0 + j);
}

/* The descale, written once: for each row r of the tile, with sl the left
 * scale of row i0 + r in the arithmetic's type A,
 *   acc[r][j] = SUM(T[r][j]) * (sl * rs[j])          (segment 0)
 *   acc[r][j] = acc[r][j] + SUM(T[r][j]) * (sl * rs[j])   (later ones)
 * SUM turns the tile's entry into the segment's sum in A (one rounding at
 * most: int32 sums are exact in double, a float is exactly a double). */
#define DESCALE_ROWS(A, SUM)                                                    \
	for (size_t r = 0; r < mr; r++) {                                           \
		A sl = mq_qg_lscale(jb, i0 + r, s);                                     \
		A *a = acc + r * lda;                                                   \
		if (s == 0)                                                             \
			for (size_t j = 0; j < nr; j++)                                     \
				a[j] = SUM(T[r * ldt + j]) * (sl * rs[j]);                      \
		else                                                                    \
			for (size_t j = 0; j < nr; j++)                                     \
				a[j] += SUM(T[r * ldt + j]) * (sl * rs[j]);                     \
	}
#define AS_IS(t) (t)
#define AS_DOUBLE(t) ((double)(t))
#define TIMES_UU(t) ((double)(t) * uu)

static inline void mq_qg_descale(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                   const double *rs, const double *T, size_t ldt, double *acc, size_t lda)
{
	DESCALE_ROWS(double, AS_IS)
}

static inline void mq_qg_descale_f2d(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                       const double *rs, const float *T, size_t ldt, double *acc, size_t lda)
{
	DESCALE_ROWS(double, AS_DOUBLE)
}

static inline void mq_qg_descale_i32(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                       const double *rs, const int32_t *T, size_t ldt, double uu, double *acc,
                       size_t lda)
{
	DESCALE_ROWS(double, TIMES_UU)
}

static inline void mq_qg_descalef(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                    const float *rs, const float *T, size_t ldt, float *acc, size_t lda)
{
	DESCALE_ROWS(float, AS_IS)
}

/* Rows r0.. (m of them, N columns each) of the output from acc. */
static inline void mq_qg_store(const mq_qg_job *jb, size_t r0, size_t m, const double *acc)
{
	size_t N = jb->N;
	if (jb->Cf)
		for (size_t i = 0; i < m * N; i++)
			jb->Cf[r0 * N + i] = (float)acc[i];
	else if (jb->Cd + r0 * N != acc)
		memcpy(jb->Cd + r0 * N, acc, m * N * sizeof *acc);
}

static inline void mq_qg_storef(const mq_qg_job *jb, size_t r0, size_t m, const float *acc)
{
	size_t N = jb->N;
	if (jb->Cd)
		for (size_t i = 0; i < m * N; i++)
			jb->Cd[r0 * N + i] = acc[i];
	else if (jb->Cf + r0 * N != acc)
		memcpy(jb->Cf + r0 * N, acc, m * N * sizeof *acc);
}

#undef DESCALE_ROWS
#undef AS_IS
#undef AS_DOUBLE
#undef TIMES_UU

#endif

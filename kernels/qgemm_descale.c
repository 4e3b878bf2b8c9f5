/* qgemm_descale.c: step 3 of qgemm.h, the descale after the product, for
 * every path of mq_qmatmul (qgemm_impl.h).
 *
 * Every path hands this file a tile of one segment's sums: the integer
 * paths after turning their exact sums into doubles (one rounding), the
 * BLAS paths their gemm's output, the block kernels a register tile.  So
 * the order of the operations that fix the numbers is written once:
 * sL * sR first, then the sum times that, then the sum over segments in
 * segment order; in double for MQ_ACCUM_EXACT, in float32 for FP32 and
 * MODEL (the H100's fl32(fl32(sL * sR) * dot), docs/gpu.md).
 *
 * The right scales of a segment come as a contiguous copy (rs) so that
 * the loops over j vectorize; the caller makes it once per segment and
 * tile of columns and reuses it for all the tile's rows. */
#include "qgemm_impl.h"

#include <string.h>

void mq_qg_rscales(const mq_qg_job *jb, size_t s, size_t j0, size_t nr, double *rs)
{
	for (size_t j = 0; j < nr; j++)
		rs[j] = mq_qg_rscale(jb, s, j0 + j);
}

void mq_qg_rscalesf(const mq_qg_job *jb, size_t s, size_t j0, size_t nr, float *rs)
{
	for (size_t j = 0; j < nr; j++)
		rs[j] = mq_qg_rscale(jb, s, j0 + j);
}

void mq_qg_descale(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                   const double *rs, const double *T, size_t ldt, double *acc, size_t lda)
{
	for (size_t r = 0; r < mr; r++) {
		double sl = mq_qg_lscale(jb, i0 + r, s);
		const double *t = T + r * ldt;
		double *a = acc + r * lda;
		if (s == 0)
			for (size_t j = 0; j < nr; j++)
				a[j] = t[j] * (sl * rs[j]);
		else
			for (size_t j = 0; j < nr; j++)
				a[j] += t[j] * (sl * rs[j]);
	}
}

void mq_qg_descalef(const mq_qg_job *jb, size_t s, size_t i0, size_t mr, size_t nr,
                    const float *rs, const float *T, size_t ldt, float *acc, size_t lda)
{
	for (size_t r = 0; r < mr; r++) {
		float sl = mq_qg_lscale(jb, i0 + r, s);
		const float *t = T + r * ldt;
		float *a = acc + r * lda;
		if (s == 0)
			for (size_t j = 0; j < nr; j++)
				a[j] = t[j] * (sl * rs[j]);
		else
			for (size_t j = 0; j < nr; j++)
				a[j] += t[j] * (sl * rs[j]);
	}
}

void mq_qg_store(const mq_qg_job *jb, size_t r0, size_t m, const double *acc)
{
	size_t N = jb->N;
	if (jb->Cf)
		for (size_t i = 0; i < m * N; i++)
			jb->Cf[r0 * N + i] = (float)acc[i];
	else if (jb->Cd + r0 * N != acc)
		memcpy(jb->Cd + r0 * N, acc, m * N * sizeof *acc);
}

void mq_qg_storef(const mq_qg_job *jb, size_t r0, size_t m, const float *acc)
{
	size_t N = jb->N;
	if (jb->Cd)
		for (size_t i = 0; i < m * N; i++)
			jb->Cd[r0 * N + i] = acc[i];
	else if (jb->Cf + r0 * N != acc)
		memcpy(jb->Cf + r0 * N, acc, m * N * sizeof *acc);
}

/* qgemm_model.c: MQ_ACCUM_MODEL of qgemm.h on the row threads
 * (qgemm_impl.h): per output and segment one modelled dot product
 * (mq_accum_dot, accum.h) reading both operands in k order (r.v is
 * transposed for it), then FP32's float descale and float sum over
 * segments (qgemm_descale.c).  Inf and NaN take care of themselves. */
#include "qgemm_descale.h"

#include <stdlib.h>

mq_status mq_qg_model(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N;
	float *S = malloc(N * sizeof *S), *row = malloc(N * sizeof *row);
	float *rs = malloc(N * sizeof *rs);
	int ok = S && row && rs;
	for (size_t i = r0; i < r1 && ok; i++) {
		const float *a = jb->l.v + i * K;
		for (size_t s = 0; s < jb->nseg; s++) {
			size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
			for (size_t j = 0; j < N; j++)
				S[j] = mq_accum_dot(&jb->model, a + k0, 1, jb->r.v + j * K + k0, 1, kk);
			mq_qg_rscalesf(jb, s, 0, N, rs);
			mq_qg_descalef(jb, s, i, 1, N, rs, S, N, row, N);
		}
		mq_qg_storef(jb, i, 1, row);
	}
	free(S), free(row), free(rs);
	return ok ? MQ_OK : MQ_ENOMEM;
}

/* qgemm_fp32.c: MQ_ACCUM_FP32 of qgemm.h on the row threads
 * (qgemm_impl.h): every product and sum in float32 in k order from 0.0f,
 * one sum per segment, then the float descale (qgemm_descale.c).
 *
 * The plain loop is the reference.  The kernels of qmmk.h give its sums
 * bit for bit where plan() has checked that every product of the two
 * formats' values is a float32 value: a fused multiply-add then rounds
 * as the loop's multiply and add do, and each accumulator runs through k
 * in order as the loop's does. */
#include "qgemm_descale.h"

#include <stdlib.h>

/* The float sums of row i over segment s into acc[0..N). */
static void sums_row(const mq_qg_job *jb, size_t i, size_t s, float *acc)
{
	size_t K = jb->K, N = jb->N;
	for (size_t j = 0; j < N; j++)
		acc[j] = 0.0f;
	/* Vectorized over j, each acc[j] still sums in k order. */
	for (size_t k = jb->seg[s]; k < jb->seg[s + 1]; k++) {
		float a = jb->l.v[i * K + k];
		const float *b = jb->r.v + k * N;
		for (size_t j = 0; j < N; j++)
			acc[j] += a * b[j];
	}
}

/* Float arithmetic carries inf and NaN by itself: no special case. */
mq_status mq_qg_fp32_loops(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t N = jb->N;
	float *S = malloc(N * sizeof *S), *row = malloc(N * sizeof *row);
	float *rs = malloc(N * sizeof *rs);
	int ok = S && row && rs;
	for (size_t i = r0; i < r1 && ok; i++) {
		for (size_t s = 0; s < jb->nseg; s++) {
			sums_row(jb, i, s, S);
			mq_qg_rscalesf(jb, s, 0, N, rs);
			mq_qg_descalef(jb, s, i, 1, N, rs, S, N, row, N);
		}
		mq_qg_storef(jb, i, 1, row);
	}
	free(S), free(row), free(rs);
	return ok ? MQ_OK : MQ_ENOMEM;
}

/* Rows r0..r1 at once through the k-order kernel, one call per segment. */
mq_status mq_qg_fp32_kern(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	int direct = jb->nseg == 1 && jb->Cf; /* sums straight into C */
	float *S = direct ? jb->Cf + r0 * N : malloc(m * N * sizeof *S);
	float *acc = jb->nseg > 1 ? malloc(m * N * sizeof *acc) : S;
	float *rs = malloc(N * sizeof *rs);
	mq_status st = S && acc && rs ? MQ_OK : MQ_ENOMEM;
	for (size_t s = 0; s < jb->nseg && st == MQ_OK; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		if (jb->kern(m, N, kk, jb->l.v + r0 * K + k0, K, jb->r.v + k0 * N, N, S, N)) {
			st = MQ_ENOMEM;
			break;
		}
		mq_qg_rscalesf(jb, s, 0, N, rs);
		mq_qg_descalef(jb, s, r0, m, N, rs, S, N, acc, N);
	}
	if (st == MQ_OK)
		mq_qg_storef(jb, r0, m, acc);
	if (!direct)
		free(S);
	if (acc != S)
		free(acc);
	free(rs);
	return st;
}

/* Several segments of at most 512 through the float block kernel: each
 * segment's tile of sums descaled while it is in L1, in segment order. */
typedef struct {
	const mq_qg_job *jb;
	size_t r0;   /* first row of acc */
	float *acc;  /* rows r0.., N columns */
} blkf_ctx;

static void blkf_done(void *ctxv, size_t i0, size_t j0, size_t mr, size_t nr, size_t s,
                      const float *T, size_t ldt)
{
	const blkf_ctx *c = ctxv;
	float rs[MQ_QMMK_BLK_MAXNR];
	mq_qg_rscalesf(c->jb, s, j0, nr, rs);
	mq_qg_descalef(c->jb, s, c->r0 + i0, mr, nr, rs, T, ldt,
	               c->acc + i0 * c->jb->N + j0, c->jb->N);
}

mq_status mq_qg_fp32_blk(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	float *acc = jb->Cf ? jb->Cf + r0 * N : malloc(m * N * sizeof *acc);
	if (!acc)
		return MQ_ENOMEM;
	blkf_ctx c = {jb, r0, acc};
	mq_status st = MQ_OK;
	if (jb->blkfkern(m, N, jb->l.v + r0 * K, K, jb->r.v, N, jb->nseg, jb->seg, blkf_done, &c))
		st = MQ_ENOMEM;
	if (st == MQ_OK)
		mq_qg_storef(jb, r0, m, acc);
	if (!jb->Cf)
		free(acc);
	return st;
}

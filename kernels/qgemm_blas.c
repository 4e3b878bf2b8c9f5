/* qgemm_blas.c: MQ_ACCUM_EXACT of qgemm.h through the BLAS, over the
 * whole product (the BLAS's own threads; qgemm_impl.h).
 *
 * If every partial sum, in any order, is an integer multiple of some
 * uL'*uR' below 2^53 (2^24) times it, a dgemm (sgemm) cannot round: its
 * sums are the plain loops' exact sums, whatever the BLAS and its
 * threads.  Where no single gemm is exact (e5m2: sums of up to 73 bits)
 * the images are split in 16-bit halves and each half's dgemm is exact. */
#include "qgemm_descale.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

/* 2 if sgemm cannot round, 1 if dgemm cannot, 0 otherwise.  With images
 * reduced by their common power of two, every product is an integer (in
 * units of uL' uR') of magnitude at most maxL' maxR', and every partial
 * sum of at most Kseg of them at most Kseg maxL' maxR': if that is below
 * 2^p all of them are p-bit integers, exact in a p-bit significand, in any
 * order and with or without FMA.  Products of values >= 2^-16 * 2^-16 stay
 * far from float32's subnormals. */
int mq_qg_blas_level(const mq_qg_job *jb)
{
	size_t kmax = mq_qg_seg_max(jb);
	double ml, mr;
	int zl, zr;
	mq_qg_image_range(jb->l.v, jb->M * jb->K, jb->l.u, &ml, &zl);
	mq_qg_image_range(jb->r.v, jb->K * jb->N, jb->r.u, &mr, &zr);
	double bound = (double)kmax * ldexp(ml, -zl) * ldexp(mr, -zr);
	if (bound < 16777216.0)
		return 2;
	if (bound < 9007199254740992.0)
		return 1;
	return 0;
}

/* One sgemm straight into C, then the descale in place, row by row
 * through a double row in L1: the plain loops' numbers without a double
 * copy of the sums. */
static mq_status blas_single_sgemm(const mq_qg_job *jb)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	double *rs = malloc(N * sizeof *rs), *row = malloc(N * sizeof *row);
	if (!rs || !row) {
		free(rs), free(row);
		return MQ_ENOMEM;
	}
	mq_qg_rscales(jb, 0, 0, N, rs);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K,
	            1.0f, jb->l.v, (int)K, jb->r.v, (int)N, 0.0f, jb->Cf, (int)N);
	for (size_t i = 0; i < M; i++) {
		float *ci = jb->Cf + i * N;
		mq_qg_descale_f2d(jb, 0, i, 1, N, rs, ci, N, row, N);
		for (size_t j = 0; j < N; j++)
			ci[j] = (float)row[j];
	}
	free(rs), free(row);
	return MQ_OK;
}

/* Segment s's sums descaled into acc: an sgemm into Sf (level 2), or a
 * dgemm on the double copies ad, bd into S (level 1). */
static void blas_segment(const mq_qg_job *jb, size_t s, const double *rs, float *Sf,
                         const double *ad, const double *bd, double *S, double *acc)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
	if (jb->level == 2) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N,
		            (int)kk, 1.0f, jb->l.v + k0, (int)K, jb->r.v + k0 * N, (int)N,
		            0.0f, Sf, (int)N);
		mq_qg_descale_f2d(jb, s, 0, M, N, rs, Sf, N, acc, N);
	} else {
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N,
		            (int)kk, 1.0, ad + k0, (int)K, bd + k0 * N, (int)N, 0.0, S,
		            (int)N);
		mq_qg_descale(jb, s, 0, M, N, rs, S, N, acc, N);
	}
}

/* One gemm per segment on the decoded values (jb->level: 2 sgemm, 1
 * dgemm), then the descale in double. */
mq_status mq_qg_exact_blas(const mq_qg_job *jb)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	int single = jb->nseg == 1, level = jb->level;
	if (single && level == 2 && jb->Cf)
		return blas_single_sgemm(jb);
	/* A double C is the accumulator (and for one dgemm its output too,
	 * descaled in place): fewer pages to fault in. */
	double *acc = jb->Cd ? jb->Cd : malloc(M * N * sizeof *acc);
	double *S = level == 1 && !single ? malloc(M * N * sizeof *S) : acc;
	float *Sf = level == 2 ? malloc(M * N * sizeof *Sf) : NULL;
	double *ad = level == 1 ? malloc((M * K + K * N) * sizeof *ad) : NULL;
	double *rs = malloc(N * sizeof *rs);
	mq_status st = acc && S && (level != 2 || Sf) && (level != 1 || ad) && rs
	                       ? MQ_OK : MQ_ENOMEM;
	double *bd = ad ? ad + M * K : NULL;
	if (st == MQ_OK && ad) {
		for (size_t i = 0; i < M * K; i++) ad[i] = jb->l.v[i];
		for (size_t i = 0; i < K * N; i++) bd[i] = jb->r.v[i];
	}
	for (size_t s = 0; s < jb->nseg && st == MQ_OK; s++) {
		mq_qg_rscales(jb, s, 0, N, rs);
		blas_segment(jb, s, rs, Sf, ad, bd, S, acc);
	}
	if (st == MQ_OK)
		mq_qg_store(jb, 0, M, acc);
	if (S != acc)
		free(S);
	if (acc != jb->Cd)
		free(acc);
	free(Sf), free(ad), free(rs);
	return st;
}

/* The split's operands as doubles: L's halves, and R's halves (two-sided)
 * or R's images reduced by 2^rz (one-sided). */
static void split_operands(const mq_qg_job *jb, double *lh, double *ll, double *rh,
                           double *rl)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	int two = jb->rz < 0;
	for (size_t i = 0; i < M * K; i++)
		lh[i] = jb->l.hi[i], ll[i] = jb->l.lo[i];
	double inv = two ? 1.0 : ldexp(1.0 / jb->r.u, -jb->rz); /* powers of two: exact */
	for (size_t i = 0; i < K * N; i++) {
		if (two)
			rh[i] = jb->r.hi[i], rl[i] = jb->r.lo[i];
		else
			rh[i] = (double)jb->r.v[i] * inv;
	}
}

/* EXACT where no single gemm is exact (e5m2: sums of up to 73 bits):
 * L's integer images split as in the wide plain loops, im = hi 2^16 + lo
 * with |hi| <= 2^16 and 0 <= lo < 2^16, and per segment dgemms on the
 * halves.  Two-sided (rz < 0), R split too and four dgemms:
 *   HH = Lh.Rh,  X = Lh.Rl + Ll.Rh,  LL = Ll.Rl,
 * each an integer sum below 2 kk 2^32 < 2^53 (kk < 2^20), so exact.
 * One-sided (rz >= 0: R's images share rz trailing zero bits and
 * kk 2^16 max|R image| 2^-rz < 2^53, which plan() checked), R whole:
 *   X = Lh.R',  LL = Ll.R',  R' = R's images / 2^rz,
 * two dgemms, exact for the same reason.  Then the wide loops'
 * mq_qg_wide_to_double(HH, X, 0, LL) rounds HH 2^32 + X 2^16 + LL once
 * (times 2^rz, a power of two), and the descale follows: the plain loops'
 * numbers, at two or four dgemms' time. */
mq_status mq_qg_exact_split(const mq_qg_job *jb)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	int two = jb->rz < 0;
	double *lh = malloc(2 * M * K * sizeof *lh);
	double *rh = malloc((two ? 2 : 1) * K * N * sizeof *rh);
	double *D = malloc(3 * M * N * sizeof *D);
	double *acc = jb->nseg > 1 || !jb->Cd ? malloc(M * N * sizeof *acc) : jb->Cd;
	double *rs = malloc(N * sizeof *rs), *row = malloc(N * sizeof *row);
	if (!lh || !rh || !D || !acc || !rs || !row) {
		free(lh), free(rh), free(D), free(rs), free(row);
		if (acc != jb->Cd)
			free(acc);
		return MQ_ENOMEM;
	}
	double *ll = lh + M * K, *rl = two ? rh + K * N : rh;
	split_operands(jb, lh, ll, rh, rl);
	double *HH = D, *X = D + M * N, *LL = D + 2 * M * N;
	if (!two)
		memset(HH, 0, M * N * sizeof *HH);
	const double uu = jb->l.u * jb->r.u * (two ? 1.0 : ldexp(1.0, jb->rz));
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		const double *ops[4][2] = {{ll, rl}, {lh, rl}, {lh, rh}, {ll, rh}};
		double *out[4] = {LL, X, HH, X};
		/* one-sided: Ll.R' and Lh.R' only (rl = rh = R') */
		for (int g = 0; g < (two ? 4 : 2); g++)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)kk,
			            1.0, ops[g][0] + k0, (int)K, ops[g][1] + k0 * N, (int)N,
			            g == 3 ? 1.0 : 0.0, out[g], (int)N);
		mq_qg_rscales(jb, s, 0, N, rs);
		for (size_t i = 0; i < M; i++) {
			for (size_t j = 0; j < N; j++) {
				size_t e = i * N + j;
				row[j] = mq_qg_wide_to_double((int64_t)HH[e], (int64_t)X[e], 0,
				                              (int64_t)LL[e]) * uu;
			}
			mq_qg_descale(jb, s, i, 1, N, rs, row, N, acc + i * N, N);
		}
	}
	mq_qg_store(jb, 0, M, acc);
	if (acc != jb->Cd)
		free(acc);
	free(lh), free(rh), free(D), free(rs), free(row);
	return MQ_OK;
}

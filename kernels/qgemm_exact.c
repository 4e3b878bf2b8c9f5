/* qgemm_exact.c: MQ_ACCUM_EXACT of qgemm.h on the row threads: the plain
 * loops on integer images (the reference every other EXACT path must
 * match bit for bit), the exact int8 ISA kernels, and the double block
 * kernel (qgemm_impl.h).
 *
 * Every value of a supported format is an integer multiple of its
 * smallest subnormal u (a power of two), the "image" a/u being below
 * 2^32.  A sum of products is then the integer sum of image products
 * times uL*uR, which int64 holds exactly (narrow, or wide: in 16-bit
 * halves) and which is rounded once to double at the end; the descale
 * (qgemm_descale.c) follows in double. */
#include "qgemm_descale.h"

#include <stdlib.h>
#include <string.h>

/* floor(x / 2^16) without relying on >> of a negative number. */
static int64_t fdiv16(int64_t x)
{
	return x >= 0 ? x / 65536 : -((-x + 65535) / 65536);
}

/* hh*2^32 + (hl + lh)*2^16 + ll, rounded once to double.  |hh| <= 2^62 and
 * the others below 2^63 in magnitude (K <= 2^30). */
double mq_qg_wide_to_double(int64_t hh, int64_t hl, int64_t lh, int64_t ll)
{
	int64_t c0 = fdiv16(ll), c1 = fdiv16(hl), c2 = fdiv16(lh);
	ll -= c0 * 65536;                       /* [0, 2^16) */
	int64_t mid = (hl - c1 * 65536) + (lh - c2 * 65536) + c0; /* |.| < 2^48 */
	int64_t c3 = fdiv16(mid);
	mid -= c3 * 65536;                      /* [0, 2^16) */
	int64_t H = hh + c1 + c2 + c3;          /* |H| < 2^62 + 2^49 */
	int64_t lo32 = mid * 65536 + ll;        /* [0, 2^32) */
	/* T = H * 2^32 + lo32.  (double)H may round; its error r is small and
	 * r * 2^32 + lo32 < 2^43 is exact in double, as is hd * 2^32: one
	 * addition of two exact doubles rounds T once, to nearest. */
	double hd = (double)H;
	int64_t r = H - (int64_t)hd;
	return hd * 4294967296.0 + (double)(r * 4294967296 + lo32);
}

/* The exact sums of row i and segment s on narrow images into S[0..N). */
static void sums_narrow(const mq_qg_job *jb, size_t i, size_t s, int64_t *acc, double *S)
{
	size_t K = jb->K, N = jb->N;
	const double uu = jb->l.u * jb->r.u; /* powers of two: exact */
	for (size_t j = 0; j < N; j++)
		acc[j] = 0;
	for (size_t k = jb->seg[s]; k < jb->seg[s + 1]; k++) {
		int64_t a = jb->l.hi[i * K + k];
		const int32_t *b = jb->r.hi + k * N;
		for (size_t j = 0; j < N; j++)
			acc[j] += a * b[j];
	}
	/* The integer sum is exact (|.| < 2^62); converting it to double is
	 * the one rounding. */
	for (size_t j = 0; j < N; j++)
		S[j] = (double)acc[j] * uu;
}

/* The same on wide images, four int64 accumulators a column. */
static void sums_wide(const mq_qg_job *jb, size_t i, size_t s, int64_t *const acc[4], double *S)
{
	size_t K = jb->K, N = jb->N;
	const double uu = jb->l.u * jb->r.u;
	int64_t *hh = acc[0], *hl = acc[1], *lh = acc[2], *ll = acc[3];
	for (size_t j = 0; j < N; j++)
		hh[j] = hl[j] = lh[j] = ll[j] = 0;
	for (size_t k = jb->seg[s]; k < jb->seg[s + 1]; k++) {
		int64_t ah = jb->l.hi[i * K + k], al = jb->l.lo[i * K + k];
		const int32_t *bh = jb->r.hi + k * N, *bl = jb->r.lo + k * N;
		for (size_t j = 0; j < N; j++) {
			hh[j] += ah * bh[j];
			hl[j] += ah * bl[j];
			lh[j] += al * bh[j];
			ll[j] += al * bl[j];
		}
	}
	for (size_t j = 0; j < N; j++)
		S[j] = mq_qg_wide_to_double(hh[j], hl[j], lh[j], ll[j]) * uu;
}

/* An output whose operands hold inf or NaN: the IEEE answer, products and
 * sums in double in k order (exactness is moot there). */
static double elem_ieee(const mq_qg_job *jb, size_t i, size_t j)
{
	size_t K = jb->K, N = jb->N;
	double c = 0.0;
	for (size_t s = 0; s < jb->nseg; s++) {
		double S = 0.0, rs;
		for (size_t k = jb->seg[s]; k < jb->seg[s + 1]; k++)
			S += (double)jb->l.v[i * K + k] * (double)jb->r.v[k * N + j];
		mq_qg_rscales(jb, s, j, 1, &rs);
		mq_qg_descale(jb, s, i, 1, 1, &rs, &S, 1, &c, 1);
	}
	return c;
}

mq_status mq_qg_exact_loops(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t N = jb->N;
	int nacc = jb->wide ? 4 : 1;
	int64_t *acc[4] = {NULL};
	double *row = malloc(N * sizeof *row), *S = malloc(N * sizeof *S);
	double *rs = malloc(N * sizeof *rs);
	int ok = row && S && rs;
	for (int a = 0; a < nacc; a++)
		ok &= (acc[a] = malloc(N * sizeof *acc[a])) != NULL;
	for (size_t i = r0; i < r1 && ok; i++) {
		for (size_t s = 0; s < jb->nseg; s++) {
			if (jb->wide)
				sums_wide(jb, i, s, acc, S);
			else
				sums_narrow(jb, i, s, acc[0], S);
			mq_qg_rscales(jb, s, 0, N, rs);
			mq_qg_descale(jb, s, i, 1, N, rs, S, N, row, N);
		}
		int rb = jb->l.anybad && jb->l.bad[i];
		if (rb || jb->r.anybad)
			for (size_t j = 0; j < N; j++)
				if (rb || jb->r.bad[j])
					row[j] = elem_ieee(jb, i, j);
		mq_qg_store(jb, i, 1, row);
	}
	for (int a = 0; a < 4; a++)
		free(acc[a]);
	free(row), free(S), free(rs);
	return ok ? MQ_OK : MQ_ENOMEM;
}

/* INT-n operands (n <= 8) through an exact int8 kernel (qmmk.h,
 * jb->i8kern), rows r0..r1 at once: per segment the int32 sums, each
 * exact and so exactly a double, then the double descale. */
mq_status mq_qg_exact_i8(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	int single = jb->nseg == 1; /* descale row by row to C, no accumulator */
	int32_t *S = malloc(m * N * sizeof *S);
	double *acc = single ? NULL : malloc(m * N * sizeof *acc);
	double *rs = malloc(N * sizeof *rs), *row = malloc(N * sizeof *row);
	const double uu = jb->l.u * jb->r.u;
	mq_status st = S && (single || acc) && rs && row ? MQ_OK : MQ_ENOMEM;
	for (size_t s = 0; s < jb->nseg && st == MQ_OK; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		if (jb->i8kern(m, N, kk, jb->l.c8 + r0 * K + k0, K, jb->r.c8 + k0 * N, N, S, N)) {
			st = MQ_ENOMEM;
			break;
		}
		mq_qg_rscales(jb, s, 0, N, rs);
		if (!single) {
			mq_qg_descale_i32(jb, s, r0, m, N, rs, S, N, uu, acc, N);
			continue;
		}
		for (size_t i = 0; i < m; i++) {
			mq_qg_descale_i32(jb, s, r0 + i, 1, N, rs, S + i * N, N, uu, row, N);
			mq_qg_store(jb, r0 + i, 1, row);
		}
	}
	if (st == MQ_OK && !single)
		mq_qg_store(jb, r0, m, acc);
	free(S), free(acc), free(rs), free(row);
	return st;
}

/* Several segments whose sums are exact in double, through the double
 * block kernel (qmmk.h): each segment's tile of sums is descaled into acc
 * while it is in L1, in segment order. */
typedef struct {
	const mq_qg_job *jb;
	size_t r0;     /* first row of acc */
	double *acc;   /* rows r0.., N columns */
} blk_ctx;

static void blk_done(void *ctxv, size_t i0, size_t j0, size_t mr, size_t nr, size_t s,
                     const double *T, size_t ldt)
{
	const blk_ctx *c = ctxv;
	double rs[MQ_QMMK_BLK_MAXNR];
	mq_qg_rscales(c->jb, s, j0, nr, rs);
	mq_qg_descale(c->jb, s, c->r0 + i0, mr, nr, rs, T, ldt,
	              c->acc + i0 * c->jb->N + j0, c->jb->N);
}

mq_status mq_qg_exact_blk(const mq_qg_job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	double *acc = jb->Cd ? jb->Cd + r0 * N : malloc(m * N * sizeof *acc);
	if (!acc)
		return MQ_ENOMEM;
	blk_ctx c = {jb, r0, acc};
	mq_status st = MQ_OK;
	if (jb->blkkern(m, N, jb->l.v + r0 * K, K, jb->r.v, N, jb->nseg, jb->seg, blk_done, &c))
		st = MQ_ENOMEM;
	if (st == MQ_OK)
		mq_qg_store(jb, r0, m, acc);
	if (!jb->Cd)
		free(acc);
	return st;
}

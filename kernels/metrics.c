/* metrics.c: error measures and statistics (see metrics.h for definitions). */
#include "metrics.h"
#include "bits.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_histogram.h>
#include <gsl/gsl_statistics_float.h>
#include "qgemm.h"

static int has_nan(const float *x, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= isnan(x[i]);
	return bad;
}

static int all_finite(const float *x, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= !isfinite(x[i]);
	return !bad;
}

/* ---- Eq. 2 ---- */

mq_status mq_relerr(const float *v, const float *q, size_t n, float *re)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (!all_finite(v, n) || has_nan(q, n))
		return MQ_ENONFINITE;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)v[i] - (double)q[i]);
		double a = fabs((double)v[i]);
		/* v = 0: an exact zero is no error, anything else is infinitely
		 * wrong (d / 0 would give inf, and 0 / 0 NaN, so say it). */
		re[i] = (float)(a == 0.0 ? (d == 0.0 ? 0.0 : INFINITY) : d / a);
	}
	return MQ_OK;
}

/* ---- Eq. 3 ---- */

mq_status mq_backward_error_elem(size_t n, const double *LR, const double *A,
                                 const float *Q, float *be)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (has_nan(Q, n))
		return MQ_ENONFINITE;
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= !isfinite(LR[i]) | !isfinite(A[i]) | (A[i] < 0);
	if (bad)
		return MQ_ENONFINITE;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(LR[i] - (double)Q[i]);
		/* A = 0 only when row i of L or column j of R vanishes, and then
		 * LR = 0 exactly: Q = 0 is right (0/0 read as no error). */
		be[i] = (float)(A[i] == 0.0 ? (d == 0.0 ? 0.0 : INFINITY) : d / A[i]);
	}
	return MQ_OK;
}

mq_status mq_backward_error(size_t M, size_t K, size_t N, const float *L,
                            const float *R, const float *Q, float *be)
{
	if (M == 0 || N == 0 || K == 0 || M > SIZE_MAX / N / 2 / sizeof(double))
		return MQ_ESHAPE;
	size_t n = M * N;
	double *LR = malloc(2 * n * sizeof *LR);
	if (!LR)
		return MQ_ENOMEM;
	double *A = LR + n;
	mq_status s = mq_matmul_ref(M, K, N, L, R, LR);
	if (s == MQ_OK)
		s = mq_matmul_absref(M, K, N, L, R, A);
	if (s == MQ_OK)
		s = mq_backward_error_elem(n, LR, A, Q, be);
	free(LR);
	return s;
}

/* ---- summaries ---- */

/* Linear interpolation at h = p (n - 1), without forming 0 * inf. */
static double quantile_sorted(const double *s, size_t n, double p)
{
	double h = p * (double)(n - 1);
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return s[n - 1];
	double frac = h - (double)lo;
	if (frac == 0.0)
		return s[lo];
	if (s[lo] == s[lo + 1])
		return s[lo];
	return s[lo] + frac * (s[lo + 1] - s[lo]);
}

/* Float bits to a key whose unsigned order is the values' order (no NaN
 * here): negatives' bits reversed, positives' sign bit set.  -0 sorts just
 * before +0. */
static inline uint32_t fkey(float f)
{
	uint32_t u = mq_f2u(f);
	return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static inline float fval(uint32_t k)
{
	return mq_u2f(k & 0x80000000u ? k & 0x7fffffffu : ~k);
}

/* A sorted double copy of x; NULL on allocation failure.  LSD radix sort
 * of the float keys, 8 bits a pass, passes where every key has the same
 * digit skipped: O(n), about 10x faster than qsort on the 2^18 backward
 * errors of a Fig. 4 cell, and the same sorted values. */
static double *sorted_copy(const float *x, size_t n)
{
	double *s = malloc(n * sizeof *s);
	uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	if (!s || !a || !b) {
		free(s), free(a), free(b);
		return NULL;
	}
	size_t cnt[4][256] = {{0}};
	for (size_t i = 0; i < n; i++) {
		uint32_t k = a[i] = fkey(x[i]);
		for (int d = 0; d < 4; d++)
			cnt[d][(k >> (8 * d)) & 255u]++;
	}
	for (int d = 0; d < 4; d++) {
		if (cnt[d][(a[0] >> (8 * d)) & 255u] == n)
			continue; /* one digit value: the pass would not move anything */
		size_t pos[256], sum = 0;
		for (int v = 0; v < 256; v++)
			pos[v] = sum, sum += cnt[d][v];
		for (size_t i = 0; i < n; i++)
			b[pos[(a[i] >> (8 * d)) & 255u]++] = a[i];
		uint32_t *t = a;
		a = b, b = t;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = fval(a[i]);
	free(a), free(b);
	return s;
}

mq_status mq_stat_quantile(const float *x, size_t n, double p, double *q)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (!(p >= 0.0 && p <= 1.0))
		return MQ_EOPTION;
	if (has_nan(x, n))
		return MQ_ENONFINITE;
	double *s = sorted_copy(x, n);
	if (!s)
		return MQ_ENOMEM;
	*q = quantile_sorted(s, n, p);
	free(s);
	return MQ_OK;
}

mq_status mq_stat_summary(const float *x, size_t n, mq_summary *out)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (has_nan(x, n))
		return MQ_ENONFINITE;
	double *s = sorted_copy(x, n);
	if (!s)
		return MQ_ENOMEM;
	/* The sum runs over the sorted copy: in increasing order, which is
	 * both reproducible and kinder to rounding than the input order for
	 * positive data such as errors. */
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->mean = sum / (double)n;
	out->median = quantile_sorted(s, n, 0.5);
	out->p99 = quantile_sorted(s, n, 0.99);
	out->min = s[0];
	out->max = s[n - 1];
	free(s);
	return MQ_OK;
}

mq_status mq_stat_moments(const float *x, size_t n, mq_moments *m)
{
	if (n < 2)
		return MQ_ESHAPE;
	if (!all_finite(x, n))
		return MQ_ENONFINITE;
	double mean = gsl_stats_float_mean(x, 1, n);
	double var = gsl_stats_float_variance_m(x, 1, n, mean);
	double sd = sqrt(var);
	m->n = n;
	m->mean = mean;
	m->variance = var;
	m->sd = sd;
	/* GSL's *_m_sd divide by sd; with sd = 0 that is 0/0 = NaN, kept. */
	m->skew = gsl_stats_float_skew_m_sd(x, 1, n, mean, sd);
	m->kurtosis = gsl_stats_float_kurtosis_m_sd(x, 1, n, mean, sd);
	return MQ_OK;
}

/* ---- histograms ---- */

mq_status mq_histogram(const float *x, size_t n, const mq_histspec *spec,
                       double *edges, uint64_t *counts, mq_histcounts *tails)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (!spec || spec->nbins == 0 || spec->nbins > ((size_t)1 << 26) || !counts)
		return MQ_EOPTION;
	if (has_nan(x, n))
		return MQ_ENONFINITE;
	size_t nb = spec->nbins;
	int lg = spec->log != 0;
	double lo = spec->lo, hi = spec->hi;
	if (lo == 0.0 && hi == 0.0) {
		/* Range from the data. */
		double mn = INFINITY, mx = -INFINITY;
		for (size_t i = 0; i < n; i++) {
			double v = lg ? fabs((double)x[i]) : (double)x[i];
			if (lg && v == 0.0)
				continue;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
		if (lg && mn > mx)          /* all zeros */
			mn = mx = 1.0;
		if (!isfinite(mn) || !isfinite(mx))
			return MQ_ENONFINITE;
		if (mn == mx) {
			lo = lg ? mn / sqrt(2.0) : mn - 0.5;
			hi = lg ? mx * sqrt(2.0) : mx + 0.5;
		} else {
			lo = mn;
			hi = nextafter(mx, INFINITY);
		}
	}
	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi) || (lg && !(lo > 0.0)))
		return MQ_EOPTION;

	/* Edges first, checked strictly increasing: gsl_histogram_set_ranges
	 * would call GSL's error handler (abort by default) otherwise. */
	double *e = malloc((nb + 1) * sizeof *e);
	if (!e)
		return MQ_ENOMEM;
	if (lg) {
		double l0 = log(lo), l1 = log(hi);
		for (size_t i = 0; i <= nb; i++)
			e[i] = exp(l0 + (l1 - l0) * ((double)i / (double)nb));
	} else {
		for (size_t i = 0; i <= nb; i++)
			e[i] = lo + (hi - lo) * ((double)i / (double)nb);
	}
	e[0] = lo;
	e[nb] = hi;
	for (size_t i = 0; i < nb; i++)
		if (!(e[i] < e[i + 1])) {
			free(e);
			return MQ_EOPTION;
		}
	gsl_histogram *h = gsl_histogram_alloc(nb);
	if (!h) {
		free(e);
		return MQ_ENOMEM;
	}
	gsl_histogram_set_ranges(h, e, nb + 1);

	mq_histcounts t = {n, 0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		double v = lg ? fabs((double)x[i]) : (double)x[i];
		if (lg && v == 0.0)
			t.zero++;
		else if (v < lo)
			t.below++;
		else if (v >= hi)
			t.above++;
		else
			gsl_histogram_increment(h, v);
	}
	for (size_t i = 0; i < nb; i++)
		counts[i] = (uint64_t)gsl_histogram_get(h, i);
	if (edges)
		memcpy(edges, e, (nb + 1) * sizeof *e);
	if (tails)
		*tails = t;
	gsl_histogram_free(h);
	free(e);
	return MQ_OK;
}

/* ---- MSE, SQNR and the split of the error ---- */

static double sqnr_db(double signal, double noise)
{
	if (noise == 0.0)
		return signal == 0.0 ? NAN : INFINITY;
	if (signal == 0.0)
		return -INFINITY;
	return 10.0 * log10(signal / noise);
}

mq_status mq_mse_sqnr(const float *x, const float *xq, size_t n, double *mse,
                      double *sqnr)
{
	if (n == 0)
		return MQ_ESHAPE;
	if (!all_finite(x, n) || has_nan(xq, n))
		return MQ_ENONFINITE;
	double sig = 0.0, err = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)x[i] - (double)xq[i];
		sig += (double)x[i] * (double)x[i];
		err += d * d;
	}
	if (mse)
		*mse = err / (double)n;
	if (sqnr)
		*sqnr = sqnr_db(sig, err);
	return MQ_OK;
}

mq_status mq_error_split(const mq_format *f, const mq_layout *l,
                         const mq_granularity *g, mq_scale_mode mode,
                         const float *x, const float *xq, mq_errsplit *e)
{
	mq_status s = mq_layout_check(l);
	if (s != MQ_OK)
		return s;
	size_t n = mq_layout_size(l);
	size_t ns = mq_scale_count(l, g);
	if (n == 0)
		return MQ_ESHAPE;
	if (ns == 0)
		return MQ_EGRAN;
	if (!all_finite(x, n) || has_nan(xq, n))
		return MQ_ENONFINITE;
	float *sc = malloc(ns * sizeof *sc);
	size_t *gid = malloc(n * sizeof *gid);
	if (!sc || !gid) {
		free(sc);
		free(gid);
		return MQ_ENOMEM;
	}
	s = mq_absmax_scales(l, g, f, mode, x, sc);
	if (s == MQ_OK)
		s = mq_scale_groups(l, g, gid);
	if (s != MQ_OK) {
		free(sc);
		free(gid);
		return s;
	}
	mq_errsplit r = {0};
	r.n = n;
	double sig = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)x[i] - (double)xq[i];
		double d2 = d * d;
		sig += (double)x[i] * (double)x[i];
		/* The same float32 quotient that quant.h rounds. */
		float v = x[i] / sc[gid[i]];
		if (fabsf(v) > f->max) {
			r.nclip++;
			r.sse_clip += d2;
		} else if (x[i] != 0.0f && xq[i] == 0.0f) {
			r.nunder++;
			r.sse_under += d2;
		} else {
			r.sse_round += d2;
		}
	}
	r.sse = r.sse_clip + r.sse_under + r.sse_round;
	r.mse = r.sse / (double)n;
	r.sqnr_db = sqnr_db(sig, r.sse);
	*e = r;
	free(sc);
	free(gid);
	return MQ_OK;
}

/* test_metrics.c: error measures and statistics (kernels/metrics.h), on
 * small cases worked out by hand, against GSL's own quantile, and on
 * quantized data (BE of an unquantized product, the error split). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "metriq.h"
#include "metrics.h"
#include "qgemm.h"
#include "sample.h"
#include "check.h"

static int close_to(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

static void test_relerr(void)
{
	float v[6] = {1, -2, 0, 0, 4, -0.0f}, q[6] = {1.5f, -2, 0, 1, INFINITY, 0}, re[6];
	CHECK(mq_relerr(v, q, 6, re) == MQ_OK, "relerr");
	CHECK(re[0] == 0.5f && re[1] == 0 && re[2] == 0 && isinf(re[3]) && isinf(re[4]) &&
	          re[5] == 0,
	      "relerr: %g %g %g %g %g %g", re[0], re[1], re[2], re[3], re[4], re[5]);
	CHECK(mq_relerr(v, q, 0, re) == MQ_ESHAPE, "n = 0");
	q[1] = NAN;
	CHECK(mq_relerr(v, q, 6, re) == MQ_ENONFINITE, "NaN q");
	q[1] = -2;
	v[2] = INFINITY;
	CHECK(mq_relerr(v, q, 6, re) == MQ_ENONFINITE, "inf v");
}

static void test_backward_error(void)
{
	/* L = [1 2; 0 0], R = [3; -1]: LR = [1; 0], |L||R| = [5; 0]. */
	float L[4] = {1, 2, 0, 0}, R[2] = {3, -1}, Q[2] = {1.5f, 0}, be[2];
	CHECK(mq_backward_error(2, 2, 1, L, R, Q, be) == MQ_OK, "be");
	CHECK(be[0] == 0.1f && be[1] == 0, "be by hand: %g %g", be[0], be[1]);
	Q[1] = 1;
	CHECK(mq_backward_error(2, 2, 1, L, R, Q, be) == MQ_OK && isinf(be[1]),
	      "0 denominator, nonzero Q: %g", be[1]);
	Q[1] = NAN;
	CHECK(mq_backward_error(2, 2, 1, L, R, Q, be) == MQ_ENONFINITE, "NaN Q");
	CHECK(mq_backward_error(2, 0, 1, L, R, Q, be) == MQ_ESHAPE, "K = 0");
	double LR[2] = {1, 0}, A[2] = {5, -1};
	Q[1] = 0;
	CHECK(mq_backward_error_elem(2, LR, A, Q, be) == MQ_ENONFINITE, "negative |L||R|");

	/* An unquantized product: Q = fl32(LR) gives BE <= 2^-24 (the float
	 * rounding of Q, relative to |LR| <= |L||R|). */
	enum { M = 40, K = 64, N = 30 };
	float *l = malloc(M * K * sizeof *l), *r = malloc(K * N * sizeof *r);
	float *q = malloc(M * N * sizeof *q), *b = malloc(M * N * sizeof *b);
	CHECK(mq_sample_t(1, 3.0, l, M * K) == MQ_OK && mq_sample_t(2, 3.0, r, K * N) == MQ_OK,
	      "samples");
	CHECK(mq_matmul_ref_f32(M, K, N, l, r, q) == MQ_OK, "ref");
	CHECK(mq_backward_error(M, K, N, l, r, q, b) == MQ_OK, "be");
	mq_summary s;
	CHECK(mq_stat_summary(b, M * N, &s) == MQ_OK, "summary");
	CHECK(s.max <= 0x1p-24 * (1 + 1e-9), "BE of fl32(LR) max %g", s.max);
	/* A quantized one is far larger, and bounded by 1-ish (Eq. 3 with
	 * |Q| <= |qL||qR| summed: at most about 2 for saturating formats). */
	mq_qmatmul_cfg c;
	memset(&c, 0, sizeof c);
	mq_qoperand_init(&c.lhs, "e4m3", "rtne", "channel");
	mq_qoperand_init(&c.rhs, "e4m3", "rtne", "channel");
	CHECK(mq_qmatmul(&c, M, K, N, l, r, q, 1, NULL, NULL) == MQ_OK, "qmatmul");
	CHECK(mq_backward_error(M, K, N, l, r, q, b) == MQ_OK, "be q");
	CHECK(mq_stat_summary(b, M * N, &s) == MQ_OK, "summary q");
	/* e4m3 relative rounding error is at most 2^-4 per operand. */
	CHECK(s.mean > 1e-4 && s.max < 2 * 0x1p-4 + 0x1p-8, "BE of e4m3: mean %g max %g", s.mean,
	      s.max);
	free(l), free(r), free(q), free(b);
}

static void test_summary(void)
{
	float x[5] = {5, 1, 4, 2, 3};
	mq_summary s;
	CHECK(mq_stat_summary(x, 5, &s) == MQ_OK, "summary");
	CHECK(s.n == 5 && s.mean == 3 && s.median == 3 && s.min == 1 && s.max == 5,
	      "summary: n %zu mean %g median %g min %g max %g", s.n, s.mean, s.median, s.min,
	      s.max);
	/* p99: h = 0.99 * 4 = 3.96, 4 + 0.96 (5 - 4) */
	CHECK(close_to(s.p99, 4.96, 1e-15), "p99 %.17g", s.p99);
	float y[4] = {4, 1, 3, 2};
	CHECK(mq_stat_summary(y, 4, &s) == MQ_OK && s.median == 2.5, "median of 4: %g", s.median);
	float z[3] = {1, INFINITY, 2};
	CHECK(mq_stat_summary(z, 3, &s) == MQ_OK && s.median == 2 && isinf(s.max) &&
	          isinf(s.mean) && isinf(s.p99),
	      "inf data: median %g p99 %g", s.median, s.p99);
	double q;
	CHECK(mq_stat_quantile(z, 3, 0.5, &q) == MQ_OK && q == 2, "quantile 0.5 with inf");
	CHECK(mq_stat_quantile(z, 3, 1.5, &q) == MQ_EOPTION, "p > 1");
	CHECK(mq_stat_quantile(z, 3, NAN, &q) == MQ_EOPTION, "p NaN");
	CHECK(mq_stat_quantile(z, 0, 0.5, &q) == MQ_ESHAPE, "n = 0");
	z[1] = NAN;
	CHECK(mq_stat_summary(z, 3, &s) == MQ_ENONFINITE, "NaN");
	float one = 7;
	CHECK(mq_stat_summary(&one, 1, &s) == MQ_OK && s.median == 7 && s.p99 == 7, "n = 1");

	/* The same definition as GSL's quantile_from_sorted_data. */
	enum { n = 1001 };
	float *r = malloc(n * sizeof *r);
	double *d = malloc(n * sizeof *d);
	mq_sample_normal(3, 0, 1, r, n);
	for (size_t i = 0; i < n; i++)
		d[i] = r[i];
	gsl_sort(d, 1, n);
	double ps[] = {0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		CHECK(mq_stat_quantile(r, n, ps[i], &q) == MQ_OK, "quantile");
		double g = gsl_stats_quantile_from_sorted_data(d, 1, n, ps[i]);
		CHECK(close_to(q, g, 1e-15), "quantile %g: %.17g, GSL %.17g", ps[i], q, g);
	}
	free(r), free(d);
}

/* The radix sort behind the summaries against gsl_sort, on data with
 * both signs, zeros of both signs, infinities, subnormals and ties: the
 * mean (summed in sorted order), min, max and quantiles must agree. */
static void test_sorted_order(void)
{
	enum { n = 100003 };
	float *x = malloc(n * sizeof *x);
	double *d = malloc(n * sizeof *d);
	mq_sample_normal(11, 0, 1, x, n);
	for (size_t i = 0; i < n; i++) {
		if (i % 97 == 0) x[i] = 0.0f;
		if (i % 101 == 0) x[i] = -0.0f;
		if (i % 103 == 0) x[i] = 1e-40f * (float)(i % 7) - 3e-40f; /* subnormals */
		if (i % 107 == 0) x[i] = x[i / 2]; /* ties */
		if (i == 5) x[i] = INFINITY;
		if (i == 6) x[i] = -INFINITY;
		if (i % 4 == 1) x[i] = fabsf(x[i]) * 1e6f; /* a second scale */
	}
	x[7] = -INFINITY;
	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	gsl_sort(d, 1, n);
	mq_summary s;
	CHECK(mq_stat_summary(x, n, &s) == MQ_OK, "summary");
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += d[i];
	/* with -inf and +inf present the mean is NaN either way */
	CHECK(isnan(s.mean) && isnan(sum / n), "mean with both infinities: %g", s.mean);
	CHECK(s.min == d[0] && s.max == d[n - 1], "min %g max %g", s.min, s.max);
	for (int k = 0; k <= 1000; k++) {
		double q, p = k / 1000.0;
		CHECK(mq_stat_quantile(x, n, p, &q) == MQ_OK, "quantile");
		double g = gsl_stats_quantile_from_sorted_data(d, 1, n, p);
		if (isnan(g)) /* GSL forms 0 * inf at an infinite order statistic */
			g = d[(size_t)floor(p * (n - 1))];
		CHECK(q == g || close_to(q, g, 1e-15), "quantile %g: %.17g, gsl_sort %.17g", p, q, g);
	}
	/* finite data: the mean is the sum in sorted order, bit for bit */
	x[5] = 3.0f, x[6] = x[7] = -2.0f;
	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	gsl_sort(d, 1, n);
	sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += d[i];
	CHECK(mq_stat_summary(x, n, &s) == MQ_OK && s.mean == sum / (double)n,
	      "mean %.17g, sorted sum %.17g", s.mean, sum / (double)n);
	free(x), free(d);
}

static void test_moments(void)
{
	/* x = 1 2 3 4: mean 2.5, var 5/3, skew 0, excess kurtosis by the
	 * formula: sd^2 = 5/3, (1/4) sum d^4 / sd^4 - 3 = (2 (81/16 + 1/16) / 4)
	 * / (25/9) - 3 = 2.5625 * 9/25 - 3 = -2.0775. */
	float x[4] = {1, 2, 3, 4};
	mq_moments m;
	CHECK(mq_stat_moments(x, 4, &m) == MQ_OK, "moments");
	CHECK(m.n == 4 && m.mean == 2.5 && close_to(m.variance, 5.0 / 3, 1e-15) &&
	          close_to(m.sd, sqrt(5.0 / 3), 1e-15) && fabs(m.skew) < 1e-15 &&
	          close_to(m.kurtosis, -2.0775, 1e-14),
	      "moments 1..4: %g %g %g %g", m.mean, m.variance, m.skew, m.kurtosis);
	/* 0 0 0 1: mean 1/4, var 1/4 (n-1), sd 1/2; skew = (1/4)(3 (-1/2)^3 +
	 * (3/2)^3) = (1/4)(-3/8 + 27/8) = 3/4; kurtosis = (1/4)(3/16 + 81/16) - 3
	 * = 21/16 - 3 = -1.6875. */
	float y[4] = {0, 0, 0, 1};
	CHECK(mq_stat_moments(y, 4, &m) == MQ_OK && close_to(m.skew, 0.75, 1e-15) &&
	          close_to(m.kurtosis, -1.6875, 1e-15),
	      "moments 0 0 0 1: skew %g kurtosis %g", m.skew, m.kurtosis);
	CHECK(mq_stat_moments(x, 1, &m) == MQ_ESHAPE, "n = 1");
	float c[3] = {2, 2, 2};
	CHECK(mq_stat_moments(c, 3, &m) == MQ_OK && m.variance == 0 && isnan(m.skew), "const");
	x[2] = INFINITY;
	CHECK(mq_stat_moments(x, 4, &m) == MQ_ENONFINITE, "inf");
	/* Large normal sample: excess kurtosis near 0, not 3. */
	enum { n = 200000 };
	float *r = malloc(n * sizeof *r);
	mq_sample_normal(4, 1, 2, r, n);
	CHECK(mq_stat_moments(r, n, &m) == MQ_OK && fabs(m.kurtosis) < 0.05 &&
	          fabs(m.mean - 1) < 0.02 && fabs(m.variance - 4) < 0.05,
	      "normal: mean %g var %g kurtosis %g", m.mean, m.variance, m.kurtosis);
	free(r);
}

static void test_histogram(void)
{
	float x[7] = {0, 0.5f, 1, 1.5f, 2, -1, 3};
	uint64_t cnt[5];
	double e[6];
	mq_histcounts t;
	mq_histspec h = {4, 0, 0.0, 2.0};
	CHECK(mq_histogram(x, 7, &h, e, cnt, &t) == MQ_OK, "linear");
	CHECK(cnt[0] == 1 && cnt[1] == 1 && cnt[2] == 1 && cnt[3] == 1 && t.below == 1 &&
	          t.above == 2 && t.n == 7 && t.zero == 0,
	      "linear counts %llu %llu %llu %llu below %llu above %llu",
	      (unsigned long long)cnt[0], (unsigned long long)cnt[1],
	      (unsigned long long)cnt[2], (unsigned long long)cnt[3],
	      (unsigned long long)t.below, (unsigned long long)t.above);
	CHECK(e[0] == 0 && e[2] == 1 && e[4] == 2, "linear edges");

	/* log: decades 1e-3 .. 1e2 of |x| */
	float y[8] = {0, 2e-3f, -0.03f, 0.2f, 3, 30, 500, 1e-4f};
	mq_histspec hl = {5, 1, 1e-3, 1e2};
	CHECK(mq_histogram(y, 8, &hl, e, cnt, &t) == MQ_OK, "log");
	int ok = t.zero == 1 && t.below == 1 && t.above == 1;
	for (int i = 0; i < 5; i++)
		ok &= cnt[i] == 1;
	CHECK(ok, "log counts");
	CHECK(e[0] == 1e-3 && e[5] == 1e2 && close_to(e[1], 1e-2, 1e-13) &&
	          close_to(e[3], 1, 1e-13),
	      "log edges %g %g %g", e[0], e[1], e[3]);

	/* range from the data: every element lands in a bin */
	mq_histspec ha = {3, 0, 0, 0};
	float z[5] = {-2, 7, 1, 7, 3};
	CHECK(mq_histogram(z, 5, &ha, e, cnt, &t) == MQ_OK, "auto");
	CHECK(cnt[0] + cnt[1] + cnt[2] == 5 && t.below == 0 && t.above == 0 && cnt[2] == 2 &&
	          e[0] == -2,
	      "auto counts %llu %llu %llu", (unsigned long long)cnt[0],
	      (unsigned long long)cnt[1], (unsigned long long)cnt[2]);
	ha.log = 1;
	CHECK(mq_histogram(z, 5, &ha, NULL, cnt, &t) == MQ_OK &&
	          cnt[0] + cnt[1] + cnt[2] == 5 && cnt[0] == 1 && cnt[2] == 2,
	      "auto log");
	float k[3] = {4, 4, 4};
	CHECK(mq_histogram(k, 3, &ha, e, cnt, &t) == MQ_OK && cnt[0] + cnt[1] + cnt[2] == 3,
	      "auto constant");

	/* bad specs */
	mq_histspec bad[] = {{0, 0, 0, 1}, {4, 0, 1, 1}, {4, 0, 2, 1}, {4, 1, 0, 1},
	                     {4, 1, -1, 1}, {4, 0, NAN, 1}, {4, 0, 0, INFINITY}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(mq_histogram(x, 7, &bad[i], e, cnt, &t) == MQ_EOPTION, "bad spec %zu", i);
	CHECK(mq_histogram(x, 0, &h, e, cnt, &t) == MQ_ESHAPE, "n = 0");
	x[1] = NAN;
	CHECK(mq_histogram(x, 7, &h, e, cnt, &t) == MQ_ENONFINITE, "NaN");
}

static void test_sqnr_split(void)
{
	float x[4] = {1, 2, 3, 4}, q[4] = {1, 2, 3, 5};
	double mse, db;
	CHECK(mq_mse_sqnr(x, q, 4, &mse, &db) == MQ_OK && mse == 0.25 &&
	          close_to(db, 10 * log10(30.0), 1e-15),
	      "mse %g sqnr %g", mse, db);
	CHECK(mq_mse_sqnr(x, x, 4, &mse, &db) == MQ_OK && mse == 0 && isinf(db) && db > 0,
	      "no error");

	/* By hand: e4m3, tensor scale 448/448 = 1.  1e-4 < 2^-10 (half the
	 * smallest subnormal 2^-9) flushes to zero: an underflow. */
	float a[3] = {448, 1e-4f, 1}, aq[3];
	mq_qspec qs;
	mq_layout l;
	mq_granularity g;
	mq_qspec_init(&qs, "e4m3", "rtne");
	mq_layout_matrix(&l, 1, 3, MQ_LHS);
	mq_gran_parse("tensor", &g);
	CHECK(mq_quantize_tensor(&qs, &l, &g, MQ_SCALE_FP32, a, aq, NULL, NULL, NULL) == MQ_OK,
	      "quantize");
	mq_errsplit e;
	CHECK(mq_error_split(&qs.fmt, &l, &g, MQ_SCALE_FP32, a, aq, &e) == MQ_OK, "split");
	CHECK(aq[1] == 0 && e.nclip == 0 && e.nunder == 1 && e.sse_round == 0 &&
	          e.sse_under == (double)1e-4f * (double)1e-4f && e.sse == e.sse_under,
	      "split by hand: under %g round %g", e.sse_under, e.sse_round);

	/* Heavy tails at every granularity: counts agree with the quantizer's,
	 * the parts add up to the total, the total is n MSE. */
	enum { R = 64, C = 96 };
	float *x2 = malloc(R * C * sizeof *x2), *y2 = malloc(R * C * sizeof *y2);
	static const char *gr[] = {"tensor", "channel", "block:16"};
	static const char *fm[] = {"e4m3", "int8", "e5m2"};
	for (int gi = 0; gi < 3; gi++)
		for (int fi = 0; fi < 3; fi++)
			for (int mode = 0; mode < 2; mode++) {
				mq_sample_t(5, 1.0, x2, R * C);
				mq_qspec_init(&qs, fm[fi], "rtne");
				mq_layout_matrix(&l, R, C, MQ_RHS);
				mq_gran_parse(gr[gi], &g);
				mq_qstats st = {0};
				CHECK(mq_quantize_tensor(&qs, &l, &g, (mq_scale_mode)mode, x2, y2, NULL,
				                         NULL, &st) == MQ_OK,
				      "quantize");
				CHECK(mq_error_split(&qs.fmt, &l, &g, (mq_scale_mode)mode, x2, y2, &e) ==
				          MQ_OK,
				      "split");
				CHECK(mq_mse_sqnr(x2, y2, R * C, &mse, &db) == MQ_OK, "mse");
				CHECK(e.nclip == st.clipped, "%s %s: clipped %llu, quantizer says %llu",
				      fm[fi], gr[gi], (unsigned long long)e.nclip,
				      (unsigned long long)st.clipped);
				CHECK(e.nunder == st.underflowed, "%s %s: underflowed %llu vs %llu", fm[fi],
				      gr[gi], (unsigned long long)e.nunder,
				      (unsigned long long)st.underflowed);
				CHECK(e.sse == e.sse_clip + e.sse_under + e.sse_round, "parts");
				CHECK(close_to(e.sse, mse * R * C, 1e-12), "sse %g vs n mse %g", e.sse,
				      mse * R * C);
				CHECK(close_to(e.sqnr_db, db, 1e-12), "sqnr %g vs %g", e.sqnr_db, db);
				if (fi == 1 && gi == 0)
					CHECK(e.nunder > 0, "int8 tensor on t(1): no underflow?");
			}

	/* A clipped element: a value whose quotient a / (a / 448) rounds above
	 * 448 in float32 (found by search), next to a larger absmax... no:
	 * a itself is the absmax, and saturates to 448. */
	float clip = 0;
	for (float a0 = 1.0f; a0 < 2.0f && !clip; a0 = nextafterf(a0, 2.0f))
		if (a0 / (a0 / 448.0f) > 448.0f)
			clip = a0;
	CHECK(clip != 0, "no float a with a / (a/448) > 448 in [1, 2)?");
	if (clip != 0) {
		float b[2] = {clip, 0.5f}, bq[2];
		mq_qstats st = {0};
		mq_qspec_init(&qs, "e4m3", "rtne");
		mq_layout_matrix(&l, 1, 2, MQ_LHS);
		mq_gran_parse("tensor", &g);
		mq_quantize_tensor(&qs, &l, &g, MQ_SCALE_FP32, b, bq, NULL, NULL, &st);
		CHECK(mq_error_split(&qs.fmt, &l, &g, MQ_SCALE_FP32, b, bq, &e) == MQ_OK, "split");
		CHECK(e.nclip == 1 && st.clipped == 1, "clip: %llu, quantizer %llu",
		      (unsigned long long)e.nclip, (unsigned long long)st.clipped);
		double d = (double)b[0] - bq[0];
		CHECK(e.sse_clip == d * d, "clip sse %g want %g", e.sse_clip, d * d);
	}
	free(x2), free(y2);
	float nn[2] = {1, NAN};
	CHECK(mq_error_split(&qs.fmt, &l, &g, MQ_SCALE_FP32, x, nn, &e) == MQ_ENONFINITE, "NaN");
}

int main(void)
{
	test_relerr();
	test_backward_error();
	test_summary();
	test_sorted_order();
	test_moments();
	test_histogram();
	test_sqnr_split();
	if (failures) {
		fprintf(stderr, "test_metrics: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_metrics: ok\n");
	return 0;
}

/* test_sample.c: the samplers (kernels/sample.h).
 *
 * - what a seed produces: the exact GSL recipe of sample.h, bit for bit;
 *   same seed same bits, a shorter draw a prefix of a longer one;
 * - distribution: a Kolmogorov-Smirnov test of every sampler against
 *   GSL's CDF (n = 20000, significance 0.001: reject if
 *   sqrt(n) D > 1.9495, the asymptotic critical value);
 * - moments of 10^6 draws against the exact ones, within 6 standard errors
 *   (a false alarm has probability about 2e-9 a check; the seeds are fixed,
 *   so a pass is reproducible, not lucky each time);
 * - bad parameters: MQ_EOPTION, x untouched.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sample.h"
#include "check.h"

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* sqrt(n) times the KS distance between the sample and cdf. */
static double ks_stat(float *x, size_t n, double (*cdf)(double, const double *),
                      const double *par)
{
	qsort(x, n, sizeof *x, cmp_float);
	double d = 0;
	for (size_t i = 0; i < n; i++) {
		double F = cdf(x[i], par);
		double lo = F - (double)i / (double)n, hi = (double)(i + 1) / (double)n - F;
		d = fmax(d, fmax(lo, hi));
	}
	return sqrt((double)n) * d;
}

static double cdf_t(double x, const double *p)
{
	return isinf(p[0]) ? gsl_cdf_ugaussian_P(x) : gsl_cdf_tdist_P(x, p[0]);
}
static double cdf_normal(double x, const double *p) { return gsl_cdf_gaussian_P(x - p[0], p[1]); }
static double cdf_lognormal(double x, const double *p) { return gsl_cdf_lognormal_P(x, p[0], p[1]); }
static double cdf_laplace(double x, const double *p) { return gsl_cdf_laplace_P(x, p[0]); }
static double cdf_uniform(double x, const double *p) { return gsl_cdf_flat_P(x, p[0], p[1]); }

#define KS_CRIT 1.9495 /* alpha = 0.001 */

static void test_ks(void)
{
	enum { n = 20000 };
	float *x = malloc(n * sizeof *x);
	static const double nus[] = {0.5, 1, 1.5, 2.5, 5, 30, INFINITY};
	for (size_t i = 0; i < sizeof nus / sizeof nus[0]; i++) {
		CHECK(mq_sample_t(1000 + i, nus[i], x, n) == MQ_OK, "t(%g)", nus[i]);
		double k = ks_stat(x, n, cdf_t, &nus[i]);
		CHECK(k < KS_CRIT, "t(%g): sqrt(n) D = %g", nus[i], k);
	}
	double p[2] = {-1.5, 2.5};
	CHECK(mq_sample_normal(7, p[0], p[1], x, n) == MQ_OK, "normal");
	CHECK(ks_stat(x, n, cdf_normal, p) < KS_CRIT, "normal KS");
	p[0] = 0.3, p[1] = 1.2;
	CHECK(mq_sample_lognormal(8, p[0], p[1], x, n) == MQ_OK, "lognormal");
	CHECK(ks_stat(x, n, cdf_lognormal, p) < KS_CRIT, "lognormal KS");
	p[0] = 0.7;
	CHECK(mq_sample_laplace(9, p[0], x, n) == MQ_OK, "laplace");
	CHECK(ks_stat(x, n, cdf_laplace, p) < KS_CRIT, "laplace KS");
	p[0] = -3, p[1] = 5;
	CHECK(mq_sample_uniform(10, p[0], p[1], x, n) == MQ_OK, "uniform");
	CHECK(ks_stat(x, n, cdf_uniform, p) < KS_CRIT, "uniform KS");
	/* And a deliberately wrong CDF is rejected, so the test has teeth. */
	double nu3 = 3;
	CHECK(mq_sample_t(11, 2.0, x, n) == MQ_OK, "t(2)");
	CHECK(ks_stat(x, n, cdf_t, &nu3) > KS_CRIT, "t(2) vs t(3) not rejected");
	free(x);
}

/* Moments in double, directly. */
static void moments(const float *x, size_t n, double *m, double *v, double *kurt)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	*m = s / (double)n;
	double s2 = 0, s4 = 0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - *m;
		s2 += d * d;
		s4 += d * d * d * d;
	}
	*v = s2 / (double)(n - 1);
	*kurt = (s4 / (double)n) / ((s2 / (double)n) * (s2 / (double)n)) - 3;
}

/* mean within 6 sqrt(var/n); variance within 6 sqrt((mu4 - var^2)/n). */
static void check_moments(const char *what, const float *x, size_t n, double mean,
                          double var, double exkurt)
{
	double m, v, k;
	moments(x, n, &m, &v, &k);
	double mu4 = (exkurt + 3) * var * var;
	CHECK(fabs(m - mean) < 6 * sqrt(var / (double)n), "%s mean %g want %g", what, m, mean);
	CHECK(fabs(v - var) < 6 * sqrt((mu4 - var * var) / (double)n), "%s var %g want %g",
	      what, v, var);
	/* The sample kurtosis has a larger spread; 0.1 absolute is ~10 standard
	 * errors for these distributions at n = 10^6. */
	CHECK(fabs(k - exkurt) < 0.1, "%s excess kurtosis %g want %g", what, k, exkurt);
}

static void test_moments(void)
{
	enum { n = 1000000 };
	float *x = malloc(n * sizeof *x);
	CHECK(mq_sample_normal(21, 2.0, 3.0, x, n) == MQ_OK, "normal");
	check_moments("normal(2,3)", x, n, 2.0, 9.0, 0.0);
	CHECK(mq_sample_t(22, 10.0, x, n) == MQ_OK, "t10");
	check_moments("t(10)", x, n, 0.0, 10.0 / 8.0, 6.0 / 6.0);
	CHECK(mq_sample_t(23, INFINITY, x, n) == MQ_OK, "t(inf)");
	check_moments("t(inf)", x, n, 0.0, 1.0, 0.0);
	CHECK(mq_sample_laplace(24, 1.5, x, n) == MQ_OK, "laplace");
	check_moments("laplace(1.5)", x, n, 0.0, 2 * 1.5 * 1.5, 3.0);
	CHECK(mq_sample_uniform(25, -1.0, 3.0, x, n) == MQ_OK, "uniform");
	check_moments("uniform(-1,3)", x, n, 1.0, 16.0 / 12.0, -1.2);
	double s2 = 0.25 * 0.25;
	CHECK(mq_sample_lognormal(26, 0.5, 0.25, x, n) == MQ_OK, "lognormal");
	check_moments("lognormal(0.5,0.25)", x, n, exp(0.5 + s2 / 2),
	              (exp(s2) - 1) * exp(1.0 + s2),
	              exp(4 * s2) + 2 * exp(3 * s2) + 3 * exp(2 * s2) - 6);
	free(x);
}

/* The recipe in sample.h, spelled out with GSL. */
static void test_recipe(void)
{
	enum { n = 1000 };
	float x[n], y[n];
	uint64_t seeds[] = {0, 1, 42, 0x123456789abcdefULL, UINT64_MAX};
	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		uint64_t seed = seeds[s];
		gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
		gsl_rng_set(r, (unsigned long)(uint32_t)(seed ^ (seed >> 32)));
		for (size_t i = 0; i < n; i++)
			y[i] = (float)gsl_ran_tdist(r, 2.5);
		CHECK(mq_sample_t(seed, 2.5, x, n) == MQ_OK, "t");
		CHECK(!memcmp(x, y, sizeof x), "t(2.5) seed %llu: not the GSL recipe",
		      (unsigned long long)seed);
		gsl_rng_set(r, (unsigned long)(uint32_t)(seed ^ (seed >> 32)));
		for (size_t i = 0; i < n; i++)
			y[i] = (float)(1.0 + gsl_ran_gaussian_ziggurat(r, 2.0));
		CHECK(mq_sample_normal(seed, 1.0, 2.0, x, n) == MQ_OK, "normal");
		CHECK(!memcmp(x, y, sizeof x), "normal seed %llu: not the GSL recipe",
		      (unsigned long long)seed);
		gsl_rng_set(r, (unsigned long)(uint32_t)(seed ^ (seed >> 32)));
		for (size_t i = 0; i < n; i++)
			y[i] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
		CHECK(mq_sample_t(seed, INFINITY, x, n) == MQ_OK, "t(inf)");
		CHECK(!memcmp(x, y, sizeof x), "t(inf) is not the unit normal draw");
		gsl_rng_free(r);
	}
	/* Same seed same bits; a prefix; another seed differs. */
	float a[n], b[n / 2], c[n];
	mq_dist d = {MQ_DIST_LAPLACE, 2.0, 0};
	CHECK(mq_sample(&d, 99, a, n) == MQ_OK && mq_sample(&d, 99, c, n) == MQ_OK, "laplace");
	CHECK(!memcmp(a, c, sizeof a), "same seed, different bits");
	CHECK(mq_sample(&d, 99, b, n / 2) == MQ_OK, "laplace prefix");
	CHECK(!memcmp(a, b, sizeof b), "a shorter draw is not a prefix");
	CHECK(mq_sample(&d, 100, c, n) == MQ_OK, "laplace 100");
	CHECK(memcmp(a, c, sizeof a) != 0, "seeds 99 and 100 give the same draw");
	/* The high half of the seed matters too. */
	CHECK(mq_sample(&d, 99 + (1ULL << 40), c, n) == MQ_OK, "laplace high");
	CHECK(memcmp(a, c, sizeof a) != 0, "the seed's high half is ignored");
	CHECK(mq_sample(&d, 7, a, 0) == MQ_OK, "n = 0 is fine");
}

static void test_bad(void)
{
	float x[4] = {1, 2, 3, 4};
	const float orig[4] = {1, 2, 3, 4};
	const mq_dist bad[] = {
		{MQ_DIST_NORMAL, NAN, 1},        {MQ_DIST_NORMAL, 0, -1},
		{MQ_DIST_NORMAL, INFINITY, 1},   {MQ_DIST_NORMAL, 0, INFINITY},
		{MQ_DIST_T, 0, 0},               {MQ_DIST_T, -1, 0},
		{MQ_DIST_T, NAN, 0},             {MQ_DIST_T, -INFINITY, 0},
		{MQ_DIST_LOGNORMAL, 0, -0.5},    {MQ_DIST_LOGNORMAL, NAN, 1},
		{MQ_DIST_LAPLACE, -1, 0},        {MQ_DIST_LAPLACE, NAN, 0},
		{MQ_DIST_UNIFORM, 2, 1},         {MQ_DIST_UNIFORM, 0, INFINITY},
		{MQ_DIST_UNIFORM, NAN, 1},       {(mq_dist_kind)77, 0, 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(mq_dist_check(&bad[i]) == MQ_EOPTION, "bad[%zu] accepted", i);
		CHECK(mq_sample(&bad[i], 1, x, 4) == MQ_EOPTION, "bad[%zu] sampled", i);
		CHECK(!memcmp(x, orig, sizeof x), "bad[%zu] wrote x", i);
	}
	CHECK(mq_sample_t(1, 0, x, 4) == MQ_EOPTION, "nu = 0");
	CHECK(mq_sample_normal(1, 0, -1, x, 4) == MQ_EOPTION, "sd < 0");
	CHECK(mq_sample_lognormal(1, 0, -1, x, 4) == MQ_EOPTION, "sigma < 0");
	CHECK(mq_sample_laplace(1, -1, x, 4) == MQ_EOPTION, "b < 0");
	CHECK(mq_sample_uniform(1, 1, 0, x, 4) == MQ_EOPTION, "a > b");
	CHECK(mq_dist_check(NULL) == MQ_EOPTION, "NULL");
	/* Degenerate but valid. */
	CHECK(mq_sample_normal(1, 3, 0, x, 4) == MQ_OK && x[0] == 3 && x[3] == 3, "sd = 0");
	CHECK(mq_sample_uniform(1, 2, 2, x, 4) == MQ_OK && x[1] == 2, "a = b");
	/* Beyond float32: t(0.05) draws exceed 3.4e38 often enough. */
	enum { m = 4096 };
	float *y = malloc(m * sizeof *y);
	CHECK(mq_sample_t(5, 0.05, y, m) == MQ_ENONFINITE, "t(0.05) overflow not reported");
	CHECK(mq_sample_lognormal(5, 88.0, 1.0, y, m) == MQ_ENONFINITE,
	      "lognormal(88, 1) overflow not reported");
	free(y);
}

int main(void)
{
	test_recipe();
	test_bad();
	test_ks();
	test_moments();
	if (failures) {
		fprintf(stderr, "test_sample: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_sample: ok\n");
	return 0;
}

/* test_sample_philox.c: the counter-based samplers (sample.h, MQ_GEN_PHILOX)
 * held to GSL.
 * - distribution: Kolmogorov-Smirnov against GSL's CDFs (gsl_cdf_tdist_P,
 *   gsl_cdf_ugaussian_P, ...), n = 20000, reject at alpha = 0.001 (sqrt(n) D
 *   > 1.9495); t at nu = 0.5, 1, 1.5, 2, 3, 5, 30, 100, inf; a wrong nu must
 *   be rejected, so the test can fail;
 * - tails at nu = 1 (Cauchy): the fraction beyond the 0.999 quantile of
 *   10^6 draws within 6 binomial standard errors of 0.001;
 * - bits: the same for 1, 2, 3 and 7 threads and for a draw started at
 *   `first`; bad parameters MQ_EOPTION.  Seeds fixed: a pass is reproducible. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>

#include "sample.h"
#include "check.h"

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static double ks_t(float *x, size_t n, double nu)
{
	qsort(x, n, sizeof *x, cmp_float);
	double d = 0;
	for (size_t i = 0; i < n; i++) {
		double F = isinf(nu) ? gsl_cdf_ugaussian_P(x[i]) : gsl_cdf_tdist_P(x[i], nu);
		d = fmax(d, fmax(F - (double)i / (double)n, (double)(i + 1) / (double)n - F));
	}
	return sqrt((double)n) * d;
}

#define KS_CRIT 1.9495

static void test_ks(void)
{
	enum { n = 20000 };
	float *x = malloc(n * sizeof *x);
	static const double nus[] = {0.5, 1, 1.5, 2, 3, 5, 30, 100, INFINITY};
	for (size_t i = 0; i < sizeof nus / sizeof nus[0]; i++) {
		mq_dist d = {MQ_DIST_T, nus[i], 0};
		CHECK(mq_sample_gen(&d, MQ_GEN_PHILOX, 100 + i, x, n, 1) == MQ_OK, "t(%g)", nus[i]);
		double k = ks_t(x, n, nus[i]);
		CHECK(k < KS_CRIT, "t(%g): sqrt(n) D = %g", nus[i], k);
	}
	mq_dist d2 = {MQ_DIST_T, 2.0, 0};
	CHECK(mq_sample_gen(&d2, MQ_GEN_PHILOX, 7, x, n, 1) == MQ_OK, "t(2)");
	CHECK(ks_t(x, n, 3.0) > KS_CRIT, "t(2) vs t(3) not rejected");
	mq_dist dn = {MQ_DIST_NORMAL, 2.0, 3.0};
	CHECK(mq_sample_gen(&dn, MQ_GEN_PHILOX, 8, x, n, 1) == MQ_OK, "normal");
	for (size_t i = 0; i < n; i++)
		x[i] = (x[i] - 2.0f) / 3.0f;
	CHECK(ks_t(x, n, INFINITY) < KS_CRIT, "normal(2, 3) KS");
	free(x);
}

static void test_tail(void)
{
	enum { n = 1000000 };
	float *x = malloc(n * sizeof *x);
	mq_dist d = {MQ_DIST_T, 1.0, 0};
	CHECK(mq_sample_gen(&d, MQ_GEN_PHILOX, 9, x, n, 2) == MQ_OK, "t(1)");
	double q = gsl_cdf_tdist_Pinv(0.999, 1.0);
	size_t hi = 0, lo = 0;
	for (size_t i = 0; i < n; i++)
		hi += x[i] > q, lo += x[i] < -q;
	double se = sqrt(0.001 * 0.999 / n);
	CHECK(fabs((double)hi / n - 0.001) < 6 * se, "t(1) upper tail %g", (double)hi / n);
	CHECK(fabs((double)lo / n - 0.001) < 6 * se, "t(1) lower tail %g", (double)lo / n);
	free(x);
}

static void test_bits(void)
{
	enum { n = 300001 };
	float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	static const double nus[] = {0.5, 3, INFINITY};
	for (size_t k = 0; k < 3; k++) {
		mq_dist d = {MQ_DIST_T, nus[k], 0};
		CHECK(mq_sample_gen(&d, MQ_GEN_PHILOX, 42, a, n, 1) == MQ_OK, "1 thread");
		static const int th[] = {2, 3, 7};
		for (int t = 0; t < 3; t++) {
			CHECK(mq_sample_gen(&d, MQ_GEN_PHILOX, 42, b, n, th[t]) == MQ_OK, "threads");
			CHECK(!memcmp(a, b, n * sizeof *a), "t(%g): %d threads differ", nus[k], th[t]);
		}
		CHECK(mq_sample_philox(&d, 42, 12345, b, 1000) == MQ_OK, "first");
		CHECK(!memcmp(a + 12345, b, 1000 * sizeof *a), "t(%g): first = 12345 differs", nus[k]);
		CHECK(mq_sample_gen(&d, MQ_GEN_PHILOX, 43, b, n, 1) == MQ_OK, "seed 43");
		CHECK(memcmp(a, b, n * sizeof *a), "t(%g): seeds 42 and 43 agree", nus[k]);
	}
	mq_dist bad = {MQ_DIST_T, -1.0, 0};
	b[0] = 5.0f;
	CHECK(mq_sample_gen(&bad, MQ_GEN_PHILOX, 1, b, 1, 1) == MQ_EOPTION && b[0] == 5.0f, "nu < 0");
	CHECK(mq_sample_gen(&bad, (mq_gen)9, 1, b, 1, 1) == MQ_EOPTION, "unknown generator");
	free(a);
	free(b);
}

int main(void)
{
	test_ks();
	test_tail();
	test_bits();
	if (failures) {
		fprintf(stderr, "test_sample_philox: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_sample_philox: ok\n");
	return 0;
}

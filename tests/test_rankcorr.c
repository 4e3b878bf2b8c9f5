/* test_rankcorr.c: Spearman's rho with average ranks (kernels/rankcorr.h)
 * on cases worked out by hand, and its permutation p-value against the
 * exact p from all n! orderings, enumerated here independently. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rankcorr.h"

static void test_ranks(void)
{
	double x[4] = {20, 10, 30, 20}, r[5];
	CHECK(mq_rank_average(x, 4, r) == MQ_OK, "ranks");
	CHECK(r[0] == 2.5 && r[1] == 1 && r[2] == 4 && r[3] == 2.5, "ties: %g %g %g %g", r[0],
	      r[1], r[2], r[3]);
	double c[3] = {7, 7, 7};
	CHECK(mq_rank_average(c, 3, r) == MQ_OK && r[0] == 2 && r[1] == 2 && r[2] == 2,
	      "all tied: %g %g %g", r[0], r[1], r[2]);
	double inf[5] = {INFINITY, -INFINITY, 0, -INFINITY, 1};
	CHECK(mq_rank_average(inf, 5, r) == MQ_OK && r[0] == 5 && r[1] == 1.5 && r[2] == 3 &&
	          r[3] == 1.5 && r[4] == 4,
	      "infinities: %g %g %g %g %g", r[0], r[1], r[2], r[3], r[4]);
	double nan[2] = {1, NAN};
	CHECK(mq_rank_average(nan, 2, r) == MQ_ENONFINITE, "NaN has no rank");
	CHECK(mq_rank_average(x, 0, r) == MQ_ESHAPE, "n = 0");
}

static void test_rho(void)
{
	double rho;
	/* no ties: 1 - 6 sum d^2 / (n (n^2 - 1)), d = (-1, 1, -1, 1, 0): 1 - 24/120 */
	double x[5] = {1, 2, 3, 4, 5}, y[5] = {2, 1, 4, 3, 5};
	CHECK(mq_spearman(x, y, 5, &rho) == MQ_OK && fabs(rho - 0.8) < 1e-15, "no ties: %.17g",
	      rho);
	/* ties in y: ranks (1, 2, 3.5, 5, 3.5); centred (-2, -1, 0.5, 2, 0.5)
	 * against (-2, -1, 0, 1, 2): 8 / sqrt(10 * 9.5) */
	double yt[5] = {5, 6, 7, 8, 7};
	CHECK(mq_spearman(x, yt, 5, &rho) == MQ_OK && fabs(rho - 8 / sqrt(95.0)) < 1e-15,
	      "ties: %.17g, want %.17g", rho, 8 / sqrt(95.0));
	/* ties in both: x ranks (1.5, 1.5, 3, 4), y ranks (1, 2.5, 2.5, 4);
	 * centred (-1, -1, 0.5, 1.5) and (-1.5, 0, 0, 1.5): 3.75 / sqrt(4.5 * 4.5) */
	double a[4] = {0, 0, 1, 2}, b[4] = {-3, 1, 1, 9};
	CHECK(mq_spearman(a, b, 4, &rho) == MQ_OK && fabs(rho - 3.75 / 4.5) < 1e-15,
	      "ties in both: %.17g", rho);
	/* monotone, not linear: rho is exactly +-1 */
	double e[5] = {1e-9, 1e-3, 1, 1e3, 1e9}, minus[5] = {5, 4, 3, 2, 1};
	CHECK(mq_spearman(x, e, 5, &rho) == MQ_OK && rho == 1, "monotone: %.17g", rho);
	CHECK(mq_spearman(e, minus, 5, &rho) == MQ_OK && rho == -1, "reversed: %.17g", rho);
	/* symmetric in its arguments */
	double r2;
	CHECK(mq_spearman(yt, x, 5, &r2) == MQ_OK && fabs(r2 - 8 / sqrt(95.0)) < 1e-15,
	      "swapped: %.17g", r2);
	double c[5] = {3, 3, 3, 3, 3};
	CHECK(mq_spearman(x, c, 5, &rho) == MQ_OK && isnan(rho), "constant y: %g", rho);
	CHECK(mq_spearman(x, y, 1, &rho) == MQ_ESHAPE, "n = 1");
	double yn[5] = {1, 2, NAN, 4, 5};
	CHECK(mq_spearman(x, yn, 5, &rho) == MQ_ENONFINITE, "NaN");
}

/* Exact two-sided p: the share of all n! orderings of y whose |rho| is at
 * least the observed one (Heap's algorithm). */
static double exact_p(const double *x, const double *y, size_t n)
{
	double rho0, yy[8], rho;
	size_t c[8] = {0}, total = 0, hits = 0;
	mq_spearman(x, y, n, &rho0);
	memcpy(yy, y, n * sizeof *y);
	mq_spearman(x, yy, n, &rho);
	total++, hits += fabs(rho) >= fabs(rho0) - 1e-12;
	for (size_t i = 1; i < n;) {
		if (c[i] < i) {
			size_t j = i % 2 ? c[i] : 0;
			double t = yy[j];
			yy[j] = yy[i];
			yy[i] = t;
			mq_spearman(x, yy, n, &rho);
			total++, hits += fabs(rho) >= fabs(rho0) - 1e-12;
			c[i]++;
			i = 1;
		} else {
			c[i++] = 0;
		}
	}
	return (double)hits / (double)total;
}

static void test_perm(void)
{
	double x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {2, 1, 4, 4, 6, 3};
	double want = exact_p(x, y, 6), rho, p, rho2, p2;
	/* 720 orderings; 200000 draws put the estimate's sd near 0.001 */
	CHECK(mq_spearman_perm(x, y, 6, 200000, 42, &rho, &p) == MQ_OK, "perm");
	CHECK(want > 0.05 && want < 0.9, "a case with a p neither tiny nor 1: %g", want);
	CHECK(fabs(p - want) < 0.006, "p %g, exact %g", p, want);
	CHECK(mq_spearman(x, y, 6, &rho2) == MQ_OK && rho == rho2, "rho as mq_spearman");
	CHECK(mq_spearman_perm(x, y, 6, 200000, 42, &rho2, &p2) == MQ_OK && p2 == p,
	      "same seed, same p");
	/* a perfect order of 4: exactly 2 of 24 orderings reach |rho| = 1 */
	double a[4] = {1, 2, 3, 4};
	CHECK(exact_p(a, a, 4) == 2.0 / 24, "exact p of a perfect order");
	CHECK(mq_spearman_perm(a, a, 4, 100000, 7, &rho, &p) == MQ_OK && rho == 1 &&
	          fabs(p - 2.0 / 24) < 0.005,
	      "perfect order: rho %g p %g", rho, p);
	/* p never 0, at most 1 */
	CHECK(mq_spearman_perm(a, a, 4, 1, 7, &rho, &p) == MQ_OK && p >= 0.5 && p <= 1, "one draw");
	double c[4] = {1, 1, 1, 1};
	CHECK(mq_spearman_perm(a, c, 4, 10, 7, &rho, &p) == MQ_OK && isnan(rho) && isnan(p),
	      "constant: NaN p");
	CHECK(mq_spearman_perm(a, a, 4, 0, 7, &rho, &p) == MQ_EOPTION, "no permutations");
}

int main(void)
{
	test_ranks();
	test_rho();
	test_perm();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("test_rankcorr: all passed\n");
	return failures != 0;
}

/* test_advise.c: kernels/advise.h.  Hill's estimator against its closed
 * form on Pareto quantiles and within its standard error on a Pareto
 * sample; the measures of one candidate worked out by hand; the rule on
 * made-up candidates; the paper's cases (normal weights get INT8, log-normal
 * gradients FP8); bad arguments, each with its status. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "check.h"
#include "sample.h"

enum { R = 256, C = 512, N = R * C };

/* Pareto(alpha) quantiles x_j = (j / (m+1))^(-1/alpha), j = 1..m, scattered
 * among zeros and given alternating signs (Hill ignores both), so that
 * X(i) = x_i exactly up to float32 rounding and
 *     1/alpha_hat = (1/k) sum_{i<=k} ln(x_i / x_{k+1})
 *                 = (1/alpha) (ln(k+1) - ln(k!)/k). */
static void test_hill_closed_form(void)
{
	const size_t m = 40000, k = 200; /* k = floor(sqrt(m)) */
	float *x = calloc(2 * m, sizeof *x);
	if (!x)
		return;
	static const double alphas[] = {0.8, 1.5, 3.0};
	for (size_t t = 0; t < 3; t++) {
		double alpha = alphas[t];
		memset(x, 0, 2 * m * sizeof *x);
		for (size_t j = 1; j <= m; j++) {
			/* a fixed scatter: position (j * 7919) mod 2m, odd/even signs */
			size_t pos = (j * 7919) % (2 * m);
			while (x[pos] != 0.0f)
				pos = (pos + 1) % (2 * m);
			float v = (float)pow((double)j / (double)(m + 1), -1.0 / alpha);
			x[pos] = j % 2 ? v : -v;
		}
		double a, want = alpha * (double)k / ((double)k * log((double)k + 1) -
		                                      lgamma((double)k + 1));
		size_t kk;
		CHECK(mq_hill(x, 2 * m, &a, &kk) == MQ_OK, "hill");
		/* float32 storage moves each log by ~1e-7 against a mean log of
		 * ~1/alpha: 1e-5 relative is far above that and far below any
		 * off-by-one in k or the threshold (a few percent) */
		CHECK(kk == k && fabs(a / want - 1) < 1e-5,
		      "Pareto(%g) quantiles: alpha_hat %.9g (k %zu), closed form %.9g", alpha, a, kk,
		      want);
	}
	free(x);
}

/* A Pareto(alpha) sample by inversion: alpha_hat is within a few of its
 * asymptotic standard errors alpha/sqrt(k) of alpha (k = 512 here: 4.4%). */
static void test_hill_sample(void)
{
	const size_t n = 1 << 18, k = 512;
	float *x = malloc(n * sizeof *x);
	if (!x || mq_sample_uniform(11, 0, 1, x, n) != MQ_OK)
		return;
	const double alpha = 2.0;
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > 0 ? (float)pow(x[i], -1.0 / alpha) : 1.0f;
	double a;
	size_t kk;
	CHECK(mq_hill(x, n, &a, &kk) == MQ_OK && kk == k, "hill sample: k %zu", kk);
	CHECK(fabs(a - alpha) < 4 * alpha / sqrt((double)k), "Pareto(2) sample: alpha_hat %g", a);
	free(x);
}

static void test_hill_edges(void)
{
	float x[40] = {0};
	double a;
	size_t k = 7;
	for (int i = 0; i < 19; i++)
		x[i] = (float)(i + 1);
	CHECK(mq_hill(x, 40, &a, &k) == MQ_OK && isnan(a) && k == 0, "19 nonzero: %g k %zu", a, k);
	for (int i = 0; i < 40; i++)
		x[i] = i % 2 ? 3.0f : -3.0f;
	CHECK(mq_hill(x, 40, &a, &k) == MQ_OK && isinf(a) && a > 0 && k == 10,
	      "40 equal magnitudes: %g k %zu", a, k);
}

static void opts1(mq_advise_opts *o, const char *fmt, const char *rnd)
{
	mq_advise_defaults(o);
	mq_format_get(fmt, &o->fmt[0]);
	mq_rounding_parse(rnd, &o->rnd[0]);
	o->nfmt = o->nrnd = 1;
}

/* {127, 0.5, 3, 0, -64} as a 1 x 5 LHS, INT8 RTNE, one scale: absmax/127 =
 * 1 exactly, so q = {127, 0, 3, 0, -64} (0.5 is a tie, to the even 0).
 * Nonzero 4; one underflow; error 0.25 in energy of 127^2 + 0.25 + 9 +
 * 64^2 = 20234.25; relative errors 0, 1, 0, -, 0. */
static void test_measures_by_hand(void)
{
	const float x[5] = {127, 0.5f, 3, 0, -64};
	mq_advise_opts o;
	opts1(&o, "int8", "rtne");
	mq_layout l;
	mq_advice *a = malloc(sizeof *a);
	if (!a)
		return;
	CHECK(mq_layout_matrix(&l, 1, 5, MQ_LHS) == MQ_OK, "layout");
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK, "advise");
	const mq_advise_cand *c = &a->cand[0];
	CHECK(a->n == 5 && a->nnz == 4 && a->ncand == 1, "n %zu nnz %zu", a->n, a->nnz);
	CHECK(fabs(c->sqnr_db - 10 * log10(20234.25 / 0.25)) < 1e-9, "sqnr %.12g", c->sqnr_db);
	CHECK(fabs(c->mse - 0.05) < 1e-15, "mse %.17g", c->mse);
	CHECK(c->mean_re == 0.25 && c->max_re == 1, "relerr %g %g", c->mean_re, c->max_re);
	CHECK(c->under_frac == 0.25 && c->clip_frac == 0 && c->clip_share == 0,
	      "fractions %g %g %g", c->under_frac, c->clip_frac, c->clip_share);
	CHECK(!c->ok && a->pick == 0 && a->why == MQ_ADVISE_FALLBACK, "over the 3%% budget");
	o.under_budget = 0.25; /* the budget is inclusive */
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK && a->cand[0].ok && a->why == MQ_ADVISE_BEST,
	      "within a budget of 25%%");
	/* moments of the five values, and too few nonzeros for Hill */
	CHECK(fabs(a->mo.mean - 66.5 / 5) < 1e-12, "mean %.17g", a->mo.mean);
	CHECK(isnan(a->tail_index) && a->hill_k == 0, "tail index %g", a->tail_index);
	free(a);
}

static void cand(mq_advice *a, size_t i, double sqnr, double under, double clip, int ok)
{
	memset(&a->cand[i], 0, sizeof a->cand[i]);
	a->cand[i].f = i;
	a->cand[i].sqnr_db = sqnr;
	a->cand[i].under_frac = under;
	a->cand[i].clip_share = clip;
	a->cand[i].ok = ok;
}

static void test_rule(void)
{
	mq_advise_opts o;
	mq_advise_defaults(&o);
	mq_advice *a = calloc(1, sizeof *a);
	if (!a)
		return;
	a->nnz = 10;
	a->ncand = 4;
	cand(a, 0, 30, 0.01, 0, 1);
	cand(a, 1, 31, 0.00, 0, 1);
	cand(a, 2, 40, 0.50, 0, 0); /* the best SQNR, over budget: never chosen */
	cand(a, 3, 31, 0.00, 0, 1); /* ties with 1: the earlier wins */
	mq_advise_decide(&o, a);
	CHECK(a->pick == 1 && a->why == MQ_ADVISE_BEST, "best within budgets: %zu", a->pick);
	o.margin = 1;
	mq_advise_decide(&o, a);
	CHECK(a->pick == 0 && a->why == MQ_ADVISE_MARGIN, "margin 1 dB: %zu", a->pick);
	o.margin = 0.5;
	mq_advise_decide(&o, a);
	CHECK(a->pick == 1 && a->why == MQ_ADVISE_BEST, "margin 0.5 dB: %zu", a->pick);
	/* none within budgets: fewest underflowed + clipped, ties by SQNR */
	cand(a, 0, 30, 0.10, 0.00, 0);
	cand(a, 1, 20, 0.05, 0.02, 0);
	cand(a, 2, 25, 0.02, 0.05, 0);
	cand(a, 3, 10, 0.50, 0.00, 0);
	mq_advise_decide(&o, a);
	CHECK(a->pick == 2 && a->why == MQ_ADVISE_FALLBACK, "fallback: %zu", a->pick);
	a->nnz = 0;
	mq_advise_decide(&o, a);
	CHECK(a->pick == 0 && a->why == MQ_ADVISE_ZERO, "all zeros: %zu", a->pick);
	CHECK(!strcmp(mq_advise_reason(MQ_ADVISE_BEST), "best SQNR within budgets"), "reason");
	free(a);
}

/* Log-normal magnitudes exp(N(mu, sigma)) with random signs, as gradients. */
static int lognormal_grads(double mu, double sigma, uint64_t seed, float *x, float *u)
{
	if (mq_sample_lognormal(seed, mu, sigma, x, N) || mq_sample_uniform(seed + 1, 0, 1, u, N))
		return 0;
	for (size_t i = 0; i < N; i++)
		if (u[i] < 0.5f)
			x[i] = -x[i];
	return 1;
}

static const char *advised(const mq_advise_opts *o, const mq_advice *a)
{
	return o->fmt[a->cand[a->pick].f].name;
}

/* The paper's cases on 256 x 512 tensors (docs/advise.md, section 5). */
static void test_paper_cases(void)
{
	float *x = malloc(N * sizeof *x), *u = malloc(N * sizeof *u);
	mq_advice *a = malloc(sizeof *a);
	mq_advise_opts o;
	mq_layout l;
	mq_advise_defaults(&o);
	mq_layout_matrix(&l, R, C, MQ_LHS);
	if (!x || !u || !a || mq_sample_normal(1, 0, 0.02, x, N))
		goto out;
	/* normal weights, channel scales: INT8 RTNE, the best SQNR */
	mq_gran_parse("channel", &o.gran);
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK, "normal");
	CHECK(!strcmp(advised(&o, a), "int8") && a->cand[a->pick].r == 0 &&
	          a->why == MQ_ADVISE_BEST,
	      "normal at channel: %s (%s)", advised(&o, a), mq_advise_reason(a->why));
	CHECK(a->tail_index > 6, "normal tail index %g", a->tail_index);
	/* gradients, sigma 1.5: INT8 flushes most of them; E4M3 */
	mq_gran_parse("tensor", &o.gran);
	if (!lognormal_grads(-10, 1.5, 2, x, u))
		goto out;
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK, "grads");
	CHECK(!strcmp(advised(&o, a), "e4m3") && a->cand[0].under_frac > 0.5,
	      "log-normal sigma 1.5: %s, int8 underflow %g", advised(&o, a), a->cand[0].under_frac);
	/* at block:32 INT8 has the better SQNR but is over the underflow
	 * budget: the budget, not the SQNR, decides */
	mq_gran_parse("block:32", &o.gran);
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK, "grads block");
	CHECK(!strcmp(advised(&o, a), "e4m3") && a->cand[0].sqnr_db > a->cand[a->pick].sqnr_db &&
	          !a->cand[0].ok,
	      "block:32: %s, int8 %g dB ok %d", advised(&o, a), a->cand[0].sqnr_db, a->cand[0].ok);
	/* sigma 2.5: wider than E4M3's range at one scale; E5M2 */
	mq_gran_parse("tensor", &o.gran);
	if (!lognormal_grads(-8, 2.5, 4, x, u))
		goto out;
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK && !strcmp(advised(&o, a), "e5m2"),
	      "log-normal sigma 2.5: %s", advised(&o, a));
	/* SR is seeded: the same seed the same numbers, another seed others */
	double sr = a->cand[1].sqnr_db;
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK && a->cand[1].sqnr_db == sr, "same seed");
	o.seed = 1;
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK && a->cand[1].sqnr_db != sr, "another seed");
	/* an all-zero tensor: exact everywhere, the first candidate */
	memset(x, 0, N * sizeof *x);
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK && a->pick == 0 && a->why == MQ_ADVISE_ZERO &&
	          a->cand[0].under_frac == 0 && a->nnz == 0,
	      "zeros");
out:
	free(x);
	free(u);
	free(a);
}

static void test_layout(void)
{
	mq_layout l;
	size_t d[3] = {2, 3, 4};
	CHECK(mq_advise_layout(3, d, MQ_LHS, &l) == MQ_OK && l.dim[0] == 6 && l.dim[1] == 4 &&
	          l.role[1] == MQ_AXIS_CONTRACT,
	      "lhs 2x3x4: %zu x %zu", l.dim[0], l.dim[1]);
	CHECK(mq_advise_layout(3, d, MQ_RHS, &l) == MQ_OK && l.dim[0] == 2 && l.dim[1] == 12 &&
	          l.role[0] == MQ_AXIS_CONTRACT,
	      "rhs 2x3x4: %zu x %zu", l.dim[0], l.dim[1]);
	CHECK(mq_advise_layout(0, d, MQ_LHS, &l) == MQ_OK && l.dim[0] == 1 && l.dim[1] == 1,
	      "scalar");
	d[1] = 0;
	CHECK(mq_advise_layout(3, d, MQ_LHS, &l) == MQ_ESHAPE, "an axis of 0");
}

static void test_bad_args(void)
{
	float x[64];
	for (int i = 0; i < 64; i++)
		x[i] = (float)(i - 20);
	mq_advise_opts o;
	mq_layout l;
	mq_advice *a = malloc(sizeof *a);
	if (!a)
		return;
	mq_layout_matrix(&l, 8, 8, MQ_LHS);
	mq_advise_defaults(&o);
	CHECK(mq_advise(&o, &l, x, a) == MQ_OK, "the good case");
	o.nfmt = 0;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EOPTION, "no formats");
	mq_advise_defaults(&o);
	o.nrnd = MQ_ADVISE_MAXRND + 1;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EOPTION, "too many roundings");
	mq_advise_defaults(&o);
	o.under_budget = 1.5;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EOPTION, "underflow budget 1.5");
	mq_advise_defaults(&o);
	o.clip_budget = NAN;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EOPTION, "clip budget NaN");
	mq_advise_defaults(&o);
	o.margin = -1;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EOPTION, "margin -1");
	mq_advise_defaults(&o);
	mq_format_get("e8m0", &o.fmt[1]);
	CHECK(mq_advise(&o, &l, x, a) == MQ_EFORMAT, "e8m0 is a scale format");
	mq_advise_defaults(&o);
	o.gran.kind = MQ_GRAN_BLOCK;
	o.gran.block = 0;
	CHECK(mq_advise(&o, &l, x, a) == MQ_EGRAN, "block:0");
	mq_advise_defaults(&o);
	mq_layout bad = l;
	bad.role[0] = MQ_AXIS_CONTRACT; /* two contracting axes */
	CHECK(mq_advise(&o, &bad, x, a) == MQ_ESHAPE, "bad layout");
	x[5] = NAN;
	CHECK(mq_advise(&o, &l, x, a) == MQ_ENONFINITE, "NaN");
	x[5] = -INFINITY;
	CHECK(mq_advise(&o, &l, x, a) == MQ_ENONFINITE, "-inf");
	free(a);
}

int main(void)
{
	test_hill_closed_form();
	test_hill_sample();
	test_hill_edges();
	test_measures_by_hand();
	test_rule();
	test_paper_cases();
	test_layout();
	test_bad_args();
	if (failures)
		fprintf(stderr, "test_advise: %d failures\n", failures);
	return failures != 0;
}

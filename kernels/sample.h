/* sample.h: seeded random samples of the input distributions (float32).
 *
 * The experiments draw their operands from a handful of distributions
 * (the paper's Fig. 4 uses Student-t(nu); Fig. 2's stand-ins are normal
 * weights and log-normal gradient magnitudes).  This file is the
 * reference path: GSL's generators and GSL's variate routines, so that
 * every sample is what a reader of GSL's manual expects.
 *
 * What a seed produces.  One gsl_rng of type gsl_rng_mt19937 is set with
 *     gsl_rng_set(r, (uint32_t)(seed ^ (seed >> 32)))
 * (MT19937 keeps 32 bits of its seed; folding the halves keeps every bit of
 * a 64-bit seed relevant.  GSL maps the seed 0 to its default, 4357.)
 * x[0], x[1], ... are then successive draws of one GSL routine, each
 * rounded to float32 (round to nearest):
 *     normal(mean, sd)       mean + gsl_ran_gaussian_ziggurat(r, sd)
 *     t(nu), 0 < nu < inf    gsl_ran_tdist(r, nu)
 *     t(inf)                 gsl_ran_gaussian_ziggurat(r, 1.0) (the limit)
 *     lognormal(mu, sigma)   gsl_ran_lognormal(r, mu, sigma)
 *     laplace(b)             gsl_ran_laplace(r, b)          (mean 0)
 *     uniform(a, b)          gsl_ran_flat(r, a, b)          ([a, b); the
 *                            rounding to float32 can reach b)
 * So n draws are a prefix of n+m draws with the same seed, and the output
 * depends on nothing but (distribution, parameters, seed, n): not on the
 * machine's threads.  Seeds for independent tensors are the caller's
 * business (mq_seed_derive in rng.h).
 *
 * Parameters must be finite except nu, which may be +INFINITY; sd, sigma
 * and b >= 0; nu > 0; a <= b.  Anything else is MQ_EOPTION and x is left
 * untouched.  A draw beyond float32's range (possible for tiny nu or huge
 * sigma) becomes +-inf in x and the call returns MQ_ENONFINITE, so that
 * nothing downstream quantizes an infinity unawares.
 *
 * The calls allocate one generator (MQ_ENOMEM if that fails) and are safe
 * to call from several threads at once.
 */
#ifndef MQ_SAMPLE_H
#define MQ_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

typedef enum {
	MQ_DIST_NORMAL,     /* a = mean, b = sd */
	MQ_DIST_T,          /* a = nu (INFINITY: standard normal), b unused */
	MQ_DIST_LOGNORMAL,  /* a = mu, b = sigma (of the underlying normal) */
	MQ_DIST_LAPLACE,    /* a = scale b, b unused; density exp(-|x|/a)/(2a) */
	MQ_DIST_UNIFORM     /* a = low, b = high */
} mq_dist_kind;

typedef struct mq_dist {
	mq_dist_kind kind;
	double a, b;
} mq_dist;

/* MQ_OK if d names a distribution with valid parameters, else MQ_EOPTION. */
mq_status mq_dist_check(const mq_dist *d);

/* Fill x[0..n) with n draws of d from the stream `seed` (see above). */
mq_status mq_sample(const mq_dist *d, uint64_t seed, float *x, size_t n);

/* The generator behind a draw.  MQ_GEN_GSL is the recipe above (the
 * reference).  MQ_GEN_PHILOX (sample_philox.c) is counter-based: x[i] is a
 * function of (d, seed, i) only, so a draw splits over threads with the
 * same bits and n draws are a prefix of n+m.  Its recipe, with
 * W(i, k, use) the four words of Philox4x32-10 (key = seed, counter words
 * (i low, i high, k, use)), U(h, l) = (((h << 21) ^ (l >> 11)) + 1) 2^-53 in
 * (0, 1] and N(w) = sqrt(-2 log U(w0, w1)) cos(2 pi w2 2^-32):
 *     normal(mean, sd)     mean + sd N(W(i, 0, 0))
 *     t(nu)                Z / sqrt(V / nu), Z = N(W(i, 0, 0)), V = 2 G(nu / 2),
 *                          G: Marsaglia-Tsang, attempt k on W(i, k, 1), its
 *                          uniform (w3 + 1/2) 2^-32; nu / 2 < 1 boosted by
 *                          U(W(i, 0, 2))^(2 / nu)
 *     t(inf)               Z
 *     lognormal(mu, sigma) exp(mu + sigma N(W(i, 0, 0)))
 *     laplace(b)           -+ b log U(W(i, 0, 3)), minus when w2 of it is odd
 *     uniform(a, b)        a + (b - a) (1 - U(W(i, 0, 3)))
 * each computed in double and rounded to float32.  Its variates follow the
 * distributions (tests/test_sample_philox.c holds them to GSL's CDFs), not
 * GSL's streams. */
typedef enum { MQ_GEN_GSL, MQ_GEN_PHILOX } mq_gen;

/* Fill x[0..n) from generator gen; nthreads >= 2 splits a philox draw over
 * threads (the bits do not depend on it; GSL's ignores it). */
mq_status mq_sample_gen(const mq_dist *d, mq_gen gen, uint64_t seed, float *x, size_t n,
                        int nthreads);
/* Elements first .. first+n-1 of the philox stream, into x[0..n). */
mq_status mq_sample_philox(const mq_dist *d, uint64_t seed, uint64_t first, float *x, size_t n);

/* The same, one function a distribution. */
mq_status mq_sample_normal(uint64_t seed, double mean, double sd, float *x, size_t n);
mq_status mq_sample_t(uint64_t seed, double nu, float *x, size_t n);
mq_status mq_sample_lognormal(uint64_t seed, double mu, double sigma, float *x, size_t n);
mq_status mq_sample_laplace(uint64_t seed, double b, float *x, size_t n);
mq_status mq_sample_uniform(uint64_t seed, double a, double b, float *x, size_t n);

#endif

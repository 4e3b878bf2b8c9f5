/* sample.c: the GSL reference path of the samplers (see sample.h). */
#include "sample.h"

#include <float.h>
#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

mq_status mq_dist_check(const mq_dist *d)
{
	if (!d)
		return MQ_EOPTION;
	double a = d->a, b = d->b;
	switch (d->kind) {
	case MQ_DIST_NORMAL:
	case MQ_DIST_LOGNORMAL:
		return isfinite(a) && isfinite(b) && b >= 0 ? MQ_OK : MQ_EOPTION;
	case MQ_DIST_T:
		/* isnan first: NaN > 0 is false anyway, but say it. */
		return !isnan(a) && a > 0 ? MQ_OK : MQ_EOPTION;
	case MQ_DIST_LAPLACE:
		return isfinite(a) && a >= 0 ? MQ_OK : MQ_EOPTION;
	case MQ_DIST_UNIFORM:
		return isfinite(a) && isfinite(b) && a <= b ? MQ_OK : MQ_EOPTION;
	}
	return MQ_EOPTION;
}

/* Round a draw to float32; report whether it left float32's range.  A
 * finite double above FLT_MAX (after rounding) becomes inf by the cast. */
static int store(float *x, double v)
{
	float f = (float)v;
	*x = f;
	return !isfinite(f);
}

mq_status mq_sample(const mq_dist *d, uint64_t seed, float *x, size_t n)
{
	mq_status st = mq_dist_check(d);
	if (st != MQ_OK)
		return st;
	if (n == 0)
		return MQ_OK;
	/* gsl_rng_alloc calls GSL's error handler (which aborts by default)
	 * only when malloc fails; there is no quiet variant, and changing the
	 * handler is a process-wide act that belongs to the program, not to
	 * this library. */
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		return MQ_ENOMEM;
	gsl_rng_set(r, (unsigned long)(uint32_t)(seed ^ (seed >> 32)));

	double a = d->a, b = d->b;
	int bad = 0;
	/* One loop a distribution: the draw is sequential by nature (one
	 * MT19937 state), so the loops cannot vectorize; the branch on the
	 * kind stays outside them. */
	switch (d->kind) {
	case MQ_DIST_NORMAL:
		for (size_t i = 0; i < n; i++)
			bad |= store(&x[i], a + gsl_ran_gaussian_ziggurat(r, b));
		break;
	case MQ_DIST_T:
		if (isinf(a))
			for (size_t i = 0; i < n; i++)
				bad |= store(&x[i], gsl_ran_gaussian_ziggurat(r, 1.0));
		else
			for (size_t i = 0; i < n; i++)
				bad |= store(&x[i], gsl_ran_tdist(r, a));
		break;
	case MQ_DIST_LOGNORMAL:
		for (size_t i = 0; i < n; i++)
			bad |= store(&x[i], gsl_ran_lognormal(r, a, b));
		break;
	case MQ_DIST_LAPLACE:
		for (size_t i = 0; i < n; i++)
			bad |= store(&x[i], gsl_ran_laplace(r, a));
		break;
	case MQ_DIST_UNIFORM:
		for (size_t i = 0; i < n; i++)
			bad |= store(&x[i], gsl_ran_flat(r, a, b));
		break;
	}
	gsl_rng_free(r);
	return bad ? MQ_ENONFINITE : MQ_OK;
}

mq_status mq_sample_normal(uint64_t seed, double mean, double sd, float *x, size_t n)
{
	mq_dist d = {MQ_DIST_NORMAL, mean, sd};
	return mq_sample(&d, seed, x, n);
}

mq_status mq_sample_t(uint64_t seed, double nu, float *x, size_t n)
{
	mq_dist d = {MQ_DIST_T, nu, 0};
	return mq_sample(&d, seed, x, n);
}

mq_status mq_sample_lognormal(uint64_t seed, double mu, double sigma, float *x, size_t n)
{
	mq_dist d = {MQ_DIST_LOGNORMAL, mu, sigma};
	return mq_sample(&d, seed, x, n);
}

mq_status mq_sample_laplace(uint64_t seed, double b, float *x, size_t n)
{
	mq_dist d = {MQ_DIST_LAPLACE, b, 0};
	return mq_sample(&d, seed, x, n);
}

mq_status mq_sample_uniform(uint64_t seed, double a, double b, float *x, size_t n)
{
	mq_dist d = {MQ_DIST_UNIFORM, a, b};
	return mq_sample(&d, seed, x, n);
}

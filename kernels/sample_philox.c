/* sample_philox.c: the counter-based samplers (sample.h, MQ_GEN_PHILOX).
 *
 * x[i] is a function of (distribution, seed, i) alone: every random word
 * element i uses comes from Philox4x32-10 blocks whose counter carries i,
 * so a draw can be split over threads (or started at any `first`) and give
 * the same bits.  Counter words of a block: (i low, i high, attempt, use),
 * `use` keeping the normal of t's numerator, the gamma's attempts and the
 * gamma's boost apart; the key is the seed, as in rng.h.
 *
 * Why not GSL here: its MT19937 is one sequential state, so its variates
 * come one at a time (gsl_ran_tdist: 80-130 ns each), which cost as much as
 * the whole numpy Fig. 4 sweep.  GSL stays the reference the tests hold
 * these samplers to (KS against gsl_cdf_*, moments, tail quantiles). */
#include "sample.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

enum { USE_Z = 0, USE_GAMMA = 1, USE_BOOST = 2, USE_U = 3 };

/* Philox4x32-10 with a full 128-bit counter (rng.c's takes 64 bits). */
static inline void philox(uint64_t seed, uint32_t c0, uint32_t c1, uint32_t c2,
                          uint32_t c3, uint32_t w[4])
{
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	for (int r = 0; r < 10; r++) {
		uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
		uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
		c1 = (uint32_t)p1;
		c3 = (uint32_t)p0;
		c0 = n0;
		c2 = n2;
		k0 += 0x9E3779B9u;
		k1 += 0xBB67AE85u;
	}
	w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;
}

/* A uniform in (0, 1] with 53 random bits: never 0, so log() is finite;
 * its smallest value 2^-53 bounds a Box-Muller normal by 8.57. */
static inline double u53(uint32_t hi, uint32_t lo)
{
	uint64_t b = ((uint64_t)hi << 21) ^ (lo >> 11);
	return ((double)b + 1.0) * 0x1p-53;
}

/* Box-Muller, the cosine half: one normal from three words. */
static inline double bm(const uint32_t w[3])
{
	double r = sqrt(-2.0 * log(u53(w[0], w[1])));
	return r * cos(6.283185307179586 * ((double)w[2] * 0x1p-32));
}

static double normal_at(uint64_t seed, uint64_t i)
{
	uint32_t w[4];
	philox(seed, (uint32_t)i, (uint32_t)(i >> 32), 0, USE_Z, w);
	return bm(w);
}

/* Gamma(a, 1) for element i: Marsaglia and Tsang (2000), each attempt on a
 * block of its own; a < 1 is Gamma(a + 1) U^(1/a) (their boost).  The
 * acceptance rate is above 95% for every a >= 1, so the loop is short; the
 * bound on attempts only keeps a broken generator from hanging. */
static double gamma_at(uint64_t seed, uint64_t i, double a)
{
	double b = a < 1 ? a + 1 : a;
	double d = b - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	double g = NAN;
	uint32_t w[4];
	for (uint32_t k = 0; k < 1000000u; k++) {
		philox(seed, (uint32_t)i, (uint32_t)(i >> 32), k, USE_GAMMA, w);
		double z = bm(w), v = 1.0 + c * z;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = ((double)w[3] + 0.5) * 0x1p-32;
		if (u < 1.0 - 0.0331 * (z * z) * (z * z) ||
		    log(u) < 0.5 * z * z + d * (1.0 - v + log(v))) {
			g = d * v;
			break;
		}
	}
	if (a < 1) {
		philox(seed, (uint32_t)i, (uint32_t)(i >> 32), 0, USE_BOOST, w);
		g *= exp(log(u53(w[0], w[1])) / a);
	}
	return g;
}

/* t(nu) = Z / sqrt(V / nu), V = chi-square(nu) = 2 Gamma(nu / 2). */
static double t_at(uint64_t seed, uint64_t i, double nu)
{
	double z = normal_at(seed, i);
	if (isinf(nu))
		return z;
	return z / sqrt(2.0 * gamma_at(seed, i, 0.5 * nu) / nu);
}

static double uniform_at(uint64_t seed, uint64_t i)
{
	uint32_t w[4];
	philox(seed, (uint32_t)i, (uint32_t)(i >> 32), 0, USE_U, w);
	return 1.0 - u53(w[0], w[1]); /* [0, 1) */
}

static double laplace_at(uint64_t seed, uint64_t i, double b)
{
	uint32_t w[4];
	philox(seed, (uint32_t)i, (uint32_t)(i >> 32), 0, USE_U, w);
	/* |x| = -b log(u), u in (0, 1]; the sign from a word not used for u */
	double m = -b * log(u53(w[0], w[1]));
	return w[2] & 1u ? -m : m;
}

mq_status mq_sample_philox(const mq_dist *d, uint64_t seed, uint64_t first, float *x, size_t n)
{
	mq_status st = mq_dist_check(d);
	if (st != MQ_OK)
		return st;
	double a = d->a, b = d->b;
	int bad = 0;
	for (size_t j = 0; j < n; j++) {
		uint64_t i = first + j;
		double v = 0;
		switch (d->kind) {
		case MQ_DIST_NORMAL: v = a + b * normal_at(seed, i); break;
		case MQ_DIST_T: v = t_at(seed, i, a); break;
		case MQ_DIST_LOGNORMAL: v = exp(a + b * normal_at(seed, i)); break;
		case MQ_DIST_LAPLACE: v = laplace_at(seed, i, a); break;
		case MQ_DIST_UNIFORM: v = a + (b - a) * uniform_at(seed, i); break;
		}
		float f = (float)v;
		x[j] = f;
		bad |= !isfinite(f);
	}
	return bad ? MQ_ENONFINITE : MQ_OK;
}

struct job {
	const mq_dist *d;
	uint64_t seed;
	size_t lo, hi;
	float *x;
	mq_status st;
};

static void *run_job(void *p)
{
	struct job *j = p;
	j->st = mq_sample_philox(j->d, j->seed, j->lo, j->x + j->lo, j->hi - j->lo);
	return NULL;
}

/* Threads split the elements in contiguous ranges; by the keying above the
 * bits do not depend on the split.  A thread that fails to start has its
 * range done by the caller. */
static mq_status philox_threads(const mq_dist *d, uint64_t seed, float *x, size_t n, int nt)
{
	struct job *jobs = calloc((size_t)nt, sizeof *jobs);
	pthread_t *th = calloc((size_t)nt, sizeof *th);
	char *live = calloc((size_t)nt, 1);
	mq_status st = MQ_OK;
	if (!jobs || !th || !live) {
		st = MQ_ENOMEM;
		goto out;
	}
	for (int t = 0; t < nt; t++) {
		jobs[t] = (struct job){d, seed, n * (size_t)t / (size_t)nt,
		                       n * (size_t)(t + 1) / (size_t)nt, x, MQ_OK};
		if (t > 0 && pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0)
			live[t] = 1;
	}
	for (int t = 0; t < nt; t++)
		if (!live[t])
			run_job(&jobs[t]);
	for (int t = 0; t < nt; t++) {
		if (live[t])
			pthread_join(th[t], NULL);
		if (jobs[t].st != MQ_OK && st == MQ_OK)
			st = jobs[t].st;
	}
out:
	free(jobs);
	free(th);
	free(live);
	return st;
}

mq_status mq_sample_gen(const mq_dist *d, mq_gen gen, uint64_t seed, float *x, size_t n,
                        int nthreads)
{
	if (gen == MQ_GEN_GSL)
		return mq_sample(d, seed, x, n);
	if (gen != MQ_GEN_PHILOX)
		return MQ_EOPTION;
	mq_status st = mq_dist_check(d);
	if (st != MQ_OK || n == 0)
		return st;
	/* below ~64k elements a thread costs more than it saves */
	size_t most = n / 65536 + 1;
	int nt = nthreads < 1 ? 1 : nthreads;
	if ((size_t)nt > most)
		nt = (int)most;
	if (nt == 1)
		return mq_sample_philox(d, seed, 0, x, n);
	return philox_threads(d, seed, x, n, nt);
}

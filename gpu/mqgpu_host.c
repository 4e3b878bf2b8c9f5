/* mqgpu_host.c: see mqgpu_host.h. */
#define _POSIX_C_SOURCE 200809L
#include "mqgpu_host.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "quant.h"
#include "rng.h"

/* ---- a parallel for over [0, n) ---- */
typedef void (*range_fn)(void *ctx, int64_t i0, int64_t i1);
struct pjob {
	range_fn fn;
	void *ctx;
	int64_t i0, i1;
};

static void *prun(void *a)
{
	struct pjob *j = a;
	j->fn(j->ctx, j->i0, j->i1);
	return NULL;
}

static void parallel(range_fn fn, void *ctx, int64_t n, int nthreads)
{
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if (n < 4096 || nthreads == 1) {
		fn(ctx, 0, n);
		return;
	}
	struct pjob jobs[64];
	pthread_t th[64];
	int live[64] = {0};
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (struct pjob){fn, ctx, n * t / nthreads, n * (t + 1) / nthreads};
		if (t > 0 && pthread_create(&th[t], NULL, prun, &jobs[t]) == 0)
			live[t] = 1;
	}
	for (int t = 0; t < nthreads; t++)
		if (!live[t])
			prun(&jobs[t]);
	for (int t = 1; t < nthreads; t++)
		if (live[t])
			pthread_join(th[t], NULL);
}

/* ---- sampling ---- */
struct sctx {
	int dist, nu;
	mq_format fmt;
	uint64_t seed;
	const int64_t *rows;
	int64_t K;
	float *out;
	uint32_t finite_codes[256];
	int nfinite;
};

/* The first 4 * nb of the 32 words of stream element i. */
static void words(uint64_t seed, uint64_t i, uint32_t w[32], int nb)
{
	for (int j = 0; j < nb; j++)
		mq_philox4x32(seed, (i << 3) | (uint64_t)j, w + 4 * j);
}

static double unif53(uint32_t hi, uint32_t lo)
{
	/* (0, 1): 53 bits, never 0 */
	uint64_t m = ((uint64_t)(hi >> 5) << 26) | (lo >> 6);
	return ((double)m + 0.5) * (1.0 / 9007199254740992.0);
}

/* Normals 2p and 2p+1 from words 4p .. 4p+3, for p < np. */
static void normals(const uint32_t w[32], double z[16], int np)
{
	const double twopi = 6.283185307179586;
	for (int p = 0; p < np; p++) {
		double u1 = unif53(w[4 * p], w[4 * p + 1]);
		double u2 = unif53(w[4 * p + 2], w[4 * p + 3]);
		double r = sqrt(-2.0 * log(u1));
		z[2 * p] = r * cos(twopi * u2);
		z[2 * p + 1] = r * sin(twopi * u2);
	}
}

static void sample_range(void *c, int64_t i0, int64_t i1)
{
	struct sctx *s = c;
	uint32_t w[32];
	double z[16];
	for (int64_t i = i0; i < i1; i++) {
		int64_t r = s->rows ? s->rows[i / s->K] : i / s->K;
		int64_t k = i % s->K;
		uint64_t idx = (uint64_t)r * (uint64_t)s->K + (uint64_t)k;
		double v;
		if (s->dist == MQG_T) {
			int np = s->nu / 2 + 1; /* nu + 1 normals */
			words(s->seed, idx, w, np);
			normals(w, z, np);
			if (s->nu == 0) {
				v = z[0];
			} else {
				double V = 0;
				for (int j = 1; j <= s->nu; j++)
					V += z[j] * z[j];
				v = z[0] / sqrt(V / s->nu);
			}
		} else if (s->dist == MQG_CODES) {
			/* one word picks among the finite codes */
			words(s->seed, idx, w, 1);
			uint32_t code = s->finite_codes[w[0] % (uint32_t)s->nfinite];
			v = mq_decode1(&s->fmt, code);
		} else {
			words(s->seed, idx, w, 2);
			normals(w, z, 1);
			double u = unif53(w[4], w[5]);
			if (u < 1.0 / 64) {
				double a = 256.0 + 192.0 * unif53(w[6], w[7]);
				v = (w[7] & 1) ? -a : a;
			} else {
				v = 0.05 * z[0];
			}
		}
		s->out[i] = (float)v;
	}
}

int mqg_sample(int dist, int nu, const char *fmt, uint64_t seed, const int64_t *rows,
               int64_t nrows, int64_t K, float *out, int nthreads)
{
	struct sctx s;
	memset(&s, 0, sizeof s);
	if (nrows < 0 || K <= 0 || !out || dist < 0 || dist > 2 || nu < 0 || nu > 15)
		return -1;
	s.dist = dist, s.nu = nu, s.seed = seed, s.rows = rows, s.K = K, s.out = out;
	if (dist == MQG_CODES) {
		if (!fmt || mq_format_get(fmt, &s.fmt) != MQ_OK || s.fmt.bits > 8)
			return -1;
		for (uint32_t c = 0; c < (1u << s.fmt.bits); c++) {
			float v = mq_decode1(&s.fmt, c);
			if (isfinite(v))
				s.finite_codes[s.nfinite++] = c;
		}
	}
	parallel(sample_range, &s, nrows * K, nthreads);
	return 0;
}

/* ---- quantization ---- */
int mqg_absmax_scale(const char *fmt, const float *x, int64_t n, float *scale)
{
	mq_format f;
	if (!fmt || mq_format_get(fmt, &f) != MQ_OK)
		return -1;
	float m = 0;
	for (int64_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return -1;
		m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
	}
	*scale = m == 0 ? 1.0f : m / f.max;
	return 0;
}

struct ectx {
	mq_qspec q;
	const float *x;
	float scale;
	uint8_t *codes;
	int err;
};

static void encode_range(void *c, int64_t i0, int64_t i1)
{
	struct ectx *e = c;
	if (mq_encode(&e->q, e->x + i0, (size_t)(i1 - i0), e->scale, 0, e->codes + i0, NULL) !=
	    MQ_OK)
		e->err = 1;
}

int mqg_encode(const char *fmt, const float *x, int64_t n, float scale, uint8_t *codes,
               int nthreads)
{
	struct ectx e;
	memset(&e, 0, sizeof e);
	if (!fmt || mq_qspec_init(&e.q, fmt, "rtne") != MQ_OK || e.q.fmt.bits > 8)
		return -1;
	e.x = x, e.scale = scale, e.codes = codes;
	parallel(encode_range, &e, n, nthreads);
	return e.err ? -1 : 0;
}

int mqg_decode(const char *fmt, const uint8_t *codes, int64_t n, float *y)
{
	mq_format f;
	if (!fmt || mq_format_get(fmt, &f) != MQ_OK || f.bits > 8)
		return -1;
	for (int64_t i = 0; i < n; i++)
		y[i] = mq_decode1(&f, codes[i]);
	return 0;
}

uint64_t mqg_hash(const uint8_t *p, int64_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (int64_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

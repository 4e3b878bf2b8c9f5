/* accum.c: the accumulator model of accum.h.
 *
 * Every step works on integers: with e the largest alignment exponent and
 * u = 2^(e - F), each term t becomes q = round_align(t / u), an integer
 * with |q| < 2^(F+2) (a product's significand lies in [1, 4) relative to
 * its alignment exponent; t / u is exact: a power-of-two scaling of a
 * double).  Up to block + 1 such integers sum in int64 without overflow
 * (F <= 50, block <= 256: |S| < 2^61), and S is rounded to acc_bits
 * significant bits on its integer image, so no double rounding can creep
 * in between the exact sum and the accumulator. */
#include "accum.h"
#include "bits.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	mq_accum_model m;
} presets[] = {
	/* float32 in k order */
	{"fp32", {1, -1, MQ_ACC_RNE, 24, MQ_ACC_RNE, 0, 0, -6, -6}},
	/* fitted to an H100's torch._scaled_mm, bit for bit (docs/gpu.md) */
	{"h100-fp8", {32, 13, MQ_ACC_RZ, 14, MQ_ACC_RZ, 128, 1, -6, -6}},
	{"h100-fp8-fast", {32, 13, MQ_ACC_RZ, 14, MQ_ACC_RZ, 0, 1, -6, -6}},
};
#define NPRESET (sizeof presets / sizeof presets[0])

mq_status mq_accum_model_preset(const char *name, mq_accum_model *m)
{
	if (!name || !m)
		return MQ_EOPTION;
	for (size_t i = 0; i < NPRESET; i++)
		if (!strcmp(name, presets[i].name)) {
			*m = presets[i].m;
			return MQ_OK;
		}
	return MQ_EOPTION;
}

void mq_accum_model_operands(mq_accum_model *m, const mq_format *a, const mq_format *b)
{
	m->emin_a = a->emin;
	m->emin_b = b->emin;
}

const char *mq_accum_model_preset_name(size_t i)
{
	return i < NPRESET ? presets[i].name : NULL;
}

static char known[256];
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void known_init(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NPRESET; i++) {
		int w = snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", presets[i].name);
		n += w < 0 ? 0 : (size_t)w;
		if (n >= sizeof known)
			n = sizeof known - 1; /* truncated, never past the end */
	}
}

const char *mq_accum_model_known(void)
{
	pthread_once(&known_once, known_init);
	return known;
}

static int round_ok(mq_acc_round r)
{
	return r == MQ_ACC_RZ || r == MQ_ACC_RD || r == MQ_ACC_RNE;
}

mq_status mq_accum_model_check(const mq_accum_model *m)
{
	if (!m || m->block < 1 || m->block > 256 || m->frac_bits < -1 ||
	    m->frac_bits > 50 || m->acc_bits < 2 || m->acc_bits > 24 ||
	    !round_ok(m->round_align) || !round_ok(m->round_norm) || m->promote < 0 ||
	    (m->promote > 0 && m->promote % m->block) || (m->operand_exp != 0 && m->operand_exp != 1) ||
	    m->emin_a < -1000 || m->emin_a > 1000 || m->emin_b < -1000 || m->emin_b > 1000)
		return MQ_EOPTION;
	if (m->frac_bits < 0 &&
	    (m->block != 1 || m->acc_bits != 24 || m->round_norm != MQ_ACC_RNE))
		return MQ_EOPTION;
	return MQ_OK;
}

/* 2^k as a double for any k a step can need (|k| well below 1100). */
static inline double pow2d(int k)
{
	if (k >= -1022 && k <= 1023) {
		return mq_u2d((uint64_t)(k + 1023) << 52);
	}
	return ldexp(1.0, k);
}

/* floor(log2 |t|) of a non-zero finite double. */
static inline int expo(double t)
{
	int e = (int)((mq_d2u(t) >> 52) & 0x7ff);
	if (e)
		return e - 1023;
	return ilogb(t); /* double subnormal: never for products of floats */
}

/* E(x) = max(floor(log2 |x|), emin) of a non-zero finite float. */
static inline int opexp(float x, int emin)
{
	int e = (int)((mq_f2u(x) >> 23) & 0xff);
	e = e ? e - 127 : ilogbf(x); /* float32 subnormal */
	return e > emin ? e : emin;
}

/* An integer-valued double by the rounding r. */
static inline int64_t round_int(double v, mq_acc_round r)
{
	switch (r) {
	case MQ_ACC_RZ:
		return (int64_t)v; /* C conversion truncates */
	case MQ_ACC_RD:
		return (int64_t)floor(v);
	case MQ_ACC_RNE:
		return (int64_t)nearbyint(v); /* default mode: ties to even */
	}
	return 0;
}

/* S rounded to p significant bits by r, on its integer image. */
static inline int64_t round_bits(int64_t S, int p, mq_acc_round r)
{
	int neg = S < 0;
	uint64_t mag = neg ? 0 - (uint64_t)S : (uint64_t)S;
	if (!mag)
		return 0;
	int len = 64 - __builtin_clzll(mag);
	if (len <= p)
		return S;
	int sh = len - p;
	uint64_t kept = mag >> sh, rem = mag & ((1ull << sh) - 1), half = 1ull << (sh - 1);
	uint64_t up = 0;
	switch (r) {
	case MQ_ACC_RZ:
		break;
	case MQ_ACC_RD:
		up = neg && rem;
		break;
	case MQ_ACC_RNE:
		up = rem > half || (rem == half && (kept & 1));
		break;
	}
	uint64_t v = (kept + up) << sh;
	return neg ? -(int64_t)v : (int64_t)v;
}

/* Plain float32 accumulation in k order (frac_bits = -1). */
static float dot_fp32(const float *a, size_t as, const float *b, size_t bs, size_t K)
{
	float s = 0.0f;
	for (size_t k = 0; k < K; k++) {
		float p = a[k * as] * b[k * bs];
		s = s + p;
	}
	return s;
}

float mq_accum_dot(const mq_accum_model *m, const float *a, size_t as,
                   const float *b, size_t bs, size_t K)
{
	if (m->frac_bits < 0)
		return dot_fp32(a, as, b, bs, K);
	const int F = m->frac_bits, B = m->block;
	double t[257];
	float T = 0.0f, P = 0.0f;
	size_t since = 0; /* products since the last promotion */
	for (size_t k0 = 0; k0 < K; k0 += (size_t)B) {
		size_t n = K - k0 < (size_t)B ? K - k0 : (size_t)B;
		int emax = INT32_MIN;
		size_t nt = 0;
		for (size_t j = 0; j < n; j++) {
			float x = a[(k0 + j) * as], y = b[(k0 + j) * bs];
			double p = (double)x * (double)y;
			if (p != 0.0) {
				if (!isfinite(p))
					return (float)(p + (double)T + (double)P);
				int e = m->operand_exp ? opexp(x, m->emin_a) + opexp(y, m->emin_b) : expo(p);
				emax = e > emax ? e : emax;
				t[nt++] = p;
			}
		}
		if (T != 0.0f) {
			int e = expo((double)T);
			emax = e > emax ? e : emax;
			t[nt++] = (double)T;
		}
		if (nt) {
			double sc = pow2d(F - emax);
			int64_t S = 0;
			for (size_t j = 0; j < nt; j++)
				S += round_int(t[j] * sc, m->round_align);
			S = round_bits(S, m->acc_bits, m->round_norm);
			T = (float)((double)S * pow2d(emax - F));
		} else {
			T = 0.0f;
		}
		since += n;
		if (m->promote > 0 && since >= (size_t)m->promote) {
			P = P + T;
			T = 0.0f;
			since = 0;
		}
	}
	return m->promote > 0 ? P + T : T;
}

struct gemm_job {
	const mq_accum_model *m;
	size_t K, N, r0, r1;
	const float *L, *R;
	float scale, *C;
};

static void *gemm_rows(void *arg)
{
	struct gemm_job *j = arg;
	for (size_t i = j->r0; i < j->r1; i++)
		for (size_t c = 0; c < j->N; c++) {
			float s = mq_accum_dot(j->m, j->L + i * j->K, 1, j->R + c, j->N, j->K);
			j->C[i * j->N + c] = s * j->scale;
		}
	return NULL;
}

mq_status mq_accum_gemm(const mq_accum_model *m, size_t M, size_t K, size_t N,
                        const float *L, const float *R, float scale, float *C,
                        int nthreads)
{
	if (mq_accum_model_check(m) != MQ_OK)
		return MQ_EOPTION;
	if (!M || !K || !N || M > SIZE_MAX / K || K > SIZE_MAX / N || M > SIZE_MAX / N)
		return MQ_ESHAPE;
	if (nthreads < 1)
		nthreads = 1;
	if ((size_t)nthreads > M)
		nthreads = (int)M;
	struct gemm_job *jobs = calloc((size_t)nthreads, sizeof *jobs);
	pthread_t *th = calloc((size_t)nthreads, sizeof *th);
	if (!jobs || !th) {
		free(jobs);
		free(th);
		return MQ_ENOMEM;
	}
	char *live = calloc((size_t)nthreads, 1);
	if (!live) {
		free(jobs);
		free(th);
		return MQ_ENOMEM;
	}
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (struct gemm_job){m, K, N, M * (size_t)t / (size_t)nthreads,
		                            M * (size_t)(t + 1) / (size_t)nthreads, L, R, scale, C};
		/* block 0 runs here; so does any block whose thread fails to start */
		if (t > 0 && pthread_create(&th[t], NULL, gemm_rows, &jobs[t]) == 0)
			live[t] = 1;
	}
	for (int t = 0; t < nthreads; t++)
		if (!live[t])
			gemm_rows(&jobs[t]);
	for (int t = 1; t < nthreads; t++)
		if (live[t])
			pthread_join(th[t], NULL);
	free(live);
	free(jobs);
	free(th);
	return MQ_OK;
}

/* test_qgemm.c: the reference and quantized products (kernels/qgemm.h).
 *
 * The brute force here shares nothing with qgemm.c but the scale
 * computation: scales from mq_absmax_scales, groups from mq_scale_groups,
 * each element quantized by mq_fakequant1(x / scale) with its own SR word
 * mq_rand32(seed, flat index); segments of K found by comparing the group
 * ids of neighbouring k; exact sums in 128-bit integers (a GCC extension,
 * test-only) converted to double by the compiler's own correctly rounded
 * conversion; fp32 sums in a plain float loop.
 *
 * Checked: EXACT and FP32 against it, bit for bit, over formats x
 * granularities (mixed blocks included) x roundings x scale modes, on the
 * plain-loop path and the BLAS path; the BLAS path against the plain loops
 * on larger shapes (int8 via sgemm and dgemm, e4m3, e5m2); FP32 against
 * EXACT (a hand case where fp32 loses a product, and Higham's bound);
 * block descaling on a hand example; 1 = 2 = 3 threads; bad input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "qgemm.h"
#include "qkern.h"
#include "qmmk.h"
#include "check.h"

__extension__ typedef __int128 i128;

static uint64_t rs = 88172645463325252ULL;
static double urand(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

/* Heavy-tailed data over many binades (so that e5m2's subnormals and
 * large values both occur), with some exact zeros. */
static void fill(float *x, size_t n, int spread)
{
	for (size_t i = 0; i < n; i++) {
		double u = urand();
		double g = (urand() - 0.5) * 4;
		x[i] = u < 0.05 ? 0.0f : (float)(g * ldexp(1.0, (int)(urand() * spread) - spread / 2));
	}
}

/* Quantized values (unscaled), scales and group ids of one operand. */
typedef struct {
	float *a, *sc;
	size_t *gid;
} qop;

static void brute_quant(const mq_qoperand *o, mq_operand op, size_t rows, size_t cols,
                        const float *x, qop *q)
{
	mq_layout l;
	mq_layout_matrix(&l, rows, cols, op);
	size_t n = rows * cols, ns = mq_scale_count(&l, &o->gran);
	q->a = malloc(n * sizeof *q->a);
	q->sc = malloc(ns * sizeof *q->sc);
	q->gid = malloc(n * sizeof *q->gid);
	CHECK(mq_absmax_scales(&l, &o->gran, &o->q.fmt, o->mode, x, q->sc) == MQ_OK, "scales");
	CHECK(mq_scale_groups(&l, &o->gran, q->gid) == MQ_OK, "groups");
	for (size_t i = 0; i < n; i++) {
		uint32_t rb = o->q.rnd.mode == MQ_SR ? mq_rand32(o->q.seed, i) : 0;
		q->a[i] = mq_fakequant1(&o->q, x[i] / q->sc[q->gid[i]], rb);
	}
}

static void qop_free(qop *q)
{
	free(q->a), free(q->sc), free(q->gid);
}

/* Q(L, R) per qgemm.h, element by element. */
static void brute(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N, const float *L,
                  const float *R, double *C)
{
	qop l, r;
	brute_quant(&cfg->lhs, MQ_LHS, M, K, L, &l);
	brute_quant(&cfg->rhs, MQ_RHS, K, N, R, &r);
	double ul = cfg->lhs.q.fmt.min_subnormal, ur = cfg->rhs.q.fmt.min_subnormal;
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			double c = 0;
			float cf = 0;
			size_t k0 = 0;
			int first = 1;
			while (k0 < K) {
				/* a segment: the k with the same pair of scale groups */
				size_t gl = l.gid[i * K + k0], gr = r.gid[k0 * N + j], k1 = k0;
				while (k1 < K && l.gid[i * K + k1] == gl && r.gid[k1 * N + j] == gr)
					k1++;
				if (cfg->accum == MQ_ACCUM_EXACT) {
					i128 s = 0;
					for (size_t k = k0; k < k1; k++)
						s += (i128)(int64_t)(l.a[i * K + k] / ul) *
						     (i128)(int64_t)(r.a[k * N + j] / ur);
					double S = (double)s * ul * ur;
					double d = S * ((double)l.sc[gl] * (double)r.sc[gr]);
					c = first ? d : c + d;
				} else {
					float s = 0;
					for (size_t k = k0; k < k1; k++) {
						float p = l.a[i * K + k] * r.a[k * N + j];
						s = s + p;
					}
					float d = s * (l.sc[gl] * r.sc[gr]);
					cf = first ? d : cf + d;
					c = cf;
				}
				first = 0;
				k0 = k1;
			}
			C[i * N + j] = c;
		}
	qop_free(&l);
	qop_free(&r);
}

static int same_bits(const double *a, const double *b, size_t n, size_t *where)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof a[i])) {
			*where = i;
			return 0;
		}
	return 1;
}

static void cfg_make(mq_qmatmul_cfg *c, const char *lf, const char *lg, const char *rf,
                     const char *rg, const char *rnd, mq_scale_mode mode, mq_accum acc)
{
	memset(c, 0, sizeof *c);
	CHECK(mq_qoperand_init(&c->lhs, lf, rnd, lg) == MQ_OK, "lhs %s %s", lf, lg);
	CHECK(mq_qoperand_init(&c->rhs, rf, rnd, rg) == MQ_OK, "rhs %s %s", rf, rg);
	c->lhs.mode = c->rhs.mode = mode;
	c->lhs.q.seed = 11, c->rhs.q.seed = 12;
	c->accum = acc;
}

static void test_brute(void)
{
	const size_t M = 5, K = 13, N = 7;
	float L[5 * 13], R[13 * 7];
	double want[5 * 7], got[5 * 7];
	static const char *fmts[] = {"int8", "e4m3", "e5m2", "e3m2", "e2m1", "int4"};
	static const char *grans[][2] = {
		{"tensor", "tensor"}, {"channel", "channel"}, {"tensor", "channel"},
		{"block:4", "block:4"}, {"block:4", "block:6"}, {"block:3", "tensor"},
		{"fine", "block:5"},    {"block:32", "channel"},
	};
	static const char *rnds[] = {"rtne", "sr", "rtz"};
	for (int spread = 4; spread <= 40; spread += 36)
		for (size_t f = 0; f < 6; f++)
			for (size_t g = 0; g < 8; g++)
				for (size_t r = 0; r < 3; r++)
					for (int mode = 0; mode < 2; mode++)
						for (int acc = 0; acc < 2; acc++)
							for (int flags = 0; flags < 2; flags++) {
								fill(L, M * K, spread);
								fill(R, K * N, spread);
								mq_qmatmul_cfg c;
								/* mix formats: L in fmts[f], R in the next one */
								cfg_make(&c, fmts[f], grans[g][0], fmts[(f + 1) % 6],
								         grans[g][1], rnds[r], (mq_scale_mode)mode,
								         (mq_accum)acc);
								c.flags = flags ? MQ_QMM_REFERENCE : 0;
								brute(&c, M, K, N, L, R, want);
								mq_status s = mq_qmatmul_f64(&c, M, K, N, L, R, got, 1,
								                             NULL, NULL);
								size_t at = 0;
								CHECK(s == MQ_OK && same_bits(want, got, M * N, &at),
								      "%s %s x %s %s, %s, %s, %s%s, spread %d: status %d, "
								      "C[%zu] = %.17g want %.17g",
								      fmts[f], grans[g][0], fmts[(f + 1) % 6], grans[g][1],
								      rnds[r], mode ? "pow2" : "fp32", acc ? "fp32" : "exact",
								      flags ? " ref" : "", spread, (int)s, at, got[at],
								      want[at]);
								/* The float output is the rounding of the double one. */
								float gf[5 * 7];
								s = mq_qmatmul(&c, M, K, N, L, R, gf, 1, NULL, NULL);
								int ok = s == MQ_OK;
								for (size_t i = 0; i < M * N; i++)
									ok &= gf[i] == (float)want[i];
								CHECK(ok, "float output is not the rounded double one");
							}
}

/* The BLAS path against the plain loops on shapes big enough to matter. */
static void test_paths(void)
{
	struct {
		const char *f, *g;
		size_t M, K, N;
		int spread;
	} cs[] = {
		{"int8", "channel", 33, 64, 17, 8},     /* sgemm: 64 * 127^2 < 2^24 */
		{"int8", "channel", 9, 2000, 11, 8},    /* dgemm: above 2^24 */
		{"int8", "block:32", 20, 200, 21, 8},   /* a gemm per block */
		{"e4m3", "channel", 31, 300, 29, 8},    /* dgemm */
		{"e4m3", "tensor", 16, 100, 16, 30},
		{"e5m2", "channel", 12, 64, 10, 4},     /* narrow data: dgemm */
		{"e5m2", "channel", 12, 64, 10, 60},    /* wide data: plain loops */
		{"e5m2", "block:16", 12, 64, 10, 60},
		{"e5m2", "tensor", 7, 3000, 9, 60},     /* four dgemms on 16-bit halves */
		{"e5m2", "block:1000", 5, 2500, 6, 60},
	};
	for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
		size_t M = cs[t].M, K = cs[t].K, N = cs[t].N;
		float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
		double *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
		fill(L, M * K, cs[t].spread);
		fill(R, K * N, cs[t].spread);
		for (int r = 0; r < 2; r++) {
			mq_qmatmul_cfg c;
			cfg_make(&c, cs[t].f, cs[t].g, cs[t].f, cs[t].g, r ? "sr" : "rtne",
			         MQ_SCALE_FP32, MQ_ACCUM_EXACT);
			CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, a, 2, NULL, NULL) == MQ_OK, "fast");
			c.flags = MQ_QMM_REFERENCE;
			CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, b, 2, NULL, NULL) == MQ_OK, "ref");
			size_t at = 0;
			CHECK(same_bits(a, b, M * N, &at), "%s %s %zux%zux%zu: fast %.17g ref %.17g",
			      cs[t].f, cs[t].g, M, K, N, a[at], b[at]);
			/* float C too: the BLAS path descales into it directly */
			float *fa = malloc(M * N * sizeof *fa), *fb = malloc(M * N * sizeof *fb);
			c.flags = 0;
			CHECK(mq_qmatmul(&c, M, K, N, L, R, fa, 1, NULL, NULL) == MQ_OK, "fast f32");
			c.flags = MQ_QMM_REFERENCE;
			CHECK(mq_qmatmul(&c, M, K, N, L, R, fb, 1, NULL, NULL) == MQ_OK, "ref f32");
			CHECK(memcmp(fa, fb, M * N * sizeof *fa) == 0, "%s %s %zux%zux%zu: float C differs",
			      cs[t].f, cs[t].g, M, K, N);
			free(fa), free(fb);
			if (M * K <= 64 * 64) {
				double *w = malloc(M * N * sizeof *w);
				brute(&c, M, K, N, L, R, w);
				CHECK(same_bits(a, w, M * N, &at), "%s %s: brute force differs",
				      cs[t].f, cs[t].g);
				free(w);
			}
		}
		free(L), free(R), free(a), free(b);
	}
}

/* fp32 accumulation against exact. */
static void test_fp32_vs_exact(void)
{
	/* By hand: e4m3, tensor scales of exactly 1 (absmax 448).  The sum
	 * 448*448 + 2^-9 * 2^-9 = 200704 + 2^-18 needs 36 bits: exact keeps
	 * it, fp32 (24 bits) returns 200704. */
	float L[2] = {448.0f, 0x1p-9f}, R[2] = {448.0f, 0x1p-9f};
	mq_qmatmul_cfg c;
	cfg_make(&c, "e4m3", "tensor", "e4m3", "tensor", "rtne", MQ_SCALE_FP32, MQ_ACCUM_EXACT);
	double ce, cf;
	CHECK(mq_qmatmul_f64(&c, 1, 2, 1, L, R, &ce, 1, NULL, NULL) == MQ_OK, "exact");
	CHECK(ce == 200704.0 + 0x1p-18, "exact: %.17g", ce);
	c.accum = MQ_ACCUM_FP32;
	CHECK(mq_qmatmul_f64(&c, 1, 2, 1, L, R, &cf, 1, NULL, NULL) == MQ_OK, "fp32");
	CHECK(cf == 200704.0, "fp32: %.17g", cf);

	/* Higham: |fl(sum) - sum| <= (K-1) u sum|a b| (u = 2^-24, products
	 * exact), then the descale rounds once more (relative u, twice for the
	 * float product of the scales).  And on random data they differ. */
	const size_t M = 16, K = 512, N = 16;
	float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B);
	double *e = malloc(M * N * sizeof *e), *f = malloc(M * N * sizeof *f);
	fill(A, M * K, 10);
	fill(B, K * N, 10);
	cfg_make(&c, "e4m3", "channel", "e4m3", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	CHECK(mq_qmatmul_f64(&c, M, K, N, A, B, e, 1, NULL, NULL) == MQ_OK, "exact");
	c.accum = MQ_ACCUM_FP32;
	CHECK(mq_qmatmul_f64(&c, M, K, N, A, B, f, 1, NULL, NULL) == MQ_OK, "fp32");
	qop l, r;
	brute_quant(&c.lhs, MQ_LHS, M, K, A, &l);
	brute_quant(&c.rhs, MQ_RHS, K, N, B, &r);
	size_t differ = 0;
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			double absum = 0;
			for (size_t k = 0; k < K; k++)
				absum += fabs((double)l.a[i * K + k] * r.a[k * N + j]);
			double s = (double)l.sc[i] * r.sc[j];
			double bound = ((K - 1) * 0x1p-24 * absum * (1 + 1e-4) +
			                3 * 0x1p-24 * fabs(e[i * N + j] / s)) * s * (1 + 1e-12);
			double d = fabs(f[i * N + j] - e[i * N + j]);
			CHECK(d <= bound, "C[%zu,%zu]: |fp32 - exact| = %g > %g", i, j, d, bound);
			differ += d != 0;
		}
	CHECK(differ > M * N / 4, "fp32 and exact agree too often (%zu of %zu)", differ, M * N);
	qop_free(&l), qop_free(&r);
	free(A), free(B), free(e), free(f);
}

/* Block descaling by hand.  int8, L 1 x 4 with block:2, R 4 x 1 channel:
 *   L block 0 = [0.5, 2]:  sL0 = 2/127,  codes 0.5*127/2 = 31.75 -> 32, 127
 *   L block 1 = [30, 40]:  sL1 = 40/127, codes 30*127/40 = 95.25 -> 95, 127
 *   R = [1, 1, 1, 1]:      sR  = 1/127,  codes 127 x 4
 * C = (32 + 127) * 127 * sL0 sR + (95 + 127) * 127 * sL1 sR,
 * where one scale for the whole row would have mixed the two blocks. */
static void test_block_by_hand(void)
{
	float L[4] = {0.5f, 2, 30, 40}, R[4] = {1, 1, 1, 1};
	mq_qmatmul_cfg c;
	cfg_make(&c, "int8", "block:2", "int8", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	float sl0 = 2.0f / 127.0f, sl1 = 40.0f / 127.0f, sr = 1.0f / 127.0f;
	double want = (32.0 + 127.0) * 127.0 * ((double)sl0 * sr) +
	              (95.0 + 127.0) * 127.0 * ((double)sl1 * sr);
	double got;
	for (int flags = 0; flags < 2; flags++) {
		c.flags = flags ? MQ_QMM_REFERENCE : 0;
		CHECK(mq_qmatmul_f64(&c, 1, 4, 1, L, R, &got, 1, NULL, NULL) == MQ_OK, "block");
		CHECK(got == want, "block by hand: %.17g want %.17g", got, want);
	}
	c.accum = MQ_ACCUM_FP32;
	float wf = (159.0f * 127.0f) * (sl0 * sr);
	wf = wf + (222.0f * 127.0f) * (sl1 * sr);
	CHECK(mq_qmatmul_f64(&c, 1, 4, 1, L, R, &got, 1, NULL, NULL) == MQ_OK, "block fp32");
	CHECK(got == (double)wf, "block fp32 by hand: %.9g want %.9g", got, wf);
	/* both exact and this are close to the true 0.5+2+30+40 = 72.5 */
	CHECK(fabs(got - 72.5) < 0.2, "block: %g far from 72.5", got);
}

static void test_threads(void)
{
	const size_t M = 37, K = 50, N = 23;
	float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
	float *c1 = malloc(M * N * sizeof *c1), *cn = malloc(M * N * sizeof *cn);
	fill(L, M * K, 30);
	fill(R, K * N, 30);
	static const char *fmts[] = {"int8", "e4m3", "e5m2"};
	for (int f = 0; f < 3; f++)
		for (int acc = 0; acc < 2; acc++)
			for (int flags = 0; flags < 2; flags++) {
				mq_qmatmul_cfg c;
				cfg_make(&c, fmts[f], "block:8", fmts[f], "channel", "sr", MQ_SCALE_FP32,
				         (mq_accum)acc);
				c.flags = flags ? MQ_QMM_REFERENCE : 0;
				mq_qstats s1 = {0}, s2 = {0};
				CHECK(mq_qmatmul(&c, M, K, N, L, R, c1, 1, &s1, &s2) == MQ_OK, "1 thread");
				CHECK(s1.n == M * K && s2.n == K * N, "stats n");
				int ts[] = {2, 3, 0, -4, 64};
				for (int t = 0; t < 5; t++) {
					CHECK(mq_qmatmul(&c, M, K, N, L, R, cn, ts[t], NULL, NULL) == MQ_OK,
					      "%d threads", ts[t]);
					CHECK(!memcmp(c1, cn, M * N * sizeof *c1),
					      "%s %s: %d threads differ from 1", fmts[f], acc ? "fp32" : "exact",
					      ts[t]);
				}
			}
	free(L), free(R), free(c1), free(cn);
}

/* FP32 through the k-order kernel (qmmk.h) on every instruction-set path
 * the CPU has, against the plain loops (MQ_QMM_REFERENCE), bit for bit:
 * shapes that leave partial register tiles and span several K panels,
 * operands mixing formats, NaN-free saturated data and IEEE overflow. */
static void test_fp32_kernel(void)
{
	struct {
		const char *lf, *rf, *g;
		size_t M, K, N;
		int spread, ieee;
	} cs[] = {
		{"e4m3", "e4m3", "channel", 1, 1, 1, 8, 0},
		{"e4m3", "e4m3", "channel", 37, 300, 41, 30, 0},
		{"e5m2", "e4m3", "tensor", 101, 257, 70, 60, 0},
		{"int8", "int8", "block:64", 130, 200, 33, 8, 0},
		{"e5m2", "e5m2", "block:100", 9, 513, 95, 60, 0},
		{"e3m2", "e2m1", "fine", 17, 129, 16, 20, 0},
		{"e5m2", "e5m2", "channel", 23, 140, 19, 60, 1},
	};
	static const char *isas[] = {"generic", "avx2", "avx512"};
	for (size_t p = 0; p < 3; p++) {
		if (mq_qkern_force(isas[p]) != MQ_OK)
			continue; /* not on this CPU */
		for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
			size_t M = cs[t].M, K = cs[t].K, N = cs[t].N;
			float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
			float *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
			double *ad = malloc(M * N * sizeof *ad), *bd = malloc(M * N * sizeof *bd);
			fill(L, M * K, cs[t].spread);
			fill(R, K * N, cs[t].spread);
			mq_qmatmul_cfg c;
			cfg_make(&c, cs[t].lf, cs[t].g, cs[t].rf, cs[t].g, "rtne", MQ_SCALE_FP32,
			         MQ_ACCUM_FP32);
			if (cs[t].ieee) {
				/* a scale that overflows: pow2 mode rounds absmax's scale
				 * down, so the largest values leave the format as inf */
				c.lhs.q.ovf = c.rhs.q.ovf = MQ_OVF_IEEE;
				c.lhs.mode = c.rhs.mode = MQ_SCALE_POW2;
			}
			for (int th = 1; th <= 2; th++) {
				c.flags = 0;
				CHECK(mq_qmatmul(&c, M, K, N, L, R, a, th, NULL, NULL) == MQ_OK, "kernel");
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, ad, th, NULL, NULL) == MQ_OK, "kernel d");
				c.flags = MQ_QMM_REFERENCE;
				CHECK(mq_qmatmul(&c, M, K, N, L, R, b, 1, NULL, NULL) == MQ_OK, "loops");
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, bd, 1, NULL, NULL) == MQ_OK, "loops d");
				size_t at = M * N;
				for (size_t i = 0; i < M * N && at == M * N; i++)
					if (memcmp(&a[i], &b[i], sizeof *a) && !(isnan(a[i]) && isnan(b[i])))
						at = i;
				CHECK(at == M * N, "%s: %s x %s %s %zux%zux%zu, %d thread(s): C[%zu] = %.9g, "
				      "loops %.9g", isas[p], cs[t].lf, cs[t].rf, cs[t].g, M, K, N, th,
				      at, a[at < M * N ? at : 0], b[at < M * N ? at : 0]);
				at = M * N;
				for (size_t i = 0; i < M * N && at == M * N; i++)
					if (memcmp(&ad[i], &bd[i], sizeof *ad) && !(isnan(ad[i]) && isnan(bd[i])))
						at = i;
				CHECK(at == M * N, "%s: %s %zux%zux%zu double C[%zu]", isas[p], cs[t].lf,
				      M, K, N, at);
			}
			free(L), free(R), free(a), free(b), free(ad), free(bd);
		}
	}
	mq_qkern_force(NULL);
}

/* EXACT int8 x int8 through the VNNI or AMX kernel (where the CPU has it; the
 * avx2 and generic paths take the BLAS path) against the plain loops:
 * partial tiles, K beyond one packed panel (2048), block scales. */
static void test_int8_kernel(void)
{
	struct {
		const char *g;
		size_t M, K, N;
	} cs[] = {
		{"channel", 1, 1, 1}, {"channel", 37, 300, 41}, {"tensor", 9, 5000, 45},
		{"block:64", 101, 257, 70}, {"block:1000", 17, 4100, 33},
	};
	static const char *isas[] = {"generic", "avx2", "avx512", "amx"};
	for (size_t p = 0; p < 4; p++) {
		if (mq_qkern_force(isas[p]) != MQ_OK) {
			if (p == 3)
				printf("test_qgemm: no AMX-INT8 here, the AMX path is not tested\n");
			continue;
		}
		if (p == 2 && !mq_qmmk_i8_select())
			printf("test_qgemm: no AVX-512 VNNI here, the int8 kernel is not tested\n");
		for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
			size_t M = cs[t].M, K = cs[t].K, N = cs[t].N;
			float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
			double *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
			fill(L, M * K, 8);
			fill(R, K * N, 8);
			for (int r = 0; r < 2; r++) {
				mq_qmatmul_cfg c;
				cfg_make(&c, "int8", cs[t].g, "int8", cs[t].g, r ? "sr" : "rtne",
				         MQ_SCALE_FP32, MQ_ACCUM_EXACT);
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, a, 1 + r, NULL, NULL) == MQ_OK, "kern");
				c.flags = MQ_QMM_REFERENCE;
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, b, 1, NULL, NULL) == MQ_OK, "loops");
				size_t at = 0;
				CHECK(same_bits(a, b, M * N, &at), "%s: int8 %s %zux%zux%zu: C[%zu] %.17g, "
				      "loops %.17g", isas[p], cs[t].g, M, K, N, at, a[at], b[at]);
			}
			free(L), free(R), free(a), free(b);
		}
	}
	mq_qkern_force(NULL);
	/* The kernel itself at its bound: K = 65536 of the extreme bytes. */
	mq_qmmk_i8_fn f = mq_qmmk_i8_select();
	if (f) {
		size_t K = 65536, N = 3;
		int8_t *A = malloc(2 * K), *B = malloc(K * N);
		int32_t C[2 * 3];
		for (size_t k = 0; k < K; k++) {
			A[k] = 127, A[K + k] = -128;
			B[k * N] = -128, B[k * N + 1] = 127, B[k * N + 2] = (int8_t)(k % 2 ? -128 : 127);
		}
		CHECK(f(2, N, K, A, K, B, N, C, N) == 0, "kernel");
		/* column 2 alternates 127, -128: each pair adds -a */
		int64_t want[6] = {127 * -128 * 65536LL, 127 * 127 * 65536LL, 127 * -1 * 32768LL,
		                   -128 * -128 * 65536LL, -128 * 127 * 65536LL, -128 * -1 * 32768LL};
		for (int i = 0; i < 6; i++)
			CHECK(C[i] == want[i], "bound: C[%d] = %d, want %lld", i, C[i], (long long)want[i]);
		free(A), free(B);
	}
}

/* EXACT under block scales through the block kernel (qmmk.h; sums exact
 * in double) on every instruction-set path, against the plain loops:
 * partial tiles, blocks of different sizes on the two sides, segments
 * that fill a panel (500 of 512) and one block against a channel side. */
static void test_blk_kernel(void)
{
	struct {
		const char *lf, *lg, *rf, *rg;
		size_t M, K, N;
	} cs[] = {
		{"e4m3", "block:32", "e4m3", "block:32", 37, 300, 41},
		{"e4m3", "block:48", "e5m2", "block:32", 19, 390, 23},
		{"e4m3", "block:500", "e4m3", "block:500", 9, 1500, 17},
		{"e3m2", "block:7", "e4m3", "channel", 66, 100, 35},
		{"int4", "block:16", "e4m3", "block:16", 8, 64, 16},
	};
	static const char *isas[] = {"generic", "avx2", "avx512"};
	for (size_t p = 0; p < 3; p++) {
		if (mq_qkern_force(isas[p]) != MQ_OK)
			continue;
		for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
			size_t M = cs[t].M, K = cs[t].K, N = cs[t].N;
			float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
			double *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
			float *fa = malloc(M * N * sizeof *fa), *fb = malloc(M * N * sizeof *fb);
			fill(L, M * K, 8);
			fill(R, K * N, 8);
			mq_qmatmul_cfg c;
			cfg_make(&c, cs[t].lf, cs[t].lg, cs[t].rf, cs[t].rg, "rtne", MQ_SCALE_FP32,
			         MQ_ACCUM_EXACT);
			for (int th = 1; th <= 2; th++) {
				c.flags = 0;
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, a, th, NULL, NULL) == MQ_OK, "kern");
				CHECK(mq_qmatmul(&c, M, K, N, L, R, fa, th, NULL, NULL) == MQ_OK, "kern f");
				c.flags = MQ_QMM_REFERENCE;
				CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, b, 1, NULL, NULL) == MQ_OK, "loops");
				CHECK(mq_qmatmul(&c, M, K, N, L, R, fb, 1, NULL, NULL) == MQ_OK, "loops f");
				size_t at = 0;
				CHECK(same_bits(a, b, M * N, &at), "%s: %s %s x %s %s %zux%zux%zu: C[%zu] "
				      "%.17g, loops %.17g", isas[p], cs[t].lf, cs[t].lg, cs[t].rf, cs[t].rg,
				      M, K, N, at, a[at], b[at]);
				CHECK(!memcmp(fa, fb, M * N * sizeof *fa), "%s: %s %s: float C differs",
				      isas[p], cs[t].lf, cs[t].lg);
			}
			free(L), free(R), free(a), free(b), free(fa), free(fb);
		}
	}
	mq_qkern_force(NULL);
}

/* Exact e5m2 products through the split dgemms (qgemm.c run_blas_split)
 * against the plain loops.  Which split a case takes depends on its data;
 * with a probe, the cases of this file took the one-sided split 46 times
 * (test_brute, test_threads, test_paths) and the two-sided one 17 times
 * (these and test_paths). */
static void test_split(void)
{
	struct {
		int ls, rs;
		const char *g;
		size_t M, K, N;
	} cs[] = {
		{60, 20, "channel", 23, 512, 19},
		{20, 60, "channel", 23, 512, 19},
		{60, 60, "tensor", 7, 700, 9},
		{60, 24, "block:128", 9, 384, 11},
	};
	for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
		size_t M = cs[t].M, K = cs[t].K, N = cs[t].N;
		float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
		double *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
		fill(L, M * K, cs[t].ls);
		fill(R, K * N, cs[t].rs);
		mq_qmatmul_cfg c;
		cfg_make(&c, "e5m2", cs[t].g, "e5m2", cs[t].g, "rtne", MQ_SCALE_FP32, MQ_ACCUM_EXACT);
		CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, a, 1, NULL, NULL) == MQ_OK, "split");
		c.flags = MQ_QMM_REFERENCE;
		CHECK(mq_qmatmul_f64(&c, M, K, N, L, R, b, 1, NULL, NULL) == MQ_OK, "loops");
		size_t at = 0;
		CHECK(same_bits(a, b, M * N, &at), "e5m2 %s spreads %d/%d: C[%zu] %.17g, loops %.17g",
		      cs[t].g, cs[t].ls, cs[t].rs, at, a[at], b[at]);
		free(L), free(R), free(a), free(b);
	}
}

static void test_ref(void)
{
	const size_t M = 6, K = 9, N = 4;
	float L[6 * 9], R[9 * 4], cf[6 * 4];
	double C[6 * 4], A[6 * 4];
	fill(L, M * K, 8);
	fill(R, K * N, 8);
	CHECK(mq_matmul_ref(M, K, N, L, R, C) == MQ_OK, "ref");
	CHECK(mq_matmul_absref(M, K, N, L, R, A) == MQ_OK, "absref");
	CHECK(mq_matmul_ref_f32(M, K, N, L, R, cf) == MQ_OK, "ref f32");
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			double s = 0, a = 0;
			for (size_t k = 0; k < K; k++) {
				s += (double)L[i * K + k] * R[k * N + j];
				a += fabs((double)L[i * K + k] * R[k * N + j]);
			}
			CHECK(fabs(C[i * N + j] - s) <= 1e-15 * a, "ref (%zu,%zu)", i, j);
			CHECK(fabs(A[i * N + j] - a) <= 1e-15 * a, "absref (%zu,%zu)", i, j);
			CHECK(cf[i * N + j] == (float)C[i * N + j], "ref f32 (%zu,%zu)", i, j);
		}
}

static void test_bad(void)
{
	float L[6] = {1, 2, 3, 4, 5, 6}, R[6] = {1, 2, 3, 4, 5, 6}, C[9];
	double Cd[9];
	mq_qmatmul_cfg c;
	cfg_make(&c, "e4m3", "channel", "e4m3", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	CHECK(mq_qmatmul(&c, 0, 2, 3, L, R, C, 1, NULL, NULL) == MQ_ESHAPE, "M = 0");
	CHECK(mq_qmatmul(&c, 3, 0, 3, L, R, C, 1, NULL, NULL) == MQ_ESHAPE, "K = 0");
	CHECK(mq_qmatmul(&c, 3, 2, 0, L, R, C, 1, NULL, NULL) == MQ_ESHAPE, "N = 0");
	CHECK(mq_qmatmul(&c, SIZE_MAX / 2, 4, 3, L, R, C, 1, NULL, NULL) == MQ_ESHAPE,
	      "overflowing M");
	CHECK(mq_matmul_ref(3, 0, 3, L, R, Cd) == MQ_ESHAPE, "ref K = 0");
	CHECK(mq_matmul_ref((size_t)1 << 40, (size_t)1 << 40, 3, L, R, Cd) == MQ_ESHAPE,
	      "ref overflow");
	L[4] = NAN;
	mq_qstats st = {0};
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, &st, NULL) == MQ_ENONFINITE, "NaN in L");
	CHECK(st.n == 0, "stats touched on error");
	CHECK(mq_matmul_ref(3, 2, 3, L, R, Cd) == MQ_ENONFINITE, "ref NaN");
	CHECK(mq_matmul_absref(3, 2, 3, L, R, Cd) == MQ_ENONFINITE, "absref NaN");
	L[4] = 5;
	R[1] = -INFINITY;
	CHECK(mq_qmatmul_f64(&c, 3, 2, 3, L, R, Cd, 1, NULL, NULL) == MQ_ENONFINITE, "Inf in R");
	R[1] = 2;
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_OK, "good");
	CHECK(mq_qmatmul(NULL, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "NULL cfg");
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, NULL, 1, NULL, NULL) == MQ_EOPTION, "NULL C");
	c.accum = (mq_accum)9;
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "bad accum");
	/* exact accumulation of fp16 or bf16 is not offered */
	cfg_make(&c, "fp16", "channel", "e4m3", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "exact fp16");
	c.accum = MQ_ACCUM_FP32;
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_OK, "fp32 fp16");
	/* an invalid spec */
	cfg_make(&c, "int8", "channel", "int8", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	c.lhs.q.ovf = MQ_OVF_IEEE;
	CHECK(mq_qmatmul(&c, 3, 2, 3, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "int8 ieee");
	/* parsers */
	mq_accum a;
	CHECK(mq_accum_parse("exact", &a) == MQ_OK && a == MQ_ACCUM_EXACT, "parse exact");
	CHECK(mq_accum_parse("fp32", &a) == MQ_OK && a == MQ_ACCUM_FP32, "parse fp32");
	CHECK(mq_accum_parse("fp16", &a) == MQ_EOPTION, "parse fp16");
	CHECK(mq_accum_parse(NULL, &a) == MQ_EOPTION, "parse NULL");
	CHECK(!strcmp(mq_accum_name(MQ_ACCUM_FP32), "fp32"), "name");
	mq_qoperand o;
	CHECK(mq_qoperand_init(&o, "e9m9", "rtne", "tensor") == MQ_EFORMAT, "bad format");
	CHECK(mq_qoperand_init(&o, "e4m3", "up", "tensor") == MQ_EROUNDING, "bad rounding");
	CHECK(mq_qoperand_init(&o, "e4m3", "rtne", "block:0") == MQ_EGRAN, "bad gran");
}

/* All-zero rows and columns, and a 1 x 1 x 1 product. */
static void test_zeros(void)
{
	float L[6] = {0, 0, 0, 1, -2, 3}, R[6] = {0, 1, 0, 2, 0, 3};
	double C[4];
	mq_qmatmul_cfg c;
	cfg_make(&c, "e5m2", "channel", "e5m2", "channel", "rtne", MQ_SCALE_FP32,
	         MQ_ACCUM_EXACT);
	CHECK(mq_qmatmul_f64(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_OK, "zeros");
	CHECK(C[0] == 0 && C[1] == 0 && C[2] == 0, "zero row/column gives %g %g %g", C[0],
	      C[1], C[2]);
	CHECK(fabs(C[3] - 6) < 1, "C[3] = %g, want about 1 - 4 + 9 = 6", C[3]);
	float one = 3, two = -5;
	double d;
	CHECK(mq_qmatmul_f64(&c, 1, 1, 1, &one, &two, &d, 1, NULL, NULL) == MQ_OK && fabs(d + 15) < 1e-5,
	      "1x1x1: %g", d);
}

int main(void)
{
	test_brute();
	test_paths();
	test_fp32_vs_exact();
	test_block_by_hand();
	test_threads();
	test_fp32_kernel();
	test_int8_kernel();
	test_blk_kernel();
	test_split();
	test_ref();
	test_bad();
	test_zeros();
	if (failures) {
		fprintf(stderr, "test_qgemm: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_qgemm: ok\n");
	return 0;
}

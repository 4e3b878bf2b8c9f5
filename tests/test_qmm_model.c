/* test_qmm_model.c: mq_qmatmul with MQ_ACCUM_MODEL (kernels/qgemm.h).
 *
 * The brute force here shares only the quantizer (mq_quantize_tensor,
 * mq_scale_groups) and the model itself (mq_accum_dot, tested on its own
 * by test_accum.c) with qgemm.c: it finds the segments of K by comparing
 * the group ids of neighbouring k, runs mq_accum_dot per segment on
 * freshly gathered columns, and descales and adds in float32 as qgemm.h
 * says.  What is checked is the plumbing around the model: segments,
 * scales, the transposed right operand, threads, the float and double
 * outputs, and the errors.
 *
 * Checked: every preset against the brute force over FP8 format pairs x
 * granularities (mixed blocks) x roundings; the "fp32" model equals
 * MQ_ACCUM_FP32 bit for bit (two implementations of the same float32
 * sum); 1 = 3 threads; a hand case where the H100 truncation drops a
 * product that fp32 keeps; non-FP8 operands and invalid models give
 * MQ_EOPTION; mq_qmatmul_accum's names.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "qgemm.h"
#include "check.h"

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static double urand(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

/* Heavy-tailed data over `spread` binades, with some exact zeros. */
static void fill(float *x, size_t n, int spread)
{
	for (size_t i = 0; i < n; i++) {
		double u = urand(), g = (urand() - 0.5) * 4;
		x[i] = u < 0.05 ? 0.0f : (float)(g * ldexp(1.0, (int)(urand() * spread) - spread / 2));
	}
}

static void cfg_make(mq_qmatmul_cfg *c, const char *lf, const char *lg, const char *rf,
                     const char *rg, const char *rnd, const char *accum)
{
	memset(c, 0, sizeof *c);
	CHECK(mq_qoperand_init(&c->lhs, lf, rnd, lg) == MQ_OK, "lhs %s %s", lf, lg);
	CHECK(mq_qoperand_init(&c->rhs, rf, rnd, rg) == MQ_OK, "rhs %s %s", rf, rg);
	c->lhs.q.seed = 21, c->rhs.q.seed = 22;
	CHECK(mq_qmatmul_accum(c, accum) == MQ_OK, "accum %s", accum);
}

/* Decoded (unscaled) values, scales and scale groups of one operand. */
typedef struct {
	float *v, *sc;
	size_t *gid;
} qop;

static void quant(const mq_qoperand *o, mq_operand op, size_t rows, size_t cols,
                  const float *x, qop *q)
{
	mq_layout l;
	mq_layout_matrix(&l, rows, cols, op);
	size_t n = rows * cols, ns = mq_scale_count(&l, &o->gran);
	uint8_t *codes = malloc(n);
	q->v = malloc(n * sizeof *q->v);
	q->sc = malloc(ns * sizeof *q->sc);
	q->gid = malloc(n * sizeof *q->gid);
	CHECK(mq_quantize_tensor(&o->q, &l, &o->gran, o->mode, x, NULL, codes, q->sc, NULL) ==
	      MQ_OK, "quantize");
	CHECK(mq_decode(&o->q.fmt, codes, n, 1.0f, q->v) == MQ_OK, "decode");
	CHECK(mq_scale_groups(&l, &o->gran, q->gid) == MQ_OK, "groups");
	free(codes);
}

/* Q(L, R) under cfg->model as qgemm.h describes it, element by element. */
static void brute(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N, const float *L,
                  const float *R, float *C)
{
	qop l, r;
	quant(&cfg->lhs, MQ_LHS, M, K, L, &l);
	quant(&cfg->rhs, MQ_RHS, K, N, R, &r);
	mq_accum_model m = cfg->model;
	mq_accum_model_operands(&m, &cfg->lhs.q.fmt, &cfg->rhs.q.fmt);
	float *col = malloc(K * sizeof *col);
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			for (size_t k = 0; k < K; k++)
				col[k] = r.v[k * N + j];
			float c = 0.0f;
			for (size_t k0 = 0; k0 < K;) {
				size_t gl = l.gid[i * K + k0], gr = r.gid[k0 * N + j], k1 = k0;
				while (k1 < K && l.gid[i * K + k1] == gl && r.gid[k1 * N + j] == gr)
					k1++;
				float dot = mq_accum_dot(&m, l.v + i * K + k0, 1, col + k0, 1, k1 - k0);
				float d = dot * (l.sc[gl] * r.sc[gr]);
				c = k0 == 0 ? d : c + d;
				k0 = k1;
			}
			C[i * N + j] = c;
		}
	free(col);
	free(l.v), free(l.sc), free(l.gid);
	free(r.v), free(r.sc), free(r.gid);
}

static size_t first_diff(const float *a, const float *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof a[i]))
			return i;
	return n;
}

static void test_brute(void)
{
	/* K = 300: several 32-product blocks and 128-product promotions, a
	 * short last block, and blocks of B that cut through both */
	const size_t M = 5, K = 300, N = 6;
	float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
	float want[5 * 6], got[5 * 6], got3[5 * 6];
	double gd[5 * 6];
	static const char *pairs[][2] = {{"e4m3", "e4m3"}, {"e5m2", "e4m3"}, {"e4m3", "e5m2"},
	                                 {"e5m2", "e5m2"}};
	static const char *grans[][2] = {
		{"tensor", "tensor"},    {"channel", "channel"}, {"tensor", "channel"},
		{"block:128", "block:128"}, {"block:64", "block:96"}, {"block:40", "tensor"},
		{"fine", "block:7"},
	};
	static const char *rnds[] = {"rtne", "sr"};
	static const char *accs[] = {"h100-fp8", "h100-fp8-fast"};
	for (int spread = 6; spread <= 40; spread += 34)
		for (size_t p = 0; p < 4; p++)
			for (size_t g = 0; g < 7; g++)
				for (size_t r = 0; r < 2; r++)
					for (size_t a = 0; a < 2; a++) {
						fill(L, M * K, spread);
						fill(R, K * N, spread);
						mq_qmatmul_cfg c;
						cfg_make(&c, pairs[p][0], grans[g][0], pairs[p][1], grans[g][1],
						         rnds[r], accs[a]);
						brute(&c, M, K, N, L, R, want);
						mq_status s1 = mq_qmatmul(&c, M, K, N, L, R, got, 1, NULL, NULL);
						mq_status s3 = mq_qmatmul(&c, M, K, N, L, R, got3, 3, NULL, NULL);
						mq_status sd = mq_qmatmul_f64(&c, M, K, N, L, R, gd, 2, NULL, NULL);
						size_t at = first_diff(want, got, M * N);
						CHECK(s1 == MQ_OK && at == M * N,
						      "%s %s x %s %s, %s, %s, spread %d: status %d, C[%zu] = %.9g "
						      "want %.9g", pairs[p][0], grans[g][0], pairs[p][1], grans[g][1],
						      rnds[r], accs[a], spread, (int)s1, at, at < M * N ? got[at] : 0,
						      at < M * N ? want[at] : 0);
						CHECK(s3 == MQ_OK && first_diff(got, got3, M * N) == M * N,
						      "3 threads differ from 1");
						int same = sd == MQ_OK;
						for (size_t i = 0; i < M * N; i++)
							same &= gd[i] == (double)got[i];
						CHECK(same, "the double output is not the float one");
					}
	free(L);
	free(R);
}

/* accum.h's "fp32" model is float32 in k order, which MQ_ACCUM_FP32 is
 * too: two separate implementations, one answer. */
static void test_fp32_model(void)
{
	const size_t M = 7, K = 200, N = 9;
	float *L = malloc(M * K * sizeof *L), *R = malloc(K * N * sizeof *R);
	float a[7 * 9], b[7 * 9];
	static const char *grans[] = {"tensor", "channel", "block:32", "block:50"};
	for (size_t g = 0; g < 4; g++) {
		fill(L, M * K, 30);
		fill(R, K * N, 30);
		mq_qmatmul_cfg c;
		cfg_make(&c, "e4m3", grans[g], "e5m2", grans[(g + 1) % 4], "rtne", "fp32");
		CHECK(mq_qmatmul(&c, M, K, N, L, R, a, 1, NULL, NULL) == MQ_OK, "fp32");
		c.accum = MQ_ACCUM_MODEL;
		CHECK(mq_accum_model_preset("fp32", &c.model) == MQ_OK, "preset fp32");
		CHECK(mq_qmatmul(&c, M, K, N, L, R, b, 2, NULL, NULL) == MQ_OK, "model fp32");
		size_t at = first_diff(a, b, M * N);
		CHECK(at == M * N, "%s: fp32 model %.9g, MQ_ACCUM_FP32 %.9g", grans[g],
		      at < M * N ? b[at] : 0, at < M * N ? a[at] : 0);
	}
	free(L);
	free(R);
}

/* One dot product by hand, 1 x 4 . 4 x 1, both operands holding 448 (so
 * the absmax scales are 1): products 448^2 = 200704, 448, 2^-6 * 448 = 7
 * and 0.  The H100 model aligns a block to its largest E(a) + E(b) =
 * 8 + 8 and keeps 13 fraction bits: units of 2^3 = 8, so the product 7
 * is truncated away; 200704 + 448 = 201152 fits the 14-bit accumulator.
 * float32 keeps it: 201159. */
static void test_hand(void)
{
	float L[4] = {448.0f, 1.0f, 0.015625f, 0.0f}, R[4] = {448.0f, 448.0f, 448.0f, 448.0f};
	float c;
	mq_qmatmul_cfg cfg;
	for (int fast = 0; fast < 2; fast++) {
		cfg_make(&cfg, "e4m3", "tensor", "e4m3", "tensor", "rtne",
		         fast ? "h100-fp8-fast" : "h100-fp8");
		CHECK(mq_qmatmul(&cfg, 1, 4, 1, L, R, &c, 1, NULL, NULL) == MQ_OK, "hand");
		CHECK(c == 201152.0f, "fast %d: %.9g, want 201152 (7 truncated away)", fast, c);
	}
	cfg_make(&cfg, "e4m3", "tensor", "e4m3", "tensor", "rtne", "fp32");
	CHECK(mq_qmatmul(&cfg, 1, 4, 1, L, R, &c, 1, NULL, NULL) == MQ_OK, "hand fp32");
	CHECK(c == 201159.0f, "fp32: %.9g, want 201159", c);
	/* Under block:2 the small value has a block (a segment: a fresh
	 * accumulator) and a scale of its own: it is kept, up to the
	 * rounding of its scale. */
	cfg_make(&cfg, "e4m3", "block:2", "e4m3", "tensor", "rtne", "h100-fp8-fast");
	CHECK(mq_qmatmul(&cfg, 1, 4, 1, L, R, &c, 1, NULL, NULL) == MQ_OK, "hand block");
	CHECK(fabsf(c - 201159.0f) <= 0.05f, "block:2: %.9g, want about 201159", c);
}

static void test_errors(void)
{
	float L[6] = {1, 2, 3, 4, 5, 6}, R[6] = {1, 0, 1, 0, 1, 0}, C[4];
	mq_qmatmul_cfg c;
	static const char *other[] = {"int8", "fp16", "bf16", "e3m2", "e5m2fn", "e4m3mx", "e3m4"};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		cfg_make(&c, other[i], "tensor", "e4m3", "tensor", "rtne", "h100-fp8");
		CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_EOPTION,
		      "%s x e4m3 under the model", other[i]);
		cfg_make(&c, "e4m3", "tensor", other[i], "tensor", "rtne", "h100-fp8");
		CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_EOPTION,
		      "e4m3 x %s under the model", other[i]);
	}
	cfg_make(&c, "e4m3", "tensor", "e4m3", "tensor", "rtne", "h100-fp8");
	c.model.block = 0;
	CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "block 0");
	c.model.block = 32, c.model.promote = 100; /* not a multiple of the block */
	CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "promote 100");
	/* a zeroed model (a cfg filled by hand without one) is invalid too */
	memset(&c.model, 0, sizeof c.model);
	CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_EOPTION, "zero model");
	/* the emin fields are the operands' business, whatever the caller left */
	CHECK(mq_accum_model_preset("h100-fp8", &c.model) == MQ_OK, "preset");
	c.model.emin_a = 5000;
	CHECK(mq_qmatmul(&c, 2, 3, 2, L, R, C, 1, NULL, NULL) == MQ_OK, "emin is set by qmatmul");

	mq_qmatmul_cfg n;
	memset(&n, 0, sizeof n);
	CHECK(mq_qmatmul_accum(&n, "h100-fp8") == MQ_OK && n.accum == MQ_ACCUM_MODEL &&
	      n.model.promote == 128, "name h100-fp8");
	CHECK(mq_qmatmul_accum(&n, "h100-fp8-fast") == MQ_OK && n.accum == MQ_ACCUM_MODEL &&
	      n.model.promote == 0, "name h100-fp8-fast");
	CHECK(mq_qmatmul_accum(&n, "exact") == MQ_OK && n.accum == MQ_ACCUM_EXACT, "name exact");
	CHECK(mq_qmatmul_accum(&n, "fp32") == MQ_OK && n.accum == MQ_ACCUM_FP32, "name fp32");
	CHECK(mq_qmatmul_accum(&n, "h100") == MQ_EOPTION, "name h100");
	CHECK(mq_qmatmul_accum(&n, NULL) == MQ_EOPTION, "name NULL");
	CHECK(!strcmp(mq_accum_name(MQ_ACCUM_MODEL), "model"), "mq_accum_name");
	CHECK(strstr(mq_qmatmul_accum_known(), "h100-fp8-fast") != NULL, "known");
}

/* The accumulation names come from two tables (qgemm.c's modes, accum.c's
 * presets): every listed name is accepted, every preset is listed, and
 * nothing else is. */
static void test_names(void)
{
	mq_qmatmul_cfg n;
	char list[256];
	snprintf(list, sizeof list, "%s", mq_qmatmul_accum_known());
	CHECK(!strcmp(list, "exact, fp32, h100-fp8, h100-fp8-fast"), "known: %s", list);
	int count = 0;
	for (char *t = strtok(list, ", "); t; t = strtok(NULL, ", "), count++) {
		memset(&n, 0, sizeof n);
		CHECK(mq_qmatmul_accum(&n, t) == MQ_OK, "listed name %s accepted", t);
		mq_accum a;
		if (mq_accum_parse(t, &a) == MQ_OK)
			CHECK(!strcmp(mq_accum_name(a), t) && n.accum == a, "mode %s round trip", t);
		else
			CHECK(n.accum == MQ_ACCUM_MODEL, "preset %s is MODEL", t);
	}
	size_t np = 0;
	for (const char *p; (p = mq_accum_model_preset_name(np)) != NULL; np++) {
		mq_accum_model m;
		CHECK(mq_accum_model_preset(p, &m) == MQ_OK, "preset %s", p);
		CHECK(strstr(mq_accum_model_known(), p) != NULL, "preset %s in accum known", p);
		CHECK(strstr(mq_qmatmul_accum_known(), p) != NULL, "preset %s in qmatmul known", p);
	}
	/* the modes exact and fp32, and the presets but "fp32" (listed once) */
	CHECK(count == 2 + (int)np - 1, "%zu presets, %d names", np, count);
	mq_accum a;
	CHECK(mq_accum_parse("model", &a) == MQ_EOPTION, "'model' is not a parse name");
}

int main(void)
{
	test_brute();
	test_fp32_model();
	test_hand();
	test_errors();
	test_names();
	if (failures) {
		fprintf(stderr, "test_qmm_model: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_qmm_model: ok\n");
	return 0;
}

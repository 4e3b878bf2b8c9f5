/* test_tquant.c: mq_mm_f32's quantized products, as restructured for
 * speed (tquant.c: tiled transposes, no copy of an operand already in the
 * canonical layout), against the straightforward computation it replaced:
 * every operand copied element by element into the canonical layout
 * [example][batch][free][contract], quantized there in place by
 * mq_quantize_tensor with the operand's own stream, then the product's
 * specification (train/tgemm.h: fmaf in k order) on the canonical copies.
 * Equality is exact: the quantized operands (the
 * scratch copies mq_mm_f32 multiplies), the products, the statistics and
 * the call counters.  The products are also checked against a plain triple
 * loop in double over the quantized operands, within float32 summation
 * error, so that an error shared by both float32 paths would show too.
 *
 * Shapes straddle the transpose's 4 x 4 tiles and its runs of 16 rows
 * (1..3, 4, 5, 15..17, 33, 64) and contracting lengths on both sides of
 * the kernel's short-segment path (256), every (ta, tb), single and
 * batched operands, all granularities, float32 and power-of-two scales,
 * RTNE and SR, categories off (fp32 and bf16 base), and operands with a
 * NaN (the error and the statistics counted until it). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metriq.h"
#include "tquant.h"

static uint64_t rng_state = 2718281828u;

static double urand(void) /* uniform in [-1, 1) */
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* The reference's canonical copy: out[e][f][c] = op(x)[f][c] for a block
 * stored rows x cols and read free x contract (trans = 0) or contract x
 * free (trans = 1); element by element, as tquant.c did before. */
static void canon(const float *x, size_t nblk, int rows, int cols, int trans, float *out)
{
	size_t bs = (size_t)rows * cols;
	for (size_t b = 0; b < nblk; b++)
		for (int i = 0; i < rows; i++)
			for (int j = 0; j < cols; j++) {
				size_t o = trans ? (size_t)j * rows + i : (size_t)i * cols + j;
				out[b * bs + o] = x[b * bs + (size_t)i * cols + j];
			}
}

/* One operand the way the old code quantized it: canonical copy, then
 * in place.  Returns 0 when the operand stays as it is (fp32, off). */
static int ref_operand(mq_tquant *t, mq_tcat c, uint64_t call, int nex, int nbat,
                       int rows, int cols, int trans, const float *x, float *y,
                       mq_qstats *st)
{
	const mq_tcat_cfg *cfg = &t->cat[c];
	if (!cfg->on && !t->base_bf16)
		return 0;
	size_t nblk = (size_t)nex * nbat, n = nblk * rows * cols;
	canon(x, nblk, rows, cols, trans, y);
	int nfree = trans ? cols : rows, ncon = trans ? rows : cols;
	mq_status s;
	if (cfg->on) {
		mq_layout l = {4, {(size_t)nex, (size_t)nbat, (size_t)nfree, (size_t)ncon},
		               {MQ_AXIS_EXAMPLE, MQ_AXIS_BATCH, MQ_AXIS_FREE, MQ_AXIS_CONTRACT}};
		mq_qspec q = cfg->q;
		q.seed = mq_seed_derive(mq_seed_derive(mq_seed_derive(t->seed, t->step), (uint64_t)c),
		                        call);
		s = mq_quantize_tensor(&q, &l, &cfg->gran, cfg->mode, y, y, NULL, NULL, st);
	} else {
		mq_qspec q;
		s = mq_qspec_init(&q, "bf16", "rtne");
		if (s == MQ_OK)
			s = mq_fakequant(&q, y, n, 1.0f, 0, y, NULL);
	}
	if (s != MQ_OK) { /* as mq_mm_f32: recorded, the operand left as it is */
		if (t->err == MQ_OK)
			t->err = s;
		return 0;
	}
	return 1;
}

typedef struct {
	const char *cat, *fmt, *rnd, *gran; /* cat NULL: none on */
	int bf16;
	int pow2;                           /* MQ_SCALE_POW2 scales */
} setup;

/* poison: a NaN in A (and, if poison > 1, in every block of A), which
 * fails A's quantization: the error, the counters and the statistics
 * (counted up to the failure) must still be the old ones. */
static void one(const setup *su, int nex, int nbat, int M, int N, int K, int ta, int tb,
                mq_tcat ca, mq_tcat cb, int poison)
{
	size_t nb = (size_t)nex * nbat, na = nb * M * K, nbb = nb * K * N, nc = nb * M * N;
	float *A = malloc(na * sizeof *A), *B = malloc(nbb * sizeof *B);
	float *C = malloc(nc * sizeof *C), *Cr = malloc(nc * sizeof *Cr), *C0 = malloc(nc * sizeof *C0);
	float *qa = malloc(na * sizeof *qa), *qb = malloc(nbb * sizeof *qb);
	/* heavy tails, so that groups get different scales and some clip or
	 * underflow */
	for (size_t i = 0; i < na; i++)
		A[i] = (float)(urand() * exp(4 * urand()));
	for (size_t i = 0; i < nbb; i++)
		B[i] = (float)(urand() * exp(4 * urand()));
	if (poison)
		for (size_t b = poison > 1 ? 0 : nb - 1; b < nb; b++)
			A[b * M * K + (size_t)(M * K) / 2] = NAN;
	for (size_t i = 0; i < nc; i++)
		C0[i] = (float)urand(); /* beta = 1 below adds to these */
	mq_tquant t;
	mq_tquant_init(&t);
	t.seed = 4242;
	t.base_bf16 = su->bf16;
	mq_tcat c = MQ_TCAT_N;
	if (su->cat) {
		CHECK(mq_tcat_parse(su->cat, &c) == MQ_OK, "cat");
		CHECK(mq_tquant_set(&t, c, su->fmt, su->rnd, su->gran) == MQ_OK, "set");
		if (su->pow2)
			t.cat[c].mode = MQ_SCALE_POW2;
	}
	mq_tquant_step(&t, 5);
	/* an earlier product in the step, so that the call counters are not 0 */
	mq_mm_f32(&t, nex, nbat, M, N, K, A, ta, ca, B, tb, cb, C, 0.0f);
	memcpy(C, C0, nc * sizeof *C);
	memcpy(Cr, C0, nc * sizeof *C);
	uint64_t calls[MQ_TCAT_N];
	memcpy(calls, t.calls, sizeof calls);
	mq_qstats st[MQ_TCAT_N];
	memcpy(st, t.stats, sizeof st);
	mq_mm_f32(&t, nex, nbat, M, N, K, A, ta, ca, B, tb, cb, C, 1.0f);
	mq_status err = t.err;
	t.err = MQ_OK;

	/* the reference: operand A first, then B, each with the next call */
	uint64_t rc[MQ_TCAT_N];
	memcpy(rc, calls, sizeof rc);
	mq_tcat_cfg *cfa = &t.cat[ca], *cfb = &t.cat[cb];
	int onA = ref_operand(&t, ca, cfa->on ? rc[ca]++ : 0, nex, nbat, ta ? K : M, ta ? M : K,
	                      ta, A, qa, &st[ca]);
	int onB = ref_operand(&t, cb, cfb->on ? rc[cb]++ : 0, nex, nbat, tb ? N : K, tb ? K : N,
	                      !tb, B, qb, &st[cb]);
	CHECK(err == t.err, "error %d, the old computation's %d", (int)err, (int)t.err);
	CHECK(poison == 0 || !cfa->on || err == MQ_ENONFINITE, "NaN not reported");
	for (int k = 0; k < MQ_TCAT_N; k++) {
		CHECK(rc[k] == t.calls[k], "call counter of %s", mq_tcat_name((mq_tcat)k));
		CHECK(!memcmp(&st[k], &t.stats[k], sizeof st[k]), "stats of %s",
		      mq_tcat_name((mq_tcat)k));
	}
	if (onA)
		CHECK(!memcmp(qa, t.scratch[0], na * sizeof *qa), "quantized A differs");
	if (onB)
		CHECK(!memcmp(qb, t.scratch[1], nbb * sizeof *qb), "quantized B differs");
	/* the old copies through the product's specification (train/tgemm.h):
	 * each output a chain of fmaf in k order from zero, then added to C */
	const float *a = onA ? qa : A, *b = onB ? qb : B;
	CBLAS_TRANSPOSE opa = onA ? CblasNoTrans : (ta ? CblasTrans : CblasNoTrans);
	CBLAS_TRANSPOSE opb = onB ? CblasTrans : (tb ? CblasTrans : CblasNoTrans);
	for (size_t e = 0; e < nb; e++)
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				float s = 0.0f;
				for (int k = 0; k < K; k++) {
					float x = opa == CblasNoTrans ? a[e * M * K + (size_t)i * K + k]
					                              : a[e * M * K + (size_t)k * M + i];
					float y = opb == CblasNoTrans ? b[e * K * N + (size_t)k * N + j]
					                              : b[e * K * N + (size_t)j * K + k];
					s = fmaf(x, y, s);
				}
				Cr[e * M * N + (size_t)i * N + j] += s;
			}
	if (poison) { /* NaN in the products: nothing more to compare */
		mq_tquant_free(&t);
		free(A), free(B), free(C), free(Cr), free(C0), free(qa), free(qb);
		return;
	}
	CHECK(!memcmp(C, Cr, nc * sizeof *C), "product differs from the old computation");
	/* and a triple loop in double: float32 summation error only, at most
	 * about (K + 1) 2^-24 of sum |a b| + |C0| */
	double worst = 0;
	for (size_t e = 0; e < nb; e++)
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				/* op(a)[i][k] and op(b)[k][j], in the layouts the call used */
				size_t o = e * M * N + (size_t)i * N + j;
				double sum = C0[o], mag = fabs(C0[o]);
				for (int k = 0; k < K; k++) {
					double x = opa == CblasNoTrans ? a[e * M * K + (size_t)i * K + k]
					                               : a[e * M * K + (size_t)k * M + i];
					double y = opb == CblasNoTrans ? b[e * K * N + (size_t)k * N + j]
					                               : b[e * K * N + (size_t)j * K + k];
					sum += x * y;
					mag += fabs(x * y);
				}
				worst = fmax(worst, fabs((double)C[o] - sum) / (mag + 1e-300));
			}
	CHECK(worst <= (K + 1) * 0x1p-24, "off the double product by %g of sum |a b|", worst);
	mq_tquant_free(&t);
	free(A), free(B), free(C), free(Cr), free(C0), free(qa), free(qb);
}

int main(void)
{
	const setup setups[] = {
		{NULL, NULL, NULL, NULL, 0, 0},                /* fp32: the plain product */
		{NULL, NULL, NULL, NULL, 1, 0},                /* bf16 base */
		{"lhs", "int8", "rtne", "fine", 0, 0},
		{"lhs", "e4m3", "sr", "fine", 0, 0},
		{"rhs", "int8", "rtne", "channel", 0, 0},
		{"rhs", "e5m2", "sr", "tensor", 0, 0},
		{"grad", "e5m2", "rtne", "fine", 0, 0},
		{"grad", "int8", "sr", "fine", 0, 0},
		{"grad", "e4m3", "sr", "channel", 0, 1},
		{"lhs", "e5m2", "rtne", "tensor", 0, 1},
		{"grad", "e4m3", "sr", "block:8", 1, 0},       /* and the others in bf16 */
	};
	const int shapes[][5] = { /* nex, nbat, M, N, K */
		{1, 1, 1, 1, 1}, {1, 1, 3, 2, 5}, {1, 1, 4, 4, 4}, {1, 1, 17, 5, 16},
		{1, 1, 64, 33, 15}, {2, 3, 16, 17, 16}, {3, 2, 5, 64, 33}, {2, 2, 64, 64, 64},
		{1, 1, 3, 2, 300}, {2, 2, 5, 3, 256}, /* rows the kernel takes one by one */
	};
	for (size_t si = 0; si < sizeof setups / sizeof *setups; si++)
		for (size_t hi = 0; hi < sizeof shapes / sizeof *shapes; hi++)
			for (int tr = 0; tr < 4; tr++)
				for (int cp = 0; cp < 3; cp++) {
					/* the category pairs of the model's products */
					static const mq_tcat pairs[3][2] = {{MQ_TCAT_LHS, MQ_TCAT_RHS},
					                                     {MQ_TCAT_GRAD, MQ_TCAT_RHS},
					                                     {MQ_TCAT_GRAD, MQ_TCAT_LHS}};
					const int *h = shapes[hi];
					for (int poison = 0; poison < 3; poison++)
						one(&setups[si], h[0], h[1], h[2], h[3], h[4], tr & 1, tr >> 1,
						    pairs[cp][0], pairs[cp][1], poison);
				}
	/* an operand used twice in one product: each use is its own call */
	{
		setup su = {"grad", "int8", "sr", "fine", 0, 0};
		one(&su, 1, 2, 9, 9, 9, 0, 1, MQ_TCAT_GRAD, MQ_TCAT_GRAD, 0);
	}
	printf("%d failures\n", failures);
	return failures != 0;
}

/* tquant.c: quantized products by tensor category (tquant.h). */
#include "tquant.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qkern.h"
#include "rng.h"
#include "tgemm.h"

static const char *const cat_names[MQ_TCAT_N] = {"lhs", "rhs", "grad"};

mq_status mq_tcat_parse(const char *name, mq_tcat *c)
{
	for (int i = 0; name && i < MQ_TCAT_N; i++)
		if (!strcmp(name, cat_names[i])) {
			*c = (mq_tcat)i;
			return MQ_OK;
		}
	return MQ_EOPTION;
}

const char *mq_tcat_name(mq_tcat c)
{
	return (unsigned)c < MQ_TCAT_N ? cat_names[c] : "?";
}

void mq_tquant_init(mq_tquant *t)
{
	memset(t, 0, sizeof *t);
}

void mq_tquant_free(mq_tquant *t)
{
	for (int i = 0; i < 3; i++) {
		free(t->scratch[i]);
		t->scratch[i] = NULL;
		t->cap[i] = 0;
	}
}

mq_status mq_tquant_set(mq_tquant *t, mq_tcat c, const char *format,
                        const char *rounding, const char *gran)
{
	if ((unsigned)c >= MQ_TCAT_N)
		return MQ_EOPTION;
	mq_tcat_cfg cfg = {0};
	mq_status s = mq_qspec_init(&cfg.q, format, rounding);
	if (s == MQ_OK)
		s = mq_gran_parse(gran ? gran : "tensor", &cfg.gran);
	if (s == MQ_OK && cfg.q.fmt.kind == MQ_KIND_E8M0)
		s = MQ_EOPTION; /* unsigned: no symmetric quantization */
	if (s != MQ_OK)
		return s;
	cfg.on = 1;
	t->cat[c] = cfg;
	return MQ_OK;
}

void mq_tquant_step(mq_tquant *t, uint64_t step)
{
	t->step = step;
	memset(t->calls, 0, sizeof t->calls);
}

/* A scratch buffer of n floats (slot 0 for A, 1 for B, 2 the product's). */
static float *scratch(mq_tquant *t, int slot, size_t n)
{
	if (t->cap[slot] < n) {
		float *p = realloc(t->scratch[slot], n * sizeof *p);
		if (!p)
			return NULL;
		t->scratch[slot] = p;
		t->cap[slot] = n;
	}
	return t->scratch[slot];
}

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Transpose nblk blocks of rows x cols (row-major) into out, so that out
 * is [block][cols][rows]: the canonical layout of an operand stored
 * contract x free.  An element-by-element transpose writes with a stride
 * of `rows` floats, and those stores cost more than the quantization
 * itself (perf: 11% of an LHS-quantized training step), so whole 4 x 4
 * tiles go through SSE registers, 16 rows of tiles at a time (their
 * output lines stay in L1).  A pure copy: the values are the same as the
 * simple loop's, which does the edges and builds without SSE2. */
static void transpose(const float *restrict x, size_t nblk, int rows, int cols,
                      float *restrict out)
{
	size_t bs = (size_t)rows * (size_t)cols;
	int r4 = 0, c4 = 0;
#if defined(__SSE2__)
	r4 = rows & ~3, c4 = cols & ~3;
#endif
	for (size_t b = 0; b < nblk; b++) {
		const float *xb = x + b * bs;
		float *ob = out + b * bs;
#if defined(__SSE2__)
		for (int i0 = 0; i0 < r4; i0 += 16) {
			int i1 = i0 + 16 < r4 ? i0 + 16 : r4;
			for (int j = 0; j < c4; j += 4)
				for (int i = i0; i < i1; i += 4) {
					const float *s = xb + (size_t)i * cols + j;
					__m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + cols);
					__m128 r2 = _mm_loadu_ps(s + 2 * (size_t)cols);
					__m128 r3 = _mm_loadu_ps(s + 3 * (size_t)cols);
					_MM_TRANSPOSE4_PS(r0, r1, r2, r3);
					float *d = ob + (size_t)j * rows + i;
					_mm_storeu_ps(d, r0);
					_mm_storeu_ps(d + rows, r1);
					_mm_storeu_ps(d + 2 * (size_t)rows, r2);
					_mm_storeu_ps(d + 3 * (size_t)rows, r3);
				}
		}
#endif
		/* the rest: rows below r4 from column c4 on, then rows from r4 */
		for (int i = 0; i < rows; i++)
			for (int j = i < r4 ? c4 : 0; j < cols; j++)
				ob[(size_t)j * rows + i] = xb[(size_t)i * cols + j];
	}
}

/* max(m, the |x| bit patterns of x[0..n)): float32 magnitudes order as
 * their bits do, and NaN > inf > every finite value (as scale.c keeps its
 * maxima).  The bits of a magnitude are below 2^31, so a signed comparison
 * orders them too, and SSE2 has one (not an unsigned one). */
static uint32_t amax_bits(const float *restrict x, size_t n, uint32_t m)
{
	int32_t s = (int32_t)m;
	for (size_t i = 0; i < n; i++) {
		uint32_t b;
		memcpy(&b, &x[i], sizeof b);
		int32_t a = (int32_t)(b & 0x7fffffffu);
		s = a > s ? a : s;
	}
	return (uint32_t)s;
}

/* mq_quantize_tensor for the canonical layout [nex][nbat][nf][nc] at
 * tensor, channel or fine granularity, where every row (nc elements) lies
 * in one scale group: group 0, f or h * nf + f for row (e, h, f).  The
 * general routine works out each row's group by index divisions and runs
 * the kernel once per row; rows here are often 64 elements, so those
 * costs, not the kernel's, dominated.  Here the maxima are taken row by
 * row with the groups counted, the scales come from mq_absmax_scales
 * applied to the maxima (one value per group: the same float32 scale, by
 * the same code, as for the whole group), and the kernel runs over each
 * example's block at once, with a scale per row (mq_qprep_run; SR draws at
 * the flat index, as before).  `work` holds 2 * groups floats.  Returns
 * MQ_ENONFINITE before writing anything if a group's maximum is not
 * finite; the caller then takes the general routine, which fails the same
 * way and counts what it counted. */
static mq_status quantize_rows(const mq_qspec *q, const mq_granularity *g, mq_scale_mode mode,
                               size_t nex, size_t nbat, size_t nf, size_t nc, const float *x,
                               float *y, float *work, mq_qstats *stats)
{
	size_t ng = g->kind == MQ_GRAN_TENSOR ? 1 : g->kind == MQ_GRAN_CHANNEL ? nf : nbat * nf;
	/* the maxima as float32 bits in work[0..ng) (memcpy in and out: float
	 * and uint32_t may not alias), which then read as the floats they are */
	float *fmax = work, *sc = work + ng;
	memset(fmax, 0, ng * sizeof *fmax);
	uint32_t worst = 0;
	const float *row = x;
	for (size_t e = 0; e < nex; e++)
		for (size_t h = 0; h < nbat; h++)
			for (size_t f = 0; f < nf; f++, row += nc) {
				size_t k = g->kind == MQ_GRAN_TENSOR ? 0 : g->kind == MQ_GRAN_CHANNEL ? f : h * nf + f;
				uint32_t m;
				memcpy(&m, &fmax[k], sizeof m);
				m = amax_bits(row, nc, m);
				memcpy(&fmax[k], &m, sizeof m);
				worst = m > worst ? m : worst;
			}
	if (worst > 0x7f7fffffu) /* a NaN or an infinity */
		return MQ_ENONFINITE;
	mq_layout l1 = {1, {ng}, {MQ_AXIS_FREE}};
	mq_granularity each = {MQ_GRAN_CHANNEL, 0};
	mq_status s = mq_absmax_scales(&l1, &each, &q->fmt, mode, fmax, sc);
	mq_qprep pp;
	if (s == MQ_OK)
		s = mq_qprep_init(&pp, q);
	if (s != MQ_OK)
		return s;
	size_t bs = nbat * nf * nc; /* an example's block */
	if (g->kind == MQ_GRAN_TENSOR)
		mq_qprep_run(&pp, x, nex * bs, sc, SIZE_MAX, 0, y, NULL, stats);
	else if (g->kind == MQ_GRAN_CHANNEL)
		for (size_t b = 0; b < nex * nbat; b++)
			mq_qprep_run(&pp, x + b * nf * nc, nf * nc, sc, nc, b * nf * nc, y + b * nf * nc,
			             NULL, stats);
	else
		for (size_t e = 0; e < nex; e++)
			mq_qprep_run(&pp, x + e * bs, bs, sc, nc, e * bs, y + e * bs, NULL, stats);
	return MQ_OK;
}

/* Quantize one operand, stored as nex x nbat blocks of rows x cols and
 * read as free x contract (trans = 0) or contract x free (trans = 1), into
 * the canonical copy in scratch slot `slot`.  Returns the copy, or NULL if
 * the operand stays as it is (its category off, base fp32) or on failure
 * (recorded in t->err). */
static const float *quantize_operand(mq_tquant *t, int slot, mq_tcat c, int nex, int nbat,
                                     int rows, int cols, int trans, const float *x)
{
	const mq_tcat_cfg *cfg = &t->cat[c];
	if (!cfg->on && !t->base_bf16)
		return NULL;
	size_t nblk = (size_t)nex * (size_t)nbat, n = nblk * (size_t)rows * (size_t)cols;
	int nfree = trans ? cols : rows, ncontract = trans ? rows : cols;
	mq_gran_kind gk = cfg->gran.kind;
	int rowwise = cfg->on && (gk == MQ_GRAN_TENSOR || gk == MQ_GRAN_CHANNEL || gk == MQ_GRAN_FINE);
	/* quantize_rows's maxima and scales after the copy */
	size_t nwork = rowwise ? 2 * (size_t)nbat * (size_t)nfree : 0;
	float *y = scratch(t, slot, n + nwork);
	if (!y) {
		if (t->err == MQ_OK)
			t->err = MQ_ENOMEM;
		return NULL;
	}
	/* An operand already in the canonical layout is quantized straight
	 * from x into the scratch copy (no copy first); a transposed one is
	 * transposed there and quantized in place.  Same values either way. */
	const float *src = x;
	if (trans) {
		transpose(x, nblk, rows, cols, y);
		src = y;
	}
	mq_status s;
	if (cfg->on) {
		mq_layout l = {4, {(size_t)nex, (size_t)nbat, (size_t)nfree, (size_t)ncontract},
		               {MQ_AXIS_EXAMPLE, MQ_AXIS_BATCH, MQ_AXIS_FREE, MQ_AXIS_CONTRACT}};
		mq_qspec q = cfg->q;
		q.seed = mq_seed_derive(mq_seed_derive(mq_seed_derive(t->seed, t->step), (uint64_t)c),
		                        t->calls[c]++);
		s = MQ_ENONFINITE;
		if (rowwise)
			s = quantize_rows(&q, &cfg->gran, cfg->mode, (size_t)nex, (size_t)nbat,
			                  (size_t)nfree, (size_t)ncontract, src, y, y + n, &t->stats[c]);
		if (s == MQ_ENONFINITE) /* (or not rowwise) */
			s = mq_quantize_tensor(&q, &l, &cfg->gran, cfg->mode, src, y, NULL, NULL,
			                       &t->stats[c]);
	} else {
		/* bf16 keeps float32's exponent range: no scaling is needed, and
		 * scale 1 makes the rounding exactly float32 -> bf16 RTNE. */
		mq_qspec q;
		s = mq_qspec_init(&q, "bf16", "rtne");
		if (s == MQ_OK)
			s = mq_fakequant(&q, src, n, 1.0f, 0, y, NULL);
	}
	if (s != MQ_OK) {
		if (t->err == MQ_OK)
			t->err = s;
		return NULL;
	}
	return y;
}

/* An operand of the product: element (row, col) at p[row * rs + col * cs]
 * (A: M x K, B: K x N). */
typedef struct {
	const float *p;
	size_t rs, cs;
} opnd;

/* beta c + s with one rounding; 0 and 1 are the callers' (nn_impl.inc). */
static inline float addto(float beta, float c, float s)
{
	return beta == 0.0f ? s : beta == 1.0f ? c + s : fmaf(beta, c, s);
}

/* The specification of tgemm.h, one output at a time, then addto: the
 * fallback when there is no memory for the kernel's buffers (same bits). */
static void product_loop(size_t M, size_t N, size_t K, opnd a, opnd b, float *C, float beta)
{
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			float s = 0.0f;
			for (size_t k = 0; k < K; k++)
				s = fmaf(a.p[i * a.rs + k * a.cs], b.p[k * b.rs + j * b.cs], s);
			C[i * N + j] = addto(beta, C[i * N + j], s);
		}
}

/* C[e] = beta C[e] + op(A[e]) . op(B[e]) for the nb blocks: the sum by
 * tgemm.h (the same bits on every ISA path, unlike sgemm's), then addto. */
static void product(mq_tquant *t, size_t nb, size_t M, size_t N, size_t K, opnd a, opnd b,
                    float *C, float beta)
{
	const mq_tgemm *g = mq_tgemm_select();
	size_t mn = M * N, nw = g->work(M, N, K), nsum = beta != 0.0f ? mn : 0;
	float *own = NULL;
	float *w = t ? scratch(t, 2, nw + nsum) : (own = malloc((nw + nsum) * sizeof *own));
	for (size_t e = 0; e < nb; e++) {
		opnd ae = {a.p + e * M * K, a.rs, a.cs}, be = {b.p + e * K * N, b.rs, b.cs};
		float *c = C + e * mn;
		if (!w) {
			product_loop(M, N, K, ae, be, c, beta);
			continue;
		}
		float *s = nsum ? w + nw : c;
		g->fn(M, N, K, ae.p, ae.rs, ae.cs, be.p, be.rs, be.cs, s, N, w);
		if (nsum)
			for (size_t i = 0; i < mn; i++)
				c[i] = addto(beta, c[i], s[i]);
	}
	free(own);
}

void mq_mm_f32(mq_tquant *t, int nex, int nbat, int M, int N, int K,
               const float *A, int ta, mq_tcat ca, const float *B, int tb,
               mq_tcat cb, float *C, float beta)
{
	const float *qa = NULL, *qb = NULL;
	if (t && t->tap) {
		mq_toperand a = {A, nex, nbat, M, K, ta, ca, 0};
		mq_toperand b = {B, nex, nbat, N, K, !tb, cb, 1};
		t->tap(t->tap_ctx, t, &a);
		t->tap(t->tap_ctx, t, &b);
	}
	if (t) {
		/* op(A) is M x K: stored M x K (free, contract) or K x M */
		qa = quantize_operand(t, 0, ca, nex, nbat, ta ? K : M, ta ? M : K, ta, A);
		/* op(B) is K x N: stored K x N (contract, free) or N x K */
		qb = quantize_operand(t, 1, cb, nex, nbat, tb ? N : K, tb ? K : N, !tb, B);
	}
	/* a quantized copy is canonical: A as M x K, B as N x K */
	opnd a = qa ? (opnd){qa, (size_t)K, 1} : ta ? (opnd){A, 1, (size_t)M} : (opnd){A, (size_t)K, 1};
	opnd b = qb || tb ? (opnd){qb ? qb : B, 1, (size_t)K} : (opnd){B, (size_t)N, 1};
	product(t, (size_t)nex * (size_t)nbat, (size_t)M, (size_t)N, (size_t)K, a, b, C, beta);
}

void mq_mm_f64(mq_tquant *t, int nex, int nbat, int M, int N, int K,
               const double *A, int ta, mq_tcat ca, const double *B, int tb,
               mq_tcat cb, double *C, double beta)
{
	(void)t, (void)ca, (void)cb;
	int lda = ta ? M : K, ldb = tb ? K : N;
	size_t sa = (size_t)M * K, sb = (size_t)K * N, sc = (size_t)M * N;
	for (size_t e = 0; e < (size_t)nex * (size_t)nbat; e++)
		cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
		            M, N, K, 1.0, A + e * sa, lda, B + e * sb, ldb, beta, C + e * sc, N);
}

/* qgemm.c: reference and quantized matrix products (see qgemm.h).
 *
 * Q(L, R) in three steps: quantize each operand (codes + scales, scale.h),
 * decode the codes without their scales (a, b: values of the format, exact
 * in float32), then sum products over k and descale per segment of K.
 * A segment is a stretch of K on which both operands' scales are
 * constant: all of K for tensor/channel/fine, the blocks of block:B, and
 * the intersections of two block grids when both operands are blocked.
 *
 * Exact sums.  Every value of a supported format is an integer multiple of
 * its smallest subnormal u (a power of two), the "image" a/u being below
 * 2^32.  A sum of products is then the integer sum of image products
 * times uL*uR, which int64 holds exactly (see narrow/wide below) and which
 * is rounded once to double at the end.  The BLAS path rests on the same
 * fact: if every partial sum, in any order, is an integer multiple of
 * some uL'*uR' below 2^53 (2^24) times it, a dgemm (sgemm) cannot round.
 *
 * Modelled sums (MQ_ACCUM_MODEL) hand each segment's dot product to
 * mq_accum_dot (accum.h) and descale it in float32 as FP32 does.
 */
#include "qgemm.h"
#include "qmmk.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

mq_status mq_accum_parse(const char *name, mq_accum *a)
{
	if (name && !strcmp(name, "exact")) *a = MQ_ACCUM_EXACT;
	else if (name && !strcmp(name, "fp32")) *a = MQ_ACCUM_FP32;
	else return MQ_EOPTION;
	return MQ_OK;
}

const char *mq_accum_name(mq_accum a)
{
	switch (a) {
	case MQ_ACCUM_EXACT: return "exact";
	case MQ_ACCUM_FP32: return "fp32";
	case MQ_ACCUM_MODEL: return "model";
	}
	return "?";
}

/* The tensor-core presets of accum.h; "fp32" stays MQ_ACCUM_FP32. */
static const char *const model_presets[] = {"h100-fp8", "h100-fp8-fast"};

mq_status mq_qmatmul_accum(mq_qmatmul_cfg *cfg, const char *name)
{
	if (!cfg || !name)
		return MQ_EOPTION;
	if (mq_accum_parse(name, &cfg->accum) == MQ_OK)
		return MQ_OK;
	for (size_t i = 0; i < sizeof model_presets / sizeof model_presets[0]; i++)
		if (!strcmp(name, model_presets[i])) {
			cfg->accum = MQ_ACCUM_MODEL;
			return mq_accum_model_preset(name, &cfg->model);
		}
	return MQ_EOPTION;
}

const char *mq_qmatmul_accum_known(void)
{
	return "exact, fp32, h100-fp8, h100-fp8-fast";
}

/* OCP FP8 E4M3 (fn) and E5M2 exactly: the two formats an FP8 tensor core
 * multiplies.  A custom e4m3 (IEEE-like) or e5m2fn is not one of them. */
int mq_qmatmul_model_format(const mq_format *f)
{
	if (!f || f->kind != MQ_KIND_FLOAT || f->bits != 8)
		return 0;
	return (f->ebits == 4 && f->mbits == 3 && f->specials == MQ_SPECIALS_FN) ||
	       (f->ebits == 5 && f->mbits == 2 && f->specials == MQ_SPECIALS_IEEE);
}

mq_status mq_qoperand_init(mq_qoperand *o, const char *format,
                           const char *rounding, const char *gran)
{
	memset(o, 0, sizeof *o);
	mq_status s = mq_qspec_init(&o->q, format, rounding);
	if (s != MQ_OK)
		return s;
	o->mode = MQ_SCALE_FP32;
	return mq_gran_parse(gran, &o->gran);
}

/* ---- shapes and helpers ---- */

static int all_finite(const float *x, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= !isfinite(x[i]);
	return !bad;
}

/* M*K, K*N and M*N elements of 8 bytes each must be addressable, and the
 * BLAS takes int dimensions. */
static mq_status check_shape(size_t M, size_t K, size_t N)
{
	if (M == 0 || K == 0 || N == 0)
		return MQ_ESHAPE;
	size_t lim = SIZE_MAX / 8;
	if (M > lim / K || K > lim / N || M > lim / N)
		return MQ_ESHAPE;
	if (M > INT_MAX || K > INT_MAX || N > INT_MAX)
		return MQ_ESHAPE;
	return MQ_OK;
}

/* C (M x N, double) = op(L) . op(R) with op the identity or |.|. */
static mq_status dgemm_of(size_t M, size_t K, size_t N, const float *L,
                          const float *R, double *C, int absval)
{
	mq_status s = check_shape(M, K, N);
	if (s != MQ_OK)
		return s;
	if (!L || !R || !C)
		return MQ_EOPTION;
	if (!all_finite(L, M * K) || !all_finite(R, K * N))
		return MQ_ENONFINITE;
	double *Ld = malloc((M * K + K * N) * sizeof *Ld);
	if (!Ld)
		return MQ_ENOMEM;
	double *Rd = Ld + M * K;
	if (absval) {
		for (size_t i = 0; i < M * K; i++) Ld[i] = fabs((double)L[i]);
		for (size_t i = 0; i < K * N; i++) Rd[i] = fabs((double)R[i]);
	} else {
		for (size_t i = 0; i < M * K; i++) Ld[i] = L[i];
		for (size_t i = 0; i < K * N; i++) Rd[i] = R[i];
	}
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K,
	            1.0, Ld, (int)K, Rd, (int)N, 0.0, C, (int)N);
	free(Ld);
	return MQ_OK;
}

mq_status mq_matmul_ref(size_t M, size_t K, size_t N, const float *L,
                        const float *R, double *C)
{
	return dgemm_of(M, K, N, L, R, C, 0);
}

mq_status mq_matmul_absref(size_t M, size_t K, size_t N, const float *L,
                           const float *R, double *A)
{
	return dgemm_of(M, K, N, L, R, A, 1);
}

mq_status mq_matmul_ref_f32(size_t M, size_t K, size_t N, const float *L,
                            const float *R, float *C)
{
	mq_status s = check_shape(M, K, N);
	if (s != MQ_OK)
		return s;
	double *Cd = malloc(M * N * sizeof *Cd);
	if (!Cd)
		return MQ_ENOMEM;
	s = dgemm_of(M, K, N, L, R, Cd, 0);
	if (s == MQ_OK)
		for (size_t i = 0; i < M * N; i++)
			C[i] = (float)Cd[i];
	free(Cd);
	return s;
}

/* ---- the quantized product ---- */

/* Formats whose values are all multiples of min_subnormal with images
 * below 2^32 (every format of <= 8 bits, INT-n to int16, but not fp16,
 * bf16 or e8m0).  max/min_subnormal is a float32 quotient of two exact
 * values; the comparison is exact. */
static int exact_ok(const mq_format *f)
{
	if (f->kind == MQ_KIND_E8M0)
		return 0;
	return (double)f->max / (double)f->min_subnormal < 4294967296.0;
}

/* 1 if the product of any two decoded values of formats a and b is a
 * float32 value: significands of at most 24 bits together, no product
 * below float32's smallest subnormal (all are multiples of the two
 * smallest subnormals' product) and none above its max.  INT-n is a float
 * of n - 1 significand bits here (format.h). */
static int fp32_kernel_ok(const mq_format *a, const mq_format *b)
{
	if (a->kind == MQ_KIND_E8M0 || b->kind == MQ_KIND_E8M0)
		return 0;
	return a->mbits + 1 + b->mbits + 1 <= 24 &&
	       (double)a->min_subnormal * (double)b->min_subnormal >= 0x1p-149 &&
	       (double)a->max * (double)b->max <= (double)FLT_MAX;
}

/* One quantized operand: decoded values and scales, and where the scale
 * of element (row or column i, segment s) lives:
 *   scale = sc[i * istride + blk[s] * bstride]. */
typedef struct {
	float *v;           /* decoded values, unscaled (M*K or K*N) */
	int8_t *c8;         /* or, for the VNNI path, the INT8 codes (= values) */
	float *sc;          /* scales */
	size_t istride, bstride;
	size_t block;       /* block length along K, or 0 */
	double u;           /* smallest subnormal of the format (power of 2) */
	int32_t *hi, *lo;   /* EXACT reference: images or their 16-bit halves */
	unsigned char *bad; /* rows (L) / columns (R) holding inf or NaN */
	int anybad;
} operand;

typedef struct {
	size_t M, K, N;
	mq_accum acc;
	mq_accum_model model; /* MODEL: cfg's, with the operands' emin */
	operand l, r;         /* MODEL: r.v is N x K (column j at j * K) */
	size_t nseg;
	size_t *seg;        /* seg[0] = 0 < ... < seg[nseg] = K */
	size_t *lblk, *rblk;/* block index of each segment for L and R */
	int wide;           /* EXACT: images split in 16-bit halves */
	mq_qmmk_fn kern;    /* FP32: the k-order kernel where products are exact */
	mq_qmmk_i8_fn i8kern; /* EXACT: int32 sums of INT-n (n <= 8) by VNNI */
	mq_qmmk_blk_fn blkkern; /* EXACT, several segments, double-exact sums */
	mq_qmmk_blkf_fn blkfkern; /* FP32, several segments, exact products */
	float *Cf;          /* output, one of the two */
	double *Cd;
} job;

static void operand_free(operand *o)
{
	free(o->v);
	free(o->c8);
	free(o->sc);
	free(o->hi);
	free(o->lo);
	free(o->bad);
}

/* Quantize x (rows x cols, the layout of `op`) and decode it unscaled,
 * into v as x is laid out, or transposed (cols x rows) if `transpose`. */
static mq_status operand_make(operand *o, const mq_qoperand *spec, mq_operand op,
                              size_t rows, size_t cols, const float *x,
                              int transpose, int keep_codes, mq_qstats *stats)
{
	memset(o, 0, sizeof *o);
	mq_layout lay;
	mq_status s = mq_layout_matrix(&lay, rows, cols, op);
	if (s != MQ_OK)
		return s;
	size_t ns = mq_scale_count(&lay, &spec->gran);
	if (ns == 0)
		return MQ_EGRAN;
	size_t n = rows * cols;
	int wide = spec->q.fmt.bits > 8;
	void *codes = malloc(n * (wide ? 2 : 1));
	o->v = keep_codes ? NULL : malloc(n * sizeof *o->v);
	o->sc = malloc(ns * sizeof *o->sc);
	if (!codes || (!keep_codes && !o->v) || !o->sc) {
		free(codes);
		return MQ_ENOMEM;
	}
	s = mq_quantize_tensor(&spec->q, &lay, &spec->gran, spec->mode, x, NULL,
	                       codes, o->sc, stats);
	if (keep_codes) {
		o->c8 = codes; /* INT8 two's complement codes: the values */
		codes = NULL;
	} else if (s == MQ_OK && !transpose) {
		s = mq_decode(&spec->q.fmt, codes, n, 1.0f, o->v);
	} else if (s == MQ_OK) {
		/* One row of codes at a time through a row buffer, so that the
		 * transpose costs no second copy of the operand. */
		float *tmp = malloc(cols * sizeof *tmp);
		size_t csz = wide ? 2 : 1;
		if (!tmp)
			s = MQ_ENOMEM;
		for (size_t r = 0; r < rows && s == MQ_OK; r++) {
			s = mq_decode(&spec->q.fmt, (const unsigned char *)codes + r * cols * csz,
			              cols, 1.0f, tmp);
			for (size_t c = 0; c < cols; c++)
				o->v[c * rows + r] = tmp[c];
		}
		free(tmp);
	}
	free(codes);
	if (s != MQ_OK)
		return s;
	/* Where the scales are (scale.h numbers groups row-major over the
	 * scaled axes, the block index of K last for an LHS, first for an
	 * RHS; a block of B >= K is one block). */
	size_t K = op == MQ_LHS ? cols : rows, free_n = op == MQ_LHS ? rows : cols;
	size_t nblk = 1;
	switch (spec->gran.kind) {
	case MQ_GRAN_TENSOR:
		o->istride = 0, o->bstride = 0;
		break;
	case MQ_GRAN_CHANNEL:
	case MQ_GRAN_FINE:
		o->istride = 1, o->bstride = 0;
		break;
	case MQ_GRAN_BLOCK:
		o->block = spec->gran.block < K ? spec->gran.block : K;
		nblk = (K - 1) / o->block + 1;
		if (op == MQ_LHS)
			o->istride = nblk, o->bstride = 1;
		else
			o->istride = 1, o->bstride = free_n;
		break;
	}
	o->u = spec->q.fmt.min_subnormal;
	/* Non-finite decoded values (MQ_OVF_IEEE): mark their row (L) or
	 * column (R).  Finite inputs saturate to finite values otherwise. */
	size_t nb = op == MQ_LHS ? rows : cols;
	if (spec->q.ovf == MQ_OVF_IEEE && o->v) /* (INT has no inf or NaN) */
		for (size_t i = 0; i < n; i++)
			o->anybad |= !isfinite(o->v[i]);
	if (o->anybad) {
		o->bad = calloc(nb, 1);
		if (!o->bad)
			return MQ_ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (!isfinite(o->v[i]))
				o->bad[op == MQ_LHS ? i / cols : transpose ? i / rows : i % cols] = 1;
	}
	return MQ_OK;
}

/* Integer images for the EXACT loops: narrow, v/u in one int32 (|image| <
 * 2^31); wide, image = hi * 2^16 + lo with 0 <= lo < 2^16, |hi| <= 2^16.
 * Non-finite values get image 0 (their outputs are recomputed). */
static mq_status operand_images(operand *o, size_t n, int wide)
{
	o->hi = malloc(n * sizeof *o->hi);
	if (wide)
		o->lo = malloc(n * sizeof *o->lo);
	if (!o->hi || (wide && !o->lo))
		return MQ_ENOMEM;
	double inv = 1.0 / o->u; /* a power of two: the product is exact */
	for (size_t i = 0; i < n; i++) {
		double v = isfinite(o->v[i]) ? (double)o->v[i] * inv : 0.0;
		int64_t im = (int64_t)v;
		if (wide) {
			int64_t lo = im & 0xffff; /* two's complement: im - lo is a multiple of 2^16 */
			o->hi[i] = (int32_t)((im - lo) / 65536);
			o->lo[i] = (int32_t)lo;
		} else {
			o->hi[i] = (int32_t)im;
		}
	}
	return MQ_OK;
}

/* floor(x / 2^16) without relying on >> of a negative number. */
static int64_t fdiv16(int64_t x)
{
	return x >= 0 ? x / 65536 : -((-x + 65535) / 65536);
}

/* hh*2^32 + (hl + lh)*2^16 + ll, rounded once to double.  |hh| <= 2^62 and
 * the others below 2^63 in magnitude (K <= 2^30). */
static double wide_to_double(int64_t hh, int64_t hl, int64_t lh, int64_t ll)
{
	int64_t c0 = fdiv16(ll), c1 = fdiv16(hl), c2 = fdiv16(lh);
	ll -= c0 * 65536;                       /* [0, 2^16) */
	int64_t mid = (hl - c1 * 65536) + (lh - c2 * 65536) + c0; /* |.| < 2^48 */
	int64_t c3 = fdiv16(mid);
	mid -= c3 * 65536;                      /* [0, 2^16) */
	int64_t H = hh + c1 + c2 + c3;          /* |H| < 2^62 + 2^49 */
	int64_t lo32 = mid * 65536 + ll;        /* [0, 2^32) */
	/* T = H * 2^32 + lo32.  (double)H may round; its error r is small and
	 * r * 2^32 + lo32 < 2^43 is exact in double, as is hd * 2^32: one
	 * addition of two exact doubles rounds T once, to nearest. */
	double hd = (double)H;
	int64_t r = H - (int64_t)hd;
	return hd * 4294967296.0 + (double)(r * 4294967296 + lo32);
}

static inline float lscale(const job *jb, size_t i, size_t s)
{
	return jb->l.sc[i * jb->l.istride + jb->lblk[s] * jb->l.bstride];
}

static inline float rscale(const job *jb, size_t s, size_t j)
{
	return jb->r.sc[j * jb->r.istride + jb->rblk[s] * jb->r.bstride];
}

/* Per-thread scratch: N accumulators of each kind and a double row. */
typedef struct {
	int64_t *acc[4];
	float *accf;
	double *row;
} scratch;

/* EXACT, one row i into row[0..N): plain loops on integer images. */
static void row_exact(const job *jb, size_t i, scratch *w)
{
	size_t K = jb->K, N = jb->N;
	double *row = w->row;
	const double uu = jb->l.u * jb->r.u; /* powers of two: exact */
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], k1 = jb->seg[s + 1];
		double sl = lscale(jb, i, s);
		if (!jb->wide) {
			int64_t *acc = w->acc[0];
			for (size_t j = 0; j < N; j++)
				acc[j] = 0;
			for (size_t k = k0; k < k1; k++) {
				int64_t a = jb->l.hi[i * K + k];
				const int32_t *b = jb->r.hi + k * N;
				for (size_t j = 0; j < N; j++)
					acc[j] += a * b[j];
			}
			for (size_t j = 0; j < N; j++) {
				/* The integer sum is exact (|.| < 2^62); converting it
				 * to double is the one rounding. */
				double S = (double)acc[j] * uu;
				double d = S * (sl * (double)rscale(jb, s, j));
				row[j] = s == 0 ? d : row[j] + d;
			}
		} else {
			int64_t *hh = w->acc[0], *hl = w->acc[1], *lh = w->acc[2], *ll = w->acc[3];
			for (size_t j = 0; j < N; j++)
				hh[j] = hl[j] = lh[j] = ll[j] = 0;
			for (size_t k = k0; k < k1; k++) {
				int64_t ah = jb->l.hi[i * K + k], al = jb->l.lo[i * K + k];
				const int32_t *bh = jb->r.hi + k * N, *bl = jb->r.lo + k * N;
				for (size_t j = 0; j < N; j++) {
					hh[j] += ah * bh[j];
					hl[j] += ah * bl[j];
					lh[j] += al * bh[j];
					ll[j] += al * bl[j];
				}
			}
			for (size_t j = 0; j < N; j++) {
				double S = wide_to_double(hh[j], hl[j], lh[j], ll[j]) * uu;
				double d = S * (sl * (double)rscale(jb, s, j));
				row[j] = s == 0 ? d : row[j] + d;
			}
		}
	}
}

/* EXACT for an output whose operands hold inf or NaN: the IEEE answer,
 * products and sums in double in k order (exactness is moot there). */
static double elem_exact_ieee(const job *jb, size_t i, size_t j)
{
	size_t K = jb->K, N = jb->N;
	double c = 0.0;
	for (size_t s = 0; s < jb->nseg; s++) {
		double S = 0.0;
		for (size_t k = jb->seg[s]; k < jb->seg[s + 1]; k++)
			S += (double)jb->l.v[i * K + k] * (double)jb->r.v[k * N + j];
		double d = S * ((double)lscale(jb, i, s) * (double)rscale(jb, s, j));
		c = s == 0 ? d : c + d;
	}
	return c;
}

/* FP32, one row i: float products and sums in k order, float descale. */
static void row_fp32(const job *jb, size_t i, scratch *w)
{
	size_t K = jb->K, N = jb->N;
	float *acc = w->accf;
	double *row = w->row;
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], k1 = jb->seg[s + 1];
		for (size_t j = 0; j < N; j++)
			acc[j] = 0.0f;
		/* Vectorized over j, each acc[j] still sums in k order. */
		for (size_t k = k0; k < k1; k++) {
			float a = jb->l.v[i * K + k];
			const float *b = jb->r.v + k * N;
			for (size_t j = 0; j < N; j++)
				acc[j] += a * b[j];
		}
		float sl = lscale(jb, i, s);
		for (size_t j = 0; j < N; j++) {
			float d = acc[j] * (sl * rscale(jb, s, j));
			row[j] = s == 0 ? d : (double)((float)row[j] + d);
		}
	}
}

/* MODEL, one row i: per segment one modelled dot product (both operands
 * read in k order: r.v is transposed), then FP32's float descale and
 * float sum over segments.  Inf and NaN take care of themselves. */
static void row_model(const job *jb, size_t i, scratch *w)
{
	size_t K = jb->K, N = jb->N;
	double *row = w->row;
	const float *a = jb->l.v + i * K;
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		float sl = lscale(jb, i, s);
		for (size_t j = 0; j < N; j++) {
			float dot = mq_accum_dot(&jb->model, a + k0, 1, jb->r.v + j * K + k0, 1, kk);
			/* fl32(fl32(sL * sR) * dot): the H100's order (docs/gpu.md) */
			float d = dot * (sl * rscale(jb, s, j));
			row[j] = s == 0 ? d : (double)((float)row[j] + d);
		}
	}
}

/* FP32 through the k-order kernel (qmmk.h), rows r0..r1 at once: per
 * segment the sums S, then row_fp32's float descale and float sum over
 * segments.  The same numbers as row_fp32 because the kernel's sums are
 * row_fp32's sums (products exact: fp32_kernel_ok). */
static mq_status rows_fp32_kern(const job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	int direct = jb->nseg == 1 && jb->Cf; /* sums straight into C */
	float *S = direct ? jb->Cf + r0 * N : malloc(m * N * sizeof *S);
	float *acc = jb->nseg > 1 ? malloc(m * N * sizeof *acc) : S;
	float *rs = malloc(N * sizeof *rs);
	mq_status st = S && acc && rs ? MQ_OK : MQ_ENOMEM;
	for (size_t s = 0; s < jb->nseg && st == MQ_OK; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		if (jb->kern(m, N, kk, jb->l.v + r0 * K + k0, K, jb->r.v + k0 * N, N, S, N)) {
			st = MQ_ENOMEM;
			break;
		}
		for (size_t j = 0; j < N; j++)
			rs[j] = rscale(jb, s, j);
		for (size_t i = 0; i < m; i++) {
			float sl = lscale(jb, r0 + i, s);
			float *Si = S + i * N, *ai = acc + i * N;
			if (s == 0)
				for (size_t j = 0; j < N; j++)
					ai[j] = Si[j] * (sl * rs[j]);
			else
				for (size_t j = 0; j < N; j++)
					ai[j] += Si[j] * (sl * rs[j]);
		}
	}
	if (st == MQ_OK && !direct)
		for (size_t i = 0; i < m * N; i++) {
			if (jb->Cf)
				jb->Cf[r0 * N + i] = acc[i];
			else
				jb->Cd[r0 * N + i] = acc[i];
		}
	if (!direct)
		free(S);
	if (acc != S)
		free(acc);
	free(rs);
	return st;
}

/* EXACT for INT-n operands (n <= 8) through the VNNI kernel (qmmk.h),
 * rows r0..r1 at once: per segment the int32 sums, then row_exact's
 * double descale and double sum over segments.  The sums are exact, so
 * these are row_exact's numbers. */
static mq_status rows_i8_kern(const job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	int single = jb->nseg == 1; /* descale straight into C */
	int32_t *S = malloc(m * N * sizeof *S);
	double *acc = single ? NULL : malloc(m * N * sizeof *acc);
	double *rs = malloc(N * sizeof *rs);
	const double uu = jb->l.u * jb->r.u;
	mq_status st = S && (single || acc) && rs ? MQ_OK : MQ_ENOMEM;
	for (size_t s = 0; s < jb->nseg && st == MQ_OK; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		if (jb->i8kern(m, N, kk, jb->l.c8 + r0 * K + k0, K, jb->r.c8 + k0 * N, N, S, N)) {
			st = MQ_ENOMEM;
			break;
		}
		for (size_t j = 0; j < N; j++)
			rs[j] = rscale(jb, s, j);
		for (size_t i = 0; i < m; i++) {
			double sl = lscale(jb, r0 + i, s);
			const int32_t *Si = S + i * N;
			if (single && jb->Cf) {
				float *ci = jb->Cf + (r0 + i) * N;
				for (size_t j = 0; j < N; j++)
					ci[j] = (float)((double)Si[j] * uu * (sl * rs[j]));
			} else if (single) {
				double *ci = jb->Cd + (r0 + i) * N;
				for (size_t j = 0; j < N; j++)
					ci[j] = (double)Si[j] * uu * (sl * rs[j]);
			} else {
				double *ai = acc + i * N;
				for (size_t j = 0; j < N; j++) {
					double d = (double)Si[j] * uu * (sl * rs[j]);
					ai[j] = s == 0 ? d : ai[j] + d;
				}
			}
		}
	}
	if (st == MQ_OK && !single)
		for (size_t i = 0; i < m * N; i++) {
			if (jb->Cf)
				jb->Cf[r0 * N + i] = (float)acc[i];
			else
				jb->Cd[r0 * N + i] = acc[i];
		}
	free(S);
	free(acc);
	free(rs);
	return st;
}

/* EXACT with several segments whose sums are exact in double, through
 * the block kernel (qmmk.h): each segment's tile of sums is descaled into
 * acc as run_blas descales a segment's dgemm, in segment order. */
typedef struct {
	const job *jb;
	size_t r0;     /* first row of acc */
	double *acc;   /* rows r0.., N columns */
} blk_ctx;

static void blk_done(void *ctxv, size_t i0, size_t j0, size_t mr, size_t nr, size_t s,
                     const double *T, size_t ldt)
{
	const blk_ctx *c = ctxv;
	const job *jb = c->jb;
	double rs[MQ_QMMK_BLK_MAXNR];
	for (size_t j = 0; j < nr; j++)
		rs[j] = rscale(jb, s, j0 + j);
	for (size_t r = 0; r < mr; r++) {
		double sl = lscale(jb, c->r0 + i0 + r, s);
		double *ai = c->acc + (i0 + r) * jb->N + j0;
		const double *t = T + r * ldt;
		if (s == 0)
			for (size_t j = 0; j < nr; j++)
				ai[j] = t[j] * (sl * rs[j]);
		else
			for (size_t j = 0; j < nr; j++)
				ai[j] += t[j] * (sl * rs[j]);
	}
}

static mq_status rows_blk_kern(const job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	double *acc = jb->Cd ? jb->Cd + r0 * N : malloc(m * N * sizeof *acc);
	if (!acc)
		return MQ_ENOMEM;
	blk_ctx c = {jb, r0, acc};
	mq_status st = MQ_OK;
	if (jb->blkkern(m, N, jb->l.v + r0 * K, K, jb->r.v, N, jb->nseg, jb->seg, blk_done, &c))
		st = MQ_ENOMEM;
	if (st == MQ_OK && jb->Cf)
		for (size_t i = 0; i < m * N; i++)
			jb->Cf[r0 * N + i] = (float)acc[i];
	if (!jb->Cd)
		free(acc);
	return st;
}

/* FP32 with several segments through the float block kernel: each
 * segment's k-order float sums descaled and added in float, as row_fp32
 * does. */
typedef struct {
	const job *jb;
	size_t r0;
	float *acc;
} blkf_ctx;

static void blkf_done(void *ctxv, size_t i0, size_t j0, size_t mr, size_t nr, size_t s,
                      const float *T, size_t ldt)
{
	const blkf_ctx *c = ctxv;
	const job *jb = c->jb;
	float rs[MQ_QMMK_BLK_MAXNR];
	for (size_t j = 0; j < nr; j++)
		rs[j] = rscale(jb, s, j0 + j);
	for (size_t r = 0; r < mr; r++) {
		float sl = lscale(jb, c->r0 + i0 + r, s);
		float *ai = c->acc + (i0 + r) * jb->N + j0;
		const float *t = T + r * ldt;
		if (s == 0)
			for (size_t j = 0; j < nr; j++)
				ai[j] = t[j] * (sl * rs[j]);
		else
			for (size_t j = 0; j < nr; j++)
				ai[j] += t[j] * (sl * rs[j]);
	}
}

static mq_status rows_blkf_kern(const job *jb, size_t r0, size_t r1)
{
	size_t K = jb->K, N = jb->N, m = r1 - r0;
	float *acc = jb->Cf ? jb->Cf + r0 * N : malloc(m * N * sizeof *acc);
	if (!acc)
		return MQ_ENOMEM;
	blkf_ctx c = {jb, r0, acc};
	mq_status st = MQ_OK;
	if (jb->blkfkern(m, N, jb->l.v + r0 * K, K, jb->r.v, N, jb->nseg, jb->seg, blkf_done, &c))
		st = MQ_ENOMEM;
	if (st == MQ_OK && jb->Cd)
		for (size_t i = 0; i < m * N; i++)
			jb->Cd[r0 * N + i] = acc[i];
	if (!jb->Cf)
		free(acc);
	return st;
}

static void row_out(const job *jb, size_t i, const double *row)
{
	size_t N = jb->N;
	if (jb->Cf)
		for (size_t j = 0; j < N; j++)
			jb->Cf[i * N + j] = (float)row[j];
	else
		memcpy(jb->Cd + i * N, row, N * sizeof *row);
}

typedef struct {
	const job *jb;
	size_t r0, r1;
	mq_status st;
	pthread_t tid;
} task;

static void *run_rows(void *arg)
{
	task *t = arg;
	const job *jb = t->jb;
	if (jb->kern) {
		t->st = rows_fp32_kern(jb, t->r0, t->r1);
		return NULL;
	}
	if (jb->i8kern) {
		t->st = rows_i8_kern(jb, t->r0, t->r1);
		return NULL;
	}
	if (jb->blkkern) {
		t->st = rows_blk_kern(jb, t->r0, t->r1);
		return NULL;
	}
	if (jb->blkfkern) {
		t->st = rows_blkf_kern(jb, t->r0, t->r1);
		return NULL;
	}
	size_t N = jb->N;
	scratch w = {{NULL}, NULL, NULL};
	int nacc = jb->acc == MQ_ACCUM_EXACT ? (jb->wide ? 4 : 1) : 0;
	int ok = 1;
	for (int a = 0; a < nacc; a++)
		ok &= (w.acc[a] = malloc(N * sizeof(int64_t))) != NULL;
	if (jb->acc == MQ_ACCUM_FP32)
		ok &= (w.accf = malloc(N * sizeof(float))) != NULL;
	ok &= (w.row = malloc(N * sizeof(double))) != NULL;
	if (!ok) {
		t->st = MQ_ENOMEM;
	} else {
		for (size_t i = t->r0; i < t->r1; i++) {
			if (jb->acc == MQ_ACCUM_FP32) {
				/* float arithmetic carries inf and NaN by itself */
				row_fp32(jb, i, &w);
			} else if (jb->acc == MQ_ACCUM_MODEL) {
				row_model(jb, i, &w);
			} else {
				row_exact(jb, i, &w);
				int rb = jb->l.anybad && jb->l.bad[i];
				if (rb || jb->r.anybad)
					for (size_t j = 0; j < N; j++)
						if (rb || jb->r.bad[j])
							w.row[j] = elem_exact_ieee(jb, i, j);
			}
			row_out(jb, i, w.row);
		}
		t->st = MQ_OK;
	}
	for (int a = 0; a < 4; a++)
		free(w.acc[a]);
	free(w.accf);
	free(w.row);
	return NULL;
}

#define MAX_THREADS 256

static mq_status run_threads(const job *jb, int nthreads)
{
	size_t T = nthreads < 1 ? 1 : (size_t)nthreads;
	if (T > MAX_THREADS)
		T = MAX_THREADS; /* a typo of --threads must not spawn thousands */
	if (T > jb->M)
		T = jb->M;
	task *ts = calloc(T, sizeof *ts);
	if (!ts)
		return MQ_ENOMEM;
	for (size_t t = 0; t < T; t++) {
		ts[t].jb = jb;
		ts[t].r0 = jb->M * t / T;
		ts[t].r1 = jb->M * (t + 1) / T;
	}
	/* Threads 1..T-1 are spawned, the caller takes chunk 0; a chunk whose
	 * thread cannot start runs here too (same result, just slower). */
	unsigned char *started = calloc(T, 1);
	if (!started) {
		free(ts);
		return MQ_ENOMEM;
	}
	for (size_t t = 1; t < T; t++)
		started[t] = pthread_create(&ts[t].tid, NULL, run_rows, &ts[t]) == 0;
	run_rows(&ts[0]);
	for (size_t t = 1; t < T; t++) {
		if (started[t])
			pthread_join(ts[t].tid, NULL);
		else
			run_rows(&ts[t]);
	}
	mq_status s = MQ_OK;
	for (size_t t = 0; t < T && s == MQ_OK; t++)
		s = ts[t].st;
	free(started);
	free(ts);
	return s;
}

/* ---- the BLAS path (EXACT only) ---- */

/* Largest image and the number of trailing zero bits common to all
 * nonzero images of v (values are multiples of u, images < 2^32).  In
 * float32: |v| / u = |v| * 2^-log2(u) is exact (1/u <= 2^126 for the
 * formats of exact_ok), an integer; the max first, then, where images
 * stay below 2^31 (all but e5m2-like ranges), their OR through int32
 * conversions, which vectorize with SSE2 (uint32 ones do not). */
static void image_range(const float *v, size_t n, double u, double *maxim, int *tz)
{
	float inv = (float)(1.0 / u), mx;
	int32_t mb = 0; /* the max as bits: |v| bits order as the values (no NaN here) */
	for (size_t i = 0; i < n; i++) {
		int32_t b;
		memcpy(&b, &v[i], 4);
		b &= 0x7fffffff;
		mb = b > mb ? b : mb;
	}
	memcpy(&mx, &mb, 4);
	mx *= inv;
	uint32_t orbits = 0;
	if (mx < 2147483648.0f) {
		for (size_t i = 0; i < n; i++)
			orbits |= (uint32_t)(int32_t)(fabsf(v[i]) * inv);
	} else {
		for (size_t i = 0; i < n; i++)
			orbits |= (uint32_t)(fabsf(v[i]) * inv);
	}
	int z = 0;
	if (orbits)
		while (!(orbits & 1u))
			orbits >>= 1, z++;
	*maxim = (double)mx;
	*tz = z;
}

/* The longest segment of K (make_segments). */
static size_t seg_max(const job *jb)
{
	size_t kmax = 0;
	for (size_t s = 0; s < jb->nseg; s++)
		if (jb->seg[s + 1] - jb->seg[s] > kmax)
			kmax = jb->seg[s + 1] - jb->seg[s];
	return kmax;
}

/* 2 if sgemm cannot round, 1 if dgemm cannot, 0 otherwise.  With images
 * reduced by their common power of two, every product is an integer (in
 * units of uL' uR') of magnitude at most maxL' maxR', and every partial
 * sum of at most Kseg of them at most Kseg maxL' maxR': if that is below
 * 2^p all of them are p-bit integers, exact in a p-bit significand, in any
 * order and with or without FMA.  Products of values >= 2^-16 * 2^-16 stay
 * far from float32's subnormals. */
static int blas_level(const job *jb)
{
	size_t kmax = seg_max(jb);
	double ml, mr;
	int zl, zr;
	image_range(jb->l.v, jb->M * jb->K, jb->l.u, &ml, &zl);
	image_range(jb->r.v, jb->K * jb->N, jb->r.u, &mr, &zr);
	double bound = (double)kmax * ldexp(ml, -zl) * ldexp(mr, -zr);
	if (bound < 16777216.0)
		return 2;
	if (bound < 9007199254740992.0)
		return 1;
	return 0;
}

/* One gemm per segment on the decoded values, then the descale in double:
 * the same numbers as row_exact, because no sum rounds. */
static mq_status run_blas(const job *jb, int level)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	int single = jb->nseg == 1;
	if (single && level == 2 && jb->Cf) {
		/* sgemm straight into C, then the descale in place: (float)((double)
		 * S * (sl * sr)), row_exact's numbers without a double copy of S */
		double *rs = malloc(N * sizeof *rs);
		if (!rs)
			return MQ_ENOMEM;
		for (size_t j = 0; j < N; j++)
			rs[j] = rscale(jb, 0, j);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K,
		            1.0f, jb->l.v, (int)K, jb->r.v, (int)N, 0.0f, jb->Cf, (int)N);
		for (size_t i = 0; i < M; i++) {
			double sl = lscale(jb, i, 0);
			float *ci = jb->Cf + i * N;
			for (size_t j = 0; j < N; j++)
				ci[j] = (float)((double)ci[j] * (sl * rs[j]));
		}
		free(rs);
		return MQ_OK;
	}
	/* One segment: the gemm's output is descaled in place (into C itself
	 * for a double C), no accumulator: fewer pages to fault in. */
	double *S = single && jb->Cd ? jb->Cd : malloc(M * N * sizeof *S);
	double *acc = single ? S : jb->Cf ? malloc(M * N * sizeof *acc) : jb->Cd;
	float *Sf = level == 2 ? malloc(M * N * sizeof *Sf) : NULL;
	double *ad = level == 1 ? malloc((M * K + K * N) * sizeof *ad) : NULL;
	double *rs = malloc(N * sizeof *rs);
	if (!S || !acc || (level == 2 && !Sf) || (level == 1 && !ad) || !rs) {
		if (S && S != jb->Cd)
			free(S);
		if (acc && acc != S && acc != jb->Cd)
			free(acc);
		free(Sf);
		free(ad);
		free(rs);
		return MQ_ENOMEM;
	}
	double *bd = ad ? ad + M * K : NULL;
	if (ad) {
		for (size_t i = 0; i < M * K; i++) ad[i] = jb->l.v[i];
		for (size_t i = 0; i < K * N; i++) bd[i] = jb->r.v[i];
	}
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		if (level == 2) {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N,
			            (int)kk, 1.0f, jb->l.v + k0, (int)K, jb->r.v + k0 * N, (int)N,
			            0.0f, Sf, (int)N);
			for (size_t i = 0; i < M * N; i++)
				S[i] = Sf[i];
		} else {
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N,
			            (int)kk, 1.0, ad + k0, (int)K, bd + k0 * N, (int)N, 0.0, S,
			            (int)N);
		}
		/* The outer-product descale, as in row_exact. */
		for (size_t j = 0; j < N; j++)
			rs[j] = rscale(jb, s, j);
		for (size_t i = 0; i < M; i++) {
			double sl = lscale(jb, i, s);
			double *Si = S + i * N, *ci = acc + i * N;
			if (s == 0)
				for (size_t j = 0; j < N; j++)
					ci[j] = Si[j] * (sl * rs[j]);
			else
				for (size_t j = 0; j < N; j++)
					ci[j] += Si[j] * (sl * rs[j]);
		}
	}
	if (jb->Cf)
		for (size_t i = 0; i < M * N; i++)
			jb->Cf[i] = (float)acc[i];
	else if (acc != jb->Cd)
		memcpy(jb->Cd, acc, M * N * sizeof *acc);
	if (acc != jb->Cd && acc != S)
		free(acc);
	if (S != jb->Cd)
		free(S);
	free(Sf);
	free(ad);
	free(rs);
	return MQ_OK;
}

/* EXACT where no single gemm is exact (e5m2: sums of up to 73 bits):
 * L's integer images split as in the wide plain loops, im = hi 2^16 + lo
 * with |hi| <= 2^16 and 0 <= lo < 2^16, and per segment dgemms on the
 * halves.  Two-sided (rz < 0), R split too and four dgemms:
 *   HH = Lh.Rh,  X = Lh.Rl + Ll.Rh,  LL = Ll.Rl,
 * each an integer sum below 2 kk 2^32 < 2^53 (kk < 2^20), so exact.
 * One-sided (rz >= 0: R's images share rz trailing zero bits and
 * kk 2^16 max|R image| 2^-rz < 2^53, which the caller checked), R whole:
 *   X = Lh.R',  LL = Ll.R',  R' = R's images / 2^rz,
 * two dgemms, exact for the same reason.  Then row_exact's
 * wide_to_double(HH, X, 0, LL) rounds HH 2^32 + X 2^16 + LL once (times
 * 2^rz, a power of two), and the descale is row_exact's: row_exact's
 * numbers, at two or four dgemms' time. */
static mq_status run_blas_split(const job *jb, int rz)
{
	size_t M = jb->M, K = jb->K, N = jb->N;
	int two = rz < 0;
	double *lh = malloc(2 * M * K * sizeof *lh);
	double *rh = malloc((two ? 2 : 1) * K * N * sizeof *rh);
	double *D = malloc(3 * M * N * sizeof *D);
	double *acc = jb->nseg > 1 || !jb->Cd ? malloc(M * N * sizeof *acc) : jb->Cd;
	double *rs = malloc(N * sizeof *rs);
	if (!lh || !rh || !D || !acc || !rs) {
		free(lh), free(rh), free(D), free(rs);
		if (acc != jb->Cd)
			free(acc);
		return MQ_ENOMEM;
	}
	double *ll = lh + M * K, *rl = two ? rh + K * N : rh;
	for (size_t i = 0; i < M * K; i++)
		lh[i] = jb->l.hi[i], ll[i] = jb->l.lo[i];
	double inv = two ? 1.0 : ldexp(1.0 / jb->r.u, -rz); /* powers of two: exact */
	for (size_t i = 0; i < K * N; i++) {
		if (two)
			rh[i] = jb->r.hi[i], rl[i] = jb->r.lo[i];
		else
			rh[i] = (double)jb->r.v[i] * inv;
	}
	double *HH = D, *X = D + M * N, *LL = D + 2 * M * N;
	if (!two)
		memset(HH, 0, M * N * sizeof *HH);
	const double uu = jb->l.u * jb->r.u * (two ? 1.0 : ldexp(1.0, rz));
	for (size_t s = 0; s < jb->nseg; s++) {
		size_t k0 = jb->seg[s], kk = jb->seg[s + 1] - k0;
		const double *ops[4][2] = {{ll, rl}, {lh, rl}, {lh, rh}, {ll, rh}};
		double *out[4] = {LL, X, HH, X};
		/* one-sided: Ll.R' and Lh.R' only (rl = rh = R') */
		for (int g = 0; g < (two ? 4 : 2); g++)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)kk,
			            1.0, ops[g][0] + k0, (int)K, ops[g][1] + k0 * N, (int)N,
			            g == 3 ? 1.0 : 0.0, out[g], (int)N);
		for (size_t j = 0; j < N; j++)
			rs[j] = rscale(jb, s, j);
		for (size_t i = 0; i < M; i++) {
			double sl = lscale(jb, i, s);
			for (size_t j = 0; j < N; j++) {
				size_t e = i * N + j;
				double S = wide_to_double((int64_t)HH[e], (int64_t)X[e], 0, (int64_t)LL[e]) * uu;
				double d = S * (sl * rs[j]);
				acc[e] = s == 0 ? d : acc[e] + d;
			}
		}
	}
	if (jb->Cf)
		for (size_t i = 0; i < M * N; i++)
			jb->Cf[i] = (float)acc[i];
	else if (acc != jb->Cd)
		memcpy(jb->Cd, acc, M * N * sizeof *acc);
	if (acc != jb->Cd)
		free(acc);
	free(lh), free(rh), free(D), free(rs);
	return MQ_OK;
}

/* ---- driver ---- */

static mq_status make_segments(job *jb)
{
	size_t K = jb->K, bl = jb->l.block, br = jb->r.block;
	/* The number of segments is at most K/bl + K/br + 1. */
	size_t cap = 2;
	if (bl) cap += K / bl + 1;
	if (br) cap += K / br + 1;
	jb->seg = malloc(cap * sizeof *jb->seg);
	jb->lblk = malloc(cap * sizeof *jb->lblk);
	jb->rblk = malloc(cap * sizeof *jb->rblk);
	if (!jb->seg || !jb->lblk || !jb->rblk)
		return MQ_ENOMEM;
	size_t n = 0, k = 0;
	while (k < K) {
		size_t e = K;
		if (bl && (k / bl + 1) * bl < e) e = (k / bl + 1) * bl;
		if (br && (k / br + 1) * br < e) e = (k / br + 1) * br;
		jb->seg[n] = k;
		jb->lblk[n] = bl ? k / bl : 0;
		jb->rblk[n] = br ? k / br : 0;
		n++;
		k = e;
	}
	jb->seg[n] = K;
	jb->nseg = n;
	return MQ_OK;
}

/* 1 if the VNNI kernel (qmmk.h) applies: exact sums of two INT8
 * operands (whose codes are their values at scale 1), K <= 65536. */
static int int8_kernel_ok(const mq_qmatmul_cfg *cfg, size_t K)
{
	const mq_format *a = &cfg->lhs.q.fmt, *b = &cfg->rhs.q.fmt;
	return cfg->accum == MQ_ACCUM_EXACT && !(cfg->flags & MQ_QMM_REFERENCE) &&
	       a->kind == MQ_KIND_INT && b->kind == MQ_KIND_INT && a->bits == 8 &&
	       b->bits == 8 && K <= 65536;
}

static mq_status qmatmul(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N,
                         const float *L, const float *R, float *Cf, double *Cd,
                         int nthreads, mq_qstats *lstats, mq_qstats *rstats)
{
	if (!cfg || !L || !R || (!Cf && !Cd))
		return MQ_EOPTION;
	mq_status s = check_shape(M, K, N);
	if (s != MQ_OK)
		return s;
	if (cfg->accum != MQ_ACCUM_EXACT && cfg->accum != MQ_ACCUM_FP32 &&
	    cfg->accum != MQ_ACCUM_MODEL)
		return MQ_EOPTION;
	if ((s = mq_qspec_check(&cfg->lhs.q)) != MQ_OK ||
	    (s = mq_qspec_check(&cfg->rhs.q)) != MQ_OK)
		return s;
	mq_accum_model model = cfg->model;
	if (cfg->accum == MQ_ACCUM_MODEL) {
		if (!mq_qmatmul_model_format(&cfg->lhs.q.fmt) ||
		    !mq_qmatmul_model_format(&cfg->rhs.q.fmt))
			return MQ_EOPTION;
		mq_accum_model_operands(&model, &cfg->lhs.q.fmt, &cfg->rhs.q.fmt);
		if (mq_accum_model_check(&model) != MQ_OK)
			return MQ_EOPTION;
	}
	if (cfg->accum == MQ_ACCUM_EXACT &&
	    (!exact_ok(&cfg->lhs.q.fmt) || !exact_ok(&cfg->rhs.q.fmt) ||
	     K > ((size_t)1 << 30)))
		return MQ_EOPTION;
	/* NaN and Inf: mq_quantize_tensor refuses them (MQ_ENONFINITE) while
	 * taking the absmax, so no pass over L and R of its own here. */

	job jb;
	memset(&jb, 0, sizeof jb);
	jb.M = M, jb.K = K, jb.N = N, jb.acc = cfg->accum, jb.Cf = Cf, jb.Cd = Cd;
	jb.model = model;
	/* Stats are added only on success: quantize into locals first. */
	mq_qstats ls = {0}, rs = {0};
	if (int8_kernel_ok(cfg, K))
		jb.i8kern = mq_qmmk_i8_select();
	int codes = jb.i8kern != NULL;
	s = operand_make(&jb.l, &cfg->lhs, MQ_LHS, M, K, L, 0, codes, &ls);
	if (s == MQ_OK)
		s = operand_make(&jb.r, &cfg->rhs, MQ_RHS, K, N, R,
		                 jb.acc == MQ_ACCUM_MODEL, codes, &rs);
	if (s == MQ_OK)
		s = make_segments(&jb);
	if (s == MQ_OK && jb.acc == MQ_ACCUM_EXACT) {
		int level = 0;
		if (!(cfg->flags & MQ_QMM_REFERENCE) && !jb.l.anybad && !jb.r.anybad && !jb.i8kern)
			level = blas_level(&jb);
		if (level && jb.nseg > 1) {
			/* block scales: the block kernel, where segments fit its panel */
			size_t kmax = seg_max(&jb);
			if (kmax <= MQ_QMMK_BLK_MAXSEG)
				jb.blkkern = mq_qmmk_blk_select();
		}
		if (jb.i8kern || jb.blkkern) {
			s = run_threads(&jb, nthreads);
		} else if (level) {
			s = run_blas(&jb, level);
		} else {
			/* Narrow: images below 2^31 and every segment's sum of
			 * products below 2^62 in one int64.  Else split. */
			double il = (double)cfg->lhs.q.fmt.max / jb.l.u;
			double ir = (double)cfg->rhs.q.fmt.max / jb.r.u;
			size_t kmax = seg_max(&jb);
			jb.wide = !(il < 2147483648.0 && ir < 2147483648.0 &&
			            (double)kmax * il * ir < 4611686018427387904.0);
			/* four dgemms on 16-bit halves, where their sums are exact */
			int split = !(cfg->flags & MQ_QMM_REFERENCE) && !jb.l.anybad &&
			            !jb.r.anybad && kmax < ((size_t)1 << 20);
			if (split)
				jb.wide = 1;
			s = operand_images(&jb.l, M * K, jb.wide);
			if (s == MQ_OK)
				s = operand_images(&jb.r, K * N, jb.wide);
			int rz = -1; /* one-sided split where R's reduced images allow it */
			if (s == MQ_OK && split) {
				double mr;
				int zr;
				image_range(jb.r.v, K * N, jb.r.u, &mr, &zr);
				if ((double)kmax * 65536.0 * ldexp(mr, -zr) < 9007199254740992.0)
					rz = zr;
			}
			if (s == MQ_OK)
				s = split ? run_blas_split(&jb, rz) : run_threads(&jb, nthreads);
		}
	} else if (s == MQ_OK) {
		if (jb.acc == MQ_ACCUM_FP32 && !(cfg->flags & MQ_QMM_REFERENCE) &&
		    fp32_kernel_ok(&cfg->lhs.q.fmt, &cfg->rhs.q.fmt)) {
			size_t kmax = seg_max(&jb);
			if (jb.nseg > 1 && kmax <= MQ_QMMK_BLK_MAXSEG)
				jb.blkfkern = mq_qmmk_blkf_select();
			else
				jb.kern = mq_qmmk_select();
		}
		s = run_threads(&jb, nthreads);
	}
	operand_free(&jb.l);
	operand_free(&jb.r);
	free(jb.seg);
	free(jb.lblk);
	free(jb.rblk);
	if (s == MQ_OK) {
		if (lstats) {
			lstats->n += ls.n, lstats->clipped += ls.clipped;
			lstats->underflowed += ls.underflowed, lstats->nan += ls.nan;
		}
		if (rstats) {
			rstats->n += rs.n, rstats->clipped += rs.clipped;
			rstats->underflowed += rs.underflowed, rstats->nan += rs.nan;
		}
	}
	return s;
}

mq_status mq_qmatmul(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N,
                     const float *L, const float *R, float *C, int nthreads,
                     mq_qstats *lstats, mq_qstats *rstats)
{
	return qmatmul(cfg, M, K, N, L, R, C, NULL, nthreads, lstats, rstats);
}

mq_status mq_qmatmul_f64(const mq_qmatmul_cfg *cfg, size_t M, size_t K,
                         size_t N, const float *L, const float *R, double *C,
                         int nthreads, mq_qstats *lstats, mq_qstats *rstats)
{
	return qmatmul(cfg, M, K, N, L, R, NULL, C, nthreads, lstats, rstats);
}

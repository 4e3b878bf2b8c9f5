/* qgemm.c: reference and quantized matrix products (see qgemm.h): the
 * public entry points, the accumulation names, the validation of a
 * configuration, the plan that picks how the sums are computed, and the
 * row threads.  The paths themselves are in qgemm_*.c (qgemm_impl.h). */
#include "qgemm_impl.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

/* ---- accumulation names ---- */

/* The accumulation modes by name.  MODEL is named by its presets
 * (accum.h) instead: every preset of accum.c that is not a mode's name
 * is an accumulation name of mq_qmatmul_accum. */
static const struct {
	const char *name;
	mq_accum acc;
} modes[] = {
	{"exact", MQ_ACCUM_EXACT},
	{"fp32", MQ_ACCUM_FP32},
	{"model", MQ_ACCUM_MODEL},
};
#define NMODES (sizeof modes / sizeof modes[0])

mq_status mq_accum_parse(const char *name, mq_accum *a)
{
	for (size_t i = 0; name && i < NMODES; i++)
		if (modes[i].acc != MQ_ACCUM_MODEL && !strcmp(name, modes[i].name)) {
			*a = modes[i].acc;
			return MQ_OK;
		}
	return MQ_EOPTION;
}

const char *mq_accum_name(mq_accum a)
{
	for (size_t i = 0; i < NMODES; i++)
		if (modes[i].acc == a)
			return modes[i].name;
	return "?";
}

/* A preset of accum.h that selects MQ_ACCUM_MODEL (accum.h's "fp32"
 * preset stays MQ_ACCUM_FP32, the same numbers). */
static int model_preset(const char *name)
{
	mq_accum a;
	if (mq_accum_parse(name, &a) == MQ_OK)
		return 0;
	for (size_t i = 0; mq_accum_model_preset_name(i); i++)
		if (!strcmp(name, mq_accum_model_preset_name(i)))
			return 1;
	return 0;
}

mq_status mq_qmatmul_accum(mq_qmatmul_cfg *cfg, const char *name)
{
	if (!cfg || !name)
		return MQ_EOPTION;
	if (mq_accum_parse(name, &cfg->accum) == MQ_OK)
		return MQ_OK;
	if (!model_preset(name))
		return MQ_EOPTION;
	cfg->accum = MQ_ACCUM_MODEL;
	return mq_accum_model_preset(name, &cfg->model);
}

static char known[256];
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

/* Append sep and name to known (truncating, never past its end). */
static void known_add(size_t *n, const char *sep, const char *name)
{
	int w = snprintf(known + *n, sizeof known - *n, "%s%s", sep, name);
	*n += w < 0 ? 0 : (size_t)w;
	if (*n >= sizeof known)
		*n = sizeof known - 1;
}

static void known_init(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NMODES; i++)
		if (modes[i].acc != MQ_ACCUM_MODEL)
			known_add(&n, n ? ", " : "", modes[i].name);
	for (size_t i = 0; mq_accum_model_preset_name(i); i++)
		if (model_preset(mq_accum_model_preset_name(i)))
			known_add(&n, ", ", mq_accum_model_preset_name(i));
}

const char *mq_qmatmul_accum_known(void)
{
	pthread_once(&known_once, known_init);
	return known;
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

/* ---- the quantized product: validation ---- */

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

/* MQ_OK if cfg describes a product this file can compute for K, with the
 * model (MODEL: cfg's, with the operands' emin) in *model. */
static mq_status validate(const mq_qmatmul_cfg *cfg, size_t K, mq_accum_model *model)
{
	mq_status s;
	if (cfg->accum != MQ_ACCUM_EXACT && cfg->accum != MQ_ACCUM_FP32 &&
	    cfg->accum != MQ_ACCUM_MODEL)
		return MQ_EOPTION;
	if ((s = mq_qspec_check(&cfg->lhs.q)) != MQ_OK ||
	    (s = mq_qspec_check(&cfg->rhs.q)) != MQ_OK)
		return s;
	*model = cfg->model;
	if (cfg->accum == MQ_ACCUM_MODEL) {
		if (!mq_qmatmul_model_format(&cfg->lhs.q.fmt) ||
		    !mq_qmatmul_model_format(&cfg->rhs.q.fmt))
			return MQ_EOPTION;
		mq_accum_model_operands(model, &cfg->lhs.q.fmt, &cfg->rhs.q.fmt);
		if (mq_accum_model_check(model) != MQ_OK)
			return MQ_EOPTION;
	}
	if (cfg->accum == MQ_ACCUM_EXACT &&
	    (!exact_ok(&cfg->lhs.q.fmt) || !exact_ok(&cfg->rhs.q.fmt) ||
	     K > ((size_t)1 << 30)))
		return MQ_EOPTION;
	return MQ_OK;
}

/* ---- the plan: which path computes the sums ---- */

/* 1 if an exact int8 kernel (qmmk.h) applies: exact sums of two INT8
 * operands (whose codes are their values at scale 1), K <= 65536 (int32
 * sums cannot wrap). */
static int int8_kernel_ok(const mq_qmatmul_cfg *cfg, size_t K)
{
	const mq_format *a = &cfg->lhs.q.fmt, *b = &cfg->rhs.q.fmt;
	return cfg->accum == MQ_ACCUM_EXACT && !(cfg->flags & MQ_QMM_REFERENCE) &&
	       a->kind == MQ_KIND_INT && b->kind == MQ_KIND_INT && a->bits == 8 &&
	       b->bits == 8 && K <= 65536;
}

/* The first half of the plan, before the operands are quantized: the
 * paths that need them in another form (INT8 codes, R transposed) are
 * fixed here; the others start at their mode's reference loops, which
 * plan() may replace once the decoded values are known. */
static mq_qg_path plan_form(const mq_qmatmul_cfg *cfg, size_t K, mq_qmmk_i8_fn *i8kern)
{
	*i8kern = NULL;
	switch (cfg->accum) {
	case MQ_ACCUM_MODEL:
		return MQ_QG_MODEL;
	case MQ_ACCUM_FP32:
		return MQ_QG_FP32_LOOPS;
	case MQ_ACCUM_EXACT:
		break;
	}
	if (int8_kernel_ok(cfg, K) && (*i8kern = mq_qmmk_i8_select()) != NULL)
		return MQ_QG_EXACT_I8;
	return MQ_QG_EXACT_LOOPS;
}

/* EXACT without a BLAS path: the plain loops, or the dgemms on 16-bit
 * halves where their sums are exact; both on integer images. */
static mq_status plan_images(mq_qg_job *jb, const mq_qmatmul_cfg *cfg)
{
	/* Narrow: images below 2^31 and every segment's sum of products
	 * below 2^62 in one int64.  Else split. */
	double il = (double)cfg->lhs.q.fmt.max / jb->l.u;
	double ir = (double)cfg->rhs.q.fmt.max / jb->r.u;
	size_t kmax = mq_qg_seg_max(jb);
	jb->wide = !(il < 2147483648.0 && ir < 2147483648.0 &&
	             (double)kmax * il * ir < 4611686018427387904.0);
	int split = !(cfg->flags & MQ_QMM_REFERENCE) && !jb->l.anybad && !jb->r.anybad &&
	            kmax < ((size_t)1 << 20);
	if (split)
		jb->wide = 1;
	mq_status s = mq_qg_operand_images(&jb->l, jb->M * jb->K, jb->wide);
	if (s == MQ_OK)
		s = mq_qg_operand_images(&jb->r, jb->K * jb->N, jb->wide);
	jb->rz = -1; /* one-sided split where R's reduced images allow it */
	if (s == MQ_OK && split) {
		double mr;
		int zr;
		mq_qg_image_range(jb->r.v, jb->K * jb->N, jb->r.u, &mr, &zr);
		if ((double)kmax * 65536.0 * ldexp(mr, -zr) < 9007199254740992.0)
			jb->rz = zr;
	}
	jb->path = split ? MQ_QG_EXACT_SPLIT : MQ_QG_EXACT_LOOPS;
	return s;
}

/* The plan, once the operands and segments are made: the fastest path
 * that gives the reference loops' numbers bit for bit (qgemm.h, Speed),
 * and its kernel.  MQ_QMM_REFERENCE keeps the loops. */
static mq_status plan(mq_qg_job *jb, const mq_qmatmul_cfg *cfg)
{
	int ref = (cfg->flags & MQ_QMM_REFERENCE) != 0;
	size_t kmax = mq_qg_seg_max(jb);
	int blk = jb->nseg > 1 && kmax <= MQ_QMMK_BLK_MAXSEG; /* the block kernels' panel */
	switch (jb->path) {
	case MQ_QG_EXACT_LOOPS:
		if (!ref && !jb->l.anybad && !jb->r.anybad)
			jb->level = mq_qg_blas_level(jb);
		if (jb->level && blk) {
			jb->path = MQ_QG_EXACT_BLK;
			jb->blkkern = mq_qmmk_blk_select();
		} else if (jb->level) {
			jb->path = MQ_QG_EXACT_BLAS;
		} else {
			return plan_images(jb, cfg);
		}
		return MQ_OK;
	case MQ_QG_FP32_LOOPS:
		if (ref || !fp32_kernel_ok(&cfg->lhs.q.fmt, &cfg->rhs.q.fmt))
			return MQ_OK;
		if (blk) {
			jb->path = MQ_QG_FP32_BLK;
			jb->blkfkern = mq_qmmk_blkf_select();
		} else {
			jb->path = MQ_QG_FP32_KERN;
			jb->kern = mq_qmmk_select();
		}
		return MQ_OK;
	default:
		return MQ_OK;
	}
}

/* ---- running a path ---- */

typedef mq_status (*rows_fn)(const mq_qg_job *jb, size_t r0, size_t r1);
typedef mq_status (*whole_fn)(const mq_qg_job *jb);

/* Each path runs over ranges of rows on the row threads, or over the
 * whole product at once (on the BLAS's threads). */
static const struct {
	rows_fn rows;
	whole_fn whole;
} paths[MQ_QG_NPATHS] = {
	[MQ_QG_EXACT_LOOPS] = {mq_qg_exact_loops, NULL},
	[MQ_QG_EXACT_I8] = {mq_qg_exact_i8, NULL},
	[MQ_QG_EXACT_BLK] = {mq_qg_exact_blk, NULL},
	[MQ_QG_EXACT_BLAS] = {NULL, mq_qg_exact_blas},
	[MQ_QG_EXACT_SPLIT] = {NULL, mq_qg_exact_split},
	[MQ_QG_FP32_LOOPS] = {mq_qg_fp32_loops, NULL},
	[MQ_QG_FP32_KERN] = {mq_qg_fp32_kern, NULL},
	[MQ_QG_FP32_BLK] = {mq_qg_fp32_blk, NULL},
	[MQ_QG_MODEL] = {mq_qg_model, NULL},
};

typedef struct {
	const mq_qg_job *jb;
	size_t r0, r1;
	mq_status st;
	pthread_t tid;
} task;

static void *run_rows(void *arg)
{
	task *t = arg;
	t->st = paths[t->jb->path].rows(t->jb, t->r0, t->r1);
	return NULL;
}

#define MAX_THREADS 256

/* Every output element is computed the same way whatever the split of
 * rows, so the result does not depend on nthreads. */
static mq_status run_threads(const mq_qg_job *jb, int nthreads)
{
	size_t T = nthreads < 1 ? 1 : (size_t)nthreads;
	if (T > MAX_THREADS)
		T = MAX_THREADS; /* a typo of --threads must not spawn thousands */
	if (T > jb->M)
		T = jb->M;
	task *ts = calloc(T, sizeof *ts);
	unsigned char *started = calloc(T, 1);
	if (!ts || !started) {
		free(ts), free(started);
		return MQ_ENOMEM;
	}
	for (size_t t = 0; t < T; t++) {
		ts[t].jb = jb;
		ts[t].r0 = jb->M * t / T;
		ts[t].r1 = jb->M * (t + 1) / T;
	}
	/* Threads 1..T-1 are spawned, the caller takes chunk 0; a chunk whose
	 * thread cannot start runs here too (same result, just slower). */
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

static mq_status run(const mq_qg_job *jb, int nthreads)
{
	if (paths[jb->path].whole)
		return paths[jb->path].whole(jb);
	return run_threads(jb, nthreads);
}

/* ---- the driver ---- */

static void stats_add(mq_qstats *to, const mq_qstats *from)
{
	if (!to)
		return;
	to->n += from->n, to->clipped += from->clipped;
	to->underflowed += from->underflowed, to->nan += from->nan;
}

static mq_status qmatmul(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N,
                         const float *L, const float *R, float *Cf, double *Cd,
                         int nthreads, mq_qstats *lstats, mq_qstats *rstats)
{
	if (!cfg || !L || !R || (!Cf && !Cd))
		return MQ_EOPTION;
	mq_accum_model model;
	mq_status s = check_shape(M, K, N);
	if (s == MQ_OK)
		s = validate(cfg, K, &model);
	if (s != MQ_OK)
		return s;
	/* NaN and Inf: mq_quantize_tensor refuses them (MQ_ENONFINITE) while
	 * taking the absmax, so no pass over L and R of its own here. */
	mq_qg_job jb;
	memset(&jb, 0, sizeof jb);
	jb.M = M, jb.K = K, jb.N = N, jb.Cf = Cf, jb.Cd = Cd;
	jb.model = model;
	jb.path = plan_form(cfg, K, &jb.i8kern);
	int codes = jb.path == MQ_QG_EXACT_I8, transpose = jb.path == MQ_QG_MODEL;
	/* Stats are added only on success: quantize into locals first. */
	mq_qstats ls = {0}, rs = {0};
	s = mq_qg_operand_make(&jb.l, &cfg->lhs, MQ_LHS, M, K, L, 0, codes, &ls);
	if (s == MQ_OK)
		s = mq_qg_operand_make(&jb.r, &cfg->rhs, MQ_RHS, K, N, R, transpose, codes, &rs);
	if (s == MQ_OK)
		s = mq_qg_make_segments(&jb);
	if (s == MQ_OK)
		s = plan(&jb, cfg);
	if (s == MQ_OK)
		s = run(&jb, nthreads);
	mq_qg_operand_free(&jb.l);
	mq_qg_operand_free(&jb.r);
	free(jb.seg), free(jb.lblk), free(jb.rblk);
	if (s == MQ_OK) {
		stats_add(lstats, &ls);
		stats_add(rstats, &rs);
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

/* qgemm_impl.h: the inside of mq_qmatmul (qgemm.h), shared by its files.
 *
 * Q(L, R) in three steps: quantize each operand (codes + scales, scale.h),
 * decode the codes without their scales (a, b: values of the format, exact
 * in float32), then sum products over k and descale per segment of K.
 * A segment is a stretch of K on which both operands' scales are
 * constant: all of K for tensor/channel/fine, the blocks of block:B, and
 * the intersections of two block grids when both operands are blocked.
 *
 * The files, one job each:
 *   qgemm.c           the public entry points, validation, the plan (which
 *                     path computes the sums) and the row threads
 *   qgemm_operands.c  quantized operands, integer images, segments
 *   qgemm_descale.h   step 3, the one descale epilogue of every path
 *                     (inline), and the stores of its sums into C
 *   qgemm_exact.c     MQ_ACCUM_EXACT on integer images and the ISA kernels
 *   qgemm_blas.c      MQ_ACCUM_EXACT through dgemm/sgemm
 *   qgemm_fp32.c      MQ_ACCUM_FP32
 *   qgemm_model.c     MQ_ACCUM_MODEL
 * A path is a row in plan()'s table (qgemm.c): a function over a range of
 * rows (run on the row threads) or over the whole product (the BLAS's own
 * threads).  Adding an accumulation mode or a scale layout is a path in
 * the enum below, its choice in plan(), and one kernel file. */
#ifndef MQ_QGEMM_IMPL_H
#define MQ_QGEMM_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "qgemm.h"
#include "qmmk.h"

/* How each output's sums are computed; plan() picks one. */
typedef enum {
	MQ_QG_EXACT_LOOPS, /* plain loops on integer images (the reference) */
	MQ_QG_EXACT_I8,    /* an exact int8 ISA kernel on the codes (qmmk.h) */
	MQ_QG_EXACT_BLK,   /* the double block kernel, segments <= 512 */
	MQ_QG_EXACT_BLAS,  /* one sgemm/dgemm per segment, exact by bound */
	MQ_QG_EXACT_SPLIT, /* dgemms on 16-bit halves of the images */
	MQ_QG_FP32_LOOPS,  /* plain float loops in k order (the reference) */
	MQ_QG_FP32_KERN,   /* the k-order float kernel, one call per segment */
	MQ_QG_FP32_BLK,    /* the float block kernel, segments <= 512 */
	MQ_QG_MODEL,       /* mq_accum_dot per output and segment */
	MQ_QG_NPATHS
} mq_qg_path;

/* One quantized operand: decoded values and scales, and where the scale
 * of element (row or column i, segment s) lives:
 *   scale = sc[i * istride + blk[s] * bstride]. */
typedef struct {
	float *v;           /* decoded values, unscaled (M*K or K*N) */
	int8_t *c8;         /* or, for MQ_QG_EXACT_I8, the INT8 codes (= values) */
	float *sc;          /* scales */
	size_t istride, bstride;
	size_t block;       /* block length along K, or 0 */
	double u;           /* smallest subnormal of the format (power of 2) */
	int32_t *hi, *lo;   /* EXACT loops, split: images or their 16-bit halves */
	unsigned char *bad; /* rows (L) / columns (R) holding inf or NaN */
	int anybad;
} mq_qg_operand;

typedef struct {
	size_t M, K, N;
	mq_qg_path path;
	mq_accum_model model; /* MODEL: cfg's, with the operands' emin */
	mq_qg_operand l, r;   /* MODEL: r.v is N x K (column j at j * K) */
	size_t nseg;
	size_t *seg;          /* seg[0] = 0 < ... < seg[nseg] = K */
	size_t *lblk, *rblk;  /* block index of each segment for L and R */
	int wide;             /* EXACT loops: images split in 16-bit halves */
	int level;            /* EXACT BLAS: 2 sgemm, 1 dgemm (mq_qg_blas_level) */
	int rz;               /* EXACT split: R's common trailing zeros, or -1 */
	/* the kernel of the path (qmmk.h), where it has one */
	mq_qmmk_fn kern;
	mq_qmmk_i8_fn i8kern;
	mq_qmmk_blk_fn blkkern;
	mq_qmmk_blkf_fn blkfkern;
	float *Cf;            /* output, one of the two */
	double *Cd;
} mq_qg_job;

static inline float mq_qg_lscale(const mq_qg_job *jb, size_t i, size_t s)
{
	return jb->l.sc[i * jb->l.istride + jb->lblk[s] * jb->l.bstride];
}

static inline float mq_qg_rscale(const mq_qg_job *jb, size_t s, size_t j)
{
	return jb->r.sc[j * jb->r.istride + jb->rblk[s] * jb->r.bstride];
}

/* qgemm_operands.c */
/* Quantize x (rows x cols, the layout of `op`) and decode it unscaled,
 * into v as x is laid out, or transposed (cols x rows) if `transpose`;
 * or keep the INT8 codes in c8 instead (`codes`). */
mq_status mq_qg_operand_make(mq_qg_operand *o, const mq_qoperand *spec, mq_operand op,
                             size_t rows, size_t cols, const float *x, int transpose,
                             int codes, mq_qstats *stats);
void mq_qg_operand_free(mq_qg_operand *o);
/* Integer images v/u of the n values: in hi (narrow), or as hi * 2^16 + lo
 * with 0 <= lo < 2^16 (wide).  Non-finite values get image 0. */
mq_status mq_qg_operand_images(mq_qg_operand *o, size_t n, int wide);
/* Largest image of v and the trailing zero bits common to all nonzero
 * images. */
void mq_qg_image_range(const float *v, size_t n, double u, double *maxim, int *tz);
mq_status mq_qg_make_segments(mq_qg_job *jb);
size_t mq_qg_seg_max(const mq_qg_job *jb); /* the longest segment */

/* The paths: rows r0..r1 of the output (on the row threads) ... */
mq_status mq_qg_exact_loops(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_exact_i8(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_exact_blk(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_fp32_loops(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_fp32_kern(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_fp32_blk(const mq_qg_job *jb, size_t r0, size_t r1);
mq_status mq_qg_model(const mq_qg_job *jb, size_t r0, size_t r1);
/* ... or the whole output at once (qgemm_blas.c). */
mq_status mq_qg_exact_blas(const mq_qg_job *jb);
mq_status mq_qg_exact_split(const mq_qg_job *jb);
/* 2 if sgemm cannot round on jb's decoded values, 1 if dgemm cannot, 0
 * otherwise. */
int mq_qg_blas_level(const mq_qg_job *jb);

/* hh*2^32 + (hl + lh)*2^16 + ll, rounded once to double (qgemm_exact.c). */
double mq_qg_wide_to_double(int64_t hh, int64_t hl, int64_t lh, int64_t ll);

#endif

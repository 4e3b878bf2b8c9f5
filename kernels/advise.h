/* advise.h: the paper's method of choosing a format per tensor (docs/advise.md).
 *
 * For one float32 tensor: its moments and tail index, the error of every
 * candidate format x rounding at one scale granularity, and a choice by a
 * fixed rule.  `metriq advise` and `metriq.advise` are this file with file
 * reading and printing around it, so the three give the same numbers.
 *
 * Measures of each candidate.  The tensor is quantized as the paper does it
 * (mq_quantize_tensor: symmetric absmax scales at the granularity,
 * saturation, gradual underflow, SR seeded by `seed`) and compared with x:
 *   sqnr_db, mse      mq_error_split's (metrics.h)
 *   mean_re, max_re   Eq. 2 (mq_relerr) averaged over the nonzero elements,
 *                     and its maximum over all
 *   clip_frac         clipped elements / nonzero elements
 *   clip_share        squared error from clipping / all squared error
 *   under_frac        nonzero elements flushed to 0 / nonzero elements
 *   ok                under_frac <= under_budget and clip_share <= clip_budget
 * (an all-zero tensor gives 0 for the three fractions).
 *
 * The rule (mq_advise_decide):
 *   1. no nonzero element: candidate 0, MQ_ADVISE_ZERO;
 *   2. else among the ok candidates the best SQNR; the first ok candidate
 *      (formats in list order, then roundings) within `margin` dB of it:
 *      MQ_ADVISE_BEST if it is the best itself, else MQ_ADVISE_MARGIN;
 *   3. no ok candidate: the smallest under_frac + clip_share, ties to the
 *      better SQNR, then to the earlier: MQ_ADVISE_FALLBACK.
 *
 * Tail index (mq_hill): Hill's estimator over the k largest of the m
 * nonzero magnitudes X(1) >= ... >= X(k) above X(k+1),
 *     1/alpha = (1/k) sum_{i<=k} ln(X(i) / X(k+1)),  k = max(10, floor(sqrt(m))),
 * a common choice that lets k grow with m while k/m -> 0.  A power-law
 * tail P(|X| > x) ~ x^-alpha gives alpha (Student-t(nu): nu); a normal
 * sample a large value that grows slowly with m.  NaN (k = 0) when m < 20,
 * +inf when the top k+1 are all equal.  It describes the tensor; the rule
 * does not use it.
 */
#ifndef MQ_ADVISE_H
#define MQ_ADVISE_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "metrics.h"
#include "round.h"
#include "scale.h"
#include "status.h"

#define MQ_ADVISE_MAXFMT 16
#define MQ_ADVISE_MAXRND 8
#define MQ_ADVISE_MAXCAND (MQ_ADVISE_MAXFMT * MQ_ADVISE_MAXRND)

typedef struct mq_advise_opts {
	mq_granularity gran;
	mq_scale_mode scale;
	uint64_t seed;          /* the SR stream */
	double under_budget;    /* in [0, 1] */
	double clip_budget;     /* in [0, 1] */
	double margin;          /* dB, >= 0 */
	size_t nfmt, nrnd;      /* 1..MQ_ADVISE_MAXFMT, 1..MQ_ADVISE_MAXRND */
	mq_format fmt[MQ_ADVISE_MAXFMT];   /* no E8M0: it has no zero and no sign */
	mq_rounding rnd[MQ_ADVISE_MAXRND];
} mq_advise_opts;

/* The paper's defaults: tensor granularity, fp32 scales, seed 0, budgets
 * 0.03 and 0.01, margin 0, formats int8, e4m3, e5m2, roundings rtne, sr. */
void mq_advise_defaults(mq_advise_opts *o);

typedef struct mq_advise_cand {
	size_t f, r;            /* indices into opts.fmt, opts.rnd */
	double sqnr_db, mse, mean_re, max_re;
	double clip_frac, clip_share, under_frac;
	int ok;                 /* within both budgets */
} mq_advise_cand;

typedef enum {
	MQ_ADVISE_ZERO,         /* all zeros: every candidate is exact */
	MQ_ADVISE_BEST,         /* best SQNR within budgets */
	MQ_ADVISE_MARGIN,       /* first within the margin of that best */
	MQ_ADVISE_FALLBACK      /* none within budgets */
} mq_advise_why;

typedef struct mq_advice {
	size_t n, nnz;          /* elements, nonzero elements */
	mq_moments mo;          /* NaN but n when n < 2 */
	double tail_index;      /* mq_hill */
	size_t hill_k;
	size_t ncand;           /* nfmt * nrnd, format-major */
	mq_advise_cand cand[MQ_ADVISE_MAXCAND];
	size_t pick;            /* the advice: cand[pick] */
	mq_advise_why why;
} mq_advice;

/* The reason as a sentence ("best SQNR within budgets", ...), static. */
const char *mq_advise_reason(mq_advise_why why);

/* The matrix advise measures a tensor of ndim axes (0: a scalar, 1 x 1) as:
 * an LHS contracts the last axis, the others flattened into rows; an RHS
 * contracts the first, the others flattened into columns.  MQ_ESHAPE if
 * an axis is 0 or the size overflows (l is then zero). */
mq_status mq_advise_layout(int ndim, const size_t *dim, mq_operand role, mq_layout *l);

/* Measure every candidate on x (mq_layout_size(l) elements) and decide.
 * MQ_EOPTION for options out of range, MQ_EFORMAT for an E8M0 candidate,
 * MQ_ESHAPE for a bad layout, MQ_EGRAN for a granularity that does not fit
 * it, MQ_ENONFINITE for NaN or Inf in x, MQ_ENOMEM; *a is then zero except
 * that a->ncand candidates were measured and cand[a->ncand] names (f, r)
 * the one whose measurement failed.  Extra memory: 2n floats
 * and the nonzero magnitudes. */
mq_status mq_advise(const mq_advise_opts *o, const mq_layout *l, const float *x,
                    mq_advice *a);

/* The rule alone on a->cand[0..ncand) and a->nnz: sets a->pick, a->why. */
void mq_advise_decide(const mq_advise_opts *o, mq_advice *a);

/* Hill's tail index of x[0..n) (above); *k gets the k used (0 when NaN). */
mq_status mq_hill(const float *x, size_t n, double *alpha, size_t *k);

#endif

/* metrics.h: the error measures of the paper, and statistics of arrays.
 *
 * Per-element errors are written as float32 (they are measurements, and the
 * harness keeps float32 tensors); every sum, quotient and statistic is
 * computed in double.  Inputs that must be finite and are not give
 * MQ_ENONFINITE; n = 0 gives MQ_ESHAPE.
 *
 * Relative error (Eq. 2), per element:  RE_i = |v_i - q_i| / |v_i|.
 *   v_i = 0:  RE_i = 0 if q_i = 0 (nothing was lost; +0 and -0 are equal),
 *             +inf otherwise (symmetric scaling never produces that).
 *   v must be finite; q may be +-inf (overflow under MQ_OVF_IEEE), giving
 *   RE = +inf; a NaN anywhere is MQ_ENONFINITE.
 *
 * Backward error (Eq. 3), per element of an M x N product:
 *   BE_ij = |(L.R)_ij - Q_ij| / (|L|.|R|)_ij
 *   with L.R and |L|.|R| from mq_matmul_ref / mq_matmul_absref (double).
 *   (|L||R|)_ij = 0 means row i of L or column j of R is all zeros, so
 *   L.R_ij = 0 exactly: BE_ij = 0 if Q_ij = 0 (0/0 taken as no error),
 *   +inf otherwise.  A NaN Q is MQ_ENONFINITE; an infinite Q gives +inf.
 *
 * Summary (mean, median, p99, min, max).  Quantiles are the linear
 * interpolation of the sorted data at position p*(n-1) (0-based), the
 * definition of GSL's gsl_stats_quantile_from_sorted_data and numpy's
 * default: with h = p*(n-1), x_(floor h) + (h - floor h)(x_(floor h + 1) -
 * x_(floor h)), and exactly x_(h) when h is an integer (so +inf data give
 * +inf, not NaN).  The median is the 0.5 quantile.  NaN is MQ_ENONFINITE;
 * +-inf are ordinary (large) values.  O(n) extra memory (a sorted copy,
 * by an O(n) radix sort of the float keys; -0 sorts before +0).
 *
 * Moments: GSL's gsl_stats_float_* on the data: mean; variance with the
 * n-1 denominator (unbiased); skew = (1/n) sum ((x - mean)/sd)^3 with that
 * sd; kurtosis is the EXCESS kurtosis, (1/n) sum ((x - mean)/sd)^4 - 3
 * (0 for a normal).  n < 2, or data with NaN or Inf: MQ_ESHAPE /
 * MQ_ENONFINITE.  A constant array gives variance 0 and NaN skew and
 * kurtosis (0/0), as GSL does.
 *
 * Histogram (gsl_histogram): nbins bins of x on [lo, hi), equal width, or
 * with log set, of |x| on [lo, hi) with edges lo * (hi/lo)^(i/nbins) (lo >
 * 0; the last edge is exactly hi).  lo = hi = 0 takes the range from the
 * data: [min, max] of x (linear) or of the nonzero |x| (log), with hi
 * nudged up by one double ulp so that the maximum lands in the last bin;
 * constant data gets a range of width 1 (linear) or a factor of 2 (log)
 * around the value.  Values outside the range are counted in below/above;
 * under log, zeros are counted in zero and are neither below nor above.
 *
 * SQNR and MSE of a quantized array xq against x:
 *   MSE = (1/n) sum (x - xq)^2,  SQNR = 10 log10(sum x^2 / sum (x - xq)^2)
 *   dB (+inf when the error is 0, -inf when the signal is 0 and the error
 *   is not, NaN when both are 0).
 *
 * Split of the squared error by cause (Sec. IV: clipping and rounding):
 *   clip   elements whose scaled value v = x/scale (float32 division, as
 *          quant.h) has |v| > max(format): saturated (or overflowed),
 *   under  elements with x != 0, xq = 0 that are not clipped: flushed to
 *          zero (the paper counts underflow as clipping error),
 *   round  all others.
 *   The scale of each element comes from mq_absmax_scales and
 *   mq_scale_groups for the layout, granularity, format and scale mode
 *   used to quantize (the same deterministic computation, so the same
 *   scales).  sse is defined as sse_clip + sse_under + sse_round, so the
 *   parts add up to it exactly; it equals n * MSE up to double rounding.
 *   The paper's two-way split is clip + under against round.
 */
#ifndef MQ_METRICS_H
#define MQ_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "scale.h"
#include "status.h"

/* Eq. 2, per element: re[i] from v[i] (reference) and q[i] (quantized). */
mq_status mq_relerr(const float *v, const float *q, size_t n, float *re);

/* Eq. 3, per element of the M x N product: be[M*N] from L (M x K), R
 * (K x N) and Q (M x N), computing L.R and |L|.|R| in double.  Extra memory
 * 2*M*N doubles plus the dgemm copies. */
mq_status mq_backward_error(size_t M, size_t K, size_t N, const float *L,
                            const float *R, const float *Q, float *be);
/* The same from precomputed LR = L.R and A = |L|.|R| (n = M*N elements),
 * for sweeps that compare several Q against one reference. */
mq_status mq_backward_error_elem(size_t n, const double *LR, const double *A,
                                 const float *Q, float *be);

typedef struct mq_summary {
	size_t n;
	double mean, median, p99, min, max;
} mq_summary;

mq_status mq_stat_summary(const float *x, size_t n, mq_summary *s);
/* One quantile, p in [0, 1] (else MQ_EOPTION), as defined above. */
mq_status mq_stat_quantile(const float *x, size_t n, double p, double *q);

typedef struct mq_moments {
	size_t n;
	double mean, variance, sd, skew, kurtosis; /* kurtosis: excess */
} mq_moments;

mq_status mq_stat_moments(const float *x, size_t n, mq_moments *m);

typedef struct mq_histspec {
	size_t nbins;       /* >= 1 */
	int log;            /* 0: linear bins of x; 1: log bins of |x| */
	double lo, hi;      /* lo < hi (lo > 0 under log); or both 0: from data */
} mq_histspec;

typedef struct mq_histcounts {
	uint64_t n, below, above, zero;  /* zero: only under log */
} mq_histcounts;

/* edges[nbins + 1] (may be NULL) gets the bin edges used, counts[nbins]
 * the counts; tails (may be NULL) the rest.  MQ_EOPTION for a bad spec. */
mq_status mq_histogram(const float *x, size_t n, const mq_histspec *spec,
                       double *edges, uint64_t *counts, mq_histcounts *tails);

/* MSE and SQNR (dB) of xq against x; either output may be NULL. */
mq_status mq_mse_sqnr(const float *x, const float *xq, size_t n, double *mse,
                      double *sqnr_db);

typedef struct mq_errsplit {
	uint64_t n, nclip, nunder;
	double sse, sse_clip, sse_under, sse_round;
	double mse, sqnr_db;
} mq_errsplit;

/* x was quantized to xq with format f, layout l, granularity g and scale
 * mode `mode` (mq_quantize_tensor); split the squared error as above. */
mq_status mq_error_split(const mq_format *f, const mq_layout *l,
                         const mq_granularity *g, mq_scale_mode mode,
                         const float *x, const float *xq, mq_errsplit *e);

#endif

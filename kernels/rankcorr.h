/* rankcorr.h: Spearman's rank correlation, with ties, and its permutation
 * test (issue 7: does a per-tensor metric predict the trained result?).
 *
 * Ranks are 1-based; tied values share the average of the ranks they span
 * (the "fractional" ranking), so {10, 20, 20, 30} ranks as {1, 2.5, 2.5,
 * 4}.  Spearman's rho is then Pearson's correlation of the two rank
 * vectors, computed in double.  The textbook shortcut 1 - 6 sum d^2 /
 * (n (n^2 - 1)) is exact only without ties, so it is not used.
 *
 * rho is NaN when either vector is constant (its ranks have no variance):
 * nothing can be said, and a number would pretend otherwise.  NaN in the
 * data is MQ_ENONFINITE (a NaN has no rank); +-inf are ordinary values.
 * n < 2 is MQ_ESHAPE.
 *
 * Permutation test (two-sided): y is shuffled `nperm` times by
 * Fisher-Yates with draws from the counter-based stream `seed` (rng.h),
 * and p = (1 + #{|rho_perm| >= |rho| - 1e-12}) / (nperm + 1), the
 * estimate that never reports p = 0 from a finite sample (Phipson and
 * Smyth 2010).  The tolerance keeps permutations whose rho equals the
 * observed one up to rounding on the counted side.  With rho NaN, p is NaN.
 * Draws are a uniform integer below k by Lemire's multiply-shift on a
 * 32-bit word; its bias (< k / 2^32) is negligible at these n.  The
 * permutations stop with MQ_EINTERRUPT when the interrupt flag is set
 * (status.h). */
#ifndef MQ_RANKCORR_H
#define MQ_RANKCORR_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* rank[i] of x[i] among x[0..n), ties averaged. */
mq_status mq_rank_average(const double *x, size_t n, double *rank);

/* Spearman's rho of (x, y), n pairs. */
mq_status mq_spearman(const double *x, const double *y, size_t n, double *rho);

/* rho as above, and the two-sided permutation p-value (nperm >= 1). */
mq_status mq_spearman_perm(const double *x, const double *y, size_t n, uint64_t nperm,
                           uint64_t seed, double *rho, double *p);

#endif

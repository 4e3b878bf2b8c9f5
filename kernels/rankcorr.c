/* rankcorr.c: Spearman's rank correlation (rankcorr.h). */
#include "rankcorr.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

typedef struct keyed {
	double v;
	size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
	double x = ((const keyed *)a)->v, y = ((const keyed *)b)->v;
	return (x > y) - (x < y);
}

mq_status mq_rank_average(const double *x, size_t n, double *rank)
{
	if (n == 0)
		return MQ_ESHAPE;
	for (size_t i = 0; i < n; i++)
		if (isnan(x[i]))
			return MQ_ENONFINITE;
	keyed *k = malloc(n * sizeof *k);
	if (!k)
		return MQ_ENOMEM;
	for (size_t i = 0; i < n; i++)
		k[i] = (keyed){x[i], i};
	qsort(k, n, sizeof *k, cmp_keyed);
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo + 1;
		while (hi < n && k[hi].v == k[lo].v)
			hi++;
		/* positions lo..hi-1 (0-based) hold ranks lo+1..hi: their mean */
		double r = 0.5 * (double)(lo + 1 + hi);
		for (size_t j = lo; j < hi; j++)
			rank[k[j].i] = r;
		lo = hi;
	}
	free(k);
	return MQ_OK;
}

/* Pearson's r of two rank vectors, both of mean (n + 1) / 2. */
static double pearson_ranks(const double *a, const double *b, size_t n)
{
	double m = 0.5 * (double)(n + 1), sab = 0, saa = 0, sbb = 0;
	for (size_t i = 0; i < n; i++) {
		double da = a[i] - m, db = b[i] - m;
		sab += da * db;
		saa += da * da;
		sbb += db * db;
	}
	if (saa == 0 || sbb == 0)
		return NAN;
	return sab / sqrt(saa * sbb);
}

static mq_status ranks2(const double *x, const double *y, size_t n, double **rx, double **ry)
{
	*rx = *ry = NULL;
	if (n < 2)
		return MQ_ESHAPE;
	double *r = malloc(2 * n * sizeof *r);
	if (!r)
		return MQ_ENOMEM;
	mq_status s = mq_rank_average(x, n, r);
	if (s == MQ_OK)
		s = mq_rank_average(y, n, r + n);
	if (s != MQ_OK) {
		free(r);
		return s;
	}
	*rx = r;
	*ry = r + n;
	return MQ_OK;
}

mq_status mq_spearman(const double *x, const double *y, size_t n, double *rho)
{
	double *rx, *ry;
	mq_status s = ranks2(x, y, n, &rx, &ry);
	if (s != MQ_OK)
		return s;
	*rho = pearson_ranks(rx, ry, n);
	free(rx);
	return MQ_OK;
}

mq_status mq_spearman_perm(const double *x, const double *y, size_t n, uint64_t nperm,
                           uint64_t seed, double *rho, double *p)
{
	if (nperm == 0)
		return MQ_EOPTION;
	double *rx, *ry;
	mq_status s = ranks2(x, y, n, &rx, &ry);
	if (s != MQ_OK)
		return s;
	double r = pearson_ranks(rx, ry, n);
	*rho = r;
	if (isnan(r)) {
		*p = NAN;
		free(rx);
		return MQ_OK;
	}
	/* shuffling the ranks of y is shuffling y: ranks move with their values */
	uint64_t hits = 0, draw = 0;
	for (uint64_t k = 0; k < nperm; k++) {
		/* one look per permutation: it costs a load beside n draws */
		if (mq_interrupted()) {
			free(rx);
			return MQ_EINTERRUPT;
		}
		for (size_t i = n - 1; i > 0; i--) {
			uint64_t w = mq_rand32(seed, draw++);
			size_t j = (size_t)((w * (uint64_t)(i + 1)) >> 32);
			double t = ry[i];
			ry[i] = ry[j];
			ry[j] = t;
		}
		if (fabs(pearson_ranks(rx, ry, n)) >= fabs(r) - 1e-12)
			hits++;
	}
	*p = (double)(1 + hits) / (double)(nperm + 1);
	free(rx);
	return MQ_OK;
}

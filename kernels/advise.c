/* advise.c: the measures and the rule of advise.h.  Quantizing and
 * measuring are the kernels behind the paper's figures (mq_quantize_tensor,
 * mq_error_split, mq_relerr, mq_stat_moments), so an advised number and a
 * figure's number mean the same thing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "quant.h"

void mq_advise_defaults(mq_advise_opts *o)
{
	memset(o, 0, sizeof *o);
	o->gran.kind = MQ_GRAN_TENSOR;
	o->scale = MQ_SCALE_FP32;
	o->under_budget = 0.03;
	o->clip_budget = 0.01;
	static const char *const fmts[] = {"int8", "e4m3", "e5m2"};
	for (size_t i = 0; i < 3; i++)
		mq_format_get(fmts[i], &o->fmt[i]);
	o->nfmt = 3;
	mq_rounding_parse("rtne", &o->rnd[0]);
	mq_rounding_parse("sr", &o->rnd[1]);
	o->nrnd = 2;
}

const char *mq_advise_reason(mq_advise_why why)
{
	switch (why) {
	case MQ_ADVISE_ZERO: return "all zeros: every candidate is exact";
	case MQ_ADVISE_BEST: return "best SQNR within budgets";
	case MQ_ADVISE_MARGIN: return "first within the margin of the best SQNR within budgets";
	case MQ_ADVISE_FALLBACK:
		return "no candidate within budgets: fewest underflowed + clipped (try a finer "
		       "granularity)";
	}
	return "unknown reason";
}

mq_status mq_advise_layout(int ndim, const size_t *dim, mq_operand role, mq_layout *l)
{
	memset(l, 0, sizeof *l);
	size_t n = 1;
	for (int d = 0; d < ndim; d++) {
		if (dim[d] == 0 || n > SIZE_MAX / dim[d])
			return MQ_ESHAPE;
		n *= dim[d];
	}
	size_t rows = 1, cols = 1;
	if (ndim > 0) {
		if (role == MQ_LHS) {
			cols = dim[ndim - 1];
			rows = n / cols;
		} else {
			rows = dim[0];
			cols = n / rows;
		}
	}
	return mq_layout_matrix(l, rows, cols, role);
}

/* ---- tail index ---- */

/* Put the k+1 largest of a[0..n) in a[n-k-1..n), a[n-k-1] the smallest
 * of them (quickselect, three-way partition so that runs of equal values,
 * common in real tensors, cost no extra passes; pivots from a fixed LCG,
 * so the run is deterministic and no input order is a worst case in
 * practice). */
static void select_top(float *a, size_t n, size_t target)
{
	size_t lo = 0, hi = n; /* target lies in [lo, hi) */
	uint64_t rng = 0x9E3779B97F4A7C15ULL;
	while (hi - lo > 1) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		float p = a[lo + (size_t)((rng >> 33) % (hi - lo))];
		size_t lt = lo, i = lo, gt = hi; /* [lo,lt) < p, [lt,i) == p, [gt,hi) > p */
		while (i < gt) {
			float v = a[i];
			if (v < p) {
				a[i++] = a[lt];
				a[lt++] = v;
			} else if (v > p) {
				a[i] = a[--gt];
				a[gt] = v;
			} else
				i++;
		}
		if (target < lt)
			hi = lt;
		else if (target >= gt)
			lo = gt;
		else
			return;
	}
}

mq_status mq_hill(const float *x, size_t n, double *alpha, size_t *kout)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += x[i] != 0.0f;
	*kout = 0;
	*alpha = NAN;
	if (m < 20)
		return MQ_OK;
	float *a = malloc(m * sizeof *a);
	if (!a)
		return MQ_ENOMEM;
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (x[i] != 0.0f)
			a[m++] = fabsf(x[i]);
	size_t k = (size_t)floor(sqrt((double)m));
	if (k < 10)
		k = 10;
	select_top(a, m, m - k - 1);
	double thr = a[m - k - 1], s = 0.0;
	for (size_t i = m - k; i < m; i++)
		s += log((double)a[i] / thr);
	free(a);
	*kout = k;
	*alpha = s > 0.0 ? (double)k / s : INFINITY;
	return MQ_OK;
}

/* ---- candidates ---- */

static mq_status check_opts(const mq_advise_opts *o)
{
	if (o->nfmt < 1 || o->nfmt > MQ_ADVISE_MAXFMT || o->nrnd < 1 || o->nrnd > MQ_ADVISE_MAXRND)
		return MQ_EOPTION;
	/* written as !(in range) so that NaN is out of range */
	if (!(o->under_budget >= 0 && o->under_budget <= 1) ||
	    !(o->clip_budget >= 0 && o->clip_budget <= 1) || !(o->margin >= 0))
		return MQ_EOPTION;
	if (o->scale != MQ_SCALE_FP32 && o->scale != MQ_SCALE_POW2)
		return MQ_EOPTION;
	/* E8M0 has no zero and no sign: it is a scale format, and a tensor
	 * quantized to it has no meaningful error */
	for (size_t i = 0; i < o->nfmt; i++)
		if (o->fmt[i].kind == MQ_KIND_E8M0)
			return MQ_EFORMAT;
	return MQ_OK;
}

/* Quantize x (n elements, nnz nonzero) as candidate k and measure it;
 * y and re are n-float workspaces. */
static mq_status measure1(const mq_advise_opts *o, const mq_layout *l, const float *x,
                          size_t n, size_t nnz, float *y, float *re, mq_advise_cand *k)
{
	mq_qspec q;
	memset(&q, 0, sizeof q);
	q.fmt = o->fmt[k->f];
	q.rnd = o->rnd[k->r];
	q.ovf = MQ_OVF_SATURATE;
	q.unf = MQ_UNF_GRADUAL;
	q.seed = o->seed;
	mq_errsplit es;
	mq_status s = mq_quantize_tensor(&q, l, &o->gran, o->scale, x, y, NULL, NULL, NULL);
	if (s == MQ_OK)
		s = mq_error_split(&q.fmt, l, &o->gran, o->scale, x, y, &es);
	if (s == MQ_OK)
		s = mq_relerr(x, y, n, re);
	if (s != MQ_OK)
		return s;
	double sum = 0.0, mx = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (x[i] != 0.0f)
			sum += re[i];
		if (re[i] > mx)
			mx = re[i];
	}
	k->sqnr_db = es.sqnr_db;
	k->mse = es.mse;
	k->mean_re = nnz ? sum / (double)nnz : 0.0;
	k->max_re = mx;
	k->clip_frac = nnz ? (double)es.nclip / (double)nnz : 0.0;
	k->under_frac = nnz ? (double)es.nunder / (double)nnz : 0.0;
	k->clip_share = es.sse > 0.0 ? es.sse_clip / es.sse : 0.0;
	k->ok = k->under_frac <= o->under_budget && k->clip_share <= o->clip_budget;
	return MQ_OK;
}

static mq_status measure(const mq_advise_opts *o, const mq_layout *l, const float *x,
                         mq_advice *a)
{
	size_t n = a->n;
	float *y = malloc(n * sizeof *y), *re = malloc(n * sizeof *re);
	mq_status s = y && re ? MQ_OK : MQ_ENOMEM;
	a->ncand = 0;
	for (size_t fi = 0; fi < o->nfmt && s == MQ_OK; fi++)
		for (size_t ri = 0; ri < o->nrnd && s == MQ_OK; ri++) {
			mq_advise_cand *k = &a->cand[a->ncand];
			memset(k, 0, sizeof *k);
			k->f = fi;
			k->r = ri;
			s = measure1(o, l, x, n, a->nnz, y, re, k);
			if (s == MQ_OK)
				a->ncand++;
		}
	free(y);
	free(re);
	return s;
}

void mq_advise_decide(const mq_advise_opts *o, mq_advice *a)
{
	const mq_advise_cand *c = a->cand;
	size_t nc = a->ncand;
	a->pick = 0;
	if (a->nnz == 0) {
		a->why = MQ_ADVISE_ZERO;
		return;
	}
	double best = -INFINITY;
	int any = 0;
	for (size_t i = 0; i < nc; i++)
		if (c[i].ok && (!any || c[i].sqnr_db > best)) {
			best = c[i].sqnr_db;
			any = 1;
		}
	for (size_t i = 0; any && i < nc; i++)
		if (c[i].ok && c[i].sqnr_db >= best - o->margin) {
			a->pick = i;
			a->why = c[i].sqnr_db < best ? MQ_ADVISE_MARGIN : MQ_ADVISE_BEST;
			return;
		}
	for (size_t i = 1; i < nc; i++) {
		const mq_advise_cand *p = &c[a->pick];
		double u = c[i].under_frac + c[i].clip_share, v = p->under_frac + p->clip_share;
		if (u < v || (u == v && c[i].sqnr_db > p->sqnr_db))
			a->pick = i;
	}
	a->why = MQ_ADVISE_FALLBACK;
}

static int all_finite(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

mq_status mq_advise(const mq_advise_opts *o, const mq_layout *l, const float *x,
                    mq_advice *a)
{
	memset(a, 0, sizeof *a);
	mq_status s = check_opts(o);
	if (s != MQ_OK)
		return s;
	if (mq_layout_check(l) != MQ_OK)
		return MQ_ESHAPE;
	if (mq_scale_count(l, &o->gran) == 0)
		return MQ_EGRAN;
	size_t n = mq_layout_size(l);
	if (!all_finite(x, n))
		return MQ_ENONFINITE;
	a->n = n;
	a->nnz = 0;
	for (size_t i = 0; i < n; i++)
		a->nnz += x[i] != 0.0f;
	mq_moments mo = {n, NAN, NAN, NAN, NAN, NAN};
	if (n >= 2)
		mq_stat_moments(x, n, &mo);
	a->mo = mo;
	if ((s = mq_hill(x, n, &a->tail_index, &a->hill_k)) != MQ_OK)
		return s;
	if ((s = measure(o, l, x, a)) != MQ_OK)
		return s;
	mq_advise_decide(o, a);
	return MQ_OK;
}

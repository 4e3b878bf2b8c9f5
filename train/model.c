/* model.c: the training loop, evaluation and AUC (model.h). */
#define _POSIX_C_SOURCE 200809L
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"

/* The held-out masks are the same for every run. */
#define EVAL_MASK_SEED 0x6d71657661ull /* "mqeva" */
/* Step tags of evaluation passes (tquant.h): far above any step count. */
#define EVAL_STEP_TAG (1ull << 62)

void mq_train_defaults(mq_train_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->dims = (mq_nn_dims){.V = MQ_VOCAB, .T = 64, .C = 64, .L = 2, .NH = 4, .B = 16, .NM = 10};
	c->steps = 600;
	c->eval_every = 50;
	c->eval_seqs = 128;
	c->lr = 2e-3;
	c->warmup = 30;
	c->lr_min = 0.1;
	c->beta1 = 0.9;
	c->beta2 = 0.99;
	c->eps = 1e-8;
	c->weight_decay = 0.01;
	c->clip = 1.0;
	c->seed = 1;
	c->eval_frac = 0.1;
	mq_tquant_init(&c->quant);
}

mq_status mq_train_check(const mq_train_cfg *c)
{
	mq_status s = mq_nn_dims_check(&c->dims);
	if (s != MQ_OK)
		return s;
	if (c->dims.V != MQ_VOCAB || c->dims.T > MQ_MAXSEQ)
		return MQ_ESHAPE;
	if (c->steps < 1 || c->eval_every < 1 || c->eval_seqs < 1 || !(c->lr > 0) ||
	    c->warmup < 0 || !(c->lr_min >= 0 && c->lr_min <= 1) || !(c->beta1 >= 0 && c->beta1 < 1) ||
	    !(c->beta2 >= 0 && c->beta2 < 1) || !(c->eps > 0) || !(c->weight_decay >= 0) ||
	    !(c->clip >= 0) || c->threads < 0 || !(c->eval_frac > 0 && c->eval_frac < 1))
		return MQ_EOPTION;
	return MQ_OK;
}

double mq_train_auc(const mq_train_eval *e, int n, int eval_every)
{
	double auc = 0;
	for (int i = 1; i < n; i++)
		auc += (double)(e[i].step - e[i - 1].step) / eval_every * 0.5 * (e[i].acc + e[i - 1].acc);
	return auc;
}

void mq_train_result_free(mq_train_result *res)
{
	free(res->evals);
	memset(res, 0, sizeof *res);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Learning rate at step t (0-based): linear warmup to lr over `warmup`
 * steps, then a cosine from lr down to lr * lr_min at the last step. */
static double lr_at(const mq_train_cfg *c, int t)
{
	if (t < c->warmup)
		return c->lr * (t + 1) / c->warmup;
	int span = c->steps - c->warmup;
	double p = span > 1 ? (double)(t - c->warmup) / (span - 1) : 1.0;
	double lo = c->lr * c->lr_min;
	return lo + (c->lr - lo) * 0.5 * (1 + cos(3.141592653589793 * p));
}

/* The run's working state. */
typedef struct {
	const mq_train_cfg *cfg;
	const mq_corpus *corpus;
	mq_nn_f32 nn;
	mq_tquant tq;
	float *m, *v;                   /* AdamW moments */
	int *inputs, *mpos, *targets;   /* one batch */
	size_t *eval_starts;            /* eval_seqs window starts */
	int neval_batches;
} run_state;

/* Accuracy and mean loss over the held-out windows.  Returns nonzero if
 * the pass met a non-finite value. */
static int evaluate(run_state *r, uint64_t tag, double *acc, double *loss)
{
	const mq_train_cfg *c = r->cfg;
	const mq_nn_dims *d = &c->dims;
	long correct = 0, total = 0;
	double lsum = 0;
	int bad = 0;
	/* one stream family per evaluation; the call counters run on across
	 * its batches, so no two operands share a stream */
	mq_tquant_step(&r->tq, EVAL_STEP_TAG + tag);
	for (int bi = 0; bi < r->neval_batches; bi++) {
		int first = bi * d->B;
		int B = c->eval_seqs - first < d->B ? c->eval_seqs - first : d->B;
		/* the masks of window w depend on w alone: batch index = window */
		for (int j = 0; j < B; j++)
			mq_mlm_batch(r->corpus->eval, r->corpus->neval, 1, d->T, d->NM, d->V,
			             EVAL_MASK_SEED, (uint64_t)(first + j), &r->eval_starts[first + j],
			             r->inputs + (size_t)j * d->T, r->mpos + (size_t)j * d->NM,
			             r->targets + (size_t)j * d->NM);
		float l = mq_nn_forward_f32(&r->nn, &r->tq, r->inputs, r->mpos, r->targets, B);
		if (!isfinite(l))
			bad = 1;
		lsum += (double)l * B * d->NM;
		const float *logits = r->nn.a[MQ_A_LOGITS];
		for (int i = 0; i < B * d->NM; i++) {
			const float *z = logits + (size_t)i * d->V;
			int best = 0;
			for (int k = 1; k < d->V; k++)
				if (z[k] > z[best])
					best = k;
			correct += best == r->targets[i];
			total++;
		}
	}
	if (r->tq.err != MQ_OK)
		bad = 1;
	*acc = bad ? 0.0 : (double)correct / (double)total;
	*loss = bad ? NAN : lsum / (double)total;
	return bad;
}

/* The accuracy of always predicting the most frequent training token, on
 * the held-out masked tokens. */
static double unigram(run_state *r)
{
	const mq_train_cfg *c = r->cfg;
	const mq_nn_dims *d = &c->dims;
	size_t count[MQ_VOCAB] = {0};
	for (size_t i = 0; i < r->corpus->ntrain; i++)
		count[r->corpus->train[i]]++;
	int top = 0;
	for (int k = 1; k < MQ_VOCAB; k++)
		if (count[k] > count[top])
			top = k;
	long hit = 0, total = 0;
	for (int w = 0; w < c->eval_seqs; w++) {
		mq_mlm_batch(r->corpus->eval, r->corpus->neval, 1, d->T, d->NM, d->V, EVAL_MASK_SEED,
		             (uint64_t)w, &r->eval_starts[w], r->inputs, r->mpos, r->targets);
		for (int j = 0; j < d->NM; j++)
			hit += r->targets[j] == top, total++;
	}
	return (double)hit / (double)total;
}

/* One AdamW update (llm.c's, with decoupled weight decay on every
 * parameter); grads scaled by gscale (the clip factor). */
static void adamw(run_state *r, int t, double lr, float gscale)
{
	const mq_train_cfg *c = r->cfg;
	float b1 = (float)c->beta1, b2 = (float)c->beta2;
	float c1 = (float)(1.0 - pow(c->beta1, t + 1)), c2 = (float)(1.0 - pow(c->beta2, t + 1));
	float flr = (float)lr, eps = (float)c->eps, wd = (float)c->weight_decay;
	float *p = r->nn.params, *g = r->nn.grads;
	for (size_t i = 0; i < r->nn.nparams; i++) {
		float gi = g[i] * gscale;
		r->m[i] = b1 * r->m[i] + (1 - b1) * gi;
		r->v[i] = b2 * r->v[i] + (1 - b2) * gi * gi;
		float mh = r->m[i] / c1, vh = r->v[i] / c2;
		p[i] -= flr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
	}
}

static void free_state(run_state *r)
{
	mq_nn_free_f32(&r->nn);
	mq_tquant_free(&r->tq);
	free(r->m);
	free(r->v);
	free(r->inputs);
	free(r->mpos);
	free(r->targets);
	free(r->eval_starts);
}

mq_status mq_train_run(const mq_train_cfg *cfg, const mq_corpus *corpus,
                       mq_train_progress progress, void *ctx, mq_train_result *res)
{
	memset(res, 0, sizeof *res);
	res->diverged_step = -1;
	mq_status s = mq_train_check(cfg);
	if (s != MQ_OK)
		return s;
	for (int k = 0; k < MQ_TCAT_N; k++)
		if (cfg->quant.cat[k].on && (s = mq_qspec_check(&cfg->quant.cat[k].q)) != MQ_OK)
			return s;
	mq_corpus own = {0};
	if (!corpus) {
		if ((s = mq_corpus_load(cfg->data_dir, cfg->eval_frac, &own)) != MQ_OK)
			return s;
		corpus = &own;
	}
	const mq_nn_dims *d = &cfg->dims;
	if (corpus->ntrain < (size_t)d->T || corpus->neval < (size_t)d->T) {
		mq_corpus_free(&own);
		return MQ_ESHAPE;
	}
	double t0 = now();
	if (cfg->threads > 0)
		openblas_set_num_threads(cfg->threads);

	run_state r = {.cfg = cfg, .corpus = corpus};
	r.tq = cfg->quant;
	/* the config's scratch buffers are not ours: start without any */
	memset(r.tq.scratch, 0, sizeof r.tq.scratch);
	memset(r.tq.cap, 0, sizeof r.tq.cap);
	r.tq.err = MQ_OK;
	memset(r.tq.stats, 0, sizeof r.tq.stats);
	r.tq.seed = mq_seed_derive(cfg->seed, 3);
	int nevals_max = cfg->steps / cfg->eval_every + 2;
	r.neval_batches = (cfg->eval_seqs + d->B - 1) / d->B;
	if ((s = mq_nn_alloc_f32(&r.nn, d)) != MQ_OK) {
		mq_corpus_free(&own);
		return s;
	}
	r.m = calloc(r.nn.nparams, sizeof *r.m);
	r.v = calloc(r.nn.nparams, sizeof *r.v);
	r.inputs = malloc((size_t)d->B * d->T * sizeof *r.inputs);
	r.mpos = malloc((size_t)d->B * d->NM * sizeof *r.mpos);
	r.targets = malloc((size_t)d->B * d->NM * sizeof *r.targets);
	r.eval_starts = malloc((size_t)cfg->eval_seqs * sizeof *r.eval_starts);
	res->evals = malloc((size_t)nevals_max * sizeof *res->evals);
	if (!r.m || !r.v || !r.inputs || !r.mpos || !r.targets || !r.eval_starts || !res->evals) {
		free_state(&r);
		mq_corpus_free(&own);
		mq_train_result_free(res);
		return MQ_ENOMEM;
	}
	/* held-out windows evenly spaced over the held-out text */
	size_t span = corpus->neval - (size_t)d->T;
	for (int w = 0; w < cfg->eval_seqs; w++)
		r.eval_starts[w] = cfg->eval_seqs > 1 ? (size_t)((double)span * w / (cfg->eval_seqs - 1)) : 0;

	mq_nn_init_f32(&r.nn, mq_seed_derive(cfg->seed, 1));
	uint64_t data_seed = mq_seed_derive(cfg->seed, 2);
	res->unigram_acc = unigram(&r);
	res->nparams = r.nn.nparams;
	res->ntrain = corpus->ntrain;
	res->neval = corpus->neval;
	res->corpus_hash = corpus->hash;

	double train_time = 0, lsum = 0;
	int lcount = 0, stop = 0, intr = 0;
	mq_train_eval *ev = res->evals;
	for (int t = 0; t <= cfg->steps && !stop; t++) {
		/* a step takes a millisecond or more: one look each (status.h) */
		if (mq_interrupted()) {
			intr = 1;
			break;
		}
		/* evaluate before step t (so at 0, E, 2E, ...) and after the last */
		if (t % cfg->eval_every == 0 || t == cfg->steps) {
			/* after a divergence the evaluations score 0 (model.h) */
			mq_train_eval e = {t, 0.0, NAN};
			if (res->diverged_step < 0 && evaluate(&r, (uint64_t)t, &e.acc, &e.loss))
				res->diverged_step = t;
			ev[res->nevals++] = e;
			res->train_loss = lcount ? lsum / lcount : NAN;
			lsum = 0, lcount = 0;
			if (progress && progress(ctx, &e))
				stop = 1;
		}
		if (t == cfg->steps || stop || res->diverged_step >= 0)
			continue;
		double ts = now();
		mq_mlm_batch(corpus->train, corpus->ntrain, d->B, d->T, d->NM, d->V, data_seed,
		             (uint64_t)t, NULL, r.inputs, r.mpos, r.targets);
		mq_tquant_step(&r.tq, (uint64_t)t);
		float loss = mq_nn_forward_f32(&r.nn, &r.tq, r.inputs, r.mpos, r.targets, d->B);
		mq_nn_backward_f32(&r.nn, &r.tq);
		double n2 = 0;
		for (size_t i = 0; i < r.nn.nparams; i++)
			n2 += (double)r.nn.grads[i] * r.nn.grads[i];
		double gnorm = sqrt(n2);
		if (!isfinite(loss) || !isfinite(gnorm) || r.tq.err != MQ_OK) {
			res->diverged_step = t;
		} else {
			float gscale = cfg->clip > 0 && gnorm > cfg->clip ? (float)(cfg->clip / gnorm) : 1.0f;
			adamw(&r, t, lr_at(cfg, t), gscale);
			lsum += loss, lcount++;
		}
		train_time += now() - ts;
	}
	if (intr) {
		free_state(&r);
		mq_corpus_free(&own);
		mq_train_result_free(res);
		return MQ_EINTERRUPT;
	}
	res->auc = mq_train_auc(ev, res->nevals, cfg->eval_every);
	res->final_acc = ev[res->nevals - 1].acc;
	int nsteps = res->diverged_step >= 0 ? res->diverged_step + 1 : cfg->steps;
	res->step_ms = 1e3 * train_time / (nsteps > 0 ? nsteps : 1);
	memcpy(res->stats, r.tq.stats, sizeof res->stats);
	free_state(&r);
	mq_corpus_free(&own);
	res->seconds = now() - t0;
	return MQ_OK;
}

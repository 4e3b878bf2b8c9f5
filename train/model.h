/* model.h: training the encoder of nn.h on the license texts (data.h) with
 * quantized matmuls (tquant.h): the library API behind the training table
 * (paper Table I, Sec. IV-B).
 *
 * A run: initialise (mq_nn_init with the run seed), then `steps` AdamW
 * steps on random MLM batches of the training text, evaluating on the
 * held-out text before the first step and every eval_every steps (and after
 * the last).  An evaluation is a forward pass over eval_seqs fixed windows
 * of the held-out text (evenly spaced, non-overlapping while the text is
 * long enough) with fixed masks (from a constant seed, the same for every
 * run), through the same quantized forward matmuls as training; accuracy
 * is the fraction of masked tokens whose arg-max prediction is the
 * original token.
 *
 * AUC (the paper's "area under the curve of the eval accuracy"): the
 * trapezoidal area under accuracy (a fraction, 0..1) against step / E,
 * E = eval_every, from step 0 to the last step:
 *     AUC = sum_i (s_i - s_{i-1}) / E * (acc_i + acc_{i-1}) / 2.
 * So one eval interval at accuracy a adds a: a run of S = n E steps scores
 * at most n, and AUC / n is the mean accuracy over training.  The paper
 * does not give its normalization; its 17.13 for the baseline is of this
 * kind if it summed ~20-25 evaluations at accuracies near 0.7-0.85.
 *
 * Divergence.  If the loss, a gradient norm or a quantized operand becomes
 * non-finite, training stops there (diverged_step); the evaluations left
 * count accuracy 0 (a model with NaN weights predicts nothing), so AUC
 * ranks a diverged run below one that merely learns slowly.
 *
 * Seeds: the run seed gives the initialisation (derive(seed, 1)), the
 * training batches (derive(seed, 2)) and the stochastic-rounding streams
 * (derive(seed, 3), tquant.h); the held-out masks use a constant.  Runs
 * that differ only in quantization therefore see the same initial weights
 * and the same batches.  Results reproduce exactly for a given seed and
 * configuration, whatever the thread count and on every ISA path
 * (METRIQ_ISA): the products go through tgemm.h's fixed-order kernel, not
 * OpenBLAS (whose kernel and summation order depend on the CPU and the
 * threads), and the rest is the same compiled C on every path.  The same
 * bits on another machine also need the same build and C library (libm's
 * expf and logf pick a variant by CPU too; every AVX2 + FMA CPU gets the
 * same one), so "any CPU" means any x86-64 with AVX2 and FMA. */
#ifndef MQ_MODEL_H
#define MQ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "nn.h"
#include "status.h"
#include "tquant.h"

typedef struct mq_train_cfg {
	mq_nn_dims dims;        /* dims.V must be MQ_VOCAB; dims.B the batch */
	int steps;              /* >= 1 */
	int eval_every;         /* E >= 1 */
	int eval_seqs;          /* held-out windows per evaluation, >= 1 */
	double lr;              /* peak learning rate */
	int warmup;             /* linear warmup steps, then cosine decay */
	double lr_min;          /* the cosine ends at lr * lr_min */
	double beta1, beta2, eps, weight_decay;  /* AdamW */
	double clip;            /* global gradient-norm clip; 0: none */
	uint64_t seed;
	int threads;            /* OpenBLAS threads (no training product uses
	                         * BLAS now); 0: leave as is */
	double eval_frac;       /* held-out share of each file */
	const char *data_dir;   /* NULL: MQ_LICENSES_DIR */
	mq_tquant quant;        /* categories and base; its seed is derived */
} mq_train_cfg;

/* The default configuration: 2 layers, 64 channels, 4 heads, T = 64,
 * B = 16, 10 masked tokens a sequence (BERT's 15%), 600 steps, E = 50,
 * 128 held-out windows, AdamW lr 2e-3 (warmup 30, cosine to 10%), betas
 * 0.9/0.99, weight decay 0.01, clip 1, seed 1, fp32: about half a minute
 * on one core, held-out accuracy about 0.40 against 0.19 for the unigram
 * baseline (docs/training.md). */
void mq_train_defaults(mq_train_cfg *c);
/* MQ_ESHAPE / MQ_EOPTION for a configuration that cannot run. */
mq_status mq_train_check(const mq_train_cfg *c);

typedef struct mq_train_eval {
	int step;
	double acc, loss;
} mq_train_eval;

typedef struct mq_train_result {
	int nevals;
	mq_train_eval *evals;   /* nevals, in step order */
	double auc, final_acc;
	double unigram_acc;     /* the most frequent training token, always */
	double train_loss;      /* mean over the last eval interval */
	int diverged_step;      /* -1: never */
	double seconds;         /* the whole run */
	double step_ms;         /* mean training step, evaluations excluded */
	mq_qstats stats[MQ_TCAT_N];
	size_t nparams, ntrain, neval;
	uint64_t corpus_hash;
} mq_train_result;

/* Progress: called after each evaluation; return nonzero to stop. */
typedef int (*mq_train_progress)(void *ctx, const mq_train_eval *e);

/* Train as configured.  corpus may be NULL (then cfg->data_dir is read).
 * res gets everything above (free with mq_train_result_free). */
mq_status mq_train_run(const mq_train_cfg *cfg, const mq_corpus *corpus,
                       mq_train_progress progress, void *ctx, mq_train_result *res);
void mq_train_result_free(mq_train_result *res);

/* The AUC of n evaluations as defined above. */
double mq_train_auc(const mq_train_eval *e, int n, int eval_every);

#endif

/* tsample.h: sampling the operands of training's matmuls to .npy files
 * (issue 6, "real tensors for Fig. 2"; the input of advise and of the
 * per-category metrics of issue 7).
 *
 * A sampler is a tap on mq_mm_f32 (tquant.h).  At each chosen training
 * step it copies every operand of every product, forward and backward, in
 * fp32 as the product receives it (before any quantization), into the
 * canonical layout [example][batch][free][contract] (contract contiguous:
 * the layout tquant quantizes in, so its granularities apply to the saved
 * array directly: channel = one scale per free index, shared across
 * example and batch; fine = one per (batch, free)) and writes it as a 4-D
 * float32 C-order .npy file DIR/s<step>_l<layer>_<matmul>_<A|B>.npy (no
 * l<layer>_ for the output head).  Steps are the trainer's: 0-based, the
 * step whose products the tquant's `step` names (evaluation passes carry
 * tags above 2^62 and are never sampled).
 *
 * The index DIR/tensors.csv has one row per operand, in the order the
 * products ran:
 *   step, layer (-1: the output head), matmul, pass (fwd | bwd),
 *   operand (A | B), category (lhs | rhs | grad), nex, nbat, free,
 *   contract, storage, file
 * matmul names the forward matmul (attn.qkv, attn.qk, attn.pv, attn.proj,
 * mlp.fc1, mlp.fc2, head) and, in the backward pass, the gradient the
 * product computes after a dot (mlp.fc1.dx: dX = dY.W, mlp.fc1.dw:
 * dW = dY^T.X; attn.qk.dq, attn.qk.dk, attn.pv.dp, attn.pv.dv).
 * storage numbers the stored tensors of a step: rows with the same step
 * and storage read the same memory (the activation X in mlp.fc1 and in
 * mlp.fc1.dw, in two canonical layouts, transposes of one another).  An
 * operand whose canonical bytes equal an earlier one's of the same step
 * and storage (the same tensor in the same layout) is not written again:
 * its row names the earlier file.  file is relative to DIR.
 *
 * Errors: opening fails (MQ_EIO, with a message) if DIR cannot be created
 * or written; a write failure during training is kept (the tap cannot
 * stop the run) and returned by mq_tsample_close, which writes the index
 * (temp file, then rename) only if every array was written. */
#ifndef MQ_TSAMPLE_H
#define MQ_TSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tquant.h"

typedef struct mq_tsample mq_tsample;

typedef struct mq_tsample_row {
	uint64_t step;
	int layer;
	char matmul[48];
	int backward;           /* pass: 0 fwd, 1 bwd */
	int operand;            /* 0 A, 1 B */
	mq_tcat cat;
	int nex, nbat, free, contract;
	int storage;
	int written;            /* 0: file is an earlier row's */
	char file[96];
} mq_tsample_row;

/* Steps must be below 2^62 (duplicates are ignored).  DIR is created if
 * it does not exist (its parent must).  err gets a sentence on failure. */
mq_status mq_tsample_open(mq_tsample **s, const char *dir, const uint64_t *steps,
                          size_t nsteps, char *err, size_t errlen);
/* Point t's tap at the sampler (a copy of t, as mq_train_run makes of its
 * config's, keeps it). */
void mq_tsample_attach(mq_tsample *s, mq_tquant *t);
/* The tap itself (mq_ttap). */
void mq_tsample_tap(void *ctx, const mq_tquant *t, const mq_toperand *op);
/* The rows so far, and the bytes of .npy written. */
const mq_tsample_row *mq_tsample_rows(const mq_tsample *s, size_t *n, uint64_t *bytes);
/* Write the index; MQ_EIO (err says what) if it or any array could not be
 * written, MQ_ENOMEM if memory ran out during sampling. */
mq_status mq_tsample_finish(mq_tsample *s, char *err, size_t errlen);
void mq_tsample_free(mq_tsample *s);

#endif

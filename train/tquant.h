/* tquant.h: the matmuls of training, quantized by tensor category.
 *
 * The paper (Sec. IV-B) sorts the operands of every matmul of BERT
 * training into three categories:
 *   MQ_TCAT_LHS   activations; inside self-attention the keys (in the
 *                 query-key product) and the probabilities (in the
 *                 probability-value product)
 *   MQ_TCAT_RHS   mostly weights; inside self-attention the queries and
 *                 the values
 *   MQ_TCAT_GRAD  upstream gradients: the gradient of a matmul's output,
 *                 one operand of each of its two backward matmuls
 * A tensor keeps its category in the backward matmuls: a weight is RHS in
 * dX = dY.W as in Y = X.W^T, an activation is LHS in dW = dY^T.X.
 *
 * Each category is off (its operands stay in the base precision: fp32, or
 * bf16 when base_bf16 is set) or quantized with its own format, rounding
 * and granularity, by absmax scaling (scale.h, paper Eq. 1); mq_tquant_set
 * takes the kernels' defaults (saturating, gradual underflow, float32
 * scales), and a caller may change q.ovf, q.unf and mode afterwards.
 *
 * How a product is computed (mq_mm_f32).  Each quantized operand is copied
 * into the canonical layout [example][batch][free][contract] (so the
 * contracting axis is contiguous and every scale group is a run of whole
 * rows), fake-quantized there by mq_quantize_tensor with roles EXAMPLE,
 * BATCH, FREE, CONTRACT (for tensor, channel and fine, tquant.c gets the
 * same values bit for bit by a shorter route; tests/test_tquant.c), and
 * the product of the fake-quantized float32
 * values is summed in float32 by tgemm.h's fixed-order kernel (each output
 * a chain of fused multiply-adds in k order: the same bits on every ISA
 * path and CPU, which BLAS sgemm does not promise).  So the scales multiply each
 * operand before the product rather than the sum after it (Fig. 1): the
 * two differ only by float32 rounding of the descale (none at all for
 * power-of-two scales), and the sum is a float32 accumulation as on an
 * accelerator whose 8-bit MAC accumulates in fp32.  Granularities as in
 * scale.h:
 *   tensor   one scale for the operand
 *   channel  per index of the free axis, shared across batch and example
 *            axes (a row of a dense layer's activations is one token, and
 *            the tokens of all examples are that matmul's free axis)
 *   fine     per (head, free index): the batch (head) axis too, but not
 *            the example axis (the paper's fine-grained); the same as
 *            channel for the dense layers, which have no batch axis.
 *
 * Streams.  Stochastic rounding of the c-th quantized operand of category
 * k in training step s draws from the seed
 *     mq_seed_derive(mq_seed_derive(mq_seed_derive(seed, s), k), c)
 * at the element's index in the canonical layout; the trainer sets `step`
 * (evaluation passes use step tags above 2^62), and mq_tquant_step resets
 * the call counters.  So a run reproduces exactly, whatever the order in
 * which other runs happen.
 */
#ifndef MQ_TQUANT_H
#define MQ_TQUANT_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"
#include "scale.h"
#include "status.h"

typedef enum { MQ_TCAT_LHS, MQ_TCAT_RHS, MQ_TCAT_GRAD, MQ_TCAT_N } mq_tcat;

typedef struct mq_tcat_cfg {
	int on;                 /* 0: the base precision */
	mq_qspec q;             /* format and rounding; q.seed is set per call */
	mq_granularity gran;    /* tensor, channel or fine (block:B works too) */
	mq_scale_mode mode;     /* MQ_SCALE_FP32 (the paper's) unless set */
} mq_tcat_cfg;

/* A tap on the operands of mq_mm_f32 (train/tsample.h is one): it sees
 * each operand as the product receives it, in fp32 before any
 * quantization, stored as nex x nbat blocks of rows x cols (row-major),
 * read as free x contract (trans = 0) or contract x free (trans = 1).  The
 * tag says which matmul it is, as the caller set it (mq_tquant_tag). */
typedef struct mq_ttag {
	int layer;              /* -1: outside the layers (the output head) */
	const char *mm;         /* the forward matmul: "attn.qkv", "mlp.fc1" */
	const char *grad;       /* NULL in the forward pass; in the backward
	                         * pass the gradient the product computes ("dx") */
} mq_ttag;

typedef struct mq_toperand {
	const float *x;
	int nex, nbat, free, contract, trans;
	mq_tcat cat;
	int operand;            /* 0: A, 1: B */
} mq_toperand;

struct mq_tquant;
typedef void (*mq_ttap)(void *ctx, const struct mq_tquant *t, const mq_toperand *op);

typedef struct mq_tquant {
	mq_tcat_cfg cat[MQ_TCAT_N];
	int base_bf16;          /* operands of categories that are off: bf16 */
	uint64_t seed;          /* the run's quantization stream */
	uint64_t step;          /* the step the next products belong to */
	uint64_t calls[MQ_TCAT_N];  /* quantized operands so far in the step */
	mq_qstats stats[MQ_TCAT_N]; /* counts over the run (quant.h) */
	mq_status err;          /* first failure (e.g. MQ_ENONFINITE), sticky */
	float *scratch[3];      /* the quantized copies of A and B; the
	                         * product's packing buffers (tgemm.h) */
	size_t cap[3];
	mq_ttap tap;            /* NULL: none; else called for A, then B */
	void *tap_ctx;
	mq_ttag tag;            /* which matmul the next product is */
} mq_tquant;

/* The tag of the next products (t may be NULL): the layer and forward
 * matmul, and which gradient a backward product computes (NULL: forward).
 * Callers set it only to name products for a tap; it changes nothing in
 * the arithmetic. */
static inline void mq_tquant_tag(mq_tquant *t, int layer, const char *mm)
{
	if (t)
		t->tag = (mq_ttag){layer, mm, NULL};
}
static inline void mq_tquant_tag_mm(mq_tquant *t, const char *mm, const char *grad)
{
	if (t)
		t->tag.mm = mm, t->tag.grad = grad;
}
static inline void mq_tquant_tag_grad(mq_tquant *t, const char *grad)
{
	if (t)
		t->tag.grad = grad;
}

/* "lhs", "rhs", "grad" <-> mq_tcat; parse gives MQ_EOPTION if unknown. */
mq_status mq_tcat_parse(const char *name, mq_tcat *c);
const char *mq_tcat_name(mq_tcat c);

/* All categories off, base fp32, seed 0. */
void mq_tquant_init(mq_tquant *t);
void mq_tquant_free(mq_tquant *t);
/* Turn category c on: format, rounding and granularity names (parse
 * errors: MQ_EFORMAT, MQ_EROUNDING, MQ_EGRAN).  Granularity "fine" and
 * "channel" and "tensor" are the paper's; "block:B" is accepted. */
mq_status mq_tquant_set(mq_tquant *t, mq_tcat c, const char *format,
                        const char *rounding, const char *gran);
/* Start the products of step `step` (or of an evaluation pass). */
void mq_tquant_step(mq_tquant *t, uint64_t step);

/* A product, batched over nex examples x nbat heads (each factor a
 * contiguous block per (example, head)):
 *     C[e,h] = beta * C[e,h] + op(A[e,h]) . op(B[e,h])
 * with op(A) M x K: A stored M x K (ta = 0) or K x M (ta = 1);
 *      op(B) K x N: B stored K x N (tb = 0) or N x K (tb = 1).
 * ca and cb are the operands' categories.  With t NULL, or nothing to
 * quantize, it is the plain product (tgemm.h); beta is 0 or 1 in training
 * (any other value: fmaf(beta, C, sum)).  A quantization failure (NaN or Inf in an
 * operand, no memory) is recorded in t->err and the product is computed
 * unquantized, so a diverging run goes on and its caller decides. */
void mq_mm_f32(mq_tquant *t, int nex, int nbat, int M, int N, int K,
               const float *A, int ta, mq_tcat ca, const float *B, int tb,
               mq_tcat cb, float *C, float beta);
/* The same in double, never quantized (t is ignored): the gradient check's
 * arithmetic. */
void mq_mm_f64(mq_tquant *t, int nex, int nbat, int M, int N, int K,
               const double *A, int ta, mq_tcat ca, const double *B, int tb,
               mq_tcat cb, double *C, double beta);

#endif

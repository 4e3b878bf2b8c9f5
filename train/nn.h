/* nn.h: a small bidirectional transformer encoder with a masked-language-
 * model head, in the manner of llm.c's train_gpt2.c.
 *
 * Every layer is a *_forward and a *_backward function over flat arrays,
 * with the shapes in the argument names; backward functions ADD into their
 * gradient outputs (so a tensor read twice, like the residual stream, sums
 * its gradients).  The parameters, their gradients, the activations and the
 * activations' gradients are one allocation each, viewed as named tensors.
 *
 * The model (pre-layer-norm, as GPT-2 and llm.c, which trains without a
 * learning-rate warmup search; BERT puts the norm after the residual add):
 *     x = wte[token] + wpe[position]                       (B, T, C)
 *     L times:  x = x + attproj(attention(qkv(ln1(x))))     all positions see
 *               x = x + fcproj(gelu(fc(ln2(x))))            all (bidirectional)
 *     h = lnf(x) at the masked positions only               (B*NM, C)
 *     logits = h . wte^T + headb                            (B*NM, V)
 *     loss = mean cross-entropy of the original tokens      (BERT's MLM loss)
 * The output projection is tied to the token embedding (as BERT and GPT-2),
 * with an output bias as BERT's MLM head has.
 *
 * Attention adds a learned bias per head and relative offset to its scores
 * (T5's relative position bias, one bucket per offset, zero at the start).
 * Why: the masked position's own input is [MASK], so everything it
 * predicts comes through attention, and with absolute positions alone a
 * small model at a small batch spends thousands of steps finding its
 * neighbours (measured here: held-out accuracy 0.28 after 3000 steps at
 * C = 64); one shared parameter per offset learns "look at i - 1 and i + 1"
 * from every position at once.  The bias is added after the query-key
 * product, so the matmuls and their quantization are unchanged.
 *
 * Every matmul, forward and backward, goes through mq_mm_* (tquant.h) with
 * the categories of its operands; the double instance never quantizes.
 *
 * The code is written once (nn_impl.inc) over a type and instantiated for
 * float (training: mq_*_f32) and double (the gradient check: mq_*_f64);
 * nn_decl.inc declares each instance.
 */
#ifndef MQ_NN_H
#define MQ_NN_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tquant.h"

typedef struct mq_nn_dims {
	int V;   /* vocabulary */
	int T;   /* sequence length */
	int C;   /* channels */
	int L;   /* layers */
	int NH;  /* heads (C % NH == 0; head size C / NH) */
	int B;   /* sequences per batch: the most a forward pass takes */
	int NM;  /* masked positions per sequence (1..T) */
} mq_nn_dims;

/* The parameter tensors, in storage order. */
enum {
	MQ_P_WTE,       /* (V, C) token embedding, also the output projection */
	MQ_P_WPE,       /* (T, C) position embedding */
	MQ_P_LN1W,      /* (L, C) */
	MQ_P_LN1B,      /* (L, C) */
	MQ_P_QKVW,      /* (L, 3C, C) */
	MQ_P_QKVB,      /* (L, 3C) */
	MQ_P_RELB,      /* (L, NH, 2T - 1) relative-position bias of attention */
	MQ_P_ATTPROJW,  /* (L, C, C) */
	MQ_P_ATTPROJB,  /* (L, C) */
	MQ_P_LN2W,      /* (L, C) */
	MQ_P_LN2B,      /* (L, C) */
	MQ_P_FCW,       /* (L, 4C, C) */
	MQ_P_FCB,       /* (L, 4C) */
	MQ_P_FCPROJW,   /* (L, C, 4C) */
	MQ_P_FCPROJB,   /* (L, C) */
	MQ_P_LNFW,      /* (C) */
	MQ_P_LNFB,      /* (C) */
	MQ_P_HEADB,     /* (V) output bias */
	MQ_NPARAM
};

/* The activation tensors (B is dims.B, the allocated batch). */
enum {
	MQ_A_ENCODED,   /* (B, T, C) embeddings: the residual stream's start */
	MQ_A_LN1,       /* (L, B, T, C) */
	MQ_A_LN1_MEAN,  /* (L, B, T) */
	MQ_A_LN1_RSTD,  /* (L, B, T) */
	MQ_A_QKV,       /* (L, B, T, 3C) */
	MQ_A_Q,         /* (L, B, NH, T, hs) */
	MQ_A_K,         /* (L, B, NH, T, hs) */
	MQ_A_V,         /* (L, B, NH, T, hs) */
	MQ_A_ATT,       /* (L, B, NH, T, T) probabilities */
	MQ_A_ATTY,      /* (L, B, NH, T, hs) */
	MQ_A_ATTYM,     /* (L, B, T, C) heads merged */
	MQ_A_ATTPROJ,   /* (L, B, T, C) */
	MQ_A_RES2,      /* (L, B, T, C) */
	MQ_A_LN2,       /* (L, B, T, C) */
	MQ_A_LN2_MEAN,  /* (L, B, T) */
	MQ_A_LN2_RSTD,  /* (L, B, T) */
	MQ_A_FCH,       /* (L, B, T, 4C) */
	MQ_A_FCHG,      /* (L, B, T, 4C) after GELU */
	MQ_A_FCPROJ,    /* (L, B, T, C) */
	MQ_A_RES3,      /* (L, B, T, C) */
	MQ_A_LNF,       /* (B, T, C) */
	MQ_A_LNF_MEAN,  /* (B, T) */
	MQ_A_LNF_RSTD,  /* (B, T) */
	MQ_A_HM,        /* (B, NM, C) lnf at the masked positions */
	MQ_A_LOGITS,    /* (B, NM, V) */
	MQ_A_PROBS,     /* (B, NM, V) */
	MQ_A_LOSSES,    /* (B, NM) */
	MQ_NACT
};

/* MQ_ESHAPE unless every dimension is positive, NH divides C, NM <= T and
 * the sizes fit an int (BLAS) and size_t. */
mq_status mq_nn_dims_check(const mq_nn_dims *d);
/* Element counts of every tensor; returns the total. */
size_t mq_nn_param_sizes(const mq_nn_dims *d, size_t sizes[MQ_NPARAM]);
size_t mq_nn_act_sizes(const mq_nn_dims *d, size_t sizes[MQ_NACT]);
const char *mq_nn_param_name(int i);

/* One normal variate (mean 0, sd 1) for element `index` of stream `seed`
 * (Box-Muller on two Philox words): initialisation that depends on the
 * seed alone. */
double mq_nn_normal(uint64_t seed, uint64_t index);

#define mq_real float
#define MQ_NN(name) name##_f32
#define MQ_MM mq_mm_f32
#include "nn_decl.inc"
#undef mq_real
#undef MQ_NN
#undef MQ_MM

#define mq_real double
#define MQ_NN(name) name##_f64
#define MQ_MM mq_mm_f64
#include "nn_decl.inc"
#undef mq_real
#undef MQ_NN
#undef MQ_MM

#endif

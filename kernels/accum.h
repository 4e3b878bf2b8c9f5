/* accum.h: models of a matrix unit's accumulator (the "MAC" of Fig. 1).
 *
 * An FP8 tensor core does not add products one at a time in float32.  It
 * takes a block of products together with the running accumulator, aligns
 * all of them to the largest exponent among them, drops the bits below a
 * fixed number of fraction bits, adds the aligned integers exactly and
 * normalises the sum back into an accumulator of limited precision.  Every
 * so many products a kernel may also "promote" the tensor-core accumulator
 * into a separate float32 register (cuBLAS / CUTLASS FP8 GEMMs without
 * "fast accumulation" do; DeepSeek-V3's report, section 3.3.2, does it by
 * hand every 128 products).  mq_accum_model describes such a unit with
 * explicit parameters; mq_accum_dot evaluates one dot product under it.
 *
 * The model, for a dot product sum_k a_k b_k over k = 0 .. K-1:
 *
 *   T = 0 (tensor-core accumulator), P = 0 (float32 register)
 *   for each block of `block` consecutive k (the last may be shorter):
 *       terms = { a_k * b_k for k in the block, non-zero } (exact), plus T
 *       each term gets an alignment exponent:
 *           a product: E(a_k) + E(b_k) when operand_exp = 1, where
 *                E(x) = max(floor(log2 |x|), emin of x's operand), the
 *                exponent field of the operand; the product's significand
 *                lies in [1, 4) (or lower, for subnormal operands), so this
 *                is floor(log2 |a_k b_k|) or one less;
 *                floor(log2 |a_k b_k|) when operand_exp = 0
 *           T: floor(log2 |T|)
 *       e = the largest alignment exponent, u = 2^(e - frac_bits)
 *       each term t -> round_align(t / u) * u          (an integer times u)
 *       S = exact sum of the rounded terms
 *       T = S rounded to acc_bits significant bits by round_norm
 *       if promote > 0 and promote products have gone by since the last
 *       promotion (promote is a multiple of block):
 *           P = fl32(P + T) (round to nearest even), T = 0
 *   result = promote > 0 ? fl32(P + T) : T
 *
 * frac_bits = -1 is plain float32 accumulation in k order: each product is
 * rounded to float32 (exact for inputs of at most 12 significant bits,
 * i.e. every format of at most 16 bits) and added to T with one correctly
 * rounded float32 addition; it needs block = 1, acc_bits = 24,
 * round_norm = RNE and gives what MQ_ACCUM_FP32 of qgemm.h gives.
 *
 * Roundings (mq_acc_round):
 *   MQ_ACC_RZ   toward zero (sign-magnitude truncation)
 *   MQ_ACC_RD   toward -inf (two's-complement truncation)
 *   MQ_ACC_RNE  to nearest, ties to even
 *
 * Presets (mq_accum_model_preset):
 *   "fp32"           float32 in k order (as MQ_ACCUM_FP32 of qgemm.h)
 *   "h100-fp8"       torch._scaled_mm(..., use_fast_accum=False) on an
 *                    NVIDIA H100 (cuBLAS 13 nvjet kernels): block 32,
 *                    frac_bits 13, RZ, acc_bits 14, RZ, promote 128,
 *                    operand_exp 1
 *   "h100-fp8-fast"  the same with use_fast_accum=True: promote 0
 * The H100 presets reproduce every output of the hardware bit for bit on
 * the data of docs/gpu.md (e4m3 x e4m3 and e5m2 x e4m3, K = 512 .. 65536,
 * five input distributions, scales 1 and per-tensor absmax): the tensor
 * core's accumulator holds 14 significant bits (13 fraction bits, the
 * "e8m13" of the literature), every product and the accumulator are
 * truncated to 13 fraction bits below the largest exponent of each MMA
 * instruction's 32 products (k = 32 for FP8 wgmma), and without fast
 * accumulation cuBLAS adds the tensor-core accumulator into a float32
 * register every 128 products (its K tile) and restarts it from zero.
 * They are set for e4m3 operands (emin_a = emin_b = -6); call
 * mq_accum_model_operands for others (e5m2: -14).  Where cuBLAS picks a
 * split-K kernel (small M x N: at 256 x 256 x 8192 it did, kernels named
 * "..._splitK_..." plus a reduction), each split restarts the tensor-core
 * accumulator and the splits' float32 results are added: with fast
 * accumulation that is promote = K / splits (two splits of 4096 there,
 * bit for bit); without it the "h100-fp8" preset stayed bit for bit.
 * Which products share a block, and where promotions fall, counts from
 * k = 0; K need not be a multiple of either (K = 1008 and 2000 were bit
 * for bit too).
 *
 * Inputs are float32 values that are exact values of the operand formats
 * (decoded FP8 codes, still scaled down: the descale is the caller's, as in
 * qgemm.h).  Products are formed in double, exact when both factors have at
 * most 26 significant bits (every format of at most 16 bits); wider inputs
 * get their products rounded to double first.  Non-finite inputs give NaN
 * (or inf) as float arithmetic would; the model is meant for finite data.
 * Overflow of the accumulator beyond float32 gives +-inf.
 */
#ifndef MQ_ACCUM_H
#define MQ_ACCUM_H

#include <stddef.h>
#include "format.h"
#include "status.h"

typedef enum { MQ_ACC_RZ, MQ_ACC_RD, MQ_ACC_RNE } mq_acc_round;

typedef struct mq_accum_model {
	int block;              /* products per step, 1 .. 256 */
	int frac_bits;          /* fraction bits kept after alignment, 0 .. 50; -1: exact */
	mq_acc_round round_align;
	int acc_bits;           /* significant bits of T, 2 .. 24 */
	mq_acc_round round_norm;
	int promote;            /* products between promotions to float32; 0: never */
	int operand_exp;        /* 1: align products by E(a) + E(b); 0: by the product */
	int emin_a, emin_b;     /* smallest normal exponent of each operand's format */
} mq_accum_model;

/* Fill m from a preset name (above); MQ_EOPTION if unknown. */
mq_status mq_accum_model_preset(const char *name, mq_accum_model *m);
/* Set emin_a and emin_b from the operands' formats (their emin field;
 * e4m3 -6, e5m2 -14): what a preset needs for operands other than e4m3. */
void mq_accum_model_operands(mq_accum_model *m, const mq_format *a, const mq_format *b);
/* Comma-separated preset names, static (made from the preset table). */
const char *mq_accum_model_known(void);
/* The name of preset i, or NULL for i past the last: a new preset is one
 * row of accum.c's table, and every list of names (this file's, qgemm.h's
 * mq_qmatmul_accum_known) follows it. */
const char *mq_accum_model_preset_name(size_t i);
/* MQ_EOPTION if a field is out of range (emin_* within -1000 .. 1000) or
 * promote is not a multiple of block. */
mq_status mq_accum_model_check(const mq_accum_model *m);

/* sum_k a[k * as] * b[k * bs] for k < K under the model (checked by the
 * caller: an invalid model gives unspecified results).  K = 0 gives 0. */
float mq_accum_dot(const mq_accum_model *m, const float *a, size_t as,
                   const float *b, size_t bs, size_t K);

/* C = scale * (L.R) for row-major L (M x K), R (K x N), C (M x N): every
 * element one mq_accum_dot, then one float32 product with scale (pass 1
 * for none; the product with a power of two is exact).  nthreads >= 2
 * splits the rows over pthreads; the result does not depend on it.
 * MQ_EOPTION for an invalid model, MQ_ESHAPE for a zero or overflowing
 * size, MQ_ENOMEM. */
mq_status mq_accum_gemm(const mq_accum_model *m, size_t M, size_t K, size_t N,
                        const float *L, const float *R, float scale, float *C,
                        int nthreads);

#endif

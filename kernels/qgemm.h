/* qgemm.h: reference and quantized matrix products (the paper's Fig. 1).
 *
 * All matrices are row-major float32: L is M x K, R is K x N, C is M x N.
 *
 * mq_matmul_ref: C = L.R in double (BLAS dgemm on double copies).  Every
 * product of two float32 values is exact in double; only the sums round,
 * so the result is within K * 2^-53 * (|L||R|)_ij of the exact product:
 * at K = 4096 that is 5e-13 of the backward-error denominator (Eq. 3),
 * far below any 8-bit quantization error.
 *
 * mq_qmatmul: Q(L, R) as an 8-bit accelerator computes it (Fig. 1).
 *   1. L is quantized as an LHS (mq_layout_matrix(.., MQ_LHS): rows FREE,
 *      K CONTRACT) and R as an RHS (K CONTRACT, columns FREE), each with its
 *      own qspec, granularity and scale mode (mq_quantize_tensor, scale.h).
 *      Stochastic rounding draws from each qspec's own seed at the
 *      element's flat index, so Q(L, R) is a function of the inputs and the
 *      two specs only.
 *   2. The decoded, still scaled-down values a = fakequant(L/sL) and
 *      b = fakequant(R/sR) are multiplied and summed over k (the "MAC").
 *   3. The sums are descaled after the product:
 *        tensor, channel, fine:  C_ij = (sum_k a_ik b_kj) * (sL_i * sR_j)
 *        block:B             :  C_ij = sum_blocks (sum_{k in block} a_ik b_kj)
 *                                              * (sL_i,blk * sR_blk,j)
 *      (scales factor out of a dot product only when they are constant
 *      along k; under block:B each block's partial sum is descaled by its
 *      own pair of scales and the descaled partials are added in block
 *      order.)  The two operands may have different granularities; the
 *      sums run over the blocks of whichever is finer (for blocks of
 *      different sizes: over the intersections of the two block grids).
 *
 * Accumulation (step 2; mq_accum_parse names in quotes):
 *   MQ_ACCUM_EXACT "exact"  each (block) sum of products is computed
 *       without any rounding and rounded once, to nearest, to double; the
 *       descale and the sum over blocks are then done in double.  This is
 *       what an integer MAC does for INT8 (int32 accumulation is exact for
 *       K <= 2^17 = 131072; beyond that an int32 would wrap and metriq
 *       reports the exact value instead), and what an ideal FP8 MAC would
 *       do.  Available when every value of both formats is an integer
 *       multiple of the format's smallest subnormal times at most 2^32
 *       (all formats of <= 8 bits and INT-n up to int16; not fp16, bf16,
 *       e8m0) and K <= 2^30: else MQ_EOPTION.
 *   MQ_ACCUM_FP32  "fp32"   every product a_ik * b_kj and the running sum
 *       in float32, strictly in increasing k from 0.0f, one sum per block
 *       (products of two 8-bit values are exact in float32, so whether
 *       the MAC fuses multiply and add makes no difference).  The descale
 *       is float32 too: s = sL * sR, then C_ij = sum * s, and for block:B
 *       C_ij += blocksum * s in block order.  This models a simple fp32
 *       accumulator; BLAS sgemm does not sum in k order, so it is not used
 *       for this mode; qmmk.h's kernel is (blocked like a BLAS, but
 *       every accumulator runs through k in order).
 *   MQ_ACCUM_MODEL "h100-fp8", "h100-fp8-fast" (the presets of accum.h)
 *       an FP8 tensor core's accumulator: each (segment's) dot product is
 *       mq_accum_dot under cfg->model, whose emin_a and emin_b are set
 *       from the operands' formats (mq_accum_model_operands).  Both
 *       operands must be FP8 (e4m3 or e5m2, any rounding, scale mode or
 *       granularity), else MQ_EOPTION: the presets describe the FP8 data
 *       path of an H100, and other formats take other data paths there.
 *       The descale is what the H100 does for per-tensor scales,
 *       measured bit for bit (docs/gpu.md): C_ij = fl32(fl32(sL * sR) *
 *       dot), the same float32 arithmetic as MQ_ACCUM_FP32.  Beyond what
 *       was measured (extrapolations, same formula):
 *         channel, fine: sL_i * sR_j per output, as above (the rowwise
 *           scaling of torch._scaled_mm was not measured: its epilogue
 *           may round the two products in another order);
 *         block:B: each segment starts a fresh accumulator (T = 0, the
 *           promotion count from the segment's start), is descaled as
 *           above and added to the output in float32 in segment order:
 *           with B = 128 = the promotion interval this is the
 *           fine-grained scheme of DeepSeek-V3 (section 3.3.2), which
 *           Hopper has no instruction for.
 *       Operands holding inf or NaN (MQ_OVF_IEEE) give what accum.h
 *       gives (inf or NaN); the GPU was not measured on them.
 *       e4m3 x e4m3 and e5m2 x e4m3 were measured; e4m3 x e5m2 and
 *       e5m2 x e5m2 (which cuBLAS does not offer) use the same model.
 *
 * Speed.  MQ_ACCUM_EXACT with two INT8 operands runs qmmk.h's AVX-512
 * VNNI kernel on the codes where the CPU has it (int32 sums, exact for
 * K <= 65536; one kernel call per segment, rows split over nthreads), at
 * about 0.4x the time of an sgemm.  Otherwise, for MQ_ACCUM_EXACT with
 * tensor or channel scales the whole sum
 * is one dgemm (or sgemm) on the decoded values followed by an outer-
 * product descale, whenever every partial sum is representable: all
 * decoded values are multiples of a power of two u (taken from the data),
 * and if K * max|a|/uL * max|b|/uR < 2^53 (2^24 for sgemm) no sum in any
 * order rounds.  Under block:B, with blocks of at most 512, qmmk.h's
 * block kernel sums each block in double registers and hands it to the
 * descale while it is in L1 (about 1.6x a dgemm's time); longer blocks
 * take one gemm per block.  These paths give
 * bit for bit what the plain loops give (tests check it), for any BLAS
 * and any number of BLAS threads.  Where no single gemm is exact (e5m2:
 * sums of up to 73 bits) and segments are shorter than 2^20, the integer
 * images are split in 16-bit halves and each segment takes four dgemms
 * on the halves (two where R's images, less their common trailing zeros,
 * are narrow enough to stay whole), each exact, combined in int64 and
 * rounded once: the plain loops' numbers.  Otherwise (MQ_QMM_REFERENCE,
 * IEEE inf or NaN in an operand) plain loops run: integer images in
 * int64 (split in 16-bit halves when a sum could leave int64).  MQ_ACCUM_FP32 runs the register-tiled kernel of
 * qmmk.h (one per instruction set, chosen with the quantize kernel's,
 * METRIQ_ISA applies) whenever every product of the two formats' values
 * is a float32 value (every format of <= 8 bits, bf16 x 8-bit, not fp16 x
 * fp16): its sums are the plain loop's, bit for bit (tests check every
 * path), at 1.1-1.3x the time of an sgemm (BENCHMARKS.md); under
 * block:B (blocks of at most 512) its float sibling in qmmk.h sums each
 * block from zero in k order and descales it in float while in L1; else
 * the plain loop.  MODEL evaluates the model product by product (about
 * 7 ns each on one core of the 2-core CI machine, 8x FP32's plain loop:
 * an emulation, not a fast path); R's decoded values are
 * stored column by column for it, so that each dot product reads both
 * operands in k order.
 * Extra memory is O(M*K + K*N + M*N).
 *
 * Threads.  nthreads >= 2 splits the rows of C over that many pthreads
 * (at most M and at most 256); nthreads < 1 means 1.  Every element is computed the same
 * way whatever the split, so C is bit-identical for any nthreads.  The
 * BLAS calls use the BLAS's own threads (OPENBLAS_NUM_THREADS); they are
 * used only where the result cannot depend on the order of the sums.
 *
 * Errors (all functions here).  MQ_ESHAPE if M, K or N is 0 or above
 * INT_MAX (the BLAS's int), or M*K, K*N, M*N elements of 8 bytes do not fit
 * in size_t; MQ_ENONFINITE if L or R holds NaN or Inf (absmax scaling
 * needs finite data, and so does Eq. 3); MQ_EOPTION for a NULL pointer, an
 * invalid spec or an unsupported accumulation; MQ_ENOMEM.  On error C is
 * unspecified and the stats are not touched.
 *
 * Non-finite quantized values.  Under MQ_OVF_IEEE a value can quantize to
 * inf or NaN; the output elements whose row of a or column of b holds one
 * are then computed in double (EXACT) or float (FP32) in k order and carry
 * the IEEE result (inf or NaN); the others are unaffected.  (MODEL: see
 * above.)
 */
#ifndef MQ_QGEMM_H
#define MQ_QGEMM_H

#include <stddef.h>
#include "accum.h"
#include "quant.h"
#include "scale.h"
#include "status.h"

typedef enum { MQ_ACCUM_EXACT, MQ_ACCUM_FP32, MQ_ACCUM_MODEL } mq_accum;

mq_status mq_accum_parse(const char *name, mq_accum *a); /* exact|fp32 */
const char *mq_accum_name(mq_accum a); /* exact|fp32|model */

/* How one operand is quantized. */
typedef struct mq_qoperand {
	mq_qspec q;
	mq_granularity gran;
	mq_scale_mode mode;
} mq_qoperand;

/* Parse format, rounding and granularity names into o; overflow saturate,
 * underflow gradual, scale mode fp32, seed 0 (set the fields afterwards to
 * change them).  Returns the parser's status (MQ_EFORMAT, ...). */
mq_status mq_qoperand_init(mq_qoperand *o, const char *format,
                           const char *rounding, const char *gran);

typedef struct mq_qmatmul_cfg {
	mq_qoperand lhs, rhs;
	mq_accum accum;
	mq_accum_model model; /* MQ_ACCUM_MODEL only (its emin_* are ignored) */
	unsigned flags;     /* MQ_QMM_* below; 0 normally */
} mq_qmatmul_cfg;

/* Set cfg->accum, and cfg->model for MQ_ACCUM_MODEL, from a name:
 * "exact", "fp32", or a preset of accum.h that models a tensor core
 * ("h100-fp8", "h100-fp8-fast"; accum.h's "fp32" preset is MQ_ACCUM_FP32
 * here, the same numbers).  MQ_EOPTION if the name is unknown. */
mq_status mq_qmatmul_accum(mq_qmatmul_cfg *cfg, const char *name);
/* The names mq_qmatmul_accum knows, comma-separated, static. */
const char *mq_qmatmul_accum_known(void);
/* 1 if f is an FP8 format of MQ_ACCUM_MODEL (e4m3, e5m2), else 0. */
int mq_qmatmul_model_format(const mq_format *f);

/* Never take a BLAS path: plain loops only (tests compare the two). */
#define MQ_QMM_REFERENCE 1u

/* C = L.R in double, and its float32 rounding. */
mq_status mq_matmul_ref(size_t M, size_t K, size_t N, const float *L,
                        const float *R, double *C);
mq_status mq_matmul_ref_f32(size_t M, size_t K, size_t N, const float *L,
                            const float *R, float *C);
/* A = |L|.|R| in double (the denominator of Eq. 3), computed as above. */
mq_status mq_matmul_absref(size_t M, size_t K, size_t N, const float *L,
                           const float *R, double *A);

/* C = Q(L, R).  lstats and rstats (may be NULL) get the operands'
 * quantization counts added (quant.h). */
mq_status mq_qmatmul(const mq_qmatmul_cfg *cfg, size_t M, size_t K, size_t N,
                     const float *L, const float *R, float *C, int nthreads,
                     mq_qstats *lstats, mq_qstats *rstats);
/* The same without the final rounding to float32 (under MQ_ACCUM_FP32 the
 * result is a float32 value anyway). */
mq_status mq_qmatmul_f64(const mq_qmatmul_cfg *cfg, size_t M, size_t K,
                         size_t N, const float *L, const float *R, double *C,
                         int nthreads, mq_qstats *lstats, mq_qstats *rstats);

#endif

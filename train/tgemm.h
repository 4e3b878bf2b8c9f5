/* tgemm.h: the float32 products of training in one fixed order of
 * operations on every instruction set (tgemm.c, built once per ISA).
 *
 * Why: OpenBLAS's sgemm picks its kernel, blocking and so its summation
 * order by CPU model and thread count, and training amplifies a last-bit
 * difference in one product into different losses within a few steps; a
 * run's results then depend on the machine (issue 18).  Here every output
 * is, on every path,
 *     s = 0;  for k = 0, 1, ..., K - 1:  s = fmaf(A[i][k], B[k][j], s)
 * with fmaf the correctly rounded fused multiply-add (one rounding per
 * step): the AVX2 and AVX-512 builds use the FMA instructions, the
 * portable build calls fmaf() (exact everywhere, slow: a test path, or a
 * CPU without AVX2).  The register tiles differ per ISA (qmmk_tile.h), the
 * sequence of operations of each output does not, so the bits are the
 * same; tests/test_tgemm.c checks each path against the loop above.
 *
 * A is read as A[i * ars + k * acs] and B as B[k * brs + j * bcs], so a
 * transposed operand needs no copy; C is row-major with row stride ldc and
 * is overwritten (the caller adds it to an old C if it wants to).  work
 * holds mq_tgemm_work(M, N, K) floats of the same path; returns 0. */
#ifndef MQ_TGEMM_H
#define MQ_TGEMM_H

#include <stddef.h>

typedef int (*mq_tgemm_fn)(size_t M, size_t N, size_t K, const float *A, size_t ars,
                           size_t acs, const float *B, size_t brs, size_t bcs, float *C,
                           size_t ldc, float *work);
typedef size_t (*mq_tgemm_work_fn)(size_t M, size_t N, size_t K);

typedef struct mq_tgemm {
	const char *name;       /* "generic", "avx2", "avx512" */
	mq_tgemm_fn fn;
	mq_tgemm_work_fn work;
} mq_tgemm;

#define MQ_TGEMM_DECL(isa)                                                             \
	int mq_tgemm_##isa(size_t, size_t, size_t, const float *, size_t, size_t,          \
	                   const float *, size_t, size_t, float *, size_t, float *);      \
	size_t mq_tgemm_work_##isa(size_t, size_t, size_t);
MQ_TGEMM_DECL(generic)
MQ_TGEMM_DECL(avx2)
MQ_TGEMM_DECL(avx512)
#undef MQ_TGEMM_DECL

/* The path of the quantize kernels' choice (mq_qkern_select: the widest
 * the CPU has, or METRIQ_ISA / mq_qkern_force), so one switch moves both. */
const mq_tgemm *mq_tgemm_select(void);

#endif

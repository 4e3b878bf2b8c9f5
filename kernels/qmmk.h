/* qmmk.h: C = A.B in float32 with every sum in k order, one kernel per
 * instruction set (qmmk.c; chosen with the quantize kernel, qkern.h).
 *
 * C[i][j] = (...((0 + A[i][0] B[0][j]) + A[i][1] B[1][j]) + ...), each
 * multiply-add possibly fused: the result equals the unfused plain loop
 * exactly when every product A[i][k] B[k][j] is a float32 value (as for
 * the decoded values of two formats whose significands have at most 24
 * bits together and whose smallest subnormals multiply to at least
 * 2^-149); the caller must ensure that.  Row-major, leading dimensions in
 * elements.  Returns 0, or -1 if its packing buffers cannot be allocated
 * (C untouched then). */
#ifndef MQ_QMMK_H
#define MQ_QMMK_H

#include <stddef.h>
#include <stdint.h>

typedef int (*mq_qmmk_fn)(size_t M, size_t N, size_t K, const float *A, size_t lda,
                          const float *B, size_t ldb, float *C, size_t ldc);

int mq_qmmk_generic(size_t, size_t, size_t, const float *, size_t, const float *, size_t,
                    float *, size_t);
int mq_qmmk_avx2(size_t, size_t, size_t, const float *, size_t, const float *, size_t,
                 float *, size_t);
int mq_qmmk_avx512(size_t, size_t, size_t, const float *, size_t, const float *, size_t,
                   float *, size_t);

/* The kernel of the path mq_qkern_select() chose (METRIQ_ISA applies). */
mq_qmmk_fn mq_qmmk_select(void);

/* C = A.B exactly in int32, for int8 A and B (INT8 codes are the values
 * at scale 1) and K <= 65536 (so that no int32 lane can wrap: K * 255 *
 * 128 < 2^31).  Returns 0, or -1 if its buffers cannot be allocated.
 * AVX-512 VNNI only. */
typedef int (*mq_qmmk_i8_fn)(size_t M, size_t N, size_t K, const int8_t *A, size_t lda,
                             const int8_t *B, size_t ldb, int32_t *C, size_t ldc);
int mq_qmmk_i8_vnni(size_t, size_t, size_t, const int8_t *, size_t, const int8_t *, size_t,
                    int32_t *, size_t);
/* mq_qmmk_i8_vnni where it was built, the CPU has AVX-512 VNNI and the
 * chosen path is avx512 (METRIQ_ISA=avx2 or generic turns it off); else
 * NULL. */
mq_qmmk_i8_fn mq_qmmk_i8_select(void);

#endif

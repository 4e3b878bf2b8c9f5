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

/* Block scales (qmmk_blk.c): for each segment s of K (seg[0] = 0 <
 * seg[1] < ... < seg[nseg], each at most MQ_QMMK_BLK_MAXSEG long), the
 * sums T = A[:, seg_s] . B[seg_s, :] in double, a tile at a time: done is
 * called with the tile's first row i0 and column j0, its real size mr x nr,
 * the segment, and T (row stride ldt), for each tile in segment order.
 * Exact, and so independent of order and fusing, when every partial sum is
 * a double value (the caller checks).  Returns 0, or -1 if its packing
 * buffers cannot be allocated (no call to done then). */
#define MQ_QMMK_BLK_MAXSEG 512
#define MQ_QMMK_BLK_MAXNR 64 /* no tile is wider (qmmk_tile.h) */
typedef void (*mq_qmmk_blk_done)(void *ctx, size_t i0, size_t j0, size_t mr, size_t nr,
                                 size_t s, const double *T, size_t ldt);
typedef int (*mq_qmmk_blk_fn)(size_t M, size_t N, const float *A, size_t lda, const float *B,
                              size_t ldb, size_t nseg, const size_t *seg,
                              mq_qmmk_blk_done done, void *ctx);
int mq_qmmk_blk_generic(size_t, size_t, const float *, size_t, const float *, size_t, size_t,
                        const size_t *, mq_qmmk_blk_done, void *);
int mq_qmmk_blk_avx2(size_t, size_t, const float *, size_t, const float *, size_t, size_t,
                     const size_t *, mq_qmmk_blk_done, void *);
int mq_qmmk_blk_avx512(size_t, size_t, const float *, size_t, const float *, size_t, size_t,
                       const size_t *, mq_qmmk_blk_done, void *);
/* The same in float32 (sums from zero in k order per segment, so the
 * plain loop's float sums where every product is a float32 value). */
typedef void (*mq_qmmk_blkf_done)(void *ctx, size_t i0, size_t j0, size_t mr, size_t nr,
                                  size_t s, const float *T, size_t ldt);
typedef int (*mq_qmmk_blkf_fn)(size_t M, size_t N, const float *A, size_t lda,
                               const float *B, size_t ldb, size_t nseg, const size_t *seg,
                               mq_qmmk_blkf_done done, void *ctx);
int mq_qmmk_blkf_generic(size_t, size_t, const float *, size_t, const float *, size_t,
                         size_t, const size_t *, mq_qmmk_blkf_done, void *);
int mq_qmmk_blkf_avx2(size_t, size_t, const float *, size_t, const float *, size_t, size_t,
                      const size_t *, mq_qmmk_blkf_done, void *);
int mq_qmmk_blkf_avx512(size_t, size_t, const float *, size_t, const float *, size_t,
                        size_t, const size_t *, mq_qmmk_blkf_done, void *);
/* The block kernels of the chosen path. */
mq_qmmk_blk_fn mq_qmmk_blk_select(void);
mq_qmmk_blkf_fn mq_qmmk_blkf_select(void);

/* C = A.B exactly in int32, for int8 A and B (INT8 codes are the values
 * at scale 1) and K <= 65536 (so that no int32 lane can wrap: K * 255 *
 * 128 < 2^31).  Returns 0, or -1 if its buffers cannot be allocated.
 * AVX-512 VNNI only. */
typedef int (*mq_qmmk_i8_fn)(size_t M, size_t N, size_t K, const int8_t *A, size_t lda,
                             const int8_t *B, size_t ldb, int32_t *C, size_t ldc);
int mq_qmmk_i8_vnni(size_t, size_t, size_t, const int8_t *, size_t, const int8_t *, size_t,
                    int32_t *, size_t);
/* The same with AMX tiles (qmmk_amx.c; exact for any K <= 131071), and
 * whether this process may use them: the CPU has AMX-INT8, the OS saves
 * tile state and grants it (asked once, thread-safely). */
int mq_qmmk_i8_amx(size_t, size_t, size_t, const int8_t *, size_t, const int8_t *, size_t,
                   int32_t *, size_t);
int mq_qmmk_amx_ok(void);
/* mq_qmmk_i8_amx where it was built and the chosen path is amx (the
 * widest where mq_qmmk_amx_ok); mq_qmmk_i8_vnni where it was built, the
 * CPU has AVX-512 VNNI and the chosen path is avx512 (METRIQ_ISA=avx2 or
 * generic turns both off); else NULL. */
mq_qmmk_i8_fn mq_qmmk_i8_select(void);

#endif

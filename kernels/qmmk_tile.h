/* qmmk_tile.h: register tile sizes of the qmmk kernels per instruction set
 * (included by the per-ISA builds of qmmk.c and qmmk_blk.c only).
 *
 * MQ_TF_*: float32 tiles, MQ_TD_*: double tiles.  VL lanes a vector, MR
 * rows x NR columns of accumulators, MR * NR / VL of them: 16 of the 32
 * zmm registers, 12 of the 16 ymm, 8 of the 16 xmm, leaving room for the
 * B vectors and the broadcast A value.  The AVX2 float shape is 4 x 24
 * because 6 x 16 measured 17% slower on Zen 4 (BENCHMARKS.md). */
#ifndef MQ_QMMK_TILE_H
#define MQ_QMMK_TILE_H

#if defined(__AVX512F__)
#define MQ_TF_VL 16
#define MQ_TF_MR 8
#define MQ_TF_NR 32
#define MQ_TD_VL 8
#define MQ_TD_MR 8
#define MQ_TD_NR 16
#elif defined(__AVX2__)
#define MQ_TF_VL 8
#define MQ_TF_MR 4
#define MQ_TF_NR 24
#define MQ_TD_VL 4
#define MQ_TD_MR 4
#define MQ_TD_NR 12
#else
#define MQ_TF_VL 4
#define MQ_TF_MR 4
#define MQ_TF_NR 8
#define MQ_TD_VL 2
#define MQ_TD_MR 4
#define MQ_TD_NR 4
#endif

#endif

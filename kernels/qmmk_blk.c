/* qmmk_blk.c: per-segment sums of a product whose K axis is cut into
 * scale blocks, built once per instruction set (qmmk.h, mq_qmmk_blk_* in
 * double, mq_qmmk_blkf_* in float).
 *
 * Under block:B scaling every block of K has its own pair of scales, so
 * each block's sum of products is descaled on its own.  A gemm per block
 * (K = 32, say) spends its time packing, and each block's sums make a
 * trip through memory.  Here a register tile of accumulators sums one
 * segment, from zero and in k order, hands it to the caller's `done`
 * (which descales it into the output while it is in L1), and starts the
 * next segment.  The caller takes the double kernel only where every
 * segment's sum is exact in double (then neither order nor fused
 * multiply-adds can change it: the per-block dgemms' numbers), and the
 * float kernel for float32 accumulation only where every product is exact
 * in float32 (then a fused multiply-add rounds as the plain loop's
 * multiply and add do, and the sums run in k order as the loop's do). */
#include <stdlib.h>
#include <string.h>

#include "qmmk.h"
#include "qmmk_tile.h"

#ifndef MQ_QMMK_BLK_NAME
#define MQ_QMMK_BLK_NAME mq_qmmk_blk_generic
#define MQ_QMMK_BLKF_NAME mq_qmmk_blkf_generic
#endif

/* A K panel holds whole segments, at most KC long (B micro-panel KC x NR
 * in L1/L2, A micro-panel MR x KC in L1).  Tiles: qmmk_tile.h. */
#define KC MQ_QMMK_BLK_MAXSEG
#define MC 64

/* double */
#define T double
#define V vd
#define VLOAD vd_load
#define VSTORE vd_store
#define TILE vd_tile
#define FN MQ_QMMK_BLK_NAME
#define DONE mq_qmmk_blk_done
#define VL MQ_TD_VL
#define MR MQ_TD_MR
#define NR MQ_TD_NR
#include "qmmk_blk.inc"
#undef T
#undef V
#undef VLOAD
#undef VSTORE
#undef TILE
#undef FN
#undef DONE
#undef VL
#undef MR
#undef NR

/* float */
#define T float
#define V vf
#define VLOAD vf_load
#define VSTORE vf_store
#define TILE vf_tile
#define FN MQ_QMMK_BLKF_NAME
#define DONE mq_qmmk_blkf_done
#define VL MQ_TF_VL
#define MR MQ_TF_MR
#define NR MQ_TF_NR
#include "qmmk_blk.inc"

_Static_assert(MQ_TF_NR <= MQ_QMMK_BLK_MAXNR && MQ_TD_NR <= MQ_QMMK_BLK_MAXNR,
               "a tile is wider than the callers' buffers (qmmk.h)");

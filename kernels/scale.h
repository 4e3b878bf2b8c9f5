/* scale.h: symmetric absmax scaling at a granularity (paper Eq. 1).
 *
 * scale = absmax / max(format), in float32, over each scale group; an
 * element is quantized as fakequant(x / scale) * scale (quant.h).
 *
 * Layout.  A tensor is row-major with 1 to 4 axes, each with a role:
 *   MQ_AXIS_CONTRACT  summed over by the matmul (K)
 *   MQ_AXIS_FREE      a non-contracting, non-batch axis (M of an LHS, N of an RHS)
 *   MQ_AXIS_BATCH     a matmul batch axis (e.g. attention heads)
 *   MQ_AXIS_EXAMPLE   the batch axis that indexes individual examples
 * Granularity (mq_gran_parse):
 *   "tensor"   one scale.
 *   "channel"  one scale per index of the FREE axes (per row of an LHS M x K,
 *              per column of an RHS K x N), shared across batch axes.
 *   "fine"     per index of the FREE and BATCH axes: every axis but the
 *              contracting one and the example axis (the paper's
 *              "fine-grained"); equals channel for 2-D operands.
 *   "block:B"  channel, and additionally per block of B consecutive
 *              elements along the contracting axis (the last block may be
 *              shorter), as in MX and sub-channel schemes.
 * Scale groups are numbered row-major over the scaled axes in axis order,
 * the contracting axis contributing its block index under block:B.
 *
 * Scale modes:
 *   MQ_SCALE_FP32  absmax / max rounded to float32.  The quotient
 *                  absmax / scale can round to just above max; it then
 *                  saturates (or overflows under MQ_OVF_IEEE) like any
 *                  value.
 *   MQ_SCALE_POW2  the smallest power of two p with absmax / p <= max (E8M0
 *                  style, never clips; descaling is exact).
 * A group whose absmax is 0 gets scale 1 (no division by zero; its zeros
 * stay zeros of the same sign).  A scale below the smallest float32
 * subnormal is raised to it.  NaN or Inf in the data is MQ_ENONFINITE:
 * absmax scaling of non-finite data has no meaningful answer.
 */
#ifndef MQ_SCALE_H
#define MQ_SCALE_H

#include <stddef.h>
#include "quant.h"

typedef enum { MQ_AXIS_CONTRACT, MQ_AXIS_FREE, MQ_AXIS_BATCH, MQ_AXIS_EXAMPLE } mq_axis_role;
typedef enum { MQ_GRAN_TENSOR, MQ_GRAN_CHANNEL, MQ_GRAN_FINE, MQ_GRAN_BLOCK } mq_gran_kind;
typedef enum { MQ_SCALE_FP32, MQ_SCALE_POW2 } mq_scale_mode;
typedef enum { MQ_LHS, MQ_RHS } mq_operand;

#define MQ_MAXDIM 4

typedef struct mq_layout {
	int ndim;
	size_t dim[MQ_MAXDIM];
	mq_axis_role role[MQ_MAXDIM];
} mq_layout;

typedef struct mq_granularity {
	mq_gran_kind kind;
	size_t block;       /* MQ_GRAN_BLOCK only */
} mq_granularity;

mq_status mq_gran_parse(const char *name, mq_granularity *g);
const char *mq_gran_name(const mq_granularity *g, char *buf, size_t len);
mq_status mq_scale_mode_parse(const char *name, mq_scale_mode *m); /* fp32|pow2 */
mq_status mq_role_parse(const char *name, mq_operand *op);          /* lhs|rhs */
/* The names the parsers above accept, "a, b, c", for error messages. */
const char *mq_gran_known(void);
const char *mq_scale_mode_known(void);
const char *mq_role_known(void);

/* An LHS is rows x K (FREE, CONTRACT); an RHS is K x cols (CONTRACT, FREE).
 * Batched: batch x rows x cols with the first axis the EXAMPLE axis. */
mq_status mq_layout_matrix(mq_layout *l, size_t rows, size_t cols, mq_operand op);
mq_status mq_layout_batched(mq_layout *l, size_t batch, size_t rows, size_t cols,
                            mq_operand op);
mq_status mq_layout_check(const mq_layout *l);
size_t mq_layout_size(const mq_layout *l);

/* Number of scale groups; 0 if the layout or granularity is invalid. */
size_t mq_scale_count(const mq_layout *l, const mq_granularity *g);

/* Group index of every element: gid[i] for i in [0, size).  For callers that
 * need to map elements to scales (metrics, tests). */
mq_status mq_scale_groups(const mq_layout *l, const mq_granularity *g, size_t *gid);

/* Absmax scales of x: scales[mq_scale_count(l, g)]. */
mq_status mq_absmax_scales(const mq_layout *l, const mq_granularity *g,
                           const mq_format *f, mq_scale_mode mode,
                           const float *x, float *scales);

/* Scale, quantize and (for y) descale a whole tensor.  y (fake-quantized
 * float32, may alias x), codes and scales may each be NULL (scales is then
 * computed in a temporary).  SR draws use the element's flat index.  Where
 * the granularity allows, each run of rows that holds whole scale groups is
 * scaled and quantized while in cache (scale.c): one pass over memory.  On
 * MQ_ENONFINITE, y, codes and stats may already hold earlier rows. */
mq_status mq_quantize_tensor(const mq_qspec *q, const mq_layout *l,
                             const mq_granularity *g, mq_scale_mode mode,
                             const float *x, float *y, void *codes,
                             float *scales, mq_qstats *stats);

#endif

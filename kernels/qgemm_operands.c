/* qgemm_operands.c: the quantized operands of mq_qmatmul (qgemm_impl.h):
 * decoded values, scales and where each scale lives, integer images, and
 * the segments of K on which both operands' scales are constant. */
#include "qgemm_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mq_qg_operand_free(mq_qg_operand *o)
{
	free(o->v);
	free(o->c8);
	free(o->sc);
	free(o->hi);
	free(o->lo);
	free(o->bad);
}

/* Decode the n = rows * cols codes unscaled into o->v, as laid out or
 * transposed (cols x rows). */
static mq_status decode_into(mq_qg_operand *o, const mq_format *f, const void *codes,
                             size_t rows, size_t cols, int transpose)
{
	if (!transpose)
		return mq_decode(f, codes, rows * cols, 1.0f, o->v);
	/* One row of codes at a time through a row buffer, so that the
	 * transpose costs no second copy of the operand. */
	float *tmp = malloc(cols * sizeof *tmp);
	size_t csz = f->bits > 8 ? 2 : 1;
	mq_status s = tmp ? MQ_OK : MQ_ENOMEM;
	for (size_t r = 0; r < rows && s == MQ_OK; r++) {
		s = mq_decode(f, (const unsigned char *)codes + r * cols * csz, cols, 1.0f, tmp);
		for (size_t c = 0; c < cols; c++)
			o->v[c * rows + r] = tmp[c];
	}
	free(tmp);
	return s;
}

/* Where the scales are (scale.h numbers groups row-major over the scaled
 * axes, the block index of K last for an LHS, first for an RHS; a block
 * of B >= K is one block). */
static void locate_scales(mq_qg_operand *o, const mq_granularity *g, mq_operand op,
                          size_t rows, size_t cols)
{
	size_t K = op == MQ_LHS ? cols : rows, free_n = op == MQ_LHS ? rows : cols;
	switch (g->kind) {
	case MQ_GRAN_TENSOR:
		o->istride = 0, o->bstride = 0;
		break;
	case MQ_GRAN_CHANNEL:
	case MQ_GRAN_FINE:
		o->istride = 1, o->bstride = 0;
		break;
	case MQ_GRAN_BLOCK: {
		o->block = g->block < K ? g->block : K;
		size_t nblk = (K - 1) / o->block + 1;
		if (op == MQ_LHS)
			o->istride = nblk, o->bstride = 1;
		else
			o->istride = 1, o->bstride = free_n;
		break;
	}
	}
}

/* Non-finite decoded values (MQ_OVF_IEEE): mark their row (L) or column
 * (R).  Finite inputs saturate to finite values otherwise. */
static mq_status mark_bad(mq_qg_operand *o, const mq_qspec *q, mq_operand op, size_t rows,
                          size_t cols, int transpose)
{
	size_t n = rows * cols, nb = op == MQ_LHS ? rows : cols;
	if (q->ovf == MQ_OVF_IEEE && o->v) /* (INT has no inf or NaN) */
		for (size_t i = 0; i < n; i++)
			o->anybad |= !isfinite(o->v[i]);
	if (!o->anybad)
		return MQ_OK;
	o->bad = calloc(nb, 1);
	if (!o->bad)
		return MQ_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(o->v[i]))
			o->bad[op == MQ_LHS ? i / cols : transpose ? i / rows : i % cols] = 1;
	return MQ_OK;
}

mq_status mq_qg_operand_make(mq_qg_operand *o, const mq_qoperand *spec, mq_operand op,
                             size_t rows, size_t cols, const float *x, int transpose,
                             int keep_codes, mq_qstats *stats)
{
	memset(o, 0, sizeof *o);
	mq_layout lay;
	mq_status s = mq_layout_matrix(&lay, rows, cols, op);
	if (s != MQ_OK)
		return s;
	size_t ns = mq_scale_count(&lay, &spec->gran);
	if (ns == 0)
		return MQ_EGRAN;
	size_t n = rows * cols;
	void *codes = malloc(n * (spec->q.fmt.bits > 8 ? 2 : 1));
	o->v = keep_codes ? NULL : malloc(n * sizeof *o->v);
	o->sc = malloc(ns * sizeof *o->sc);
	if (!codes || (!keep_codes && !o->v) || !o->sc) {
		free(codes);
		return MQ_ENOMEM;
	}
	s = mq_quantize_tensor(&spec->q, &lay, &spec->gran, spec->mode, x, NULL,
	                       codes, o->sc, stats);
	if (keep_codes) {
		o->c8 = codes; /* INT8 two's complement codes: the values */
		codes = NULL;
	} else if (s == MQ_OK) {
		s = decode_into(o, &spec->q.fmt, codes, rows, cols, transpose);
	}
	free(codes);
	if (s != MQ_OK)
		return s;
	locate_scales(o, &spec->gran, op, rows, cols);
	o->u = spec->q.fmt.min_subnormal;
	return mark_bad(o, &spec->q, op, rows, cols, transpose);
}

/* Integer images for the EXACT loops: narrow, v/u in one int32 (|image| <
 * 2^31); wide, image = hi * 2^16 + lo with 0 <= lo < 2^16, |hi| <= 2^16.
 * Non-finite values get image 0 (their outputs are recomputed). */
mq_status mq_qg_operand_images(mq_qg_operand *o, size_t n, int wide)
{
	o->hi = malloc(n * sizeof *o->hi);
	if (wide)
		o->lo = malloc(n * sizeof *o->lo);
	if (!o->hi || (wide && !o->lo))
		return MQ_ENOMEM;
	double inv = 1.0 / o->u; /* a power of two: the product is exact */
	for (size_t i = 0; i < n; i++) {
		double v = isfinite(o->v[i]) ? (double)o->v[i] * inv : 0.0;
		int64_t im = (int64_t)v;
		if (wide) {
			int64_t lo = im & 0xffff; /* two's complement: im - lo is a multiple of 2^16 */
			o->hi[i] = (int32_t)((im - lo) / 65536);
			o->lo[i] = (int32_t)lo;
		} else {
			o->hi[i] = (int32_t)im;
		}
	}
	return MQ_OK;
}

/* Largest image and the number of trailing zero bits common to all
 * nonzero images of v (values are multiples of u, images < 2^32).  In
 * float32: |v| / u = |v| * 2^-log2(u) is exact (1/u <= 2^126 for the
 * formats of exact_ok), an integer; the max first, then, where images
 * stay below 2^31 (all but e5m2-like ranges), their OR through int32
 * conversions, which vectorize with SSE2 (uint32 ones do not). */
void mq_qg_image_range(const float *v, size_t n, double u, double *maxim, int *tz)
{
	float inv = (float)(1.0 / u), mx;
	int32_t mb = 0; /* the max as bits: |v| bits order as the values (no NaN here) */
	for (size_t i = 0; i < n; i++) {
		int32_t b;
		memcpy(&b, &v[i], 4);
		b &= 0x7fffffff;
		mb = b > mb ? b : mb;
	}
	memcpy(&mx, &mb, 4);
	mx *= inv;
	uint32_t orbits = 0;
	if (mx < 2147483648.0f) {
		for (size_t i = 0; i < n; i++)
			orbits |= (uint32_t)(int32_t)(fabsf(v[i]) * inv);
	} else {
		for (size_t i = 0; i < n; i++)
			orbits |= (uint32_t)(fabsf(v[i]) * inv);
	}
	int z = 0;
	if (orbits)
		while (!(orbits & 1u))
			orbits >>= 1, z++;
	*maxim = (double)mx;
	*tz = z;
}

/* The longest segment of K (mq_qg_make_segments). */
size_t mq_qg_seg_max(const mq_qg_job *jb)
{
	size_t kmax = 0;
	for (size_t s = 0; s < jb->nseg; s++)
		if (jb->seg[s + 1] - jb->seg[s] > kmax)
			kmax = jb->seg[s + 1] - jb->seg[s];
	return kmax;
}

mq_status mq_qg_make_segments(mq_qg_job *jb)
{
	size_t K = jb->K, bl = jb->l.block, br = jb->r.block;
	/* The number of segments is at most K/bl + K/br + 1. */
	size_t cap = 2;
	if (bl) cap += K / bl + 1;
	if (br) cap += K / br + 1;
	jb->seg = malloc(cap * sizeof *jb->seg);
	jb->lblk = malloc(cap * sizeof *jb->lblk);
	jb->rblk = malloc(cap * sizeof *jb->rblk);
	if (!jb->seg || !jb->lblk || !jb->rblk)
		return MQ_ENOMEM;
	size_t n = 0, k = 0;
	while (k < K) {
		size_t e = K;
		if (bl && (k / bl + 1) * bl < e) e = (k / bl + 1) * bl;
		if (br && (k / br + 1) * br < e) e = (k / br + 1) * br;
		jb->seg[n] = k;
		jb->lblk[n] = bl ? k / bl : 0;
		jb->rblk[n] = br ? k / br : 0;
		n++;
		k = e;
	}
	jb->seg[n] = K;
	jb->nseg = n;
	return MQ_OK;
}

/* scale.c: absmax scale groups over a tensor layout (paper Eq. 1).
 *
 * Every granularity reduces to one rule per axis: the index along the axis
 * is divided by div[a] to give the axis's coordinate in the scale-group
 * grid (div = 1: a scale per index; div = dim: shared along the axis;
 * div = B: per block).  The group id is the row-major position in that
 * grid.  The tensor is walked as [outer rows] x [last axis] so that the
 * last axis, contiguous in memory, becomes one mq_quantize_run call with
 * its own scale divisor. */
#include "scale.h"

#include "bits.h"
#include "names.h"
#include "qkern.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANS(X) X("tensor", MQ_GRAN_TENSOR) X("channel", MQ_GRAN_CHANNEL) \
	X("fine", MQ_GRAN_FINE)
#define SCALES(X) X("fp32", MQ_SCALE_FP32) X("pow2", MQ_SCALE_POW2)
#define ROLES(X) X("lhs", MQ_LHS) X("rhs", MQ_RHS)
static const mq_name grans[] = {GRANS(MQ_NAME_ROW)};
static const mq_name scales[] = {SCALES(MQ_NAME_ROW)};
static const mq_name roles[] = {ROLES(MQ_NAME_ROW)};
#define NROWS(t) (sizeof t / sizeof t[0])

const char *mq_gran_known(void)
{
	return MQ_KNOWN(GRANS, ", block:B");
}

const char *mq_scale_mode_known(void)
{
	return MQ_KNOWN(SCALES, "");
}

const char *mq_role_known(void)
{
	return MQ_KNOWN(ROLES, "");
}

mq_status mq_role_parse(const char *name, mq_operand *op)
{
	int v = mq_name_find(roles, NROWS(roles), name);
	if (v < 0)
		return MQ_EOPTION;
	*op = (mq_operand)v;
	return MQ_OK;
}

mq_status mq_gran_parse(const char *name, mq_granularity *g)
{
	if (!name || !g)
		return MQ_EGRAN;
	g->block = 0;
	int kind = mq_name_find(grans, NROWS(grans), name);
	if (kind >= 0)
		g->kind = (mq_gran_kind)kind;
	else if (!strncmp(name, "block:", 6)) {
		const char *p = name + 6;
		size_t b = 0;
		int nd = 0;
		while (*p >= '0' && *p <= '9' && nd < 10)
			b = b * 10 + (size_t)(*p++ - '0'), nd++;
		if (*p || nd == 0 || b == 0)
			return MQ_EGRAN;
		g->kind = MQ_GRAN_BLOCK;
		g->block = b;
	} else
		return MQ_EGRAN;
	return MQ_OK;
}

const char *mq_gran_name(const mq_granularity *g, char *buf, size_t len)
{
	if (g->kind == MQ_GRAN_BLOCK)
		snprintf(buf, len, "block:%zu", g->block);
	else
		snprintf(buf, len, "%s", mq_name_of(grans, NROWS(grans), (int)g->kind));
	return buf;
}

mq_status mq_scale_mode_parse(const char *name, mq_scale_mode *m)
{
	int v = mq_name_find(scales, NROWS(scales), name);
	if (v < 0)
		return MQ_EOPTION;
	*m = (mq_scale_mode)v;
	return MQ_OK;
}

mq_status mq_layout_matrix(mq_layout *l, size_t rows, size_t cols, mq_operand op)
{
	memset(l, 0, sizeof *l);
	l->ndim = 2;
	l->dim[0] = rows;
	l->dim[1] = cols;
	l->role[0] = op == MQ_LHS ? MQ_AXIS_FREE : MQ_AXIS_CONTRACT;
	l->role[1] = op == MQ_LHS ? MQ_AXIS_CONTRACT : MQ_AXIS_FREE;
	return mq_layout_check(l);
}

mq_status mq_layout_batched(mq_layout *l, size_t batch, size_t rows, size_t cols,
                            mq_operand op)
{
	memset(l, 0, sizeof *l);
	l->ndim = 3;
	l->dim[0] = batch;
	l->dim[1] = rows;
	l->dim[2] = cols;
	l->role[0] = MQ_AXIS_EXAMPLE;
	l->role[1] = op == MQ_LHS ? MQ_AXIS_FREE : MQ_AXIS_CONTRACT;
	l->role[2] = op == MQ_LHS ? MQ_AXIS_CONTRACT : MQ_AXIS_FREE;
	return mq_layout_check(l);
}

mq_status mq_layout_check(const mq_layout *l)
{
	if (!l || l->ndim < 1 || l->ndim > MQ_MAXDIM)
		return MQ_ESHAPE;
	int ncontract = 0, nexample = 0;
	for (int a = 0; a < l->ndim; a++) {
		if (l->dim[a] == 0)
			return MQ_ESHAPE;
		ncontract += l->role[a] == MQ_AXIS_CONTRACT;
		nexample += l->role[a] == MQ_AXIS_EXAMPLE;
		if ((unsigned)l->role[a] > MQ_AXIS_EXAMPLE)
			return MQ_ESHAPE;
	}
	return ncontract > 1 || nexample > 1 ? MQ_ESHAPE : MQ_OK;
}

size_t mq_layout_size(const mq_layout *l)
{
	size_t n = 1;
	for (int a = 0; a < l->ndim; a++)
		n *= l->dim[a];
	return n;
}

/* Per axis (padded to 4 leading axes of size 1): dims, index divisors and
 * group-grid strides. */
typedef struct {
	size_t dim[MQ_MAXDIM], div[MQ_MAXDIM], gstride[MQ_MAXDIM];
	size_t ngroups;
} grid;

static mq_status make_grid(const mq_layout *l, const mq_granularity *g, grid *gr)
{
	mq_status s = mq_layout_check(l);
	if (s != MQ_OK)
		return s;
	if (!g || (g->kind == MQ_GRAN_BLOCK && g->block == 0))
		return MQ_EGRAN;
	int has_contract = 0;
	for (int a = 0; a < l->ndim; a++)
		has_contract |= l->role[a] == MQ_AXIS_CONTRACT;
	if (g->kind == MQ_GRAN_BLOCK && !has_contract)
		return MQ_ESHAPE;
	int pad = MQ_MAXDIM - l->ndim;
	size_t gdim[MQ_MAXDIM];
	for (int a = 0; a < MQ_MAXDIM; a++) {
		if (a < pad) {
			gr->dim[a] = gr->div[a] = 1;
			gdim[a] = 1;
			continue;
		}
		size_t d = l->dim[a - pad];
		mq_axis_role r = l->role[a - pad];
		size_t div = d; /* shared along the axis unless said otherwise */
		if (g->kind == MQ_GRAN_CHANNEL || g->kind == MQ_GRAN_BLOCK)
			div = r == MQ_AXIS_FREE ? 1 : d;
		if (g->kind == MQ_GRAN_FINE)
			div = r == MQ_AXIS_FREE || r == MQ_AXIS_BATCH ? 1 : d;
		if (g->kind == MQ_GRAN_BLOCK && r == MQ_AXIS_CONTRACT)
			div = g->block < d ? g->block : d;
		gr->dim[a] = d;
		gr->div[a] = div;
		gdim[a] = (d - 1) / div + 1;
	}
	size_t st = 1;
	for (int a = MQ_MAXDIM - 1; a >= 0; a--) {
		gr->gstride[a] = st;
		st *= gdim[a];
	}
	gr->ngroups = st;
	return MQ_OK;
}

size_t mq_scale_count(const mq_layout *l, const mq_granularity *g)
{
	grid gr;
	return make_grid(l, g, &gr) == MQ_OK ? gr.ngroups : 0;
}

/* The tensor is walked as nrows rows of its last axis; row r starts at
 * r * dim[3] and its first element belongs to group row_group(gr, r). */
static size_t nrows(const grid *gr)
{
	return gr->dim[0] * gr->dim[1] * gr->dim[2];
}

static size_t row_group(const grid *gr, size_t r)
{
	size_t i2 = r % gr->dim[2], i1 = (r / gr->dim[2]) % gr->dim[1];
	size_t i0 = r / (gr->dim[2] * gr->dim[1]);
	return (i0 / gr->div[0]) * gr->gstride[0] + (i1 / gr->div[1]) * gr->gstride[1] +
	       (i2 / gr->div[2]) * gr->gstride[2];
}

mq_status mq_scale_groups(const mq_layout *l, const mq_granularity *g, size_t *gid)
{
	grid gr;
	mq_status s = make_grid(l, g, &gr);
	if (s != MQ_OK)
		return s;
	size_t n3 = gr.dim[3], d3 = gr.div[3], s3 = gr.gstride[3];
	for (size_t r = 0; r < nrows(&gr); r++) {
		size_t gb = row_group(&gr, r);
		for (size_t j = 0; j < n3; j++)
			gid[r * n3 + j] = gb + (j / d3) * s3;
	}
	return MQ_OK;
}

/* The smallest power of two p with a / p <= fmax, for a > 0 finite. */
static float pow2_scale(float a, float fmax)
{
	int k = ilogbf(a) - ilogbf(fmax);
	/* a / 2^k is within a factor 4 of fmax: adjust by one step at a time,
	 * comparing exactly (a <= fmax * 2^k, computed in double, is exact). */
	while ((double)a > ldexp((double)fmax, k))
		k++;
	while ((double)a <= ldexp((double)fmax, k - 1))
		k--;
	if (k < -149)
		k = -149;
	return ldexpf(1.0f, k);
}

static float scale_of(float amax, const mq_format *f, mq_scale_mode mode)
{
	if (amax == 0.0f)
		return 1.0f;
	float s = mode == MQ_SCALE_POW2 ? pow2_scale(amax, f->max) : amax / f->max;
	return s > 0.0f ? s : 1.4e-45f; /* smallest float32 subnormal */
}

/* max(m, the |x| bit patterns of x[0..n)).  Float32 bits of a magnitude
 * order as the values do, and NaN > inf > every finite value, so one
 * integer max per element gives the absmax and whether all were finite:
 * two vector operations an element (no comparison of floats, no flag). */
static inline uint32_t amax_bits(const float *restrict x, size_t n, uint32_t m)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t b;
		memcpy(&b, &x[i], 4);
		b &= 0x7fffffffu;
		m = b > m ? b : m;
	}
	return m;
}

#define F32_MAX_BITS 0x7f7fffffu


/* Fold the absmax of rows [r0, r1) into sc[g - g0] for their groups g0 ..
 * g0 + w - 1, kept there as float32 bits of the max (float_of_bits); returns
 * the largest.  (Bits go through memcpy: float and uint32_t may not alias.) */
static uint32_t rows_amax(const grid *gr, const float *x, size_t r0, size_t r1, size_t g0,
                          float *sc)
{
	size_t n3 = gr->dim[3], d3 = gr->div[3], s3 = gr->gstride[3];
	uint32_t worst = 0;
	for (size_t r = r0; r < r1; r++) {
		size_t gb = row_group(gr, r) - g0;
		const float *row = x + r * n3;
		if (d3 == 1 && s3 == 1) { /* a group per column (an RHS's channels): one pass */
			float *g = sc + gb;
			uint32_t m = 0;
			for (size_t j = 0; j < n3; j++) {
				uint32_t b = mq_f2u(row[j]) & 0x7fffffffu, c = mq_f2u(g[j]);
				c = b > c ? b : c;
				g[j] = mq_u2f(c);
				m = c > m ? c : m;
			}
			worst = m > worst ? m : worst;
			continue;
		}
		for (size_t j0 = 0; j0 < n3; j0 += d3) {
			size_t end = j0 + d3 < n3 ? j0 + d3 : n3;
			float *g = &sc[gb + (j0 / d3) * s3];
			uint32_t m = amax_bits(row + j0, end - j0, mq_f2u(*g));
			*g = mq_u2f(m);
			worst = m > worst ? m : worst;
		}
	}
	return worst;
}

mq_status mq_absmax_scales(const mq_layout *l, const mq_granularity *g,
                           const mq_format *f, mq_scale_mode mode,
                           const float *x, float *scales)
{
	grid gr;
	mq_status s = make_grid(l, g, &gr);
	if (s != MQ_OK)
		return s;
	if (f->kind == MQ_KIND_E8M0)
		return MQ_EOPTION; /* unsigned scale format: no symmetric quantization */
	for (size_t k = 0; k < gr.ngroups; k++)
		scales[k] = 0.0f; /* maxima first, then scales */
	if (rows_amax(&gr, x, 0, nrows(&gr), 0, scales) > F32_MAX_BITS)
		return MQ_ENONFINITE;
	for (size_t k = 0; k < gr.ngroups; k++)
		scales[k] = scale_of(scales[k], f, mode);
	return MQ_OK;
}

/* Rows r and r' share a group only if row_group(r) == row_group(r'), and
 * the groups of row r are row_group(r) + 0 .. w - 1, w = gstride[2]
 * (groups along the last axis).  If row_group never decreases, a run of
 * rows with one row_group holds all the elements of its groups: its scales
 * are final once the run is read, and the run can be quantized while it is
 * still in cache.  That is one pass over memory for LHS channel and
 * block:B granularities and RHS block:B (runs of one row, or of B rows), and
 * two, as it must be, where a group spans the tensor (tensor, RHS channel). */
static int rows_monotone(const grid *gr)
{
	size_t prev = 0;
	for (size_t r = 0; r < nrows(gr); r++) {
		size_t g = row_group(gr, r);
		if (g < prev)
			return 0;
		prev = g;
	}
	return 1;
}

mq_status mq_quantize_tensor(const mq_qspec *q, const mq_layout *l,
                             const mq_granularity *g, mq_scale_mode mode,
                             const float *x, float *y, void *codes,
                             float *scales, mq_qstats *stats)
{
	grid gr;
	mq_status s = make_grid(l, g, &gr);
	if (s != MQ_OK)
		return s;
	if (q->fmt.kind == MQ_KIND_E8M0)
		return MQ_EOPTION;
	mq_qprep pp;
	if ((s = mq_qprep_init(&pp, q)) != MQ_OK)
		return s;
	float *own = NULL;
	if (!scales) {
		own = malloc(gr.ngroups * sizeof *own);
		if (!own)
			return MQ_ENOMEM;
		scales = own;
	}
	size_t R = nrows(&gr), n3 = gr.dim[3], d3 = gr.div[3];
	size_t w = gr.gstride[2]; /* groups of one row */
	int wide = q->fmt.bits > 8;
	int mono = rows_monotone(&gr);
	for (size_t r0 = 0; r0 < R && s == MQ_OK;) {
		/* the run [r0, r1) and its groups g0 .. g0 + w - 1; without
		 * monotone rows, the whole tensor and all its groups */
		size_t g0 = mono ? row_group(&gr, r0) : 0, r1 = r0 + 1, ng = mono ? w : gr.ngroups;
		if (mono)
			while (r1 < R && row_group(&gr, r1) == g0)
				r1++;
		else
			r1 = R;
		for (size_t k = 0; k < ng; k++)
			scales[g0 + k] = 0.0f; /* maxima first, then scales */
		if (rows_amax(&gr, x, r0, r1, g0, scales + g0) > F32_MAX_BITS) {
			s = MQ_ENONFINITE; /* y and codes hold the rows before this run */
			break;
		}
		for (size_t k = 0; k < ng; k++)
			scales[g0 + k] = scale_of(scales[g0 + k], &q->fmt, mode);
		/* The last axis is the innermost of the group grid (gstride[3] ==
		 * 1), so a row's scales are contiguous from its first group: one
		 * run of the kernel per row with the last axis's divisor. */
		for (size_t r = r0; r < r1; r++) {
			size_t off = r * n3;
			void *c = NULL;
			if (codes)
				c = wide ? (void *)((uint16_t *)codes + off) : (void *)((uint8_t *)codes + off);
			mq_qprep_run(&pp, x + off, n3, scales + row_group(&gr, r), d3 == n3 ? SIZE_MAX : d3,
			             off, y ? y + off : NULL, c, stats);
		}
		r0 = r1;
	}
	free(own);
	return s;
}

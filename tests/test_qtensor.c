/* test_qtensor.c: mq_quantize_tensor, which scales and quantizes runs of
 * rows while they are in cache (scale.c), against the element-wise
 * definition: scales from mq_absmax_scales, group of each element from
 * mq_scale_groups, element i quantized by the scalar path with the word
 * mq_rand32(seed, i) at its group's scale.  Layouts whose rows are
 * monotone in their groups (LHS channel, block:B, RHS block:B) and those
 * that are not (batched channel, RHS channel, tensor); in place (y == x)
 * and out of place; codes and stats; NaN and Inf refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"

static long failures, checks;

static uint32_t fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

static uint32_t state = 12345;
static float frand(void)
{
	state = state * 1664525u + 1013904223u;
	float v = (float)(state >> 8) / 16777216.0f - 0.5f;
	/* a spread of magnitudes, some zeros */
	int e = (int)((state >> 3) % 24) - 12;
	return (state & 7) == 0 ? 0.0f : ldexpf(v, e);
}

static void one(const char *fmt, const char *rnd, const mq_layout *l, const char *gname,
                int inplace)
{
	mq_qspec q;
	mq_granularity g;
	if (mq_qspec_init(&q, fmt, rnd) != MQ_OK || mq_gran_parse(gname, &g) != MQ_OK) {
		printf("FAIL init %s %s %s\n", fmt, rnd, gname);
		failures++;
		return;
	}
	q.seed = 99;
	size_t n = mq_layout_size(l), ng = mq_scale_count(l, &g);
	if (ng == 0)
		return; /* granularity does not fit this layout */
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *sc = malloc(ng * sizeof *sc);
	float *sref = malloc(ng * sizeof *sref);
	size_t *gid = malloc(n * sizeof *gid);
	uint16_t *codes = malloc(n * sizeof *codes);
	if (!x || !y || !sc || !sref || !gid || !codes)
		exit(2);
	for (size_t i = 0; i < n; i++)
		x[i] = frand();
	checks++;
	if (mq_absmax_scales(l, &g, &q.fmt, MQ_SCALE_FP32, x, sref) != MQ_OK ||
	    mq_scale_groups(l, &g, gid) != MQ_OK) {
		printf("FAIL reference %s %s\n", fmt, gname);
		failures++;
		goto out;
	}
	mq_qstats st = {0};
	float *xin = x;
	if (inplace) {
		memcpy(y, x, n * sizeof *x);
		xin = y;
	}
	mq_status s = mq_quantize_tensor(&q, l, &g, MQ_SCALE_FP32, xin, y, codes, sc, &st);
	if (s != MQ_OK) {
		printf("FAIL %s %s %s: %s\n", fmt, rnd, gname, mq_strerror(s));
		failures++;
		goto out;
	}
	long bad = 0;
	for (size_t k = 0; k < ng; k++)
		bad += fbits(sc[k]) != fbits(sref[k]);
	mq_qstats e = {n, 0, 0, 0};
	int wide = q.fmt.bits > 8;
	for (size_t i = 0; i < n && bad < 5; i++) {
		float s1 = sref[gid[i]], v = x[i] / s1;
		uint32_t r = mq_rand32(q.seed, i);
		float want = mq_fakequant1(&q, v, r) * s1;
		uint32_t wc = mq_encode1(&q, v, r);
		uint32_t gc = wide ? codes[i] : ((uint8_t *)codes)[i];
		if (fbits(want) != fbits(y[i]) || wc != gc) {
			if (bad < 3)
				printf("FAIL %s %s %s%s: i=%zu x=%a: y %a code %x, want %a %x\n", fmt, rnd,
				       gname, inplace ? " in place" : "", i, (double)x[i], (double)y[i], gc,
				       (double)want, wc);
			bad++;
		}
		if (fabsf(v) > q.fmt.max)
			e.clipped++;
		else if (v != 0 && mq_fakequant1(&q, v, r) == 0)
			e.underflowed++;
	}
	checks++;
	if (bad || memcmp(&st, &e, sizeof st)) {
		failures++;
		if (!bad)
			printf("FAIL %s %s %s: stats %llu/%llu/%llu, want %llu/%llu/%llu\n", fmt, rnd, gname,
			       (unsigned long long)st.n, (unsigned long long)st.clipped,
			       (unsigned long long)st.underflowed, (unsigned long long)e.n,
			       (unsigned long long)e.clipped, (unsigned long long)e.underflowed);
	}
	/* a NaN or an Inf anywhere: refused */
	for (int k = 0; k < 2; k++) {
		memcpy(y, x, n * sizeof *x);
		y[(n * (k + 1)) / 3] = k ? INFINITY : NAN;
		checks++;
		if (mq_quantize_tensor(&q, l, &g, MQ_SCALE_FP32, y, y, NULL, NULL, NULL) != MQ_ENONFINITE) {
			printf("FAIL %s %s: %s not refused\n", fmt, gname, k ? "inf" : "nan");
			failures++;
		}
	}
out:
	free(x), free(y), free(sc), free(sref), free(gid), free(codes);
}

int main(void)
{
	static const char *grans[] = {"tensor", "channel", "fine", "block:32", "block:7", "block:1000"};
	static const char *fmts[] = {"e4m3", "int8", "bf16"};
	static const char *rnds[] = {"rtne", "sr"};
	mq_layout ls[8];
	int nl = 0;
	mq_layout_matrix(&ls[nl++], 37, 300, MQ_LHS);
	mq_layout_matrix(&ls[nl++], 300, 37, MQ_RHS);
	mq_layout_matrix(&ls[nl++], 1, 5000, MQ_LHS);
	mq_layout_batched(&ls[nl++], 3, 17, 64, MQ_LHS);
	mq_layout_batched(&ls[nl++], 3, 64, 17, MQ_RHS);
	/* 4-D: example, batch (heads), free, contract */
	mq_layout *l4 = &ls[nl++];
	memset(l4, 0, sizeof *l4);
	l4->ndim = 4;
	size_t d[4] = {2, 3, 5, 40};
	mq_axis_role r[4] = {MQ_AXIS_EXAMPLE, MQ_AXIS_BATCH, MQ_AXIS_FREE, MQ_AXIS_CONTRACT};
	for (int a = 0; a < 4; a++)
		l4->dim[a] = d[a], l4->role[a] = r[a];
	for (int li = 0; li < nl; li++)
		for (size_t gi = 0; gi < sizeof grans / sizeof grans[0]; gi++)
			for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++)
				for (size_t m = 0; m < 2; m++)
					for (int ip = 0; ip < 2; ip++)
						one(fmts[f], rnds[m], &ls[li], grans[gi], ip);
	printf("test_qtensor: %ld checks, %ld failed\n", checks, failures);
	return failures != 0;
}

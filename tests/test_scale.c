/* test_scale.c: absmax scaling at every granularity, against scales worked
 * out by brute force over explicit (row, column) index sets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "check.h"

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return ((float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f) * (float)(1 + (*s & 7));
}

/* absmax over elements (i, k) of an R x C row-major matrix in the given
 * index box, divided by fmax. */
static float box_scale(const float *x, size_t C, size_t r0, size_t r1, size_t c0,
                       size_t c1, float fmax)
{
	float m = 0;
	for (size_t i = r0; i < r1; i++)
		for (size_t k = c0; k < c1; k++)
			m = fmaxf(m, fabsf(x[i * C + k]));
	return m == 0 ? 1.0f : m / fmax;
}

static void test_matrix(const char *fmtname, mq_operand op, const char *gname)
{
	const size_t R = 7, C = 13;
	float x[7 * 13];
	unsigned seed = 42;
	for (size_t i = 0; i < R * C; i++)
		x[i] = frand(&seed);
	x[3] = 0; /* a zero in the data */
	mq_qspec q;
	CHECK(mq_qspec_init(&q, fmtname, "rtne") == MQ_OK, "init %s", fmtname);
	mq_layout l;
	CHECK(mq_layout_matrix(&l, R, C, op) == MQ_OK, "layout");
	mq_granularity g;
	CHECK(mq_gran_parse(gname, &g) == MQ_OK, "gran %s", gname);
	size_t ns = mq_scale_count(&l, &g);
	float *sc = calloc(ns, sizeof *sc);
	float y[7 * 13];
	size_t gid[7 * 13];
	mq_qstats st = {0};
	CHECK(mq_quantize_tensor(&q, &l, &g, MQ_SCALE_FP32, x, y, NULL, sc, &st) == MQ_OK,
	      "quantize");
	CHECK(mq_scale_groups(&l, &g, gid) == MQ_OK, "groups");
	CHECK(st.n == R * C, "stats n");
	/* expected: for each element, the box of elements sharing its scale */
	size_t B = g.kind == MQ_GRAN_BLOCK ? g.block : 0;
	for (size_t i = 0; i < R; i++)
		for (size_t k = 0; k < C; k++) {
			size_t r0 = 0, r1 = R, c0 = 0, c1 = C;
			if (g.kind != MQ_GRAN_TENSOR) {
				if (op == MQ_LHS) /* rows free, columns contracted */
					r0 = i, r1 = i + 1;
				else
					c0 = k, c1 = k + 1;
			}
			if (B) {
				if (op == MQ_LHS)
					c0 = k / B * B, c1 = c0 + B < C ? c0 + B : C;
				else
					r0 = i / B * B, r1 = r0 + B < R ? r0 + B : R;
			}
			float s = box_scale(x, C, r0, r1, c0, c1, q.fmt.max);
			float got = sc[gid[i * C + k]];
			CHECK(got == s, "%s %s %s: scale of (%zu,%zu) = %g, want %g", fmtname,
			      op == MQ_LHS ? "lhs" : "rhs", gname, i, k, got, s);
			float want = mq_fakequant1(&q, x[i * C + k] / s, 0) * s;
			CHECK(memcmp(&want, &y[i * C + k], 4) == 0, "value (%zu,%zu) %g want %g", i,
			      k, y[i * C + k], want);
			/* every group's absmax element lands exactly on +-max (or
			 * within one rounding of the scale) and nothing clips by more */
			CHECK(fabsf(y[i * C + k]) <= s * q.fmt.max * 1.0000002f, "beyond max");
		}
	/* expected group count */
	size_t want_ns = 1;
	if (g.kind == MQ_GRAN_CHANNEL || g.kind == MQ_GRAN_FINE)
		want_ns = op == MQ_LHS ? R : C;
	if (B)
		want_ns = op == MQ_LHS ? R * ((C + B - 1) / B) : C * ((R + B - 1) / B);
	CHECK(ns == want_ns, "%s %s: %zu groups, want %zu", gname,
	      op == MQ_LHS ? "lhs" : "rhs", ns, want_ns);
	free(sc);
}

static void test_fine_batched(void)
{
	/* [B=2, H=3, T=4, D=5]: EXAMPLE, BATCH, FREE, CONTRACT.  channel: per T
	 * (shared over examples and heads); fine: per (H, T). */
	mq_layout l = {4, {2, 3, 4, 5}, {MQ_AXIS_EXAMPLE, MQ_AXIS_BATCH, MQ_AXIS_FREE, MQ_AXIS_CONTRACT}};
	float x[120];
	for (int i = 0; i < 120; i++)
		x[i] = (float)((i * 37) % 101) - 50.0f;
	mq_granularity ch, fi;
	mq_gran_parse("channel", &ch);
	mq_gran_parse("fine", &fi);
	CHECK(mq_scale_count(&l, &ch) == 4, "channel groups %zu", mq_scale_count(&l, &ch));
	CHECK(mq_scale_count(&l, &fi) == 12, "fine groups %zu", mq_scale_count(&l, &fi));
	mq_format f;
	mq_format_get("int8", &f);
	float sf[12];
	CHECK(mq_absmax_scales(&l, &fi, &f, MQ_SCALE_FP32, x, sf) == MQ_OK, "fine scales");
	for (int h = 0; h < 3; h++)
		for (int t = 0; t < 4; t++) {
			float m = 0;
			for (int b = 0; b < 2; b++)
				for (int d = 0; d < 5; d++)
					m = fmaxf(m, fabsf(x[((b * 3 + h) * 4 + t) * 5 + d]));
			CHECK(sf[h * 4 + t] == m / 127.0f, "fine scale h%d t%d", h, t);
		}
}

static void test_edges(void)
{
	mq_qspec q;
	mq_qspec_init(&q, "e4m3", "rtne");
	mq_layout l;
	mq_layout_matrix(&l, 2, 3, MQ_LHS);
	mq_granularity g;
	mq_gran_parse("channel", &g);
	/* an all-zero row gets scale 1 and stays (signed) zero */
	float x[6] = {0, -0.0f, 0, 1, -2, 3}, y[6], sc[2];
	CHECK(mq_quantize_tensor(&q, &l, &g, MQ_SCALE_FP32, x, y, NULL, sc, NULL) == MQ_OK, "zeros");
	CHECK(sc[0] == 1.0f && y[0] == 0 && signbit(y[1]) && y[5] == 3.0f, "zero row");
	/* non-finite data is refused */
	x[4] = NAN;
	CHECK(mq_quantize_tensor(&q, &l, &g, MQ_SCALE_FP32, x, y, NULL, sc, NULL) == MQ_ENONFINITE, "nan");
	x[4] = -INFINITY;
	CHECK(mq_quantize_tensor(&q, &l, &g, MQ_SCALE_FP32, x, y, NULL, sc, NULL) == MQ_ENONFINITE, "inf");
	/* pow2: smallest power of two with absmax / p <= max, never clips */
	float z[3] = {448.0f, 449.0f, 0.1f}, s2;
	mq_layout l1;
	mq_layout_matrix(&l1, 1, 1, MQ_LHS);
	mq_gran_parse("tensor", &g);
	CHECK(mq_absmax_scales(&l1, &g, &q.fmt, MQ_SCALE_POW2, &z[0], &s2) == MQ_OK && s2 == 1.0f, "pow2 448 -> %g", s2);
	mq_absmax_scales(&l1, &g, &q.fmt, MQ_SCALE_POW2, &z[1], &s2);
	CHECK(s2 == 2.0f, "pow2 449 -> %g", s2);
	mq_absmax_scales(&l1, &g, &q.fmt, MQ_SCALE_POW2, &z[2], &s2);
	CHECK(s2 == ldexpf(1, -12), "pow2 0.1 -> %g", s2); /* 0.1*4096 = 409.6 <= 448 < 819.2 */
	/* a subnormal absmax still yields a positive scale */
	float tiny = 1e-44f;
	mq_absmax_scales(&l1, &g, &q.fmt, MQ_SCALE_FP32, &tiny, &s2);
	CHECK(s2 > 0, "tiny scale");
	/* bad granularities and layouts */
	mq_granularity bad;
	CHECK(mq_gran_parse("block:0", &bad) == MQ_EGRAN, "block:0");
	CHECK(mq_gran_parse("block:", &bad) == MQ_EGRAN, "block:");
	CHECK(mq_gran_parse("chanel", &bad) == MQ_EGRAN, "chanel");
	CHECK(mq_layout_matrix(&l, 0, 3, MQ_LHS) == MQ_ESHAPE, "zero dim");
	mq_qspec e8;
	mq_qspec_init(&e8, "e8m0", "rtne");
	CHECK(mq_quantize_tensor(&e8, &l1, &g, MQ_SCALE_FP32, z, y, NULL, NULL, NULL) == MQ_EOPTION, "e8m0 refused");
}

int main(void)
{
	const char *fmts[] = {"int8", "e4m3", "e5m2", "int4", "e2m1"};
	const char *grans[] = {"tensor", "channel", "fine", "block:4", "block:5", "block:32"};
	for (int f = 0; f < 5; f++)
		for (int g = 0; g < 6; g++) {
			test_matrix(fmts[f], MQ_LHS, grans[g]);
			test_matrix(fmts[f], MQ_RHS, grans[g]);
		}
	test_fine_batched();
	test_edges();
	printf("test_scale: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures != 0;
}

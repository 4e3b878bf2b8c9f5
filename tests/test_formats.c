/* test_formats.c: format descriptors, known values, code round trips,
 * parsing, and strided sweeps of the float32 inputs for every named format
 * and a set of generic ones under every deterministic rounding and every
 * overflow/underflow rule, against the independent reference (tests/ref).
 *
 *   test_formats [--stride S]     (default 101: every 101st bit pattern of
 *                                  the range where the format's values lie,
 *                                  every 61*S-th elsewhere) */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "ref.h"

static long checks, failures;

#define CHECK(cond, ...)                                              \
	do {                                                          \
		checks++;                                             \
		if (!(cond)) {                                        \
			failures++;                                   \
			if (failures <= 300) {                        \
				printf("FAIL %s:%d: ", __FILE__, __LINE__); \
				printf(__VA_ARGS__);                  \
				printf("\n");                         \
			}                                             \
		}                                                     \
	} while (0)

static inline uint32_t fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

/* Equal bit patterns, or both NaN. */
static int same(float a, float b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return fbits(a) == fbits(b);
}

static mq_qspec spec(const char *fmt, const char *rnd, mq_overflow o, mq_underflow u)
{
	mq_qspec q;
	mq_status s = mq_qspec_init(&q, fmt, rnd);
	if (s != MQ_OK) {
		printf("FAIL: mq_qspec_init(%s, %s): %s\n", fmt, rnd, mq_strerror(s));
		exit(1);
	}
	q.ovf = o;
	q.unf = u;
	return q;
}

/* ---- known values, from the specifications ---- */

static void known_fq(const char *fmt, const char *rnd, mq_overflow o, mq_underflow u,
                     float x, float want, uint32_t want_code)
{
	mq_qspec q = spec(fmt, rnd, o, u);
	float got = mq_fakequant1(&q, x, 0);
	uint32_t code = mq_encode1(&q, x, 0);
	CHECK(same(got, want), "%s %s ovf=%d unf=%d: fakequant(%.9g) = %.9g, want %.9g",
	      fmt, rnd, o, u, x, got, want);
	CHECK(code == want_code, "%s %s ovf=%d unf=%d: encode(%.9g) = 0x%x, want 0x%x",
	      fmt, rnd, o, u, x, code, want_code);
}

#define SAT MQ_OVF_SATURATE
#define IEEE MQ_OVF_IEEE
#define GRAD MQ_UNF_GRADUAL
#define FLUSH MQ_UNF_FLUSH

static void test_known(void)
{
	const float inf = INFINITY;
	/* OCP FP8 E4M3: bias 7, max 1.75 * 2^8 = 448, no inf, S.1111.111 NaN. */
	known_fq("e4m3", "rtne", SAT, GRAD, 448.0f, 448.0f, 0x7E);
	known_fq("e4m3", "rtne", SAT, GRAD, 416.0f, 416.0f, 0x7D);
	known_fq("e4m3", "rtne", SAT, GRAD, ldexpf(1, -9), ldexpf(1, -9), 0x01);
	known_fq("e4m3", "rtne", SAT, GRAD, ldexpf(1, -6), ldexpf(1, -6), 0x08);
	known_fq("e4m3", "rtne", SAT, GRAD, 0.1f, 0.1015625f, 0x1D);
	known_fq("e4m3", "rtne", SAT, GRAD, -0.1f, -0.1015625f, 0x9D);
	known_fq("e4m3", "rtne", SAT, GRAD, 272.0f, 256.0f, 0x78);   /* tie, 256 even */
	known_fq("e4m3", "rtne", SAT, GRAD, 304.0f, 320.0f, 0x7A);   /* tie, 320 even */
	known_fq("e4m3", "rna", SAT, GRAD, 272.0f, 288.0f, 0x79);
	known_fq("e4m3", "rtz", SAT, GRAD, 319.0f, 288.0f, 0x79);
	known_fq("e4m3", "rtne", SAT, GRAD, 449.0f, 448.0f, 0x7E);
	known_fq("e4m3", "rtne", SAT, GRAD, 1e6f, 448.0f, 0x7E);
	known_fq("e4m3", "rtne", SAT, GRAD, -1e6f, -448.0f, 0xFE);
	known_fq("e4m3", "rtne", SAT, GRAD, inf, 448.0f, 0x7E);
	known_fq("e4m3", "rtne", SAT, GRAD, -inf, -448.0f, 0xFE);
	known_fq("e4m3", "rtne", IEEE, GRAD, 1e6f, NAN, 0x7F);
	known_fq("e4m3", "rtne", IEEE, GRAD, -1e6f, NAN, 0xFF);
	known_fq("e4m3", "rtne", IEEE, GRAD, inf, NAN, 0x7F);
	known_fq("e4m3", "rtne", IEEE, GRAD, 464.0f, 448.0f, 0x7E);  /* tie 448/480: even 448 */
	known_fq("e4m3", "rtne", IEEE, GRAD, 465.0f, NAN, 0x7F);     /* rounds to 480 > max */
	known_fq("e4m3", "rtz", IEEE, GRAD, 1e6f, 448.0f, 0x7E);     /* IEEE 754 7.4 */
	known_fq("e4m3", "rtz", IEEE, GRAD, -1e6f, -448.0f, 0xFE);
	known_fq("e4m3", "rtne", SAT, GRAD, -0.0f, -0.0f, 0x80);
	known_fq("e4m3", "rtne", SAT, GRAD, -1e-10f, -0.0f, 0x80);
	known_fq("e4m3", "rtne", SAT, GRAD, NAN, NAN, 0x7F);
	known_fq("e4m3", "rtne", SAT, GRAD, -NAN, NAN, 0xFF);
	/* OCP FP8 E5M2: bias 15, max 1.75 * 2^15 = 57344, IEEE inf/NaN. */
	known_fq("e5m2", "rtne", SAT, GRAD, 57344.0f, 57344.0f, 0x7B);
	known_fq("e5m2", "rtne", SAT, GRAD, 1e6f, 57344.0f, 0x7B);
	known_fq("e5m2", "rtne", IEEE, GRAD, 1e6f, inf, 0x7C);
	known_fq("e5m2", "rtne", IEEE, GRAD, -1e6f, -inf, 0xFC);
	known_fq("e5m2", "rtne", IEEE, GRAD, 61439.0f, 57344.0f, 0x7B);
	known_fq("e5m2", "rtne", IEEE, GRAD, 61440.0f, inf, 0x7C);  /* tie 57344/65536 */
	known_fq("e5m2", "rtz", IEEE, GRAD, 1e6f, 57344.0f, 0x7B);
	known_fq("e5m2", "rtz", IEEE, GRAD, inf, inf, 0x7C);
	known_fq("e5m2", "rtne", SAT, GRAD, -inf, -57344.0f, 0xFB);
	known_fq("e5m2", "rtne", SAT, GRAD, ldexpf(1, -16), ldexpf(1, -16), 0x01);
	known_fq("e5m2", "rtne", SAT, GRAD, ldexpf(1, -17), 0.0f, 0x00);
	known_fq("e5m2", "rna", SAT, GRAD, ldexpf(1, -17), ldexpf(1, -16), 0x01);
	known_fq("e5m2", "rtne", SAT, GRAD, -NAN, NAN, 0xFE);
	/* IEEE binary16 and bfloat16. */
	known_fq("fp16", "rtne", SAT, GRAD, 65504.0f, 65504.0f, 0x7BFF);
	known_fq("fp16", "rtne", IEEE, GRAD, 65519.0f, 65504.0f, 0x7BFF);
	known_fq("fp16", "rtne", IEEE, GRAD, 65520.0f, inf, 0x7C00);
	known_fq("fp16", "rtne", SAT, GRAD, 65520.0f, 65504.0f, 0x7BFF);
	known_fq("fp16", "rtne", SAT, GRAD, ldexpf(1, -24), ldexpf(1, -24), 0x0001);
	known_fq("fp16", "rtne", SAT, GRAD, 1.0f + ldexpf(1, -11), 1.0f, 0x3C00);
	known_fq("fp16", "rtne", SAT, GRAD, 1.0f + 3 * ldexpf(1, -11), 1.0f + ldexpf(1, -9), 0x3C02);
	known_fq("bf16", "rtne", SAT, GRAD, 1.0f + ldexpf(1, -8), 1.0f, 0x3F80);
	known_fq("bf16", "rtne", SAT, GRAD, 1.0f + 3 * ldexpf(1, -8), 1.0f + ldexpf(1, -6), 0x3F82);
	known_fq("bf16", "rtne", SAT, GRAD, ldexpf(1, -133), ldexpf(1, -133), 0x0001);
	known_fq("bf16", "rtne", IEEE, GRAD, FLT_MAX, inf, 0x7F80);
	known_fq("bf16", "rtne", SAT, GRAD, FLT_MAX, ldexpf(255.0f / 128, 127), 0x7F7F);
	known_fq("bf16", "rtne", SAT, GRAD, -NAN, NAN, 0xFFC0);
	/* INT8: symmetric, -127..127. */
	known_fq("int8", "rtne", SAT, GRAD, 2.5f, 2.0f, 2);
	known_fq("int8", "rtne", SAT, GRAD, 3.5f, 4.0f, 4);
	known_fq("int8", "rna", SAT, GRAD, 2.5f, 3.0f, 3);
	known_fq("int8", "rtz", SAT, GRAD, -2.9f, -2.0f, 0xFE);
	known_fq("int8", "rtne", SAT, GRAD, 127.5f, 127.0f, 0x7F);
	known_fq("int8", "rtne", SAT, GRAD, -1000.0f, -127.0f, 0x81);
	known_fq("int8", "rtne", SAT, GRAD, -inf, -127.0f, 0x81);
	known_fq("int8", "rtne", SAT, GRAD, -0.3f, -0.0f, 0x00);
	known_fq("int8", "rtne", SAT, GRAD, 0.3f, 0.0f, 0x00);
	known_fq("int8", "rtne", SAT, GRAD, -0.0f, -0.0f, 0x00);
	known_fq("int8", "rtne", SAT, GRAD, NAN, NAN, 0x00);
	known_fq("int8", "rtne", SAT, FLUSH, 0.7f, 0.0f, 0x00);
	known_fq("int8", "rtne", SAT, GRAD, 0.7f, 1.0f, 0x01);
	known_fq("int4", "rtne", SAT, GRAD, -6.5f, -6.0f, 0xA);
	known_fq("int4", "rtne", SAT, GRAD, 100.0f, 7.0f, 0x7);
	/* OCP MX E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6; no inf, no NaN. */
	known_fq("e2m1", "rtne", SAT, GRAD, 5.0f, 4.0f, 0x6);
	known_fq("e2m1", "rtne", SAT, GRAD, 2.5f, 2.0f, 0x4);
	known_fq("e2m1", "rtne", SAT, GRAD, 0.25f, 0.0f, 0x0);
	known_fq("e2m1", "rtne", SAT, GRAD, 0.75f, 1.0f, 0x2);
	known_fq("e2m1", "rtne", SAT, GRAD, 7.0f, 6.0f, 0x7);
	known_fq("e2m1", "rtne", SAT, GRAD, -100.0f, -6.0f, 0xF);
	known_fq("e2m1", "rtne", SAT, GRAD, NAN, NAN, 0x0);
	known_fq("e2m1", "rtne", SAT, GRAD, -0.0f, -0.0f, 0x8);
	known_fq("e3m2", "rtne", SAT, GRAD, 30.0f, 28.0f, 0x1F);
	known_fq("e3m2", "rtne", SAT, GRAD, 0.0625f, 0.0625f, 0x01);
	known_fq("e2m3", "rtne", SAT, GRAD, 7.5f, 7.5f, 0x1F);
	known_fq("e2m3", "rtne", SAT, GRAD, 0.125f, 0.125f, 0x01);
	/* E8M0: 2^(code-127), 0xFF NaN. */
	known_fq("e8m0", "rtne", SAT, GRAD, 1.0f, 1.0f, 127);
	known_fq("e8m0", "rtne", SAT, GRAD, 1.4f, 1.0f, 127);
	known_fq("e8m0", "rtne", SAT, GRAD, 1.6f, 2.0f, 128);
	known_fq("e8m0", "rtz", SAT, GRAD, 1.9f, 1.0f, 127);
	known_fq("e8m0", "rtne", SAT, GRAD, ldexpf(1, 127), ldexpf(1, 127), 254);
	known_fq("e8m0", "rtne", SAT, GRAD, ldexpf(1, -127), ldexpf(1, -127), 0);
	known_fq("e8m0", "rtne", SAT, GRAD, FLT_MAX, ldexpf(1, 127), 254);
	known_fq("e8m0", "rtne", IEEE, GRAD, FLT_MAX, NAN, 255);
	known_fq("e8m0", "rtne", SAT, GRAD, NAN, NAN, 255);
	known_fq("e8m0", "rtne", SAT, GRAD, inf, ldexpf(1, 127), 254);
	known_fq("e8m0", "rtne", IEEE, GRAD, inf, NAN, 255);
}

/* Flush and gradual differ exactly on (min_sub/2, min_sub) under RTNE. */
static void flush_point(const mq_qspec *g, const mq_qspec *fl, float x, long *differ, long *bad)
{
	float ms = g->fmt.min_subnormal, ax = fabsf(x);
	float a = mq_fakequant1(g, x, 0), b = mq_fakequant1(fl, x, 0);
	int d = fbits(a) != fbits(b);
	int want = ax > ms / 2 && ax < ms;
	*differ += d;
	int ok = want ? fbits(b) == (fbits(x) & 0x80000000u) && fabsf(a) == ms : !d;
	if (!ok && (*bad)++ < 5)
		CHECK(0, "%s: x=%.9g gradual %.9g flush %.9g (should %sdiffer)", g->fmt.name,
		      x, a, b, want ? "" : "not ");
}

static void test_flush(const char *fmt)
{
	mq_qspec g = spec(fmt, "rtne", SAT, GRAD), fl = spec(fmt, "rtne", SAT, FLUSH);
	mq_qspec gn = spec(fmt, "rna", SAT, GRAD), fln = spec(fmt, "rna", SAT, FLUSH);
	float ms = g.fmt.min_subnormal;
	long differ = 0, bad = 0;
	/* every pattern near 0, min_sub/2, min_sub and 2 min_sub; sparsely between */
	const uint32_t centre[] = { 0, fbits(ms / 2), fbits(ms), fbits(2 * ms) };
	for (size_t c = 0; c < 4; c++)
		for (uint32_t u = centre[c] < 2000 ? 0 : centre[c] - 2000; u <= centre[c] + 2000; u++) {
			flush_point(&g, &fl, ref_bitsf(u), &differ, &bad);
			flush_point(&g, &fl, ref_bitsf(u | 0x80000000u), &differ, &bad);
		}
	for (uint32_t u = 0; u <= fbits(2 * ms); u += 997) {
		flush_point(&g, &fl, ref_bitsf(u), &differ, &bad);
		flush_point(&g, &fl, ref_bitsf(u | 0x80000000u), &differ, &bad);
	}
	CHECK(bad == 0 && differ > 0, "%s: flush vs gradual: %ld bad, %ld differ", fmt, bad, differ);
	/* The tie min_sub/2: RTNE gives zero either way; RNA gives min_sub
	 * under gradual and zero under flush. */
	float h = ms / 2;
	CHECK(mq_fakequant1(&g, h, 0) == 0 && mq_fakequant1(&fl, h, 0) == 0,
	      "%s: rtne tie at min_sub/2 not zero", fmt);
	CHECK(mq_fakequant1(&gn, h, 0) == ms, "%s: rna gradual min_sub/2 -> %.9g, want %.9g",
	      fmt, mq_fakequant1(&gn, h, 0), ms);
	CHECK(fbits(mq_fakequant1(&fln, -h, 0)) == 0x80000000u, "%s: rna flush -min_sub/2 -> %.9g",
	      fmt, mq_fakequant1(&fln, -h, 0));
	CHECK(mq_fakequant1(&fln, ms, 0) == ms && mq_fakequant1(&fl, ms, 0) == ms,
	      "%s: flush min_sub itself", fmt);
}

/* ---- descriptors ---- */

static void check_descriptor(const char *name)
{
	mq_format f;
	ref_fmt r;
	mq_status s = mq_format_get(name, &f);
	CHECK(s == MQ_OK, "mq_format_get(%s): %s", name, mq_strerror(s));
	int rc = ref_fmt_open(&r, name);
	CHECK(rc == 0, "reference cannot open %s", name);
	if (s != MQ_OK || rc != 0)
		return;
	CHECK(f.bits == r.bits, "%s bits %d want %d", name, f.bits, r.bits);
	CHECK(f.has_inf == r.has_inf, "%s has_inf %d", name, f.has_inf);
	CHECK(f.has_nan == r.has_nan, "%s has_nan %d", name, f.has_nan);
	CHECK(fbits(f.max) == fbits(r.max), "%s max %.9g want %.9g", name, f.max, r.max);
	CHECK(fbits(f.min_normal) == fbits(r.min_normal), "%s min_normal %.9g want %.9g",
	      name, f.min_normal, r.min_normal);
	CHECK(fbits(f.min_subnormal) == fbits(r.min_sub), "%s min_subnormal %.9g want %.9g",
	      name, f.min_subnormal, r.min_sub);
	CHECK(f.maxcode == (uint32_t)r.count - 1, "%s maxcode 0x%x want 0x%x", name, f.maxcode,
	      (uint32_t)r.count - 1);
	CHECK(f.signbit == r.sign_mask, "%s signbit 0x%x want 0x%x", name, f.signbit, r.sign_mask);
	CHECK(f.ebits == r.e && f.mbits == r.m, "%s e%dm%d want e%dm%d", name, f.ebits, f.mbits, r.e, r.m);
	if (r.has_inf)
		CHECK(f.infcode == r.inf_mag, "%s infcode 0x%x want 0x%x", name, f.infcode, r.inf_mag);
	if (r.has_nan)
		CHECK(f.nancode == r.nan_mag, "%s nancode 0x%x want 0x%x (canonical quiet NaN)",
		      name, f.nancode, r.nan_mag);
	switch (r.type) {
	case REF_FP:
		CHECK(f.kind == MQ_KIND_FLOAT, "%s kind %d", name, f.kind);
		CHECK(f.specials == (r.special == REF_IEEE ? MQ_SPECIALS_IEEE :
		                     r.special == REF_FN ? MQ_SPECIALS_FN : MQ_SPECIALS_NONE),
		      "%s specials %d", name, f.specials);
		CHECK(f.bias == r.bias, "%s bias %d want %d", name, f.bias, r.bias);
		CHECK(f.emin == r.emin && f.emax == r.emax, "%s emin %d emax %d want %d %d",
		      name, f.emin, f.emax, r.emin, r.emax);
		break;
	case REF_INT:
		CHECK(f.kind == MQ_KIND_INT, "%s kind %d", name, f.kind);
		/* format.h: "m = n-1 and emin = n-1", bias 2-n */
		CHECK(f.bias == 2 - r.bits && f.emin == r.bits - 1, "%s bias %d emin %d",
		      name, f.bias, f.emin);
		break;
	case REF_UE8M0:
		CHECK(f.kind == MQ_KIND_E8M0, "%s kind %d", name, f.kind);
		CHECK(f.bias == 127 && f.emax == 127 && f.emin == -127, "%s bias %d emin %d emax %d",
		      name, f.bias, f.emin, f.emax);
		break;
	}
	ref_fmt_close(&r);
}

static void test_descriptors(void)
{
	static const char *const want[] = {
		"int2", "int3", "int4", "int5", "int6", "int7", "int8", "int9", "int10",
		"int11", "int12", "int13", "int14", "int15", "int16", "e4m3", "e5m2",
		"fp16", "bf16", "e3m2", "e2m3", "e2m1", "e8m0",
	};
	const size_t nwant = sizeof want / sizeof want[0];
	int seen[sizeof want / sizeof want[0]] = { 0 };
	size_t i;
	const char *n;
	for (i = 0; (n = mq_format_name(i)) != NULL && i < 1000; i++) {
		check_descriptor(n);
		for (size_t k = 0; k < nwant; k++)
			if (strcmp(n, want[k]) == 0)
				seen[k] = 1;
		CHECK(strstr(mq_format_known(), n) != NULL, "mq_format_known lacks %s", n);
	}
	for (size_t k = 0; k < nwant; k++)
		if (!seen[k])   /* not in the listing (e.g. int3): it must still resolve */
			check_descriptor(want[k]);
	static const char *const generic[] = {
		"e3m4", "e3m4fn", "e2m5mx", "e6m1", "e5m2fn", "e1m6mx", "e3m0mx",
		"e4m3fn", "e5m10", "e8m7", "e2m1fn", "e7m8",
	};
	for (size_t k = 0; k < sizeof generic / sizeof generic[0]; k++)
		check_descriptor(generic[k]);
	/* e4m3 is E4M3 fn (format.h); the generic fn spelling is the same. */
	mq_format a, b;
	if (mq_format_get("e4m3", &a) == MQ_OK && mq_format_get("e4m3fn", &b) == MQ_OK)
		CHECK(a.specials == b.specials && a.max == b.max, "e4m3 != e4m3fn");
}

static void test_names(void)
{
	static const char *const bad[] = {
		"e9m9", "e0m3", "int1", "int17", "", "e4m3x", "e1m3", "e1m0", "E4M3",
		"e4", "m3", "e16m0", "e4m3fnx", "int", "int8x", "fp32", "e-1m3", "e4m-1",
		/* values beyond float32's range, and IEEE-like without a mantissa
		 * bit for NaN (format.h) */
		"e15m0mx", "e9m6", "e9m0fn", "e8m7fn", "e8m7mx", "e2m0", "e5m0",
	};
	mq_format f;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(mq_format_get(bad[i], &f) == MQ_EFORMAT, "format '%s' not rejected", bad[i]);
	static const char *const good[] = { "e1m3fn", "e1m3mx", "e2m13", "e8m7", "e8m1", "e7m0fn",
	                                    "e7m8mx", "e2m0fn", "int2", "int16" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(mq_format_get(good[i], &f) == MQ_OK, "format '%s' rejected", good[i]);

	mq_rounding r;
	static const char *const badr[] = { "sr:0", "sr:33", "rtn", "", "sr:", "sr:8x", "RTNE", "sr:-1" };
	for (size_t i = 0; i < sizeof badr / sizeof badr[0]; i++)
		CHECK(mq_rounding_parse(badr[i], &r) == MQ_EROUNDING, "rounding '%s' not rejected", badr[i]);
	CHECK(mq_rounding_parse("rtne", &r) == MQ_OK && r.mode == MQ_RTNE, "rtne");
	CHECK(mq_rounding_parse("rtz", &r) == MQ_OK && r.mode == MQ_RTZ, "rtz");
	CHECK(mq_rounding_parse("rna", &r) == MQ_OK && r.mode == MQ_RNA, "rna");
	CHECK(mq_rounding_parse("sr", &r) == MQ_OK && r.mode == MQ_SR && r.sr_bits == 32, "sr");
	CHECK(mq_rounding_parse("sr:1", &r) == MQ_OK && r.mode == MQ_SR && r.sr_bits == 1, "sr:1");
	CHECK(mq_rounding_parse("sr:32", &r) == MQ_OK && r.sr_bits == 32, "sr:32");
	char buf[16];
	CHECK(mq_rounding_parse("sr:8", &r) == MQ_OK && strcmp(mq_rounding_name(&r, buf), "sr:8") == 0,
	      "sr:8 name");
	CHECK(mq_rounding_parse("sr", &r) == MQ_OK && strcmp(mq_rounding_name(&r, buf), "sr") == 0,
	      "sr name");
	mq_overflow o;
	mq_underflow u;
	CHECK(mq_overflow_parse("saturate", &o) == MQ_OK && o == MQ_OVF_SATURATE, "saturate");
	CHECK(mq_overflow_parse("ieee", &o) == MQ_OK && o == MQ_OVF_IEEE, "ieee");
	CHECK(mq_overflow_parse("wrap", &o) != MQ_OK, "overflow 'wrap' accepted");
	CHECK(mq_underflow_parse("gradual", &u) == MQ_OK && u == MQ_UNF_GRADUAL, "gradual");
	CHECK(mq_underflow_parse("flush", &u) == MQ_OK && u == MQ_UNF_FLUSH, "flush");
	CHECK(mq_underflow_parse("ftz", &u) != MQ_OK, "underflow 'ftz' accepted");

	for (int s = MQ_OK; s <= MQ_EIO; s++) {
		const char *m = mq_strerror((mq_status)s);
		CHECK(m != NULL && m[0] != 0, "mq_strerror(%d) empty", s);
	}

	mq_qspec q;
	CHECK(mq_qspec_init(&q, "e9m9", "rtne") == MQ_EFORMAT, "qspec_init bad format");
	CHECK(mq_qspec_init(&q, "e4m3", "rtn") == MQ_EROUNDING, "qspec_init bad rounding");
	CHECK(mq_qspec_init(&q, "e4m3", "rtne") == MQ_OK && q.rnd.mode == MQ_RTNE &&
	      q.ovf == MQ_OVF_SATURATE && q.unf == MQ_UNF_GRADUAL && q.seed == 0,
	      "qspec_init defaults");
	static const char *const noinf[] = { "int8", "e2m1", "e3m2", "e2m3", "int4" };
	for (size_t i = 0; i < sizeof noinf / sizeof noinf[0]; i++) {
		mq_qspec_init(&q, noinf[i], "rtne");
		CHECK(mq_qspec_check(&q) == MQ_OK, "%s default spec rejected", noinf[i]);
		q.ovf = MQ_OVF_IEEE;
		CHECK(mq_qspec_check(&q) == MQ_EOPTION, "ieee overflow on %s not rejected", noinf[i]);
	}
	static const char *const withspecials[] = { "e4m3", "e5m2", "fp16", "bf16", "e8m0" };
	for (size_t i = 0; i < sizeof withspecials / sizeof withspecials[0]; i++) {
		mq_qspec_init(&q, withspecials[i], "rtne");
		q.ovf = MQ_OVF_IEEE;
		CHECK(mq_qspec_check(&q) == MQ_OK, "ieee overflow on %s rejected", withspecials[i]);
	}
	mq_qspec_init(&q, "e4m3", "sr");
	q.rnd.sr_bits = 0;
	CHECK(mq_qspec_check(&q) != MQ_OK, "sr_bits 0 accepted");
	q.rnd.sr_bits = 33;
	CHECK(mq_qspec_check(&q) != MQ_OK, "sr_bits 33 accepted");
}

/* ---- every code of every format of at most 8 bits ---- */

static void test_roundtrip(const char *name)
{
	mq_format f;
	ref_fmt r;
	if (mq_format_get(name, &f) != MQ_OK || ref_fmt_open(&r, name) != 0) {
		CHECK(0, "roundtrip: cannot open %s", name);
		return;
	}
	static const char *const modes[] = { "rtne", "rtz", "rna", "sr", "sr:3" };
	uint32_t ncodes = 1u << f.bits;
	uint8_t codes[256];
	float dec[256];
	for (uint32_t c = 0; c < ncodes; c++)
		codes[c] = (uint8_t)c;
	CHECK(mq_decode(&f, codes, ncodes, 1.0f, dec) == MQ_OK, "%s: mq_decode", name);
	long bad = 0;
	for (uint32_t c = 0; c < ncodes; c++) {
		int valid;
		float want = ref_decode(&r, c, &valid);
		float got = mq_decode1(&f, c);
		int ok = same(got, want) && (!isnan(want) || signbit(got) == signbit(want));
		if (!ok && bad++ < 8)
			CHECK(0, "%s: decode(0x%x) = %.9g (0x%08x), want %.9g", name, c, got, fbits(got), want);
		if (!same(dec[c], got) && bad++ < 8)
			CHECK(0, "%s: mq_decode array differs from mq_decode1 at 0x%x", name, c);
		if (r.type == REF_INT && c == r.sign_mask)
			continue;   /* -2^(n-1): never produced, so no round trip (checked above) */
		for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
			/* an infinity saturates by default: its code comes back under ieee */
			mq_qspec q = spec(name, modes[m], isinf(want) ? IEEE : SAT, GRAD);
			for (int w = 0; w < 2; w++) {
				uint32_t back = mq_encode1(&q, want, w ? 0xFFFFFFFFu : 0);
				int okb;
				if (isnan(want))
					okb = r.has_nan && isnan(ref_decode(&r, back, &valid)) &&
					      (back & r.sign_mask) == (c & r.sign_mask);
				else
					okb = back == c;
				if (!okb && bad++ < 8)
					CHECK(0, "%s %s: encode(decode(0x%x) = %.9g) = 0x%x", name, modes[m],
					      c, want, back);
			}
		}
	}
	CHECK(bad == 0, "%s: %ld round-trip failures", name, bad);
	ref_fmt_close(&r);
}

/* ---- strided sweeps against the reference ---- */

#define CHUNK 16384

static int verbose_open = 1;

typedef struct sweep_acc {
	long n, bad, open_differs, open_total;
	mq_qstats want;
} sweep_acc;

/* Inputs u = first, first+step, ... <= lastu (all of one sign or the whole
 * range in one increasing pass). */
static void sweep_range(const mq_qspec *q, const ref_spec *rs, uint64_t first,
                        uint64_t lastu, uint64_t step, sweep_acc *acc, mq_qstats *got,
                        const char *label)
{
	static float x[CHUNK], y[CHUNK], yd[CHUNK];
	static uint16_t codes[CHUNK];
	const ref_fmt *rf = rs->f;
	int wide = q->fmt.bits > 8;
	uint64_t u = first;
	while (u <= lastu) {
		size_t n = 0;
		for (; n < CHUNK && u <= lastu; n++, u += step)
			x[n] = ref_bitsf((uint32_t)u);
		CHECK(mq_encode(q, x, n, 1.0f, 0, codes, got) == MQ_OK, "%s: mq_encode", label);
		CHECK(mq_fakequant(q, x, n, 1.0f, 0, y, NULL) == MQ_OK, "%s: mq_fakequant", label);
		CHECK(mq_decode(&q->fmt, codes, n, 1.0f, yd) == MQ_OK, "%s: mq_decode", label);
		size_t k = 0;
		while (k < n) {
			uint32_t last;
			ref_out o = ref_quant_run(rs, fbits(x[k]), &last);
			int valid;
			float dv = ref_decode(rf, o.code, &valid);   /* what mq_decode must give */
			for (; k < n && fbits(x[k]) <= last; k++) {
				uint32_t pc = wide ? codes[k] : ((const uint8_t *)codes)[k];
				acc->n++;
				if (rf->type == REF_INT && pc == rf->sign_mask)
					CHECK(0, "%s: encode(%.9g) produced -2^(n-1)", label, x[k]);
				int ok = pc == o.code && same(y[k], o.value);
				if ((k & 7) == 0) {   /* the one-element API too */
					ok = ok && mq_encode1(q, x[k], 0) == o.code &&
					     same(mq_fakequant1(q, x[k], 0), o.value);
				}
				if (o.open) {
					acc->open_total++;
					acc->open_differs += !ok;
					if (!ok && acc->open_differs <= 3 && verbose_open)
						printf("note: %s: x=0x%08x (%.9g): reference's choice code 0x%x "
						       "value %.9g, library gives code 0x%x value %.9g\n", label,
						       fbits(x[k]), x[k], o.code, o.value, pc, y[k]);
					continue;
				}
				acc->want.clipped += (uint64_t)o.clipped;
				acc->want.underflowed += (uint64_t)o.underflowed;
				acc->want.nan += (uint64_t)o.nan;
				ok = ok && same(yd[k], dv);
				if (!ok && acc->bad++ < 4)
					CHECK(0, "%s: x=0x%08x (%.9g): want code 0x%x value %.9g, got "
					      "code 0x%x value %.9g (encode1 0x%x fakequant1 %.9g, decode %.9g)",
					      label, fbits(x[k]), x[k], o.code, o.value, pc, y[k],
					      mq_encode1(q, x[k], 0), mq_fakequant1(q, x[k], 0), yd[k]);
			}
		}
	}
}

static void sweep_config(const char *name, const char *rnd, mq_overflow ovf,
                         mq_underflow unf, uint64_t stride, long *total)
{
	mq_qspec q = spec(name, rnd, ovf, unf);
	ref_fmt rf;
	if (ref_fmt_open(&rf, name) != 0) {
		CHECK(0, "reference cannot open %s", name);
		return;
	}
	ref_spec rs = { &rf, strcmp(rnd, "rtz") == 0 ? REF_RTZ : strcmp(rnd, "rna") == 0 ? REF_RNA : REF_RTNE,
	                32, ovf == IEEE, unf == FLUSH };
	char label[96];
	snprintf(label, sizeof label, "%s %s %s %s", name, rnd, ovf == IEEE ? "ieee" : "saturate",
	         unf == FLUSH ? "flush" : "gradual");
	sweep_acc acc;
	memset(&acc, 0, sizeof acc);
	mq_qstats got;
	memset(&got, 0, sizeof got);
	/* Where the format lives: min_sub/16 .. 16*max, densely, both signs. */
	uint32_t lo = fbits(rf.min_sub / 16), hi = fbits(rf.max * 16);
	if (rf.max * 16 > FLT_MAX)
		hi = 0x7F7FFFFFu;
	for (uint32_t sg = 0; sg < 2; sg++)
		sweep_range(&q, &rs, (uint64_t)(lo | sg << 31), (uint64_t)(hi | sg << 31), stride,
		            &acc, &got, label);
	/* Everywhere, sparsely, plus the specials. */
	sweep_range(&q, &rs, 0, 0xFFFFFFFFu, stride * 61, &acc, &got, label);
	static const uint32_t special[] = { 0, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u,
	                                    0xFFC00000u, 0x7F800001u, 0xFFFFFFFFu, 0x00000001u,
	                                    0x80000001u, 0x7F7FFFFFu, 0xFF7FFFFFu };
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		sweep_range(&q, &rs, special[i], special[i], 1, &acc, &got, label);
	if (rf.type != REF_UE8M0) {
		CHECK(got.n == (uint64_t)acc.n, "%s: stats n %llu want %ld", label,
		      (unsigned long long)got.n, acc.n);
		CHECK(got.clipped == acc.want.clipped && got.underflowed == acc.want.underflowed &&
		      got.nan == acc.want.nan,
		      "%s: stats clipped %llu underflowed %llu nan %llu, want %llu %llu %llu", label,
		      (unsigned long long)got.clipped, (unsigned long long)got.underflowed,
		      (unsigned long long)got.nan, (unsigned long long)acc.want.clipped,
		      (unsigned long long)acc.want.underflowed, (unsigned long long)acc.want.nan);
	}
	CHECK(acc.bad == 0, "%s: %ld of %ld inputs differ from the reference", label, acc.bad, acc.n);
	if (acc.open_total && acc.open_differs)
		verbose_open = 0;   /* once is enough */
	if (acc.open_total)
		printf("note: %s: %ld of %ld inputs the headers leave open differ from the reference's choice\n",
		       label, acc.open_differs, acc.open_total);
	*total += acc.n;
	ref_fmt_close(&rf);
}

static void test_sweeps(uint64_t stride)
{
	static const char *const formats[] = {
		"e4m3", "e5m2", "fp16", "bf16", "e3m2", "e2m3", "e2m1", "e8m0",
		"int2", "int3", "int4", "int5", "int6", "int7", "int8", "int9", "int10",
		"int11", "int12", "int13", "int14", "int15", "int16",
		"e3m4", "e3m4fn", "e2m5mx", "e6m1", "e5m2fn", "e1m6mx", "e3m0mx",
	};
	static const char *const modes[] = { "rtne", "rtz", "rna" };
	long total = 0;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		mq_format f;
		if (mq_format_get(formats[i], &f) != MQ_OK) {
			CHECK(0, "mq_format_get(%s)", formats[i]);
			continue;
		}
		int ieee_ok = f.has_inf || f.has_nan;
		for (size_t m = 0; m < 3; m++)
			for (int o = 0; o < 1 + ieee_ok; o++)
				for (int u = 0; u < 2; u++)
					sweep_config(formats[i], modes[m], o ? IEEE : SAT, u ? FLUSH : GRAD,
					             stride, &total);
	}
	printf("sweeps: %ld inputs compared\n", total);
}

int main(int argc, char **argv)
{
	uint64_t stride = 101;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--stride") == 0 && a + 1 < argc) {
			stride = strtoull(argv[++a], NULL, 10);
			if (stride == 0)
				stride = 1;
		} else {
			fprintf(stderr, "usage: test_formats [--stride S]\n");
			return 2;
		}
	}
	test_known();
	test_flush("e4m3");
	test_flush("e5m2");
	test_flush("fp16");
	test_flush("bf16");
	test_flush("int8");
	test_flush("e2m1");
	test_descriptors();
	test_names();
	static const char *const small[] = {
		"int2", "int3", "int4", "int5", "int6", "int7", "int8", "e4m3", "e5m2",
		"e3m2", "e2m3", "e2m1", "e8m0", "e3m4", "e3m4fn", "e2m5mx", "e6m1", "e5m2fn",
		"e1m6mx", "e3m0mx", "e2m1fn", "e2m0fn",
	};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		test_roundtrip(small[i]);
	test_sweeps(stride);
	printf("test_formats: %ld checks, %ld failed\n", checks, failures);
	return failures ? 1 : 0;
}

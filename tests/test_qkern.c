/* test_qkern.c: the array drivers and kernels against the scalar path, where
 * test_paths does not look: scales other than 1 (powers of two, whose
 * reciprocal the kernels may multiply by, and others), stochastic rounding
 * from stream offsets that are not multiples of 4 and across the 2^32
 * boundary of Philox's counter word, lengths that end inside a Philox block
 * or a kernel block, per-block scales, runs of inputs all in the normal or
 * all in the subnormal range (SR classifies runs, qkern.c), and the
 * statistics.
 *
 * For every kernel path the CPU runs, element i of an array must be, bit for
 * bit,
 *     code   mq_encode1(q, x[i] / s, mq_rand32(seed, index0 + i))
 *     value  mq_fakequant1(q, x[i] / s, same word) * s
 * and the counts must be those quant.h defines, counted here from the
 * scalar results: clipped (finite |v| > max, or infinite), underflowed
 * (v != 0 whose value is 0), nan.  Without stats (NULL) the kernels run
 * loops that do not count: their outputs must be the same.
 *   test_qkern [rounds]   (default 3: inputs per case grow with it) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "qkern.h"

static long failures, checks;

static uint32_t fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

static float bitsf(uint32_t u)
{
	float x;
	memcpy(&x, &u, 4);
	return x;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t next32(void)
{
	rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Inputs that exercise every range at a scale s: values around the format's
 * range times s, ties, subnormal-range values, specials, any bit pattern. */
static void fill(float *x, size_t n, const mq_format *f, float s)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t k = next32();
		float v;
		switch (k % 8) {
		case 0: v = bitsf(next32()); break;                       /* any pattern */
		case 1: v = (float)((int32_t)next32() % 4096) / 64.0f * f->min_subnormal * s; break;
		case 2: v = ldexpf((float)(next32() & 0xffffff), (int)(next32() % 60) - 40) * s; break;
		case 3: v = f->max * s * (1.0f + (float)(next32() % 64) / 64.0f); break;
		case 4: v = (float)((next32() % 512) + 1) / 2.0f * f->min_subnormal * s; break;
		case 5: v = (k & 256) ? INFINITY : NAN; break;
		case 6: v = bitsf(next32() & 0x807fffffu); break;         /* float32 subnormals */
		default: v = ldexpf((float)(next32() & 0xffff) / 65536.0f, (int)(next32() % 20) - 10) * f->max * s;
		}
		x[i] = (k & 512) ? -v : v;
	}
}

/* Runs of 1 .. 1500 inputs that all lie in the format's normal range at
 * scale s (|x| >= 2^emin * s), or all below it, boundaries included. */
static void fill_runs(float *x, size_t n, const mq_format *f, float s)
{
	float t = ldexpf(s, f->emin); /* the boundary */
	size_t i = 0;
	while (i < n) {
		size_t len = 1 + next32() % 1500;
		int normal = next32() & 1;
		for (; len > 0 && i < n; len--, i++) {
			uint32_t k = next32();
			float v;
			if (k % 16 == 0)
				v = normal ? t : nextafterf(t, 0.0f);
			else if (normal)
				v = t * (1.0f + (float)(next32() % 100000) / 1000.0f);
			else
				v = t * (float)(next32() & 0xffffff) / 16777216.0f;
			x[i] = (k & 32) ? -v : v;
		}
	}
}

static void expect(const mq_qspec *q, const float *x, size_t n, const float *sc, size_t sdiv,
                   uint64_t index0, const float *y, const void *codes, const mq_qstats *st,
                   const char *what)
{
	int wide = q->fmt.bits > 8;
	mq_qstats e = {n, 0, 0, 0};
	long bad = 0;
	for (size_t i = 0; i < n; i++) {
		float s = sc[sdiv >= n ? 0 : i / sdiv];
		float v = x[i] / s;
		uint32_t r = mq_rand32(q->seed, index0 + i);
		uint32_t ec = mq_encode1(q, v, r);
		float ev = mq_fakequant1(q, v, r) * s;
		uint32_t gc = wide ? ((const uint16_t *)codes)[i] : ((const uint8_t *)codes)[i];
		int same = fbits(ev) == fbits(y[i]) || (ev != ev && y[i] != y[i]);
		if (!same || gc != ec) {
			if (bad++ < 3)
				printf("FAIL %s %s: i=%zu x=0x%08x s=%a: code %x want %x, value 0x%08x want 0x%08x\n",
				       what, q->fmt.name, i, fbits(x[i]), (double)s, gc, ec, fbits(y[i]),
				       fbits(ev));
		}
		if (v != v)
			e.nan++;
		else if (fabsf(v) > q->fmt.max)
			e.clipped++;
		else if (v != 0 && mq_fakequant1(q, v, r) == 0)
			e.underflowed++;
	}
	checks++;
	if (bad)
		failures++;
	checks++;
	if (st->n != e.n || st->clipped != e.clipped || st->underflowed != e.underflowed ||
	    st->nan != e.nan) {
		failures++;
		printf("FAIL %s %s: stats n/clip/unf/nan %llu/%llu/%llu/%llu, want %llu/%llu/%llu/%llu\n",
		       what, q->fmt.name, (unsigned long long)st->n, (unsigned long long)st->clipped,
		       (unsigned long long)st->underflowed, (unsigned long long)st->nan,
		       (unsigned long long)e.n, (unsigned long long)e.clipped,
		       (unsigned long long)e.underflowed, (unsigned long long)e.nan);
	}
}

/* Outputs of 8 MiB and more take other stores (qkern_rtne.c: streaming,
 * after a head up to the output's alignment): an array that large, at
 * offsets that misalign the outputs, without stats must equal the same
 * array with stats (the counting loops), on every path. */
static void big_arrays(const int *npaths)
{
	static const char *isas[] = {"generic", "avx2", "avx512"};
	size_t n = ((size_t)8 << 20) + 77, ny = ((size_t)2 << 20) + 45;
	float *x = malloc((n + 16) * sizeof *x), *y1 = malloc((ny + 16) * sizeof *y1);
	float *y2 = malloc((ny + 16) * sizeof *y2);
	uint8_t *c1 = malloc(n + 16), *c2 = malloc(n + 16);
	if (!x || !y1 || !y2 || !c1 || !c2) {
		failures++;
		printf("FAIL big arrays: out of memory\n");
		goto out;
	}
	for (int k = 0; k < 3; k++) {
		if (mq_qkern_force(isas[k]) != MQ_OK)
			continue;
		mq_qspec q;
		mq_qspec_init(&q, k == 1 ? "int8" : "e4m3", "rtne");
		for (size_t off = 0; off < 4; off += 3) { /* the outputs at +0 and +3 */
			float s = off ? 4.0f / q.fmt.max : 0.0078125f;
			fill(x, n, &q.fmt, s);
			mq_qstats st = {0};
			checks++;
			if (mq_encode(&q, x, n, s, 0, c1 + off, NULL) != MQ_OK ||
			    mq_encode(&q, x, n, s, 0, c2 + off, &st) != MQ_OK ||
			    memcmp(c1 + off, c2 + off, n)) {
				failures++;
				printf("FAIL %s big codes, offset %zu\n", isas[k], off);
			}
			checks++;
			if (mq_fakequant(&q, x, ny, s, 0, y1 + off, NULL) != MQ_OK ||
			    mq_fakequant(&q, x, ny, s, 0, y2 + off, &st) != MQ_OK ||
			    memcmp(y1 + off, y2 + off, ny * sizeof *y1)) {
				failures++;
				printf("FAIL %s big values, offset %zu\n", isas[k], off);
			}
		}
	}
	mq_qkern_force(NULL);
	printf("big arrays: %d paths\n", *npaths);
out:
	free(x), free(y1), free(y2), free(c1), free(c2);
}

int main(int argc, char **argv)
{
	static const char *fmts[] = {"int8", "e4m3", "e5m2", "int4", "e2m1", "fp16", "bf16",
	                             "e3m0fn", "int16", NULL};
	static const char *rnds[] = {"rtne", "sr", "sr:7", "rtz", "rna", NULL};
	static const char *isas[] = {"generic", "avx2", "avx512"};
	/* scales: 1, powers of two (exact reciprocals, the largest and the
	 * smallest normal among them), others, a subnormal one */
	static const float scales[] = {1.0f, 0.25f, 1024.0f, 0x1p-126f, 0x1p127f, 0.0078125f * 3,
	                               3.1415927f, 1.1754942e-38f, 0x1p-140f};
	static const uint64_t starts[] = {0, 1, 3, 4097, 0x3fffffff5ull, 0xffffffffffffff00ull};
	static const size_t lens[] = {1, 3, 17, 2047, 2049, 4101, 70001};
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	if (rounds < 1)
		rounds = 1;
	size_t nmax = 70001;
	float *x = malloc(nmax * sizeof *x), *y = malloc(nmax * sizeof *y);
	void *codes = malloc(nmax * 2);
	float *sc = malloc(nmax * sizeof *sc), *y2 = malloc(nmax * sizeof *y2);
	void *codes2 = malloc(nmax * 2);
	if (!x || !y || !codes || !sc || !y2 || !codes2)
		return 2;
	int paths = 0;
	for (int k = 0; k < 3; k++) {
		if (mq_qkern_force(isas[k]) != MQ_OK) {
			printf("%s: not supported by this CPU, skipped\n", isas[k]);
			continue;
		}
		paths++;
		long before = failures;
		for (int f = 0; fmts[f]; f++)
			for (int r = 0; rnds[r]; r++)
				for (int o = 0; o < 2; o++)
					for (int uf = 0; uf < 2; uf++) {
						mq_qspec q;
						if (mq_qspec_init(&q, fmts[f], rnds[r]) != MQ_OK) {
							printf("FAIL: init %s %s\n", fmts[f], rnds[r]);
							return 1;
						}
						q.ovf = (mq_overflow)o;
						q.unf = (mq_underflow)uf;
						q.seed = ((uint64_t)next32() << 32) | next32();
						if (mq_qspec_check(&q) != MQ_OK)
							continue;
						char what[64];
						for (int t = 0; t < rounds; t++) {
							/* one scale per array */
							size_t si = (size_t)(next32() % (sizeof scales / sizeof scales[0]));
							size_t n = lens[next32() % (sizeof lens / sizeof lens[0])];
							uint64_t i0 = starts[next32() % (sizeof starts / sizeof starts[0])];
							fill(x, n, &q.fmt, scales[si]);
							mq_qstats st = {0}, st2 = {0};
							snprintf(what, sizeof what, "%s %s ovf=%d unf=%d s=%a i0=%llu n=%zu",
							         isas[k], rnds[r], o, uf, (double)scales[si],
							         (unsigned long long)i0, n);
							if (mq_fakequant(&q, x, n, scales[si], i0, y, &st) != MQ_OK ||
							    mq_encode(&q, x, n, scales[si], i0, codes, &st2) != MQ_OK) {
								printf("FAIL %s: API error\n", what);
								failures++;
								continue;
							}
							expect(&q, x, n, &scales[si], SIZE_MAX, i0, y, codes, &st, what);
							checks++;
							if (mq_fakequant(&q, x, n, scales[si], i0, y2, NULL) != MQ_OK ||
							    mq_encode(&q, x, n, scales[si], i0, codes2, NULL) != MQ_OK ||
							    memcmp(y, y2, n * sizeof *y) ||
							    memcmp(codes, codes2, n * (q.fmt.bits > 8 ? 2 : 1))) {
								failures++;
								printf("FAIL %s: results without stats differ\n", what);
							}
							checks++;
							if (memcmp(&st, &st2, sizeof st)) {
								failures++;
								printf("FAIL %s: stats of encode and fakequant differ\n", what);
							}
							/* runs all in one range, both outputs in one call */
							fill_runs(x, n, &q.fmt, scales[si]);
							mq_qstats st4 = {0};
							if (mq_quantize_run(&q, x, n, &scales[si], SIZE_MAX, i0, y, codes,
							                    &st4) != MQ_OK) {
								printf("FAIL %s: API error (runs)\n", what);
								failures++;
								continue;
							}
							expect(&q, x, n, &scales[si], SIZE_MAX, i0, y, codes, &st4, what);
							/* per-block scales, both outputs in one call */
							size_t B = 1 + next32() % 300, nb = (n + B - 1) / B;
							for (size_t b = 0; b < nb; b++)
								sc[b] = scales[next32() % (sizeof scales / sizeof scales[0])];
							fill(x, n, &q.fmt, sc[0]);
							mq_qstats st3 = {0};
							if (mq_quantize_run(&q, x, n, sc, B, i0, y, codes, &st3) != MQ_OK) {
								printf("FAIL %s: API error (blocks)\n", what);
								failures++;
								continue;
							}
							snprintf(what, sizeof what, "%s %s ovf=%d unf=%d block %zu i0=%llu",
							         isas[k], rnds[r], o, uf, B, (unsigned long long)i0);
							expect(&q, x, n, sc, B, i0, y, codes, &st3, what);
						}
					}
		printf("%s: %s\n", isas[k], failures == before ? "ok" : "FAILED");
	}
	mq_qkern_force(NULL);
	free(x), free(y), free(codes), free(sc), free(y2), free(codes2);
	big_arrays(&paths);
	printf("test_qkern: %d paths, %ld checks, %ld failed\n", paths, checks, failures);
	return failures != 0;
}

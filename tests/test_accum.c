/* test_accum.c: the accumulator model of kernels/accum.h on small cases
 * worked out by hand, the float32 preset against a plain float32 loop,
 * and the GEMM wrapper against the dot product. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"

static int failures;
#define CHECK(c, ...)                                                                   \
	do {                                                                                \
		if (!(c)) {                                                                     \
			failures++;                                                                 \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                             \
			fprintf(stderr, __VA_ARGS__);                                               \
			fputc('\n', stderr);                                                        \
		}                                                                               \
	} while (0)

static mq_accum_model mk(int block, int F, mq_acc_round ra, int acc, mq_acc_round rn,
                         int promote)
{
	mq_accum_model m = {block, F, ra, acc, rn, promote, 0, -6, -6};
	return m;
}

/* sum_k a[k] * 1 under m */
static float dot1(const mq_accum_model *m, const float *a, size_t K)
{
	float ones[256];
	for (int i = 0; i < 256; i++)
		ones[i] = 1.0f;
	return mq_accum_dot(m, a, 1, ones, 1, K);
}

static unsigned lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A random E4M3 value (any finite code but NaN), as float. */
static float e4m3(unsigned *s)
{
	unsigned c = lcg(s) & 0xff;
	while ((c & 0x7f) == 0x7f)
		c = lcg(s) & 0xff;
	unsigned E = (c >> 3) & 15, m = c & 7;
	float v = E ? ldexpf((float)(8 + m), (int)E - 10) : ldexpf((float)m, -9);
	return (c & 0x80) ? -v : v;
}

static void test_alignment(void)
{
	/* one block {1, 2^-5}: with F = 4 the grid is 2^-4 and 2^-5 is half a
	 * step: truncated away (RZ), to -1 step for a negative term (RD), to
	 * the even neighbour 0 (RNE); F = 5 keeps it */
	float a[2] = {1.0f, 0.03125f};
	mq_accum_model m = mk(2, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ drops half a step: %a", dot1(&m, a, 2));
	m.frac_bits = 5;
	CHECK(dot1(&m, a, 2) == 1.03125f, "F = 5 keeps 2^-5: %a", dot1(&m, a, 2));
	a[1] = -0.03125f;
	m = mk(2, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ of -half: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RD;
	CHECK(dot1(&m, a, 2) == 0.9375f, "RD of -half: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RNE;
	CHECK(dot1(&m, a, 2) == 1.0f, "RNE of -half (tie to 0): %a", dot1(&m, a, 2));
	/* 3 * 2^-6 = 0.75 steps: RZ 0, RNE 1 */
	a[1] = 0.046875f;
	m = mk(2, 4, MQ_ACC_RNE, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0625f, "RNE of 0.75 step: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RZ;
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ of 0.75 step: %a", dot1(&m, a, 2));
	/* alignment is to the largest term of the block, whichever index */
	float b[4] = {0.03125f, 0.03125f, 0.03125f, 1.0f};
	m = mk(4, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, b, 4) == 1.0f, "three half steps, each dropped: %a", dot1(&m, b, 4));
	m.block = 2; /* {2^-5, 2^-5} exact, then {2^-4 in T, 2^-5, 1}: 2^-4 kept */
	CHECK(dot1(&m, b, 4) == 1.0625f, "blocks of two: %a", dot1(&m, b, 4));
}

static void test_swamping_and_promotion(void)
{
	/* 64 terms of 2^-5 with F = 4, one at a time: T climbs exactly to 1.0
	 * (while T < 1 the grid is fine enough), then every further 2^-5 is
	 * half a step below the grid of T = 1 and is lost */
	float a[64];
	for (int i = 0; i < 64; i++)
		a[i] = 0.03125f;
	mq_accum_model m = mk(1, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 64) == 1.0f, "swamped at 1: %a", dot1(&m, a, 64));
	/* promoting every 32 products restarts T: 1 + 1 */
	m.promote = 32;
	CHECK(dot1(&m, a, 64) == 2.0f, "promotion every 32: %a", dot1(&m, a, 64));
	/* a partial last segment is added at the end: 48 products, 1 + 0.5 */
	CHECK(dot1(&m, a, 48) == 1.5f, "partial segment: %a", dot1(&m, a, 48));
	/* blocks of 32 see all 32 products together with T */
	m = mk(32, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 64) == 1.0f, "block 32, second block dropped: %a", dot1(&m, a, 64));
}

static void test_normalisation(void)
{
	/* 1 + 1/8 + 1/16 = 1.0011b, to 4 significant bits */
	float a[3] = {1.0f, 0.125f, 0.0625f};
	mq_accum_model m = mk(3, 20, MQ_ACC_RZ, 4, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 3) == 1.125f, "RZ to 4 bits: %a", dot1(&m, a, 3));
	m.round_norm = MQ_ACC_RNE; /* tie, 1.001b is odd: up to 1.010b */
	CHECK(dot1(&m, a, 3) == 1.25f, "RNE to 4 bits: %a", dot1(&m, a, 3));
	m.round_norm = MQ_ACC_RD;
	CHECK(dot1(&m, a, 3) == 1.125f, "RD to 4 bits: %a", dot1(&m, a, 3));
	float b[3] = {-1.0f, -0.125f, -0.0625f};
	CHECK(dot1(&m, b, 3) == -1.25f, "RD of a negative sum: %a", dot1(&m, b, 3));
	m.round_norm = MQ_ACC_RZ;
	CHECK(dot1(&m, b, 3) == -1.125f, "RZ of a negative sum: %a", dot1(&m, b, 3));
	/* zeros and cancellation */
	float z[4] = {0.0f, 0.0f, 0.0f, 0.0f};
	CHECK(dot1(&m, z, 4) == 0.0f, "zeros");
	float c[2] = {3.0f, -3.0f};
	CHECK(dot1(&m, c, 2) == 0.0f, "cancellation");
	CHECK(dot1(&m, c, 0) == 0.0f, "K = 0");
}

static void test_fp32_preset(void)
{
	mq_accum_model m;
	CHECK(mq_accum_model_preset("fp32", &m) == MQ_OK, "fp32 preset");
	unsigned s = 7;
	for (int t = 0; t < 200; t++) {
		float a[300], b[300];
		size_t K = 1 + lcg(&s) % 300;
		for (size_t k = 0; k < K; k++)
			a[k] = e4m3(&s), b[k] = e4m3(&s);
		float ref = 0.0f;
		for (size_t k = 0; k < K; k++)
			ref += a[k] * b[k];
		float got = mq_accum_dot(&m, a, 1, b, 1, K);
		CHECK(memcmp(&ref, &got, 4) == 0, "fp32 preset: %a, loop %a", got, ref);
	}
	/* with F large the block model is exact up to its final rounding: it
	 * agrees with float32 one product at a time (block 1, F = 50, RNE) */
	mq_accum_model e = mk(1, 50, MQ_ACC_RNE, 24, MQ_ACC_RNE, 0);
	for (int t = 0; t < 200; t++) {
		float a[300], b[300];
		size_t K = 1 + lcg(&s) % 300;
		for (size_t k = 0; k < K; k++)
			a[k] = e4m3(&s), b[k] = e4m3(&s);
		float ref = mq_accum_dot(&m, a, 1, b, 1, K);
		float got = mq_accum_dot(&e, a, 1, b, 1, K);
		CHECK(memcmp(&ref, &got, 4) == 0, "F = 50 block 1: %a, fp32 %a", got, ref);
	}
}

static void test_gemm_and_checks(void)
{
	enum { M = 5, K = 77, N = 6 };
	float L[M * K], R[K * N], C1[M * N], C3[M * N];
	unsigned s = 99;
	for (int i = 0; i < M * K; i++)
		L[i] = e4m3(&s);
	for (int i = 0; i < K * N; i++)
		R[i] = e4m3(&s);
	mq_accum_model m;
	CHECK(mq_accum_model_preset("h100-fp8", &m) == MQ_OK, "h100-fp8 preset");
	CHECK(mq_accum_model_check(&m) == MQ_OK, "h100-fp8 valid");
	CHECK(mq_accum_model_preset("h100-fp8-fast", &m) == MQ_OK, "h100-fp8-fast preset");
	CHECK(mq_accum_model_check(&m) == MQ_OK, "h100-fp8-fast valid");
	CHECK(mq_accum_gemm(&m, M, K, N, L, R, 0.25f, C1, 1) == MQ_OK, "gemm 1 thread");
	CHECK(mq_accum_gemm(&m, M, K, N, L, R, 0.25f, C3, 3) == MQ_OK, "gemm 3 threads");
	CHECK(memcmp(C1, C3, sizeof C1) == 0, "threads change nothing");
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float d = mq_accum_dot(&m, L + i * K, 1, R + j, N, K) * 0.25f;
			CHECK(memcmp(&d, &C1[i * N + j], 4) == 0, "gemm (%d,%d) is the dot product", i, j);
		}
	CHECK(mq_accum_gemm(&m, 0, K, N, L, R, 1.0f, C1, 1) == MQ_ESHAPE, "M = 0");
	mq_accum_model bad = m;
	bad.block = 0;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "block 0");
	bad = m, bad.frac_bits = 51;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "F 51");
	bad = m, bad.acc_bits = 25;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "acc 25");
	bad = m, bad.block = 32, bad.promote = 48;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "promote not a multiple of block");
	bad = mk(2, -1, MQ_ACC_RZ, 24, MQ_ACC_RNE, 0);
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "exact needs block 1");
	CHECK(mq_accum_gemm(&bad, M, K, N, L, R, 1.0f, C1, 1) == MQ_EOPTION, "gemm checks");
	CHECK(mq_accum_model_preset("h200", &m) == MQ_EOPTION, "unknown preset");
	CHECK(mq_accum_model_preset(NULL, &m) == MQ_EOPTION, "NULL preset");
	CHECK(strstr(mq_accum_model_known(), "h100-fp8") != NULL, "known list");
}

int main(void)
{
	test_alignment();
	test_swamping_and_promotion();
	test_normalisation();
	test_fp32_preset();
	test_gemm_and_checks();
	if (failures)
		fprintf(stderr, "test_accum: %d failure(s)\n", failures);
	return failures != 0;
}

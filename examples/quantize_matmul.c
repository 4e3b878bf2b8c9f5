/* quantize_matmul.c: metriq from C in three steps.
 *
 *   1. quantize a buffer to FP8 E4M3 and print what each value became;
 *   2. multiply two matrices with both operands quantized to E4M3
 *      (a scale per row of L and per column of R, exact sums);
 *   3. print the product's backward error (the paper's Eq. 3).
 *
 * Build it against an installed metriq:
 *     cc quantize_matmul.c $(pkg-config --cflags --libs metriq) -o quantize_matmul
 * and run it (LD_LIBRARY_PATH=<prefix>/lib if the prefix is not a system
 * one).  `pkg-config --static` links libmetriq.a instead, with GSL,
 * OpenBLAS and jansson after it. */
#include <stdio.h>
#include <stdlib.h>

#include <metriq/metriq.h>

enum { M = 32, K = 48, N = 24 };

/* Every metriq function returns a status; MQ_OK is 0. */
static void check(mq_status s, const char *what)
{
	if (s != MQ_OK) {
		fprintf(stderr, "%s: %s\n", what, mq_strerror(s));
		exit(1);
	}
}

/* Deterministic entries with a spread of magnitudes (and some zeros), so
 * that the output can be checked against another program; "row" scales a
 * whole row (of L) or column (of R), so that each gets its own scale. */
static float entry(int i, int j, int row)
{
	return (float)((double)((7 * i + 3 * j) % 11 - 5) / (1 + (i + j) % 4) * row);
}

static void quantize_buffer(void)
{
	const float x[] = {448, 449, 0.1f, 272, 304, -0.0f, 1e-3f, -3.14159265f};
	enum { n = sizeof x / sizeof *x };
	float q[n];
	mq_qspec spec; /* a format and a rounding; saturating, gradual underflow */
	check(mq_qspec_init(&spec, "e4m3", "rtne"), "mq_qspec_init");
	/* scale 1: each value is rounded as it is; stats (NULL) would count
	 * the clipped and underflowed ones */
	check(mq_fakequant(&spec, x, n, 1.0f, 0, q, NULL), "mq_fakequant");
	printf("e4m3, rtne: x -> q(x)\n");
	for (int i = 0; i < n; i++)
		printf("%.9g %.9g\n", x[i], q[i]);
}

static void quantized_matmul(void)
{
	static float L[M * K], R[K * N], Q[M * N], be[M * N];
	for (int i = 0; i < M; i++)
		for (int k = 0; k < K; k++)
			L[i * K + k] = entry(i, k, 3 + i % 7); /* row-major, M x K */
	for (int k = 0; k < K; k++)
		for (int j = 0; j < N; j++)
			R[k * N + j] = entry(j + 1, 2 * k, 2 + j % 5); /* K x N */

	/* one quantizer per operand; "channel" is per row of L, per column of R */
	mq_qmatmul_cfg cfg = {0};
	check(mq_qoperand_init(&cfg.lhs, "e4m3", "rtne", "channel"), "lhs");
	check(mq_qoperand_init(&cfg.rhs, "e4m3", "rtne", "channel"), "rhs");
	check(mq_qmatmul_accum(&cfg, "exact"), "accum"); /* an ideal FP8 MAC */
	mq_qstats ls = {0}, rs = {0};
	check(mq_qmatmul(&cfg, M, K, N, L, R, Q, 1, &ls, &rs), "mq_qmatmul");

	/* |LR - Q| / (|L||R|) per output element, then its distribution */
	check(mq_backward_error(M, K, N, L, R, Q, be), "mq_backward_error");
	mq_summary s;
	check(mq_stat_summary(be, M * N, &s), "mq_stat_summary");
	printf("Q(L, R): %d x %d x %d, e4m3 per channel, exact sums\n", M, K, N);
	printf("backward error mean %.9g max %.9g\n", s.mean, s.max);
	printf("underflowed elements: L %llu, R %llu\n", (unsigned long long)ls.underflowed,
	       (unsigned long long)rs.underflowed);
}

int main(void)
{
	quantize_buffer();
	quantized_matmul();
	return 0;
}

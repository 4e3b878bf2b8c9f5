/* test_tgemm.c: every ISA path of the training product (train/tgemm.h)
 * this CPU runs, bit for bit against the specification written as a loop:
 * each output a chain of fmaf in k order from zero.  Shapes straddle every
 * path's register tiles (4 x 8, 4 x 24, 8 x 32), its row blocks (96) and
 * its K blocks (512), with all four (transposed or not) operand layouts.
 * The values span a wide range with mixed signs, so that the data can tell
 * the specification from its near misses: the test checks that an unfused
 * loop and a loop summing K in two blocks (as BLAS kernels do) each give
 * other bits somewhere, so a path that did either would fail. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "qkern.h"
#include "tgemm.h"

static uint64_t rng_state = 161803398875u;

static double urand(void) /* uniform in [-1, 1) */
{
	rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
	return (double)(rng_state >> 11) / 9007199254740992.0 * 2 - 1;
}

typedef struct {
	const float *p;
	size_t rs, cs;
} view;

/* 0: the specification; 1: unfused; 2: K in two halves, each from zero. */
static void ref(int how, size_t M, size_t N, size_t K, view a, view b, float *C)
{
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			float s = 0.0f, s2 = 0.0f;
			for (size_t k = 0; k < K; k++) {
				float x = a.p[i * a.rs + k * a.cs], y = b.p[k * b.rs + j * b.cs];
				if (how == 1) {
					volatile float p = x * y; /* rounded on its own */
					s = s + p;
				} else if (how == 2 && k >= K / 2) {
					s2 = fmaf(x, y, s2);
				} else {
					s = fmaf(x, y, s);
				}
			}
			C[i * N + j] = how == 2 ? s + s2 : s;
		}
}

static const size_t shapes[][3] = {
	{1, 1, 1}, {3, 5, 7}, {4, 24, 16}, {8, 32, 64}, {9, 33, 17}, {97, 40, 65},
	{5, 70, 513}, {100, 9, 1030}, {64, 64, 16}, {16, 256, 64}, {2, 3, 0},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* The forced path on one shape and layout; notes whether the near misses
 * differ from the specification somewhere (the power check). */
static void check_one(const mq_tgemm *g, size_t M, size_t N, size_t K, int ta, int tb,
                     int *unfused_differs, int *blocked_differs)
{
	float *A = malloc((M * K + 1) * sizeof *A), *B = malloc((K * N + 1) * sizeof *B);
	float *C = malloc(M * N * sizeof *C), *R = malloc(M * N * sizeof *R);
	float *w = malloc((g->work(M, N, K) + 1) * sizeof *w);
	for (size_t i = 0; i < M * K; i++)
		A[i] = (float)(urand() * exp(4 * urand()));
	for (size_t i = 0; i < K * N; i++)
		B[i] = (float)(urand() * exp(4 * urand()));
	/* A M x K stored as is or K x M; B K x N stored as is or N x K */
	view a = ta ? (view){A, 1, M} : (view){A, K, 1};
	view b = tb ? (view){B, 1, K} : (view){B, N, 1};
	for (size_t i = 0; i < M * N; i++)
		C[i] = NAN; /* every output must be written */
	CHECK(g->fn(M, N, K, a.p, a.rs, a.cs, b.p, b.rs, b.cs, C, N, w) == 0, "returned nonzero");
	ref(0, M, N, K, a, b, R);
	size_t bad = 0;
	for (size_t i = 0; i < M * N; i++)
		bad += memcmp(&C[i], &R[i], sizeof *C) != 0;
	CHECK(bad == 0, "%s %zux%zux%zu ta=%d tb=%d: %zu of %zu outputs differ", g->name, M, N, K,
	      ta, tb, bad, M * N);
	ref(1, M, N, K, a, b, C);
	*unfused_differs |= memcmp(C, R, M * N * sizeof *C) != 0;
	ref(2, M, N, K, a, b, C);
	*blocked_differs |= memcmp(C, R, M * N * sizeof *C) != 0;
	free(A), free(B), free(C), free(R), free(w);
}

int main(void)
{
	const char *names[] = {"generic", "avx2", "avx512"};
	int ran = 0, unfused = 0, blocked = 0;
	for (int p = 0; p < 3; p++) {
		if (mq_qkern_force(names[p]) != MQ_OK) {
			printf("%s: not on this CPU (or not built), skipped\n", names[p]);
			continue;
		}
		const mq_tgemm *g = mq_tgemm_select();
		CHECK(!strcmp(g->name, names[p]), "forced %s, got %s", names[p], g->name);
		for (size_t s = 0; s < NSHAPES; s++)
			for (int tr = 0; tr < 4; tr++)
				check_one(g, shapes[s][0], shapes[s][1], shapes[s][2], tr & 1, tr >> 1,
				          &unfused, &blocked);
		printf("%s: %zu shapes x 4 layouts checked\n", names[p], NSHAPES);
		ran++;
	}
	mq_qkern_force(NULL);
	CHECK(ran >= 1, "no path ran");
	CHECK(unfused, "the data cannot tell fused from unfused multiply-adds");
	CHECK(blocked, "the data cannot tell k order from a blocked sum");
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("all passed\n");
	return failures ? 1 : 0;
}

/* test_int8_kernels.c: the exact int8 x int8 -> int32 kernels of qmmk.h
 * (VNNI, AMX) against the plain int64 loops, bit for bit, on each kernel
 * this CPU can run (the others are skipped, and said so): random bytes,
 * all-extreme bytes, shapes that are no multiple of any tile, row strides
 * wider than a row, K at each kernel's bound, and C's untouched padding.
 * Then mq_qmmk_i8_select under each METRIQ_ISA path name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "qkern.h"
#include "qmmk.h"

static uint64_t rs = 0x9e3779b97f4a7c15u;
static int8_t byte(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (int8_t)(rs >> 24);
}

/* 0: random; 1: every byte -128; 2: A 127, B -128; 3: A alternating
 * -128/127 along k, B -128 (sums that cancel); 4: small magnitudes. */
static int8_t pick(int kind, int is_a, size_t k)
{
	switch (kind) {
	case 1: return -128;
	case 2: return is_a ? 127 : -128;
	case 3: return is_a ? (int8_t)(k % 2 ? 127 : -128) : -128;
	case 4: return (int8_t)(byte() % 3);
	default: return byte();
	}
}

/* One case: C = A.B through f (strides lda = K + 3, ldb = N + 5, ldc =
 * N + 7) against int64 loops; the padding columns of C must stay as set. */
static void one(const char *name, mq_qmmk_i8_fn f, size_t M, size_t N, size_t K, int kind)
{
	size_t lda = K + 3, ldb = N + 5, ldc = N + 7;
	int8_t *A = calloc(M * lda + 1, 1), *B = calloc(K * ldb + 1, 1);
	int32_t *C = malloc((M * ldc + 1) * sizeof *C);
	for (size_t i = 0; i < M; i++)
		for (size_t k = 0; k < lda; k++)
			A[i * lda + k] = k < K ? pick(kind, 1, k) : 99;
	for (size_t k = 0; k < K; k++)
		for (size_t j = 0; j < ldb; j++)
			B[k * ldb + j] = j < N ? pick(kind, 0, k) : 99;
	for (size_t i = 0; i < M * ldc; i++)
		C[i] = 0x5a5a5a5a;
	CHECK(f(M, N, K, A, lda, B, ldb, C, ldc) == 0, "%s: returned an error", name);
	size_t bad = 0;
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < ldc; j++) {
			int64_t want = 0x5a5a5a5a;
			if (j < N) {
				want = 0;
				for (size_t k = 0; k < K; k++)
					want += (int64_t)A[i * lda + k] * B[k * ldb + j];
			}
			if (C[i * ldc + j] != want && bad++ < 3)
				CHECK(0, "%s: %zux%zux%zu kind %d: C[%zu][%zu] = %d, loops %lld", name, M, N,
				      K, kind, i, j, C[i * ldc + j], (long long)want);
		}
	free(A), free(B), free(C);
}

static void kernel(const char *name, mq_qmmk_i8_fn f, size_t kmax, int k0)
{
	static const size_t shapes[][3] = {
		{1, 1, 1},    {1, 1, 0},     {3, 5, 7},     {16, 16, 64},  {17, 15, 63},
		{31, 33, 65}, {32, 32, 128}, {33, 47, 200}, {65, 97, 129}, {100, 70, 2049},
		{5, 3, 4100},
	};
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
		for (int kind = 0; kind < 5; kind++)
			/* the VNNI kernel leaves C as it was for K = 0 (qgemm never
			 * passes an empty segment) */
			if (shapes[s][2] > 0 || k0)
				one(name, f, shapes[s][0], shapes[s][1], shapes[s][2], kind);
	/* at the bound: |sum| = K * 2^14 for kinds 1 and 2, the largest that
	 * fits in int32 for AMX's K = 131071 */
	for (int kind = 1; kind <= 3; kind++)
		one(name, f, 3, 35, kmax, kind);
}

int main(void)
{
	int ran = 0;
	const char *path = NULL;
#ifdef MQ_HAVE_VNNI
	if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) {
		kernel("vnni", mq_qmmk_i8_vnni, 65536, 0);
		ran++;
	} else {
		printf("test_int8_kernels: no AVX-512 VNNI here, the VNNI kernel is not tested\n");
	}
#endif
#ifdef MQ_HAVE_AMX
	if (mq_qmmk_amx_ok()) {
		kernel("amx", mq_qmmk_i8_amx, 131071, 1);
		ran++;
		CHECK(mq_qkern_force("amx") == MQ_OK, "amx: cannot be forced");
		CHECK(mq_qmmk_i8_select() == mq_qmmk_i8_amx, "amx: not selected when forced");
		mq_qkern_force(NULL);
		mq_qkern_select(&path);
		CHECK(getenv("METRIQ_ISA") || !strcmp(path, "amx"), "the automatic path is %s", path);
	} else {
		printf("test_int8_kernels: no AMX-INT8 (or no permission) here, the AMX kernel is "
		       "not tested\n");
		CHECK(mq_qkern_force("amx") == MQ_EOPTION, "amx: forced without AMX");
	}
#endif
#ifdef MQ_HAVE_VNNI
	/* avx512 has VNNI's kernel where the CPU has VNNI, whether or not AMX */
	if (mq_qkern_force("avx512") == MQ_OK)
		CHECK(mq_qmmk_i8_select() ==
		          (__builtin_cpu_supports("avx512vnni") ? mq_qmmk_i8_vnni : NULL),
		      "avx512: not the VNNI kernel");
#endif
	if (mq_qkern_force("generic") == MQ_OK)
		CHECK(mq_qmmk_i8_select() == NULL, "generic: an int8 kernel");
	CHECK(mq_qkern_force("amx512") == MQ_EOPTION, "an unknown path was accepted");
	mq_qkern_force(NULL);
	printf("test_int8_kernels: %d kernel(s) tested, %d failure(s)\n", ran, failures);
	return failures != 0;
}

/* qmmk_vnni.c: exact int32 product of two integer-valued matrices of at
 * most 8 bits with AVX-512 VNNI (qmmk.h, mq_qmmk_i8_vnni).
 *
 * vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the four
 * products to an int32 lane: 64 multiply-adds an instruction, four times a
 * float32 FMA's 16.  It wants one operand unsigned, so A is packed as
 * A + 128 (in 0..255) and 128 * (column sums of B) is subtracted at the
 * end: sum_k (a + 128) b - 128 sum_k b = sum_k a b, every step an exact
 * integer (the caller bounds K so that no lane can wrap).  Intrinsics
 * here, because C has no way to say "dot product of bytes into int32" that
 * a compiler turns into vpdpbusd, and BENCHMARKS.md shows it pays. */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmmk.h"

#define MR 8
#define NR 32   /* two zmm of 16 int32 lanes */
#define KC 2048 /* a multiple of 4: B panel KC x NR bytes = 64 KiB, in L2 */
#define MC 96

/* acc += Ap . Bp over kc4 groups of 4 k; then stored to C (mr x nr real). */
static void tile(size_t kc4, const uint8_t *Ap, const int8_t *Bp, int32_t *C, size_t ldc,
                 size_t mr, size_t nr, int first)
{
	__m512i acc[MR][2];
	int32_t t[MR * NR];
	int full = mr == MR && nr == NR;
	int32_t *c = full ? C : t;
	size_t ld = full ? ldc : NR;
	if (!full)
		for (size_t r = 0; r < MR; r++)
			for (size_t j = 0; j < NR; j++)
				t[r * NR + j] = first || r >= mr || j >= nr ? 0 : C[r * ldc + j];
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < 2; v++)
			acc[r][v] = first && full ? _mm512_setzero_si512()
			                          : _mm512_loadu_si512((const void *)(c + r * ld + v * 16));
	for (size_t k = 0; k < kc4; k++) {
		__m512i b0 = _mm512_loadu_si512((const void *)(Bp + k * NR * 4));
		__m512i b1 = _mm512_loadu_si512((const void *)(Bp + k * NR * 4 + 64));
		for (size_t r = 0; r < MR; r++) {
			int32_t a4;
			memcpy(&a4, Ap + (k * MR + r) * 4, 4);
			__m512i a = _mm512_set1_epi32(a4);
			acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], a, b0);
			acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], a, b1);
		}
	}
	for (size_t r = 0; r < MR; r++)
		for (size_t v = 0; v < 2; v++)
			_mm512_storeu_si512((void *)(c + r * ld + v * 16), acc[r][v]);
	if (!full)
		for (size_t r = 0; r < mr; r++)
			for (size_t j = 0; j < nr; j++)
				C[r * ldc + j] = t[r * NR + j];
}

/* int8 to bytes + bias (mod 256), a loop the compiler vectorizes. */
static void to_bytes(const int8_t *x, size_t n, int bias, uint8_t *y)
{
	for (size_t i = 0; i < n; i++)
		y[i] = (uint8_t)(x[i] + bias);
}

int mq_qmmk_i8_vnni(size_t M, size_t N, size_t K, const int8_t *A, size_t lda,
                    const int8_t *B, size_t ldb, int32_t *C, size_t ldc)
{
	size_t nblk = (N + NR - 1) / NR, mblk = (MC + MR - 1) / MR;
	int8_t *Bp = malloc((size_t)KC * NR * nblk);
	uint8_t *Ap = malloc((size_t)KC * MR * mblk);
	int32_t *colsum = calloc(nblk * NR, sizeof *colsum);
	/* one row of B (zero-padded to whole panels) and MR rows of A, as bytes */
	uint8_t *brow = calloc(4 * nblk * NR, 1), *arow = malloc(MR * (KC + 4));
	if (!Bp || !Ap || !colsum || !brow || !arow) {
		free(Bp), free(Ap), free(colsum), free(brow), free(arow);
		return -1;
	}
	for (size_t p0 = 0; p0 < K; p0 += KC) {
		size_t kc = K - p0 < KC ? K - p0 : KC, kc4 = (kc + 3) / 4;
		/* B[p0.., :] as panels of kc4 x NR x 4 bytes: byte q of column j
		 * in group g is B[p0 + 4g + q][j]; rows past K are zero */
		for (size_t g = 0; g < kc4; g++) {
			for (size_t q = 0; q < 4; q++) {
				uint8_t *br = brow + q * nblk * NR;
				if (4 * g + q < kc) {
					to_bytes(B + (p0 + 4 * g + q) * ldb, N, 0, br);
					for (size_t j = 0; j < N; j++)
						colsum[j] += (int8_t)br[j];
				} else {
					memset(br, 0, N);
				}
			}
			const uint8_t *b0 = brow, *b1 = brow + nblk * NR, *b2 = b1 + nblk * NR,
			              *b3 = b2 + nblk * NR;
			for (size_t jb = 0; jb < nblk; jb++) {
				uint32_t *d = (uint32_t *)(void *)(Bp + jb * KC * NR) + g * NR;
				for (size_t j = 0; j < NR; j++) {
					size_t c = jb * NR + j;
					d[j] = (uint32_t)b0[c] | (uint32_t)b1[c] << 8 | (uint32_t)b2[c] << 16 |
					       (uint32_t)b3[c] << 24;
				}
			}
		}
		for (size_t i0 = 0; i0 < M; i0 += MC) {
			size_t mc = M - i0 < MC ? M - i0 : MC, nmb = (mc + MR - 1) / MR;
			for (size_t ib = 0; ib < nmb; ib++) {
				size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
				/* A + 128 as bytes, rows past M and columns past K zero */
				for (size_t r = 0; r < MR; r++) {
					uint8_t *ar = arow + r * (KC + 4);
					if (r < mr)
						to_bytes(A + (i0 + r0 + r) * lda + p0, kc, 128, ar);
					else
						memset(ar, 0, kc);
					memset(ar + kc, 0, 4);
				}
				uint8_t *d = Ap + ib * KC * MR;
				for (size_t g = 0; g < kc4; g++)
					for (size_t r = 0; r < MR; r++)
						memcpy(d + (g * MR + r) * 4, arow + r * (KC + 4) + 4 * g, 4);
			}
			for (size_t jb = 0; jb < nblk; jb++) {
				size_t j0 = jb * NR, nr = N - j0 < NR ? N - j0 : NR;
				for (size_t ib = 0; ib < nmb; ib++) {
					size_t r0 = ib * MR, mr = mc - r0 < MR ? mc - r0 : MR;
					tile(kc4, Ap + ib * KC * MR, Bp + jb * KC * NR,
					     C + (i0 + r0) * ldc + j0, ldc, mr, nr, p0 == 0);
				}
			}
		}
	}
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++)
			C[i * ldc + j] -= 128 * colsum[j];
	free(Bp), free(Ap), free(colsum), free(brow), free(arow);
	return 0;
}

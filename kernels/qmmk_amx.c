/* qmmk_amx.c: exact int32 product of two int8 matrices with AMX tiles
 * (qmmk.h, mq_qmmk_i8_amx), and the check that this process may use them.
 *
 * tdpbssd takes a 16 x 64 tile of signed bytes of A and a 16 x 64 tile of
 * B (16 columns of 4 consecutive k each: the VNNI layout) into a 16 x 16
 * tile of int32 sums, 16384 multiply-adds an instruction.  Both operands
 * are signed, so the VNNI kernel's A + 128 correction is not needed.  Every
 * step is integer arithmetic modulo 2^32, in whatever order the hardware
 * adds, so C is exact whenever the true sum fits in int32: |a b| <= 2^14,
 * hence any K <= 131071 (131071 * 2^14 < 2^31); qmmk.h's interface promises
 * K <= 65536, as for VNNI.  Zero padding of M and N to 32 and K to 64 adds
 * nothing to the sums.
 *
 * Built with -mamx-tile -mamx-int8 and nothing wider, so that mq_qmmk_amx_ok
 * runs on any x86-64; the packing uses SSE2. */
/* syscall(2) is no part of C11 or POSIX */
#define _DEFAULT_SOURCE
#include <cpuid.h>
#include <emmintrin.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "qmmk.h"

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int amx_usable;
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

/* The CPU has AMX-TILE and AMX-INT8 (cpuid 7.0 EDX bits 24, 25), the OS
 * saves tile state (XCR0 bits 17, 18), and Linux grants this process the
 * tile data (permission is per process, asked once). */
static void amx_probe(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) < 7)
		return;
	__cpuid_count(7, 0, a, b, c, d);
	if (!(d & (1u << 24)) || !(d & (1u << 25)))
		return;
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27))) /* OSXSAVE: xgetbv is allowed */
		return;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & (3u << 17)) != (3u << 17))
		return;
#ifdef SYS_arch_prctl
	amx_usable = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#endif
}

int mq_qmmk_amx_ok(void)
{
	pthread_once(&amx_once, amx_probe);
	return amx_usable;
}

/* palette 1: tiles 0-3 hold a 32 x 32 block of C, 4-5 two 16-row strips
 * of A, 6-7 two 16-column panels of B; every tile 16 rows of 64 bytes. */
struct tilecfg {
	uint8_t palette, start_row, reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
};

static void tiles_configure(void)
{
	struct tilecfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.palette = 1;
	for (int t = 0; t < 8; t++)
		cfg.colsb[t] = 64, cfg.rows[t] = 16;
	_tile_loadconfig(&cfg);
}

/* B (K x N) as 16-column panels of Kp/4 rows of 64 bytes: bytes 4j..4j+3
 * of row g of panel p are B[4g..4g+3][16p + j], zero past K and N.  row is
 * a scratch of 4 x Np bytes. */
static void pack_b(size_t K, size_t N, const int8_t *B, size_t ldb, size_t Kp, size_t Np,
                   int8_t *row, int8_t *Bp)
{
	memset(row + N, 0, Np - N);
	for (size_t q = 1; q < 4; q++)
		memset(row + q * Np + N, 0, Np - N);
	for (size_t g = 0; g < Kp / 4; g++) {
		for (size_t q = 0; q < 4; q++) {
			size_t k = 4 * g + q;
			if (k < K)
				memcpy(row + q * Np, B + k * ldb, N);
			else
				memset(row + q * Np, 0, N);
		}
		for (size_t j = 0; j < Np; j += 16) {
			__m128i r0 = _mm_loadu_si128((const __m128i *)(const void *)(row + j));
			__m128i r1 = _mm_loadu_si128((const __m128i *)(const void *)(row + Np + j));
			__m128i r2 = _mm_loadu_si128((const __m128i *)(const void *)(row + 2 * Np + j));
			__m128i r3 = _mm_loadu_si128((const __m128i *)(const void *)(row + 3 * Np + j));
			__m128i lo01 = _mm_unpacklo_epi8(r0, r1), hi01 = _mm_unpackhi_epi8(r0, r1);
			__m128i lo23 = _mm_unpacklo_epi8(r2, r3), hi23 = _mm_unpackhi_epi8(r2, r3);
			__m128i *d = (__m128i *)(void *)(Bp + (j / 16) * (Kp / 4) * 64 + g * 64);
			_mm_storeu_si128(d, _mm_unpacklo_epi16(lo01, lo23));
			_mm_storeu_si128(d + 1, _mm_unpackhi_epi16(lo01, lo23));
			_mm_storeu_si128(d + 2, _mm_unpacklo_epi16(hi01, hi23));
			_mm_storeu_si128(d + 3, _mm_unpackhi_epi16(hi01, hi23));
		}
	}
}

/* A (M x K) as Mp rows of Kp bytes, zero past M and K. */
static void pack_a(size_t M, size_t K, const int8_t *A, size_t lda, size_t Mp, size_t Kp,
                   int8_t *Ap)
{
	for (size_t i = 0; i < Mp; i++) {
		size_t n = i < M ? K : 0;
		if (n)
			memcpy(Ap + i * Kp, A + i * lda, n);
		memset(Ap + i * Kp + n, 0, Kp - n);
	}
}

/* The 32 x 32 block of C at (A strip a, B panels b, b + panel) over Kp;
 * stored at c with row stride ldc bytes. */
static void block(size_t Kp, const int8_t *a, const int8_t *b, size_t panel, int32_t *c,
                  size_t ldc)
{
	_tile_zero(0);
	_tile_zero(1);
	_tile_zero(2);
	_tile_zero(3);
	for (size_t k = 0; k < Kp; k += 64) {
		_tile_loadd(4, a + k, Kp);
		_tile_loadd(5, a + 16 * Kp + k, Kp);
		_tile_loadd(6, b + k * 16, 64);
		_tile_loadd(7, b + panel + k * 16, 64);
		_tile_dpbssd(0, 4, 6);
		_tile_dpbssd(1, 4, 7);
		_tile_dpbssd(2, 5, 6);
		_tile_dpbssd(3, 5, 7);
	}
	_tile_stored(0, c, ldc);
	_tile_stored(1, c + 16, ldc);
	_tile_stored(2, (int8_t *)c + 16 * ldc, ldc);
	_tile_stored(3, (int8_t *)c + 16 * ldc + 64, ldc);
}

int mq_qmmk_i8_amx(size_t M, size_t N, size_t K, const int8_t *A, size_t lda,
                   const int8_t *B, size_t ldb, int32_t *C, size_t ldc)
{
	if (M == 0 || N == 0)
		return 0;
	size_t Mp = (M + 31) / 32 * 32, Np = (N + 31) / 32 * 32, Kp = (K + 63) / 64 * 64;
	int8_t *Ap = malloc(Mp * Kp + 1), *Bp = malloc(Np * Kp + 1), *row = malloc(4 * Np);
	if (!Ap || !Bp || !row) {
		free(Ap), free(Bp), free(row);
		return -1;
	}
	pack_b(K, N, B, ldb, Kp, Np, row, Bp);
	pack_a(M, K, A, lda, Mp, Kp, Ap);
	tiles_configure();
	size_t panel = Kp / 4 * 64; /* bytes of one 16-column panel */
	int32_t t[32 * 32];
	for (size_t j0 = 0; j0 < N; j0 += 32) {
		size_t nr = N - j0 < 32 ? N - j0 : 32;
		const int8_t *b = Bp + (j0 / 16) * panel;
		for (size_t i0 = 0; i0 < M; i0 += 32) {
			size_t mr = M - i0 < 32 ? M - i0 : 32;
			if (mr == 32 && nr == 32) {
				block(Kp, Ap + i0 * Kp, b, panel, C + i0 * ldc + j0, ldc * 4);
				continue;
			}
			block(Kp, Ap + i0 * Kp, b, panel, t, 32 * 4);
			for (size_t r = 0; r < mr; r++)
				memcpy(C + (i0 + r) * ldc + j0, t + r * 32, nr * sizeof *C);
		}
	}
	_tile_release();
	free(Ap), free(Bp), free(row);
	return 0;
}

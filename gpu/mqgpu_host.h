/* mqgpu_host.h: host-side helpers of the GPU validation (issue 8).
 *
 * The GEMM study draws its operands here, in C, so that the rows a fit
 * needs can be drawn again on any machine, bit for bit, without moving the
 * matrices: element (r, k) of a matrix of row length K is a function of
 * (seed, r * K + k) only, whatever the threads.  Python calls these through
 * ctypes on the GPU machine (gpu/gemm_hw.py); gpu/fit_accum.c calls them on
 * the CPU.  Both also hash the FP8 codes they hold (mqg_hash) so that the
 * two sides can prove they hold the same operands.
 *
 * Distributions (mqg_sample):
 *   MQG_T      Student-t(nu) for integer 1 <= nu <= 15 (Z / sqrt(V / nu),
 *              V the sum of nu squared normals), nu = 0 meaning the normal
 *              limit.  Normals by Box-Muller from 53-bit uniforms, each
 *              uniform two 32-bit words of Philox4x32-10 (rng.h): element
 *              i's block j (j < 8) is at counter (i << 3) | j, and normals
 *              2j, 2j+1 come from block j's four words.
 *   MQG_CODES  a uniformly drawn finite code of the format `fmt`, decoded
 *              (log-uniform magnitudes over the whole range: a probe of
 *              alignment and truncation).
 *   MQG_SPIKE  0.05 * Z, except with probability 1/64 +-(256 + 192 u):
 *              rare large products among small ones (block 0 gives Z,
 *              block 1 the choice, u and the sign).
 * Results are float32 (the double value rounded to nearest).  log, sqrt,
 * cos and sin come from the C library; the hash check catches the case
 * where two libraries disagree on a code.
 */
#ifndef MQGPU_HOST_H
#define MQGPU_HOST_H

#include <stdint.h>

enum { MQG_T = 0, MQG_CODES = 1, MQG_SPIKE = 2 };

/* out[i * K + k] = element (rows[i], k) for i < nrows (rows NULL: row i).
 * Returns 0, or -1 for a bad argument. */
int mqg_sample(int dist, int nu, const char *fmt, uint64_t seed, const int64_t *rows,
               int64_t nrows, int64_t K, float *out, int nthreads);

/* Per-tensor absmax scale as scale.h computes it: absmax / max(fmt) in
 * float32, 1 when absmax is 0.  -1 for non-finite data or a bad format. */
int mqg_absmax_scale(const char *fmt, const float *x, int64_t n, float *scale);

/* codes[i] = mq_encode of x[i] / scale (rtne, saturate, gradual) for an
 * 8-bit format; 0 or -1. */
int mqg_encode(const char *fmt, const float *x, int64_t n, float scale, uint8_t *codes,
               int nthreads);

/* y[i] = value of codes[i] (unscaled); 0 or -1. */
int mqg_decode(const char *fmt, const uint8_t *codes, int64_t n, float *y);

/* FNV-1a, 64 bits. */
uint64_t mqg_hash(const uint8_t *p, int64_t n);

#endif

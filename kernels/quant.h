/* quant.h: float32 -> format conversion of single values and arrays.
 *
 * A quantizer is an mq_qspec: a format, a rounding, the overflow and
 * underflow rules and a seed.  Three operations:
 *   encode     float32 -> code (the format's bit pattern)
 *   decode     code -> float32 (every value of every format with at most
 *              16 bits is exact in float32)
 *   fakequant  float32 -> float32: the value the code stands for.
 *
 * NaN policy: formats with NaN encode NaN as their NaN code (sign kept).
 * Formats without NaN (INT-n, MX E3M2/E2M3/E2M1) encode NaN as code 0 and
 * count it in mq_qstats.nan; fakequant returns NaN for a NaN input in every
 * format, because a float32 output can carry it and hiding a NaN would hide
 * a bug upstream.
 *
 * Signed zero: float formats keep the sign of zero in the code.  INT codes
 * have no -0, but fakequant keeps the input's sign on a zero result
 * (-0.3 -> -0 in int8), so fakequant is sign-symmetric in every format.
 *
 * Scaled arrays: element i becomes fakequant(x[i] / scale) * scale, each
 * operation in float32 (division and product correctly rounded).  The
 * quotient x/scale is what is rounded to the format; the product is exact
 * whenever scale is a power of two.
 */
#ifndef MQ_QUANT_H
#define MQ_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "round.h"
#include "status.h"

typedef struct mq_qspec {
	mq_format fmt;
	mq_rounding rnd;
	mq_overflow ovf;
	mq_underflow unf;
	uint64_t seed;      /* stochastic rounding stream */
} mq_qspec;

/* Defaults: rtne, saturate, gradual, seed 0. */
mq_status mq_qspec_init(mq_qspec *q, const char *format, const char *rounding);
/* Check a hand-filled spec (e.g. MQ_OVF_IEEE on a format without inf/NaN). */
mq_status mq_qspec_check(const mq_qspec *q);

/* Per-array counts.  clipped: finite |v| > max (v = x/scale), whatever the
 * rounding made of it, plus infinities; underflowed: v != 0 that became 0;
 * nan: NaN inputs. */
typedef struct mq_qstats {
	uint64_t n, clipped, underflowed, nan;
} mq_qstats;

/* One element.  rbits is the element's random word (used only by SR). */
uint32_t mq_encode1(const mq_qspec *q, float x, uint32_t rbits);
float mq_decode1(const mq_format *f, uint32_t code);
float mq_fakequant1(const mq_qspec *q, float x, uint32_t rbits);

/* Arrays.  index0 is the stream index of x[0] (SR draws mq_rand32(seed,
 * index0 + i) for x[i]), so a slice quantized on its own gets the bits it
 * would get inside the whole.  codes is uint8_t[n] for formats of at most
 * 8 bits and uint16_t[n] otherwise.  stats may be NULL; counts are added. */
mq_status mq_encode(const mq_qspec *q, const float *x, size_t n, float scale,
                    uint64_t index0, void *codes, mq_qstats *stats);
mq_status mq_decode(const mq_format *f, const void *codes, size_t n,
                    float scale, float *y);
mq_status mq_fakequant(const mq_qspec *q, const float *x, size_t n,
                       float scale, uint64_t index0, float *y,
                       mq_qstats *stats);

/* The general array form behind the three above: element i is scaled by
 * scales[i / sdiv] (sdiv = SIZE_MAX: one scale; 1: a scale per element; B:
 * per block of B).  y (fake-quantized, may alias x) and codes may each be
 * NULL.  Every scale must be finite and > 0, else MQ_EOPTION. */
mq_status mq_quantize_run(const mq_qspec *q, const float *x, size_t n,
                          const float *scales, size_t sdiv, uint64_t index0,
                          float *y, void *codes, mq_qstats *stats);

#endif

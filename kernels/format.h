/* format.h: number formats as data.
 *
 * Every format metriq knows is one mq_format descriptor; the encoder, the
 * decoder and the tables read the descriptor and never switch on a name.
 * Adding a named format is adding a row to the table in format.c; any
 * EeMm is available by name without a row.
 *
 * Kinds of format
 *   MQ_KIND_FLOAT  sign + e exponent bits + m mantissa bits, bias 2^(e-1)-1,
 *                  gradual underflow (subnormals), in one of three variants:
 *       MQ_SPECIALS_IEEE  top exponent reserved: inf (mantissa 0) and NaN.
 *       MQ_SPECIALS_FN    no infinities; the single all-ones magnitude code
 *                         S.1..1.1..1 is NaN (OCP FP8 E4M3 "fn").
 *       MQ_SPECIALS_NONE  no inf, no NaN; every code is a finite number
 *                         (OCP MX element formats E3M2, E2M3, E2M1).
 *   MQ_KIND_INT    symmetric two's-complement INT-n: codes -(2^(n-1)-1) ..
 *                  2^(n-1)-1; the code -2^(n-1) is never produced.  The
 *                  descriptor describes it as a float with no normal range,
 *                  m = n-1 and emin = n-1, so that every value is k * 2^0:
 *                  the encoder needs no INT branch.
 *   MQ_KIND_E8M0   the OCP MX scale format: unsigned, 8 exponent bits, no
 *                  mantissa, no zero, value 2^(code-127), code 0xFF is NaN.
 *                  Positive values round to the nearest power of two by
 *                  value (the tie 1.5*2^k goes to the even code); +-0 and
 *                  values below 2^-127 become 2^-127, the nearest value,
 *                  under either underflow rule; negatives (-inf too) are NaN.
 *
 * Names (mq_format_get):
 *   int2 .. int16; e4m3 (= e4m3fn), e5m2, fp16, bf16, e3m2, e2m3, e2m1, e8m0;
 *   eXmY (IEEE-like), eXmYfn (fn-like), eXmYmx (no inf/NaN) for any
 *   1 <= X, 0 <= Y, X+Y <= 15 whose values all lie in float32's range (so
 *   X <= 8, and X = 8 only IEEE-like); IEEE-like needs X >= 2 and Y >= 1
 *   (a NaN needs a mantissa bit); fn-like needs X+Y >= 2.
 *
 * Codes are returned as uint32_t holding the format's bit pattern in the low
 * `bits` bits (INT codes in two's complement, e.g. int8 -127 is 0x81).
 */
#ifndef MQ_FORMAT_H
#define MQ_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

typedef enum { MQ_KIND_FLOAT, MQ_KIND_INT, MQ_KIND_E8M0 } mq_kind;
typedef enum { MQ_SPECIALS_IEEE, MQ_SPECIALS_FN, MQ_SPECIALS_NONE } mq_specials;

typedef struct mq_format {
	char name[32];
	mq_kind kind;
	mq_specials specials;
	int bits;           /* total bits of a code */
	int ebits, mbits;   /* exponent and mantissa bits (INT: 0 and n-1) */
	int bias;           /* exponent bias (INT: 2-n, see above) */
	/* derived by mq_format_init */
	int emin;           /* exponent of the smallest normal */
	int emax;           /* exponent of the largest finite value */
	uint32_t maxcode;   /* magnitude bits of the largest finite value */
	uint32_t signbit;   /* sign bit of a code (0 for E8M0) */
	int has_inf, has_nan;
	uint32_t infcode;   /* magnitude bits of +inf (if has_inf) */
	uint32_t nancode;   /* magnitude bits of the canonical NaN (if has_nan) */
	float max;          /* largest finite value */
	float min_normal;   /* smallest positive normal (INT: 1) */
	float min_subnormal;/* smallest positive value (INT: 1) */
} mq_format;

/* Fill f from a name; MQ_EFORMAT if the name is unknown or malformed. */
mq_status mq_format_get(const char *name, mq_format *f);

/* Build a float format from its parameters (used by the parser). */
mq_status mq_format_float(mq_format *f, int ebits, int mbits, mq_specials sp);
mq_status mq_format_int(mq_format *f, int bits);

/* The named formats in table order, for listings and error messages:
 * returns the i-th name, or NULL past the end. */
const char *mq_format_name(size_t i);

/* Comma-separated list of the named formats ("int8, e4m3, ..."), static. */
const char *mq_format_known(void);

#endif

/* round.h: rounding modes, overflow and underflow rules, as data.
 *
 * Rounding (mq_rounding_parse):
 *   "rtne"  round to nearest, ties to even (default; IEEE 754).
 *   "rtz"   round toward zero (truncate the magnitude).
 *   "rna"   round to nearest, ties away from zero.
 *   "sr"    stochastic rounding with 32 random bits; "sr:K" with K bits,
 *           1 <= K <= 32.  Let f in [0,1) be the distance of |x| from the
 *           lower neighbour in units of the gap.  SR rounds the magnitude up
 *           iff floor(f * 2^K) + R >= 2^K, R uniform on [0, 2^K): so
 *           P(up) = floor(f * 2^K) / 2^K, i.e. exactly f when f has at most
 *           K bits after the point, and at most 2^-K below f otherwise (the
 *           bits of f beyond K are truncated).  R is the top K bits of one
 *           32-bit word of a Philox4x32-10 stream keyed by (seed, element
 *           index): see rng.h.  Exactly one word is drawn per element,
 *           whether or not the element needs rounding.
 *
 * Overflow (after rounding, |result| > max):
 *   MQ_OVF_SATURATE  +-max (the paper's rule; default).  +-inf also
 *                    saturates, as the H100's .satfinite conversions do.
 *   MQ_OVF_IEEE      IEEE-like formats give +-inf, fn-like formats NaN;
 *                    under RTZ a finite overflow gives +-max (IEEE 754
 *                    7.4).  Formats without inf and NaN reject this option.
 *
 * Underflow:
 *   MQ_UNF_GRADUAL   round into the subnormals as IEEE does (default; what
 *                    the H100's conversions and ml_dtypes do).
 *   MQ_UNF_FLUSH     the paper's literal rule: |x| below the smallest
 *                    subnormal becomes a zero of the same sign; values from
 *                    the smallest subnormal up round as usual.  Under RTNE
 *                    the two differ exactly on (min_sub/2, min_sub): min_sub/2
 *                    itself is a tie that goes to the even code, zero.
 */
#ifndef MQ_ROUND_H
#define MQ_ROUND_H

#include "status.h"

typedef enum { MQ_RTNE, MQ_RTZ, MQ_RNA, MQ_SR } mq_round_mode;
typedef enum { MQ_OVF_SATURATE, MQ_OVF_IEEE } mq_overflow;
typedef enum { MQ_UNF_GRADUAL, MQ_UNF_FLUSH } mq_underflow;

typedef struct mq_rounding {
	mq_round_mode mode;
	int sr_bits;        /* random bits per element for MQ_SR, 1..32 */
} mq_rounding;

mq_status mq_rounding_parse(const char *name, mq_rounding *r);
/* Canonical name ("rtne", "sr", "sr:8") into buf of at least 8 bytes. */
const char *mq_rounding_name(const mq_rounding *r, char *buf);

mq_status mq_overflow_parse(const char *name, mq_overflow *o);   /* saturate|ieee */
mq_status mq_underflow_parse(const char *name, mq_underflow *u); /* gradual|flush */

/* The names each parser above accepts, "a, b, c", for error messages. */
const char *mq_rounding_known(void);
const char *mq_overflow_known(void);
const char *mq_underflow_known(void);

#endif

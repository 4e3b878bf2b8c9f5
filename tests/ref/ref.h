/* ref.h: an independent reference quantizer, for the tests only.
 *
 * Written from the published format specifications (IEEE 754 binary16,
 * bfloat16, OCP FP8 E4M3/E5M2, OCP MX E3M2/E2M3/E2M1/E8M0) and from the
 * comments of the kernels headers, never from their sources.  It shares
 * no code with the library and works the other way round: a format is the
 * sorted table of its representable magnitudes, each held exactly as an
 * integer times a power of two; a value is rounded by locating its two
 * neighbours in that table and comparing it exactly with their midpoint
 * (or, for stochastic rounding, by an exact integer division of its
 * distance from the lower neighbour by the gap).  No floating-point
 * arithmetic decides a result.
 *
 * Only formats whose every finite value is exact in float32 are supported:
 * every named format and every eXmY with X <= 7, or X = 8 where the largest
 * value stays below 2^128 (IEEE-like e8mY, e8m0fn/mx).  ref_fmt_open says
 * -2 for the others (e9m6, e8m7fn, ...) and for the degenerate e1m0fn and
 * IEEE-like eXm0 (no NaN code).
 */
#ifndef MQ_TEST_REF_H
#define MQ_TEST_REF_H

#include <stddef.h>
#include <stdint.h>

typedef enum { REF_FP, REF_INT, REF_UE8M0 } ref_type;
typedef enum { REF_IEEE, REF_FN, REF_NONE } ref_special;
typedef enum { REF_RTNE, REF_RTZ, REF_RNA, REF_SR } ref_mode;

/* An exact non-negative number sig * 2^exp. */
typedef struct ref_num {
	uint64_t sig;
	int exp;
} ref_num;

typedef struct ref_fmt {
	char name[32];
	ref_type type;
	ref_special special;   /* REF_FP only */
	int bits, e, m, bias;  /* REF_INT: e = 0, m = bits-1, bias unused */
	int has_inf, has_nan;
	uint32_t sign_mask;    /* 0 for UE8M0 */
	uint32_t nan_mag;      /* canonical NaN magnitude (quiet NaN for IEEE) */
	uint32_t inf_mag;
	int count;             /* finite magnitudes: codes 0 .. count-1 */
	/* count+1 entries: val[count] is the value just above max in the same
	 * format with an unbounded exponent range (IEEE 754 4.3 rounds into it
	 * before deciding overflow). */
	ref_num *val;
	uint32_t *key;         /* float32 bit pattern of val[i]; 0x7F800000 if >= 2^128 */
	ref_num *mid;          /* count entries: (val[i] + val[i+1]) / 2 */
	uint32_t *midkey;      /* its float32 bit pattern when midexact[i] */
	unsigned char *midexact;
	float max, min_normal, min_sub;
	int emin, emax;        /* REF_FP and REF_UE8M0 */
} ref_fmt;

/* 0 on success; -1 unknown or malformed name; -2 a valid name whose values
 * are not all exact in float32 (not supported by the reference). */
int ref_fmt_open(ref_fmt *f, const char *name);
int ref_fmt_fp(ref_fmt *f, int e, int m, ref_special sp);
int ref_fmt_int(ref_fmt *f, int n);
int ref_fmt_ue8m0(ref_fmt *f);
void ref_fmt_close(ref_fmt *f);

typedef struct ref_spec {
	const ref_fmt *f;
	ref_mode mode;
	int sr_bits;    /* 1..32 for REF_SR */
	int ovf_ieee;   /* 0 saturate, 1 ieee */
	int unf_flush;  /* 0 gradual, 1 flush */
} ref_spec;

typedef struct ref_out {
	uint32_t code;
	float value;        /* fake-quantized value */
	int clipped;        /* finite |x| > max, or an infinity */
	int underflowed;    /* x != 0 that became 0 */
	int nan;            /* NaN input */
	int open;           /* the headers leave this result open (E8M0, see ref.c) */
} ref_out;

ref_out ref_quant(const ref_spec *s, float x, uint32_t rbits);

/* The result for the float32 pattern u, and in *last the largest pattern
 * of u's sign such that every pattern in [u, *last] has this same result
 * (code, value and flags).  For the exhaustive sweeps: the result is a step
 * function of the bit pattern, and *last is where the next step may start
 * (a neighbour, a midpoint, the flush threshold, max).  SR: *last = u. */
ref_out ref_quant_run(const ref_spec *s, uint32_t u, uint32_t *last);

/* The value of a code (NaN keeps the code's sign); *valid = 0 for a code
 * outside the format's bits. */
float ref_decode(const ref_fmt *f, uint32_t code, int *valid);

/* The neighbours lo <= |x| <= hi of a finite |x| within the finite range, as
 * signed values with x's sign (lo == hi when x is representable). */
void ref_neighbours(const ref_fmt *f, float x, float *lo, float *hi);

/* Philox4x32-10 (Salmon et al. 2011, Random123), one block. */
void ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Bit helpers for tests. */
uint32_t ref_fbits(float x);
float ref_bitsf(uint32_t u);

#endif

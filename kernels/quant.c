/* quant.c: float32 -> format rounding on the integer image of the float.
 *
 * One algorithm serves every float and INT format (format.h explains why an
 * INT-n is a float with no normal range).  With |x| = sig * 2^(ex - 23)
 * exactly (sig the 24-bit significand), the format's quantum at that
 * magnitude is 2^(max(ex, emin) - m); the number of significand bits below
 * the quantum is
 *     shift = 23 - m + max(0, emin - ex)           (>= 1 for every format)
 * so kept = sig >> shift is |x| in quanta, rounded toward zero, and
 * rem = the bits shifted out decide the rounding.  The magnitude code is then
 *     ((max(ex, emin) - emin) << m) + kept + up
 * because for a normal, kept carries the implicit bit, which is exactly the
 * +1 of the biased exponent field; a carry out of the mantissa
 * (kept + up == 2^(m+1)) lands on the next exponent, and one past the
 * largest finite code is how overflow shows.  No frexp, no ldexp, no
 * branches on the value other than the rare special cases. */
#include "quant.h"

#include <math.h>
#include <string.h>

#include "bits.h"
#include "qkern.h"
#include "rng.h"

#define F32_INF 0x7f800000u


/* 2^k as a float for -149 <= k <= 127, built from bits. */
static inline float pow2_bits(int k)
{
	return k >= -126 ? mq_u2f((uint32_t)(k + 127) << 23) : mq_u2f(1u << (k + 149));
}

mq_status mq_qspec_check(const mq_qspec *q)
{
	if (!q)
		return MQ_EOPTION;
	if (q->rnd.mode == MQ_SR && (q->rnd.sr_bits < 1 || q->rnd.sr_bits > 32))
		return MQ_EROUNDING;
	if (q->ovf == MQ_OVF_IEEE && !q->fmt.has_inf && !q->fmt.has_nan)
		return MQ_EOPTION;
	return MQ_OK;
}

mq_status mq_qspec_init(mq_qspec *q, const char *format, const char *rounding)
{
	memset(q, 0, sizeof *q);
	mq_status s = mq_format_get(format, &q->fmt);
	if (s != MQ_OK)
		return s;
	s = mq_rounding_parse(rounding ? rounding : "rtne", &q->rnd);
	if (s != MQ_OK)
		return s;
	q->ovf = MQ_OVF_SATURATE;
	q->unf = MQ_UNF_GRADUAL;
	return MQ_OK;
}

/* Whether to add one quantum to kept: the rounding rule on the shifted-out
 * bits rem (of `shift` bits).  SR compares the top K bits of the fraction
 * with a K-bit random number (round.h). */
static inline uint32_t round_up(const mq_rounding *r, uint64_t kept, uint64_t rem,
                                int shift, uint32_t rbits)
{
	uint64_t half = 1ull << (shift - 1);
	switch (r->mode) {
	case MQ_RTNE:
		return (rem > half) | ((rem == half) & (uint32_t)kept & 1u);
	case MQ_RNA:
		return rem >= half;
	case MQ_RTZ:
		return 0;
	case MQ_SR: {
		int k = r->sr_bits;
		uint64_t frac = shift >= k ? rem >> (shift - k) : rem << (k - shift);
		uint64_t rnd = (uint64_t)(rbits >> (32 - k));
		return (uint32_t)((frac + rnd) >> k);
	}
	}
	return 0;
}

/* Outcome of rounding one |x|: a magnitude code, or a special. */
enum { R_FINITE, R_OVERFLOW, R_NAN };

typedef struct {
	uint32_t mag;   /* magnitude code when R_FINITE */
	int kind;
} rounded;

/* |x| given as u = its bits without the sign.  Float and INT kinds. */
static inline rounded round_float(const mq_qspec *q, uint32_t u, uint32_t rbits)
{
	const mq_format *f = &q->fmt;
	rounded r = {0, R_FINITE};
	if (u > F32_INF) {
		r.kind = R_NAN;
		return r;
	}
	/* |x| >= 2^(emax+1) overflows under every rounding; this also keeps
	 * the exponent arithmetic below in range.  Catches inf. */
	int ovf_exp = f->emax + 1 + 127;
	if (ovf_exp < 255 && u >= (uint32_t)ovf_exp << 23) {
		r.kind = R_OVERFLOW;
		return r;
	}
	if (u >= F32_INF) {
		r.kind = R_OVERFLOW;
		return r;
	}
	if (q->unf == MQ_UNF_FLUSH && u < mq_f2u(f->min_subnormal))
		return r; /* the paper's rule: below the smallest subnormal is zero */
	int ef = (int)(u >> 23);
	uint64_t sig = u & 0x7fffffu;
	if (ef)
		sig |= 0x800000u;
	else
		ef = 1; /* float32 subnormal: same exponent as the smallest normal */
	int ex = ef - 127;
	int m = f->mbits;
	int e_eff = ex > f->emin ? ex : f->emin;
	int shift = 23 - m + (e_eff - ex);
	if (shift > 63)
		shift = 63; /* sig < 2^24: kept = 0 and SR's top-32 fraction bits are 0 either way */
	uint64_t kept = sig >> shift;
	uint64_t rem = sig & ((1ull << shift) - 1);
	uint32_t mag = ((uint32_t)(e_eff - f->emin) << m) + (uint32_t)kept +
	               round_up(&q->rnd, kept, rem, shift, rbits);
	if (mag > f->maxcode)
		r.kind = R_OVERFLOW;
	r.mag = mag;
	return r;
}

/* E8M0: unsigned powers of two 2^-127 .. 2^127, no zero.  Negative
 * values (-inf included) and NaN are NaN; +-0 and positives below 2^-127
 * have no lower neighbour and become 2^-127, the nearest value, under every
 * rounding (the underflow rule does not apply: there is no zero to flush
 * to).  Ties between 2^k and 2^(k+1) go to the even code. */
static inline rounded round_e8m0(const mq_qspec *q, uint32_t xbits, uint32_t rbits)
{
	rounded r = {0, R_FINITE};
	if ((xbits & 0x7fffffffu) == 0)
		return r; /* +-0: code 0 */
	if ((xbits >> 31) || xbits > F32_INF) {
		r.kind = R_NAN;
		return r;
	}
	if (xbits == F32_INF) {
		r.kind = R_OVERFLOW;
		return r;
	}
	int ef = (int)(xbits >> 23);
	uint64_t sig = xbits & 0x7fffffu;
	int p = 23; /* position of the leading bit of sig */
	if (ef)
		sig |= 0x800000u;
	else {
		ef = 1;
		while (!(sig >> p))
			p--;
	}
	int ex = ef - 127 - (23 - p);
	if (ex < -127)
		return r; /* code 0 = 2^-127 */
	uint32_t code = (uint32_t)(ex + 127);
	uint64_t rem = sig - (1ull << p);
	code += round_up(&q->rnd, code, rem, p, rbits);
	if (code > 254)
		r.kind = R_OVERFLOW;
	r.mag = code;
	return r;
}

static inline rounded round_any(const mq_qspec *q, uint32_t xbits, uint32_t rbits)
{
	if (q->fmt.kind == MQ_KIND_E8M0)
		return round_e8m0(q, xbits, rbits);
	return round_float(q, xbits & 0x7fffffffu, rbits);
}

/* Magnitude code of an overflow, or 0xffffffff for "the NaN code". */
static inline uint32_t overflow_mag(const mq_qspec *q, uint32_t u)
{
	const mq_format *f = &q->fmt;
	if (q->ovf == MQ_OVF_SATURATE)
		return f->maxcode;
	if (q->rnd.mode == MQ_RTZ && u < F32_INF)
		return f->maxcode; /* IEEE 754: RTZ never rounds a finite value to inf */
	return f->has_inf ? f->infcode : f->nancode;
}

static inline uint32_t with_sign(const mq_format *f, uint32_t mag, uint32_t neg)
{
	if (f->kind == MQ_KIND_INT) {
		uint32_t mask = (1u << f->bits) - 1;
		return (neg ? (0u - mag) : mag) & mask;
	}
	return mag | (neg ? f->signbit : 0);
}

/* Value of a finite magnitude code. */
static inline float mag_value(const mq_format *f, uint32_t mag)
{
	if (f->kind == MQ_KIND_E8M0)
		return pow2_bits((int)mag - 127);
	int m = f->mbits;
	uint32_t E = mag >> m;
	if (E == 0)
		return (float)mag * pow2_bits(f->emin - m);
	uint32_t sig = (mag & ((1u << m) - 1)) | (1u << m);
	return (float)sig * pow2_bits((int)E - 1 + f->emin - m);
}

float mq_decode1(const mq_format *f, uint32_t code)
{
	if (f->kind == MQ_KIND_INT) {
		int32_t v = (int32_t)(code << (32 - f->bits)) >> (32 - f->bits);
		return (float)v;
	}
	uint32_t neg = f->signbit ? code & f->signbit : 0;
	uint32_t mag = code & (f->signbit ? f->signbit - 1 : 0xffu);
	float v;
	if (f->has_nan && (mag == f->nancode ||
	                   (f->specials == MQ_SPECIALS_IEEE && mag > f->infcode)))
		v = NAN;
	else if (f->has_inf && mag == f->infcode)
		v = INFINITY;
	else
		v = mag_value(f, mag);
	return neg ? -v : v;
}

/* One element v = x / scale: its code (*code), its fake-quantized value
 * (returned) and its contribution to the stats. */
static inline float quant_one(const mq_qspec *q, float v, uint32_t rbits, mq_qstats *st,
                              uint32_t *code)
{
	const mq_format *f = &q->fmt;
	uint32_t vb = mq_f2u(v), neg = vb >> 31, u = vb & 0x7fffffffu;
	rounded r = round_any(q, vb, rbits);
	if (r.kind == R_NAN) {
		st->nan += u > F32_INF;
		*code = f->has_nan ? with_sign(f, f->nancode, neg) : 0;
		/* NaN in, NaN out; E8M0 also maps negatives here */
		return u > F32_INF ? mq_u2f(vb | 0x00400000u) : NAN;
	}
	st->clipped += u > mq_f2u(f->max);
	float out;
	uint32_t mag = r.mag;
	if (r.kind == R_OVERFLOW) {
		mag = overflow_mag(q, u);
		if (mag == f->maxcode)
			out = f->max;
		else if (f->has_inf && mag == f->infcode)
			out = INFINITY;
		else
			out = NAN;
	} else {
		st->underflowed += (mag == 0) & (u != 0);
		out = mag_value(f, mag);
	}
	*code = with_sign(f, mag, neg);
	if (f->kind == MQ_KIND_E8M0)
		neg = 0; /* unsigned: only -0 gets here, and its value is +2^-127 */
	return mq_u2f(mq_f2u(out) | (neg << 31));
}

uint32_t mq_encode1(const mq_qspec *q, float x, uint32_t rbits)
{
	mq_qstats st = {0};
	uint32_t code;
	(void)quant_one(q, x, rbits, &st, &code);
	return code;
}

float mq_fakequant1(const mq_qspec *q, float x, uint32_t rbits)
{
	mq_qstats st = {0};
	uint32_t code;
	return quant_one(q, x, rbits, &st, &code);
}

/* E8M0 arrays (the scalar path) are processed in chunks so that SR's
 * random words can be drawn a Philox block at a time into a small buffer on
 * the stack; the kernels draw their own (qkern.c). */
#define CHUNK 512

static int scale_ok(float s)
{
	return s > 0.0f && s <= 3.40282347e38f;
}

/* The scalar path over one segment of one scale. */
static void run_scalar(const mq_qspec *q, const float *x, size_t n, float sc,
                       uint64_t index0, float *y, uint8_t *c8, uint16_t *c16,
                       mq_qstats *st)
{
	uint32_t rb[CHUNK];
	int sr = q->rnd.mode == MQ_SR;
	if (!sr)
		memset(rb, 0, sizeof rb);
	for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
		size_t len = n - i0 < CHUNK ? n - i0 : CHUNK;
		if (sr)
			mq_rand32_fill(q->seed, index0 + i0, rb, len);
		for (size_t j = 0; j < len; j++) {
			uint32_t c;
			float v = quant_one(q, x[i0 + j] / sc, rb[j], st, &c);
			if (y)
				y[i0 + j] = v * sc;
			if (c8)
				c8[i0 + j] = (uint8_t)c;
			if (c16)
				c16[i0 + j] = (uint16_t)c;
		}
	}
}

/* Segments shorter than this (a scale every few elements: an RHS's
 * per-column scales along its rows) would cost a kernel call each.  They
 * are divided by their scales a chunk at a time instead, and the chunk run
 * at scale 1: x / s is the v the kernel would have formed (v / 1 == v), and
 * the value it returns at scale 1, times s, is the y it would have
 * returned (fakequant(v) * 1 * s).  The chunk lives on the stack. */
#define SHORT_SEG 256

static void run_short(const mq_qprep *pp, const float *x, size_t n, const float *scales,
                      size_t sdiv, uint64_t index0, float *y, void *codes, mq_qstats *st)
{
	float v[CHUNK];
	int wide = pp->q->fmt.bits > 8;
	for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
		size_t len = n - i0 < CHUNK ? n - i0 : CHUNK;
		/* (no division of indices in the inner loops: they vectorize) */
		if (sdiv == 1)
			for (size_t j = 0; j < len; j++)
				v[j] = x[i0 + j] / scales[i0 + j];
		else
			for (size_t j = 0; j < len;) {
				size_t seg = (i0 + j) / sdiv, end = (seg + 1) * sdiv - i0;
				float s = scales[seg];
				if (end > len)
					end = len;
				for (; j < end; j++)
					v[j] = x[i0 + j] / s;
			}
		uint8_t *c8 = codes && !wide ? (uint8_t *)codes + i0 : NULL;
		uint16_t *c16 = codes && wide ? (uint16_t *)codes + i0 : NULL;
		pp->kern(&pp->kp, v, len, 1.0f, pp->q->seed, index0 + i0, y ? y + i0 : NULL, c8, c16,
		         st);
		if (y && sdiv == 1)
			for (size_t j = 0; j < len; j++)
				y[i0 + j] *= scales[i0 + j];
		else if (y)
			for (size_t j = 0; j < len;) {
				size_t seg = (i0 + j) / sdiv, end = (seg + 1) * sdiv - i0;
				float s = scales[seg];
				if (end > len)
					end = len;
				for (; j < end; j++)
					y[i0 + j] *= s;
			}
	}
}

mq_status mq_qprep_init(mq_qprep *pp, const mq_qspec *q)
{
	mq_status s = mq_qspec_check(q);
	if (s != MQ_OK)
		return s;
	pp->q = q;
	pp->kern = NULL;
	/* Float and INT formats run on the vectorized kernel; E8M0 (a scale
	 * format, rarely an array) on the scalar path. */
	if (q->fmt.kind != MQ_KIND_E8M0) {
		pp->kern = mq_qkern_select(NULL);
		mq_qkern_prepare(q, &pp->kp);
	}
	return MQ_OK;
}

void mq_qprep_run(const mq_qprep *pp, const float *x, size_t n, const float *scales,
                  size_t sdiv, uint64_t index0, float *y, void *codes, mq_qstats *stats)
{
	const mq_qspec *q = pp->q;
	mq_qstats st = {0};
	int wide = q->fmt.bits > 8;
	if (pp->kern && sdiv < SHORT_SEG && n > sdiv) {
		run_short(pp, x, n, scales, sdiv, index0, y, codes, stats ? &st : NULL);
		goto done;
	}
	/* One call per scale segment, so the inner loop sees one scale. */
	for (size_t i0 = 0; i0 < n;) {
		size_t seg_end = sdiv >= n ? n : (i0 / sdiv + 1) * sdiv;
		if (seg_end > n)
			seg_end = n; /* a last block shorter than sdiv */
		size_t len = seg_end - i0;
		float sc = scales[sdiv >= n ? 0 : i0 / sdiv];
		const float *xs = x + i0;
		float *ys = y ? y + i0 : NULL;
		uint8_t *c8 = codes && !wide ? (uint8_t *)codes + i0 : NULL;
		uint16_t *c16 = codes && wide ? (uint16_t *)codes + i0 : NULL;
		if (pp->kern) /* without stats wanted, the kernel need not count */
			pp->kern(&pp->kp, xs, len, sc, q->seed, index0 + i0, ys, c8, c16,
			         stats ? &st : NULL);
		else
			run_scalar(q, xs, len, sc, index0 + i0, ys, c8, c16, &st);
		i0 += len;
	}
done:
	if (stats) {
		stats->n += n, stats->clipped += st.clipped;
		stats->underflowed += st.underflowed, stats->nan += st.nan;
	}
}

mq_status mq_quantize_run(const mq_qspec *q, const float *x, size_t n,
                          const float *scales, size_t sdiv, uint64_t index0,
                          float *y, void *codes, mq_qstats *stats)
{
	mq_qprep pp;
	mq_status s = mq_qprep_init(&pp, q);
	if (s != MQ_OK)
		return s;
	if (sdiv == 0)
		return MQ_EOPTION;
	size_t nsc = n == 0 ? 0 : (n - 1) / sdiv + 1;
	for (size_t k = 0; k < nsc; k++)
		if (!scale_ok(scales[k]))
			return MQ_EOPTION;
	mq_qprep_run(&pp, x, n, scales, sdiv, index0, y, codes, stats);
	return MQ_OK;
}

mq_status mq_encode(const mq_qspec *q, const float *x, size_t n, float scale,
                    uint64_t index0, void *codes, mq_qstats *stats)
{
	if (!codes)
		return MQ_EOPTION;
	return mq_quantize_run(q, x, n, &scale, SIZE_MAX, index0, NULL, codes, stats);
}

mq_status mq_fakequant(const mq_qspec *q, const float *x, size_t n, float scale,
                       uint64_t index0, float *y, mq_qstats *stats)
{
	if (!y)
		return MQ_EOPTION;
	return mq_quantize_run(q, x, n, &scale, SIZE_MAX, index0, y, NULL, stats);
}

mq_status mq_decode(const mq_format *f, const void *codes, size_t n, float scale,
                    float *y)
{
	if (!scale_ok(scale))
		return MQ_EOPTION;
	if (f->bits <= 8) {
		/* every code's value once, then a table lookup an element (the
		 * same float products: tab[c] * scale) */
		float tab[256];
		uint32_t mask = (1u << f->bits) - 1u;
		for (uint32_t c = 0; c < 256; c++)
			tab[c] = mq_decode1(f, c & mask);
		const uint8_t *c8 = codes;
		for (size_t i = 0; i < n; i++)
			y[i] = tab[c8[i]] * scale;
		return MQ_OK;
	}
	const uint16_t *c16 = codes;
	for (size_t i = 0; i < n; i++)
		y[i] = mq_decode1(f, c16[i]) * scale;
	return MQ_OK;
}

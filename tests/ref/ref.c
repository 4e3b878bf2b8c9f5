/* ref.c: the independent reference quantizer (see ref.h).
 *
 * How a value is rounded here
 *   A format is the list of its finite magnitudes in code order, which is
 *   also increasing order (asserted when the table is built), plus one entry
 *   above the largest: the value the format would have next if its exponent
 *   range were unbounded (IEEE 754 4.3: round first, then decide overflow).
 *   Every entry is an exact integer times a power of two (ref_num) and, for
 *   the supported formats, also an exact float32, so its float32 bit pattern
 *   is an exact integer key: for non-negative floats, ordering the bit
 *   patterns as unsigned integers orders the values.  A float32 |x| is then
 *   located between two neighbours by integer comparison of keys, and the
 *   nearest one is chosen by comparing |x| with the exact midpoint of the two
 *   (its key when the midpoint is itself a float32, else a shift-aligned
 *   integer comparison).  Stochastic rounding divides the exact distance
 *   from the lower neighbour by the exact gap with integer division.
 *
 * Choices the headers leave open, made here and flagged (ref_out.open) so
 * that the tests can keep them apart from what the headers pin down:
 *   E8M0 (format.h: unsigned, no zero, 2^(code-127), 0xFF NaN):
 *   - positive x in [2^-127, 2^128): rounded like any format, to the nearest
 *     power of two by value (the midpoint of 2^k and 2^(k+1) is 1.5 * 2^k);
 *     a tie goes to the even code, i.e. the even exponent, as a code-level
 *     "ties to even" does for every format with no mantissa bits.  The ties
 *     are flagged open: "even" is not defined by the headers for m = 0.
 *   - +0, -0 and 0 < x < 2^-127: there is no zero; the nearest value is the
 *     smallest, code 0x00 (2^-127), under either underflow rule (flush has
 *     no zero to flush to).  Flagged open.
 *   - negative x (including -inf): an unsigned format cannot hold it; code
 *     0xFF, NaN, rather than silently taking |x| (quant.h: hiding a NaN
 *     would hide a bug upstream).  Flagged open.
 *   - +inf: saturate gives 0xFE (2^127) as round.h says for every format;
 *     ieee gives NaN (E8M0 has a NaN and no inf, so it is "fn-like").
 *   INT-n decode of the code -2^(n-1), never produced by encode: format.h
 *   says INT codes are two's complement, so it is read as -2^(n-1).
 *   Canonical NaN of the IEEE-like formats: the quiet NaN, exponent all ones
 *   and only the top mantissa bit set (0x7E for E5M2, 0x7E00 for fp16,
 *   0x7FC0 for bf16), as IEEE 754 6.2.1 and the ARM/RISC-V default NaN.
 *   For m = 0 an IEEE-like format has no NaN code at all (reported as
 *   unsupported here).
 */
#include "ref.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- exact numbers ---- */

static int bitlen(uint64_t v)
{
	int n = 0;
	while (v >> 16) { v >>= 16; n += 16; }
	while (v) { v >>= 1; n++; }
	return n;
}

static ref_num num(uint64_t sig, int exp)
{
	ref_num a = { sig, exp };
	if (sig == 0)
		a.exp = 0;
	return a;
}

/* Bring a and b to a common exponent (the smaller); the larger operand's
 * significand is shifted left, which must not lose bits. */
static void align(ref_num *a, ref_num *b)
{
	if (a->sig == 0) { a->exp = b->exp; return; }
	if (b->sig == 0) { b->exp = a->exp; return; }
	if (a->exp > b->exp) {
		int d = a->exp - b->exp;
		if (d + bitlen(a->sig) > 63) { fprintf(stderr, "ref: align overflow\n"); abort(); }
		a->sig <<= d;
		a->exp = b->exp;
	} else if (b->exp > a->exp) {
		int d = b->exp - a->exp;
		if (d + bitlen(b->sig) > 63) { fprintf(stderr, "ref: align overflow\n"); abort(); }
		b->sig <<= d;
		b->exp = a->exp;
	}
}

static int num_cmp(ref_num a, ref_num b)
{
	if (a.sig == 0 || b.sig == 0)
		return (a.sig != 0) - (b.sig != 0);
	int ta = a.exp + bitlen(a.sig), tb = b.exp + bitlen(b.sig);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	align(&a, &b);   /* the top bits coincide, so this cannot overflow */
	return (a.sig > b.sig) - (a.sig < b.sig);
}

static ref_num num_add(ref_num a, ref_num b)
{
	align(&a, &b);
	return num(a.sig + b.sig, a.exp);
}

static ref_num num_sub(ref_num a, ref_num b)   /* a >= b */
{
	align(&a, &b);
	assert(a.sig >= b.sig);
	return num(a.sig - b.sig, a.exp);
}

static ref_num num_half(ref_num a)
{
	return num(a.sig, a.exp - 1);
}

/* The exact value of a finite non-negative float32 bit pattern. */
static ref_num num_of_bits(uint32_t mag)
{
	uint32_t be = mag >> 23, fr = mag & 0x7FFFFFu;
	if (be == 0)
		return num(fr, -149);
	return num(fr | 0x800000u, (int)be - 150);
}

/* The float32 bit pattern of a: 1 if exact; 0 if a is not a float32 (then
 * *bits is 0x7F800000 when a >= 2^128, else unspecified). */
static int num_to_bits(ref_num a, uint32_t *bits)
{
	*bits = 0x7F800000u;
	if (a.sig == 0) { *bits = 0; return 1; }
	while (!(a.sig & 1)) { a.sig >>= 1; a.exp++; }
	int bl = bitlen(a.sig), top = a.exp + bl - 1;
	if (top > 127)
		return 0;
	if (bl > 24)
		return 0;
	if (top >= -126) {
		uint64_t frac = a.sig << (24 - bl);
		*bits = (uint32_t)(top + 127) << 23 | (uint32_t)(frac & 0x7FFFFFu);
		return 1;
	}
	if (a.exp < -149)
		return 0;
	*bits = (uint32_t)(a.sig << (a.exp + 149));
	return 1;
}

uint32_t ref_fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

float ref_bitsf(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

/* ---- format tables ---- */

static int table_build(ref_fmt *f, ref_num (*value)(const ref_fmt *, int))
{
	int n = f->count;
	f->val = malloc((size_t)(n + 1) * sizeof *f->val);
	f->key = malloc((size_t)(n + 1) * sizeof *f->key);
	f->mid = malloc((size_t)n * sizeof *f->mid);
	f->midkey = malloc((size_t)n * sizeof *f->midkey);
	f->midexact = malloc((size_t)n);
	if (!f->val || !f->key || !f->mid || !f->midkey || !f->midexact) {
		ref_fmt_close(f);
		return -3;
	}
	for (int c = 0; c <= n; c++) {
		f->val[c] = value(f, c);
		int exact = num_to_bits(f->val[c], &f->key[c]);
		if (c < n && !exact) {       /* a finite value float32 cannot hold */
			ref_fmt_close(f);
			return -2;
		}
		if (!exact && f->key[c] != 0x7F800000u) {
			ref_fmt_close(f);
			return -2;
		}
		if (c > 0 && num_cmp(f->val[c - 1], f->val[c]) >= 0) {
			fprintf(stderr, "ref: %s: code order is not value order at %d\n", f->name, c);
			abort();
		}
	}
	for (int c = 0; c < n; c++) {
		f->mid[c] = num_half(num_add(f->val[c], f->val[c + 1]));
		f->midexact[c] = (unsigned char)num_to_bits(f->mid[c], &f->midkey[c]);
	}
	f->max = ref_bitsf(f->key[n - 1]);
	return 0;
}

/* Magnitude code c of a sign/exponent/mantissa format, read with an
 * unbounded exponent field: subnormals c * 2^(1-bias-m) below 2^m, then
 * (2^m + mantissa) * 2^(E-bias-m). */
static ref_num fp_value(const ref_fmt *f, int c)
{
	int E = c >> f->m, M = c & ((1 << f->m) - 1);
	if (E == 0)
		return num((uint64_t)M, 1 - f->bias - f->m);
	return num((uint64_t)((1 << f->m) + M), E - f->bias - f->m);
}

static ref_num int_value(const ref_fmt *f, int c)
{
	(void)f;
	return num((uint64_t)c, 0);
}

static ref_num ue8m0_value(const ref_fmt *f, int c)
{
	(void)f;
	return num(1, c - 127);
}

static void fmt_clear(ref_fmt *f)
{
	memset(f, 0, sizeof *f);
}

static int floor_log2_bits(uint32_t key)
{
	ref_num a = num_of_bits(key);
	return a.exp + bitlen(a.sig) - 1;
}

int ref_fmt_fp(ref_fmt *f, int e, int m, ref_special sp)
{
	fmt_clear(f);
	if (e < 1 || m < 0 || e + m > 15 || (sp == REF_IEEE && e < 2))
		return -1;
	snprintf(f->name, sizeof f->name, "e%dm%d%s", e, m,
	         sp == REF_FN ? "fn" : sp == REF_NONE ? "mx" : "");
	f->type = REF_FP;
	f->special = sp;
	f->e = e;
	f->m = m;
	f->bits = 1 + e + m;
	f->bias = (1 << (e - 1)) - 1;
	f->sign_mask = 1u << (e + m);
	uint32_t all = (1u << (e + m)) - 1;    /* all-ones magnitude */
	switch (sp) {
	case REF_IEEE:
		if (m == 0)
			return -2;     /* no NaN code exists: not modelled */
		f->has_inf = f->has_nan = 1;
		f->inf_mag = all & ~((1u << m) - 1);
		f->nan_mag = f->inf_mag | (1u << (m - 1));
		f->count = (int)f->inf_mag;
		break;
	case REF_FN:
		f->has_nan = 1;
		f->nan_mag = all;
		f->count = (int)all;
		break;
	case REF_NONE:
		f->count = (int)all + 1;
		break;
	}
	if (f->count < 2)
		return -2;     /* e1m0fn: zero and NaN only */
	int rc = table_build(f, fp_value);
	if (rc)
		return rc;
	f->min_sub = ref_bitsf(f->key[1]);
	f->emin = 1 - f->bias;
	f->min_normal = ldexpf(1.0f, f->emin);
	f->emax = floor_log2_bits(f->key[f->count - 1]);
	return 0;
}

int ref_fmt_int(ref_fmt *f, int n)
{
	fmt_clear(f);
	if (n < 2 || n > 16)
		return -1;
	snprintf(f->name, sizeof f->name, "int%d", n);
	f->type = REF_INT;
	f->bits = n;
	f->e = 0;
	f->m = n - 1;
	f->sign_mask = 1u << (n - 1);
	f->count = 1 << (n - 1);           /* 0 .. 2^(n-1)-1 */
	int rc = table_build(f, int_value);
	if (rc)
		return rc;
	f->min_sub = 1.0f;
	f->min_normal = 1.0f;
	return 0;
}

int ref_fmt_ue8m0(ref_fmt *f)
{
	fmt_clear(f);
	snprintf(f->name, sizeof f->name, "e8m0");
	f->type = REF_UE8M0;
	f->bits = 8;
	f->e = 8;
	f->m = 0;
	f->bias = 127;
	f->has_nan = 1;
	f->nan_mag = 0xFF;
	f->count = 255;                    /* 2^-127 .. 2^127 */
	int rc = table_build(f, ue8m0_value);
	if (rc)
		return rc;
	f->min_sub = f->min_normal = ref_bitsf(f->key[0]);
	f->emin = -127;
	f->emax = 127;
	return 0;
}

void ref_fmt_close(ref_fmt *f)
{
	free(f->val);
	free(f->key);
	free(f->mid);
	free(f->midkey);
	free(f->midexact);
	f->val = NULL;
	f->key = NULL;
	f->mid = NULL;
	f->midkey = NULL;
	f->midexact = NULL;
}

/* A decimal without sign or leading zero; -1 if s does not start with one. */
static int parse_uint(const char **s)
{
	const char *p = *s;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	int v = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		if (v > 1000)
			return -1;
		p++;
	}
	*s = p;
	return v;
}

int ref_fmt_open(ref_fmt *f, const char *name)
{
	/* Named rows take precedence over the eXmY rule: e4m3 is OCP E4M3 (fn),
	 * e3m2/e2m3/e2m1 are the OCP MX element formats, e8m0 the MX scale. */
	static const struct { const char *name; int e, m; ref_special sp; } named[] = {
		{ "e4m3", 4, 3, REF_FN },   { "e5m2", 5, 2, REF_IEEE },
		{ "fp16", 5, 10, REF_IEEE }, { "bf16", 8, 7, REF_IEEE },
		{ "e3m2", 3, 2, REF_NONE }, { "e2m3", 2, 3, REF_NONE },
		{ "e2m1", 2, 1, REF_NONE },
	};
	fmt_clear(f);
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcmp(name, named[i].name) == 0) {
			int rc = ref_fmt_fp(f, named[i].e, named[i].m, named[i].sp);
			if (rc == 0)
				snprintf(f->name, sizeof f->name, "%s", name);
			return rc;
		}
	if (strcmp(name, "e8m0") == 0)
		return ref_fmt_ue8m0(f);
	const char *p = name;
	if (strncmp(p, "int", 3) == 0) {
		p += 3;
		int n = parse_uint(&p);
		if (n < 0 || *p)
			return -1;
		return ref_fmt_int(f, n);
	}
	if (*p++ != 'e')
		return -1;
	int e = parse_uint(&p);
	if (e < 0 || *p++ != 'm')
		return -1;
	int m = parse_uint(&p);
	if (m < 0)
		return -1;
	ref_special sp;
	if (*p == 0)
		sp = REF_IEEE;
	else if (strcmp(p, "fn") == 0)
		sp = REF_FN;
	else if (strcmp(p, "mx") == 0)
		sp = REF_NONE;
	else
		return -1;
	return ref_fmt_fp(f, e, m, sp);
}

/* ---- rounding ---- */

/* i in [0, count] with key[i] <= mag < key[i+1], or count if mag >= key[count];
 * key[0] <= mag is the caller's promise.  *hint: the previous answer. */
static int locate(const ref_fmt *f, uint32_t mag, int *hint)
{
	int lo = 0, hi = f->count + 1;        /* key[lo] <= mag < key[hi] (key[count+1] = inf) */
	int h = *hint;
	if (h >= 0 && h <= f->count && f->key[h] <= mag) {
		for (int step = 0; step < 4; step++, h++) {
			if (h == f->count || mag < f->key[h + 1]) {
				*hint = h;
				return h;
			}
		}
		lo = h;
	}
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		if (f->key[mid] <= mag)
			lo = mid;
		else
			hi = mid;
	}
	*hint = lo;
	return lo;
}

/* |x| (bit pattern mag) against the midpoint of val[i] and val[i+1]. */
static int cmp_mid(const ref_fmt *f, int i, uint32_t mag)
{
	if (f->midexact[i])
		return (mag > f->midkey[i]) - (mag < f->midkey[i]);
	return num_cmp(num_of_bits(mag), f->mid[i]);
}

/* floor(f * 2^K) for f = (x - val[i]) / (val[i+1] - val[i]), exactly. */
static uint64_t sr_floor(const ref_fmt *f, int i, uint32_t mag, int K)
{
	ref_num d = num_sub(num_of_bits(mag), f->val[i]);
	ref_num g = num_sub(f->val[i + 1], f->val[i]);
	if (d.sig == 0)
		return 0;
	int s = d.exp + K - g.exp;      /* f * 2^K = d.sig * 2^s / g.sig */
	if (s >= 0) {
		if (bitlen(d.sig) + s > 63) { fprintf(stderr, "ref: sr overflow\n"); abort(); }
		return (d.sig << s) / g.sig;
	}
	if (-s >= 64)
		return 0;
	return (d.sig >> -s) / g.sig;   /* floor(floor(a/b)/c) = floor(a/(bc)) */
}

static int round_index(const ref_spec *s, int i, uint32_t mag, uint32_t rbits, int *open)
{
	const ref_fmt *f = s->f;
	if (mag == f->key[i] || s->mode == REF_RTZ)
		return i;
	if (s->mode == REF_SR) {
		int K = s->sr_bits;
		uint64_t t = sr_floor(f, i, mag, K);
		uint64_t R = rbits >> (32 - K);
		return t + R >= ((uint64_t)1 << K) ? i + 1 : i;
	}
	int c = cmp_mid(f, i, mag);
	if (c < 0)
		return i;
	if (c > 0)
		return i + 1;
	if (s->mode == REF_RNA)
		return i + 1;
	if (f->type == REF_UE8M0)
		*open = 1;
	return (i % 2 == 0) ? i : i + 1;   /* the even code */
}

enum { OUT_MAG, OUT_INF, OUT_NAN };

static ref_out core(const ref_spec *s, uint32_t u, uint32_t rbits, int *hint)
{
	const ref_fmt *f = s->f;
	ref_out o;
	memset(&o, 0, sizeof o);
	int neg = (int)(u >> 31);
	uint32_t mag = u & 0x7FFFFFFFu;
	int kind = OUT_MAG, r = 0, finite = 1, i;

	if (mag > 0x7F800000u) {
		o.nan = 1;
		kind = OUT_NAN;
		goto emit;
	}
	if (f->type == REF_UE8M0) {
		if (neg && mag != 0) {           /* open: see the top of the file */
			o.open = 1;
			kind = OUT_NAN;
			goto emit;
		}
		neg = 0;
		if (mag < f->key[0]) {           /* 0 and below 2^-127: open */
			o.open = 1;
			r = 0;
			goto emit;
		}
	}
	if (mag == 0x7F800000u) {
		o.clipped = 1;
		finite = 0;
		goto overflow;
	}
	if (mag == 0)
		goto emit;
	if (s->unf_flush && f->type != REF_UE8M0 && mag < f->key[1]) {
		o.underflowed = 1;
		goto emit;
	}
	i = locate(f, mag, hint);
	o.clipped = mag > f->key[f->count - 1];
	if (i == f->count)
		goto overflow;
	r = round_index(s, i, mag, rbits, &o.open);
	if (r == f->count)
		goto overflow;
	if (r == 0 && f->type != REF_UE8M0)
		o.underflowed = 1;
	goto emit;

overflow:
	if (!s->ovf_ieee || (finite && s->mode == REF_RTZ) || (!f->has_inf && !f->has_nan))
		r = f->count - 1;
	else
		kind = f->has_inf ? OUT_INF : OUT_NAN;

emit:
	switch (kind) {
	case OUT_NAN:
		o.value = ref_bitsf(0x7FC00000u | (uint32_t)neg << 31);
		o.code = f->has_nan ? (neg ? f->sign_mask : 0) | f->nan_mag : 0;
		break;
	case OUT_INF:
		o.value = ref_bitsf(0x7F800000u | (uint32_t)neg << 31);
		o.code = (neg ? f->sign_mask : 0) | f->inf_mag;
		break;
	default:
		o.value = ref_bitsf(f->key[r] | (uint32_t)neg << 31);
		if (f->type == REF_INT)
			o.code = (neg && r) ? ((1u << f->bits) - (uint32_t)r) : (uint32_t)r;
		else
			o.code = (neg ? f->sign_mask : 0) | (uint32_t)r;
		break;
	}
	return o;
}

ref_out ref_quant(const ref_spec *s, float x, uint32_t rbits)
{
	int hint = -1;
	return core(s, ref_fbits(x), rbits, &hint);
}

static void consider(uint32_t b, uint32_t mag, uint32_t *next)
{
	if (b > mag && b < *next)
		*next = b;
}

ref_out ref_quant_run(const ref_spec *s, uint32_t u, uint32_t *last)
{
	const ref_fmt *f = s->f;
	int hint = -1;
	ref_out o = core(s, u, 0, &hint);
	uint32_t sign = u & 0x80000000u, mag = u & 0x7FFFFFFFu;
	*last = u;
	if (s->mode == REF_SR)
		return o;
	if (f->type == REF_UE8M0 && sign && mag != 0 && mag <= 0x7F800000u) {
		*last = 0xFF800000u;     /* every negative number, -inf included: NaN */
		return o;
	}
	/* Every comparison core() makes on mag is against one of these. */
	uint32_t next = 0x80000000u;
	consider(1, mag, &next);
	consider(0x7F800000u, mag, &next);
	consider(0x7F800001u, mag, &next);
	consider(f->key[0], mag, &next);
	consider(f->key[1], mag, &next);
	consider(f->key[f->count - 1] + 1, mag, &next);
	consider(f->key[f->count], mag, &next);
	if (mag >= f->key[0] && mag > 0 && mag < 0x7F800000u) {
		hint = -1;
		int i = locate(f, mag, &hint);
		consider(f->key[i] + 1, mag, &next);
		if (i < f->count) {
			consider(f->key[i + 1], mag, &next);
			if (!f->midexact[i])
				return o;
			consider(f->midkey[i], mag, &next);
			consider(f->midkey[i] + 1, mag, &next);
		}
	}
	*last = sign | (next - 1);
	if (*last < u)      /* cannot happen; a caller walking runs must progress */
		*last = u;
	return o;
}

float ref_decode(const ref_fmt *f, uint32_t code, int *valid)
{
	*valid = 1;
	if (code >> f->bits) {
		*valid = 0;
		return NAN;
	}
	switch (f->type) {
	case REF_UE8M0:
		return code == 0xFF ? NAN : ref_bitsf(f->key[code]);
	case REF_INT:
		if (code & f->sign_mask)   /* two's complement, -2^(n-1) included */
			return -(float)((1u << f->bits) - code);
		return ref_bitsf(f->key[code]);
	default: {
		uint32_t sign = (code & f->sign_mask) ? 0x80000000u : 0;
		uint32_t mag = code & (f->sign_mask - 1);
		if (f->has_inf && mag == f->inf_mag)
			return ref_bitsf(sign | 0x7F800000u);
		if ((f->special == REF_IEEE && mag > f->inf_mag) ||
		    (f->special == REF_FN && mag == f->nan_mag))
			return ref_bitsf(sign | 0x7FC00000u);
		return ref_bitsf(sign | f->key[mag]);
	}
	}
}

void ref_neighbours(const ref_fmt *f, float x, float *lo, float *hi)
{
	uint32_t u = ref_fbits(x), sign = u & 0x80000000u, mag = u & 0x7FFFFFFFu;
	int hint = -1;
	if (mag < f->key[0])
		mag = f->key[0];
	int i = locate(f, mag, &hint);
	if (i >= f->count - 1) {
		*lo = *hi = ref_bitsf(sign | f->key[f->count - 1]);
		return;
	}
	*lo = ref_bitsf(sign | f->key[i]);
	*hi = ref_bitsf(sign | f->key[mag == f->key[i] ? i : i + 1]);
}

/* ---- Philox4x32-10 ---- */

void ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
	/* Multipliers and Weyl increments of Salmon et al., Table 2. */
	const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
	const uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
	uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
	uint32_t k0 = key[0], k1 = key[1];
	for (int round = 0; round < 10; round++) {
		if (round > 0) {
			k0 += W0;
			k1 += W1;
		}
		uint64_t p0 = (uint64_t)M0 * c0, p1 = (uint64_t)M1 * c2;
		uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
		uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
	}
	out[0] = c0;
	out[1] = c1;
	out[2] = c2;
	out[3] = c3;
}

/* format.c: the format table and the derivation of each format's constants.
 *
 * A float format is fully described by (ebits, mbits, specials); everything
 * else (bias, emin, maxcode, max, ...) is derived here once, so the encoder
 * only reads fields.  INT-n is described as a float with no normal range:
 * mbits = n-1 and emin = n-1, so every value is an integer multiple of
 * 2^(emin - mbits) = 1 and the largest "subnormal" code is 2^(n-1)-1. */
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The named formats.  Generic names (eXmY, eXmYfn, eXmYmx, intN) need no
 * row; the rows are the formats with a conventional name or variant. */
static const struct {
	const char *name;
	mq_kind kind;
	int ebits, mbits;   /* INT: mbits holds n */
	mq_specials sp;
} table[] = {
	{"int8", MQ_KIND_INT, 0, 8, MQ_SPECIALS_NONE},
	{"int4", MQ_KIND_INT, 0, 4, MQ_SPECIALS_NONE},
	{"e4m3", MQ_KIND_FLOAT, 4, 3, MQ_SPECIALS_FN},
	{"e5m2", MQ_KIND_FLOAT, 5, 2, MQ_SPECIALS_IEEE},
	{"fp16", MQ_KIND_FLOAT, 5, 10, MQ_SPECIALS_IEEE},
	{"bf16", MQ_KIND_FLOAT, 8, 7, MQ_SPECIALS_IEEE},
	{"e3m2", MQ_KIND_FLOAT, 3, 2, MQ_SPECIALS_NONE},
	{"e2m3", MQ_KIND_FLOAT, 2, 3, MQ_SPECIALS_NONE},
	{"e2m1", MQ_KIND_FLOAT, 2, 1, MQ_SPECIALS_NONE},
	{"e8m0", MQ_KIND_E8M0, 8, 0, MQ_SPECIALS_FN},
};
#define NTABLE (sizeof table / sizeof table[0])

const char *mq_format_name(size_t i)
{
	return i < NTABLE ? table[i].name : NULL;
}

const char *mq_format_known(void)
{
	static const char known[] =
	    "int8, int4, e4m3, e5m2, fp16, bf16, e3m2, e2m3, e2m1, e8m0, "
	    "int2..int16, eXmY (IEEE-like), eXmYfn, eXmYmx";
	return known;
}

static float pow2f(int k)
{
	return ldexpf(1.0f, k);
}

mq_status mq_format_float(mq_format *f, int e, int m, mq_specials sp)
{
	/* IEEE-like needs a mantissa bit to tell NaN from inf */
	if (e < 1 || m < 0 || e + m > 15 || (sp == MQ_SPECIALS_IEEE && (e < 2 || m < 1)))
		return MQ_EFORMAT;
	/* fn-like with e == 1, m == 0 would have a single code that is NaN */
	if (sp == MQ_SPECIALS_FN && e + m < 2)
		return MQ_EFORMAT;
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "e%dm%d%s", e, m,
	         sp == MQ_SPECIALS_FN ? "fn" : sp == MQ_SPECIALS_NONE ? "mx" : "");
	f->kind = MQ_KIND_FLOAT;
	f->specials = sp;
	f->bits = 1 + e + m;
	f->ebits = e;
	f->mbits = m;
	f->bias = (1 << (e - 1)) - 1;
	f->emin = 1 - f->bias;
	f->signbit = 1u << (e + m);
	uint32_t allones = (1u << (e + m)) - 1;
	switch (sp) {
	case MQ_SPECIALS_IEEE:
		f->has_inf = f->has_nan = 1;
		f->infcode = allones & ~((1u << m) - 1);
		f->nancode = f->infcode | (m > 0 ? 1u << (m - 1) : 0);
		f->maxcode = f->infcode - 1;
		break;
	case MQ_SPECIALS_FN:
		f->has_nan = 1;
		f->nancode = allones;
		f->maxcode = allones - 1;
		break;
	case MQ_SPECIALS_NONE:
		f->maxcode = allones;
		break;
	}
	int E = (int)(f->maxcode >> m);
	uint32_t M = f->maxcode & ((1u << m) - 1);
	f->emax = E == 0 ? f->emin - 1 : E - f->bias;
	f->max = E == 0 ? ldexpf((float)M, f->emin - m)
	                : ldexpf((float)((1u << m) + M), E - f->bias - m);
	f->min_normal = pow2f(f->emin);
	f->min_subnormal = pow2f(f->emin - m);
	/* every value must be a float32 (quant.h's promise, and the encoder's
	 * arithmetic): this rules out e9+ and the fn/mx variants of e8 */
	if (f->emin - m < -149 || E - f->bias > 127 || f->emin < -126)
		return MQ_EFORMAT;
	return MQ_OK;
}

mq_status mq_format_int(mq_format *f, int n)
{
	if (n < 2 || n > 16)
		return MQ_EFORMAT;
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "int%d", n);
	f->kind = MQ_KIND_INT;
	f->specials = MQ_SPECIALS_NONE;
	f->bits = n;
	f->ebits = 0;
	f->mbits = n - 1;
	f->emin = n - 1;
	f->bias = 1 - f->emin;
	f->maxcode = (1u << (n - 1)) - 1;
	f->emax = n - 2;
	f->signbit = 1u << (n - 1);
	f->max = (float)f->maxcode;
	f->min_normal = 1.0f;
	f->min_subnormal = 1.0f;
	return MQ_OK;
}

static mq_status format_e8m0(mq_format *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "e8m0");
	f->kind = MQ_KIND_E8M0;
	f->specials = MQ_SPECIALS_FN;
	f->bits = 8;
	f->ebits = 8;
	f->mbits = 0;
	f->bias = 127;
	f->emin = -127;
	f->emax = 127;
	f->maxcode = 254;
	f->signbit = 0;
	f->has_nan = 1;
	f->nancode = 255;
	f->max = pow2f(127);
	f->min_normal = pow2f(-127);
	f->min_subnormal = pow2f(-127);
	return MQ_OK;
}

/* Parse a decimal integer of 1-2 digits at *s; -1 if none. */
static int parse_small(const char **s)
{
	int v = 0, nd = 0;
	while (**s >= '0' && **s <= '9' && nd < 3)
		v = v * 10 + (*(*s)++ - '0'), nd++;
	return nd == 0 || nd > 2 ? -1 : v;
}

mq_status mq_format_get(const char *name, mq_format *f)
{
	if (!name || !f)
		return MQ_EFORMAT;
	for (size_t i = 0; i < NTABLE; i++) {
		if (strcmp(name, table[i].name))
			continue;
		if (table[i].kind == MQ_KIND_INT)
			return mq_format_int(f, table[i].mbits);
		if (table[i].kind == MQ_KIND_E8M0)
			return format_e8m0(f);
		mq_status s = mq_format_float(f, table[i].ebits, table[i].mbits, table[i].sp);
		if (s == MQ_OK)
			snprintf(f->name, sizeof f->name, "%s", table[i].name);
		return s;
	}
	const char *s = name;
	if (!strncmp(s, "int", 3)) {
		s += 3;
		int n = parse_small(&s);
		return *s || n < 0 ? MQ_EFORMAT : mq_format_int(f, n);
	}
	if (*s++ != 'e')
		return MQ_EFORMAT;
	int e = parse_small(&s);
	if (e < 0 || *s++ != 'm')
		return MQ_EFORMAT;
	int m = parse_small(&s);
	if (m < 0)
		return MQ_EFORMAT;
	mq_specials sp;
	if (!*s)
		sp = MQ_SPECIALS_IEEE;
	else if (!strcmp(s, "fn"))
		sp = MQ_SPECIALS_FN;
	else if (!strcmp(s, "mx"))
		sp = MQ_SPECIALS_NONE;
	else
		return MQ_EFORMAT;
	return mq_format_float(f, e, m, sp);
}

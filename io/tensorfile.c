/* tensorfile.c: reading a file into memory, telling .npy from safetensors,
 * and converting a tensor's data to float32 (tensorfile.h says how). */
#define _POSIX_C_SOURCE 200809L /* fstat, fileno */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_internal.h"

mq_io_status mq_io_fail(const mq_io_file *f, char *err, size_t errlen, mq_io_status s,
                        const char *fmt, ...)
{
	if (err && errlen) {
		int k = snprintf(err, errlen, "%s: ", f && f->path ? f->path : "(buffer)");
		if (k >= 0 && (size_t)k < errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return s;
}

char *mq_io_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

mq_io_tensor *mq_io_add(mq_io_file *f)
{
	/* grow by doubling: a safetensors header may list many thousands */
	size_t n = f->ntensors;
	if ((n & (n - 1)) == 0) {
		size_t cap = n ? 2 * n : 1;
		mq_io_tensor *t = realloc(f->t, cap * sizeof *t);
		if (!t)
			return NULL;
		f->t = t;
	}
	memset(&f->t[n], 0, sizeof f->t[n]);
	f->ntensors = n + 1;
	return &f->t[n];
}

mq_io_status mq_io_begin(mq_io_file *f, const void *buf, size_t len, const char *name,
                         char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->path = mq_io_strdup(name ? name : "(buffer)");
	if (!f->path) {
		snprintf(err, errlen, "%s: out of memory", name ? name : "(buffer)");
		return MQ_IO_ENOMEM;
	}
	f->buf = buf;
	f->len = len;
	return MQ_IO_OK;
}

uint64_t mq_io_le(const unsigned char *p, int nbytes)
{
	uint64_t v = 0;
	for (int i = nbytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int mq_io_mul(uint64_t a, uint64_t b, uint64_t *r)
{
	if (a && b > UINT64_MAX / a)
		return 0;
	*r = a * b;
	return 1;
}

void mq_io_close(mq_io_file *f)
{
	for (size_t i = 0; i < f->ntensors; i++)
		free(f->t[i].name);
	free(f->t);
	free(f->owned);
	free(f->path);
	memset(f, 0, sizeof *f);
}

mq_io_status mq_io_parse(mq_io_file *f, const void *buf, size_t len, const char *name,
                         const mq_io_opts *opts, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	if (len >= 6 && !memcmp(p, "\x93NUMPY", 6))
		return mq_io_parse_npy(f, buf, len, name, opts, err, errlen);
	if (len >= 9 && p[8] == '{')
		return mq_io_parse_safetensors(f, buf, len, name, opts, err, errlen);
	mq_io_status s = mq_io_begin(f, buf, len, name, err, errlen);
	if (s == MQ_IO_OK) {
		if (len == 0)
			s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "empty file");
		else
			s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			               "neither a .npy file (no \\x93NUMPY magic) nor a safetensors "
			               "file (no '{' after an 8-byte header length)");
	}
	mq_io_close(f);
	return s;
}

/* Read the whole file.  A regular file's size is known before reading, so
 * the cap is checked before any allocation; a pipe is read in chunks and
 * refused as soon as it passes the cap.  So is a regular file of size 0:
 * /proc and /sys files say 0 and hold text all the same. */
static mq_io_status slurp(const char *path, uint64_t cap, unsigned char **out, size_t *outlen,
                          char *err, size_t errlen)
{
	if (cap > SIZE_MAX - 1)
		cap = SIZE_MAX - 1;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MQ_IO_ESYS;
	}
	struct stat st;
	mq_io_status s = MQ_IO_OK;
	unsigned char *b = NULL;
	size_t len = 0;
	if (fstat(fileno(fp), &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		s = MQ_IO_ESYS;
	} else if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		s = MQ_IO_ESYS;
	} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > cap) {
			snprintf(err, errlen, "%s: file is %llu bytes, over the size cap of %llu bytes",
			         path, (unsigned long long)st.st_size, (unsigned long long)cap);
			s = MQ_IO_ELIMIT;
		} else if (!(b = malloc((size_t)st.st_size + 1))) {
			snprintf(err, errlen, "%s: out of memory for %llu bytes", path,
			         (unsigned long long)st.st_size);
			s = MQ_IO_ENOMEM;
		} else {
			len = fread(b, 1, (size_t)st.st_size, fp);
			if (len != (size_t)st.st_size) {
				snprintf(err, errlen, "%s: read %zu of %llu bytes%s%s", path, len,
				         (unsigned long long)st.st_size, ferror(fp) ? ": " : "",
				         ferror(fp) ? strerror(errno) : " (file shrank)");
				s = MQ_IO_ESYS;
			}
		}
	} else {
		size_t capn = 0;
		for (;;) {
			if (len == capn) {
				if (len > cap) {
					snprintf(err, errlen, "%s: input is over the size cap of %llu bytes",
					         path, (unsigned long long)cap);
					s = MQ_IO_ELIMIT;
					break;
				}
				capn = capn ? 2 * capn : 65536;
				if (capn > cap + 1)
					capn = (size_t)cap + 1;
				unsigned char *nb = realloc(b, capn);
				if (!nb) {
					snprintf(err, errlen, "%s: out of memory", path);
					s = MQ_IO_ENOMEM;
					break;
				}
				b = nb;
			}
			size_t r = fread(b + len, 1, capn - len, fp);
			len += r;
			if (r == 0) {
				if (ferror(fp)) {
					snprintf(err, errlen, "%s: %s", path, strerror(errno));
					s = MQ_IO_ESYS;
				} else if (len > cap) {
					snprintf(err, errlen, "%s: input is over the size cap of %llu bytes",
					         path, (unsigned long long)cap);
					s = MQ_IO_ELIMIT;
				}
				break;
			}
		}
	}
	fclose(fp);
	if (s != MQ_IO_OK) {
		free(b);
		return s;
	}
	*out = b;
	*outlen = len;
	return MQ_IO_OK;
}

mq_io_status mq_io_open(mq_io_file *f, const char *path, const mq_io_opts *opts,
                        char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	uint64_t cap = opts && opts->max_bytes ? opts->max_bytes : MQ_IO_DEFAULT_MAX_BYTES;
	unsigned char *b;
	size_t len;
	mq_io_status s = slurp(path, cap, &b, &len, err, errlen);
	if (s != MQ_IO_OK)
		return s;
	s = mq_io_parse(f, b, len, path, opts, err, errlen);
	if (s != MQ_IO_OK) {
		free(b);
		return s;
	}
	f->owned = b;
	return MQ_IO_OK;
}

/* ---- conversion ---- */

static uint64_t load_uint(const unsigned char *p, int size, int big)
{
	uint64_t v = 0;
	if (big)
		for (int i = 0; i < size; i++)
			v = v << 8 | p[i];
	else
		v = mq_io_le(p, size);
	return v;
}

static float from_bits(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

/* IEEE binary16 -> binary32, exact: the exponent is rebiased (15 -> 127)
 * and the mantissa moved up 13 bits; a subnormal half (m * 2^-24) is
 * normal in float32, so it is normalized; inf and NaN keep their mantissa
 * bits (so a NaN stays a NaN, payload and sign included). */
static float half_to_float(uint32_t h)
{
	uint32_t s = (h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff;
	if (e == 0x1f)
		return from_bits(s | 0x7f800000u | m << 13);
	if (e)
		return from_bits(s | (e + 112) << 23 | m << 13);
	if (!m)
		return from_bits(s);
	uint32_t k = 0;
	while (!(m & 0x400)) {
		m <<= 1;
		k++;
	}
	return from_bits(s | (113 - k) << 23 | (m & 0x3ff) << 13);
}

/* binary64 -> binary32, round to nearest even.  The cast does that for
 * values in float32's range (Annex F); a value beyond FLT_MAX is handled
 * here rather than left to the cast, whose out-of-range behaviour C leaves
 * undefined: from FLT_MAX + half an ulp (0x1.ffffffp+127, the tie, which
 * goes to the even neighbour 2^128 = inf) upwards it is inf, below that it
 * rounds down to FLT_MAX. */
static float double_to_float(double d, mq_io_conv *c)
{
	if (isnan(d)) {
		c->nan++;
		return (float)d;
	}
	if (isinf(d)) {
		c->inf++;
		return (float)d;
	}
	double a = fabs(d);
	if (a > FLT_MAX) {
		if (a >= 0x1.ffffffp+127) {
			c->overflow++;
			c->inf++;
			return d < 0 ? -INFINITY : INFINITY;
		}
		c->inexact++;
		return d < 0 ? -FLT_MAX : FLT_MAX;
	}
	float x = (float)d;
	if (x == 0.0f && d != 0.0)
		c->underflow++;
	else if ((double)x != d)
		c->inexact++;
	return x;
}

static int itemsize(mq_io_dtype d)
{
	switch (d) {
	case MQ_IO_F32: return 4;
	case MQ_IO_F16: case MQ_IO_BF16: return 2;
	case MQ_IO_F64: return 8;
	default: return 0;
	}
}

mq_io_status mq_io_load(const mq_io_file *f, size_t i, float *out, mq_io_conv *conv,
                        char *err, size_t errlen)
{
	if (i >= f->ntensors)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "no tensor %zu (the file has %zu)",
		                  i, f->ntensors);
	const mq_io_tensor *t = &f->t[i];
	if (t->skip)
		return mq_io_fail(f, err, errlen, MQ_IO_EDTYPE, "tensor '%s': %s", t->name, t->skip);
	int size = itemsize(t->dtype);
	/* the parsers checked offset + n * size <= len; check again so that a
	 * hand-filled mq_io_file cannot make this read out of bounds */
	uint64_t nb;
	if (!size || !mq_io_mul(t->n, (uint64_t)size, &nb) || t->offset > f->len ||
	    nb > f->len - t->offset)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "tensor '%s': inconsistent layout",
		                  t->name);
	mq_io_conv c = {0, 0, 0, 0, 0};
	/* C order: element e of the file goes to out[e].  Fortran order: the
	 * file runs the first axis fastest; idx[] follows the file's order and
	 * d is the C offset of that index, updated incrementally. */
	uint64_t idx[MQ_IO_MAXDIM], cs[MQ_IO_MAXDIM];
	int nd = t->fortran && t->n > 1 ? t->ndim : 0;
	for (int k = nd - 1; k >= 0; k--) {
		cs[k] = k == nd - 1 ? 1 : cs[k + 1] * t->dim[k + 1];
		idx[k] = 0;
	}
	const unsigned char *p = f->buf + t->offset;
	uint64_t d = 0;
	for (uint64_t e = 0; e < t->n; e++, p += size) {
		uint64_t u = load_uint(p, size, t->big_endian);
		float x;
		switch (t->dtype) {
		case MQ_IO_F32: x = from_bits((uint32_t)u); break;
		case MQ_IO_F16: x = half_to_float((uint32_t)u); break;
		case MQ_IO_BF16: x = from_bits((uint32_t)u << 16); break;
		default: {
			double v;
			memcpy(&v, &u, sizeof v);
			x = double_to_float(v, &c);
			break;
		}
		}
		if (t->dtype != MQ_IO_F64) {
			if (isnan(x))
				c.nan++;
			else if (isinf(x))
				c.inf++;
		}
		if (!nd) {
			out[e] = x;
			continue;
		}
		out[d] = x;
		for (int k = 0; k < nd; k++) {
			if (++idx[k] < t->dim[k]) {
				d += cs[k];
				break;
			}
			idx[k] = 0;
			d -= (t->dim[k] - 1) * cs[k];
		}
	}
	if (conv)
		*conv = c;
	return MQ_IO_OK;
}

const char *mq_io_strerror(mq_io_status s)
{
	switch (s) {
	case MQ_IO_OK: return "success";
	case MQ_IO_ESYS: return "cannot read the file";
	case MQ_IO_EFORMAT: return "malformed tensor file";
	case MQ_IO_ETRUNC: return "truncated tensor file";
	case MQ_IO_ELIMIT: return "over a size limit";
	case MQ_IO_EDTYPE: return "unsupported dtype";
	case MQ_IO_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

const char *mq_io_dtype_name(mq_io_dtype d)
{
	switch (d) {
	case MQ_IO_F32: return "float32";
	case MQ_IO_F16: return "float16";
	case MQ_IO_BF16: return "bfloat16";
	case MQ_IO_F64: return "float64";
	case MQ_IO_OTHER: return "other";
	}
	return "?";
}

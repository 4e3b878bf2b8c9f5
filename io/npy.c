/* npy.c: the .npy reader (format and dtype rules in tensorfile.h).
 *
 * The header is a Python literal; NumPy reads it with ast.literal_eval.
 * This is a strict parser for the subset NumPy writes: one dict with
 * string keys; values that are strings, True/False, or tuples of
 * non-negative integers (a Python 2 'L' suffix allowed, as np.load allows).
 * Anything else is an error at the byte where it goes wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

#define NPY_MAX_HEADER 10000   /* np.load's default max_header_size */

typedef struct cursor {
	const unsigned char *p, *start, *end;
} cursor;

static void skip_ws(cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int eat(cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

static int peek(cursor *c)
{
	skip_ws(c);
	return c->p < c->end ? *c->p : -1;
}

/* A quoted string without escapes ('...' or "..."); 1 ok, 0 malformed
 * or longer than cap - 1. */
static int read_string(cursor *c, char *out, size_t cap)
{
	skip_ws(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
		return 0;
	unsigned char q = *c->p++;
	size_t n = 0;
	while (c->p < c->end && *c->p != q) {
		if (*c->p == '\\' || *c->p < 0x20 || n + 1 >= cap)
			return 0;
		out[n++] = (char)*c->p++;
	}
	if (c->p >= c->end)
		return 0;
	c->p++;
	out[n] = 0;
	return 1;
}

/* A bare word (True, False) not followed by an identifier character. */
static int read_word(cursor *c, const char *w)
{
	skip_ws(c);
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return 0;
	const unsigned char *q = c->p + n;
	if (q < c->end && (*q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	                   (*q >= '0' && *q <= '9')))
		return 0;
	c->p = q;
	return 1;
}

/* A decimal integer >= 0; 1 ok, 0 not a number, -1 too large for 64 bits. */
static int read_uint(cursor *c, uint64_t *v)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return 0;
	uint64_t x = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p++ - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (c->p < c->end && *c->p == 'L') /* Python 2 long, still readable by np.load */
		c->p++;
	*v = x;
	return 1;
}

/* descr -> dtype.  '|' (not applicable) and '=' (native) mean this
 * machine's byte order; NumPy itself writes '<' or '>' for multi-byte
 * types, '|' for 1-byte and void types. */
static mq_io_status parse_descr(const mq_io_file *f, const char *descr, const mq_io_opts *o,
                                mq_io_tensor *t, char *err, size_t errlen)
{
	static const union { uint16_t u; unsigned char b[2]; } probe = {1};
	const int host_big = probe.b[0] == 0;
	const char *s = descr;
	int big = host_big;
	if (*s == '<' || *s == '>' || *s == '|' || *s == '=') {
		if (*s == '<')
			big = 0;
		else if (*s == '>')
			big = 1;
		s++;
	}
	char kind = *s ? *s++ : 0;
	int size = 0, digits = 0;
	while (*s >= '0' && *s <= '9' && digits < 4) {
		size = size * 10 + (*s++ - '0');
		digits++;
	}
	snprintf(t->dtype_str, sizeof t->dtype_str, "%.23s", descr);
	t->big_endian = big;
	if (!*s && digits) {
		if (kind == 'f' && size == 2)
			t->dtype = MQ_IO_F16;
		else if (kind == 'f' && size == 4)
			t->dtype = MQ_IO_F32;
		else if (kind == 'f' && size == 8)
			t->dtype = MQ_IO_F64;
		else if (kind == 'V' && size == 2)
			t->dtype = MQ_IO_BF16;
		else if ((kind == 'u' || kind == 'i') && size == 2) {
			if (!(o && o->int16_as_bf16))
				return mq_io_fail(f, err, errlen, MQ_IO_EDTYPE,
				                  "dtype '%s' is a 16-bit integer; if it holds bfloat16 "
				                  "bit patterns (torch: t.view(torch.int16).numpy()), "
				                  "read it with the int16-as-bf16 option", descr);
			t->dtype = MQ_IO_BF16;
		} else
			goto unsupported;
		return MQ_IO_OK;
	}
unsupported:
	return mq_io_fail(f, err, errlen, MQ_IO_EDTYPE,
	                  "unsupported dtype '%s' (metriq reads float16 '<f2', float32 '<f4', "
	                  "float64 '<f8' and bfloat16 '<V2')", descr);
}

#define MALFORMED(what) \
	mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "malformed header%s at byte %ld: %s", where, \
	           (long)(c.p - c.start), what)

/* Parse one array at buf[pos..]; on success *next is the byte after its
 * data. `where` is "" or " (array K)" for messages. */
static mq_io_status parse_one(mq_io_file *f, size_t pos, const mq_io_opts *o, const char *where,
                              size_t *next, char *err, size_t errlen)
{
	const unsigned char *b = f->buf + pos;
	size_t len = f->len - pos;
	if (len < 6 || memcmp(b, "\x93NUMPY", 6))
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "not a .npy file%s (no \\x93NUMPY magic)",
		                  where);
	if (len < 8)
		return mq_io_fail(f, err, errlen, MQ_IO_ETRUNC, "truncated%s: %zu bytes, no version",
		                  where, len);
	int major = b[6], minor = b[7];
	if (!(major >= 1 && major <= 3 && minor == 0))
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		                  "unsupported .npy version %d.%d%s (known: 1.0, 2.0, 3.0)", major,
		                  minor, where);
	size_t lenbytes = major == 1 ? 2 : 4, hstart = 8 + lenbytes;
	if (len < hstart)
		return mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
		                  "truncated%s: %zu bytes, the header length needs %zu", where, len,
		                  hstart);
	uint64_t hlen = mq_io_le(b + 8, (int)lenbytes);
	if (hlen > NPY_MAX_HEADER)
		return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
		                  "header%s is %llu bytes, over the limit of %d", where,
		                  (unsigned long long)hlen, NPY_MAX_HEADER);
	if (hlen > len - hstart)
		return mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
		                  "truncated%s: the header is %llu bytes but only %zu follow", where,
		                  (unsigned long long)hlen, len - hstart);

	mq_io_tensor *t = mq_io_add(f);
	if (!t)
		return mq_io_fail(f, err, errlen, MQ_IO_ENOMEM, "out of memory");
	cursor c = {b + hstart, b + hstart, b + hstart + hlen};
	int have_descr = 0, have_fortran = 0, have_shape = 0;
	char descr[64];
	if (!eat(&c, '{'))
		return MALFORMED("expected '{'");
	while (peek(&c) != '}') {
		char key[32];
		if (!read_string(&c, key, sizeof key))
			return MALFORMED("expected a quoted key");
		if (!eat(&c, ':'))
			return MALFORMED("expected ':'");
		int *seen;
		if (!strcmp(key, "descr"))
			seen = &have_descr;
		else if (!strcmp(key, "fortran_order"))
			seen = &have_fortran;
		else if (!strcmp(key, "shape"))
			seen = &have_shape;
		else
			return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			                  "unexpected key '%s' in the header%s (keys are descr, "
			                  "fortran_order, shape)", key, where);
		if (*seen)
			return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			                  "key '%s' appears twice in the header%s", key, where);
		*seen = 1;
		if (seen == &have_descr) {
			if (peek(&c) == '[')
				return mq_io_fail(f, err, errlen, MQ_IO_EDTYPE,
				                  "structured dtype%s (a list descr) is not supported", where);
			if (!read_string(&c, descr, sizeof descr))
				return MALFORMED("descr is not a short quoted string");
		} else if (seen == &have_fortran) {
			if (read_word(&c, "True"))
				t->fortran = 1;
			else if (!read_word(&c, "False"))
				return MALFORMED("fortran_order is neither True nor False");
		} else {
			if (!eat(&c, '('))
				return MALFORMED("shape is not a tuple");
			int comma = 0;
			while (peek(&c) != ')') {
				uint64_t v;
				int r = read_uint(&c, &v);
				if (r == 0)
					return MALFORMED("expected a non-negative integer in shape");
				if (r < 0)
					return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
					                  "a dimension in the header%s is over 2^64", where);
				if (t->ndim == MQ_IO_MAXDIM)
					return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
					                  "shape%s has more than %d axes", where, MQ_IO_MAXDIM);
				t->dim[t->ndim++] = v;
				comma = eat(&c, ',');
				if (!comma && peek(&c) != ')')
					return MALFORMED("expected ',' or ')' in shape");
			}
			c.p++;
			/* Python's (3) is the integer 3, not a tuple: NumPy writes (3,) */
			if (t->ndim == 1 && !comma)
				return MALFORMED("a one-axis shape needs a trailing comma, as in (3,)");
		}
		if (!eat(&c, ',') && peek(&c) != '}')
			return MALFORMED("expected ',' or '}'");
	}
	c.p++;
	skip_ws(&c);
	if (c.p != c.end)
		return MALFORMED("unexpected text after the dict");
	if (!have_descr || !have_fortran || !have_shape)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "header%s lacks the key '%s'", where,
		                  !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
	mq_io_status s = parse_descr(f, descr, o, t, err, errlen);
	if (s != MQ_IO_OK)
		return s;

	/* element count: a zero axis makes the array empty whatever the others */
	uint64_t n = 1;
	for (int k = 0; k < t->ndim; k++)
		if (t->dim[k] == 0)
			n = 0;
	for (int k = 0; n && k < t->ndim; k++)
		if (!mq_io_mul(n, t->dim[k], &n))
			return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
			                  "shape%s has more than 2^64 elements", where);
	uint64_t nbytes, have = len - hstart - hlen;
	int size = t->dtype == MQ_IO_F64 ? 8 : t->dtype == MQ_IO_F32 ? 4 : 2;
	if (!mq_io_mul(n, (uint64_t)size, &nbytes))
		return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT, "shape%s needs more than 2^64 bytes",
		                  where);
	if (nbytes > have)
		return mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
		                  "truncated%s: %llu elements of '%s' need %llu bytes, the file has "
		                  "%llu after the header", where, (unsigned long long)n, descr,
		                  (unsigned long long)nbytes, (unsigned long long)have);
	t->n = n;
	t->nbytes = nbytes;
	t->offset = pos + hstart + hlen;
	*next = (size_t)(t->offset + nbytes);
	return MQ_IO_OK;
}
#undef MALFORMED

/* The base name without a trailing ".npy". */
static char *base_name(const char *path, size_t idx, int several)
{
	const char *s = strrchr(path, '/');
	s = s ? s + 1 : path;
	size_t n = strlen(s);
	if (n > 4 && !strcmp(s + n - 4, ".npy"))
		n -= 4;
	char *p = malloc(n + 24);
	if (p) {
		memcpy(p, s, n);
		if (several)
			snprintf(p + n, 24, "[%zu]", idx);
		else
			p[n] = 0;
	}
	return p;
}

mq_io_status mq_io_parse_npy(mq_io_file *f, const void *buf, size_t len, const char *name,
                             const mq_io_opts *opts, char *err, size_t errlen)
{
	mq_io_status s = mq_io_begin(f, buf, len, name, err, errlen);
	if (s != MQ_IO_OK)
		return s;
	f->kind = MQ_IO_NPY;
	size_t pos = 0;
	char where[40] = "";
	for (;;) {
		size_t next = 0;
		s = parse_one(f, pos, opts, where, &next, err, errlen);
		if (s != MQ_IO_OK)
			break;
		pos = next;
		if (pos == len)
			break;
		/* np.save called repeatedly on one open file leaves arrays back to
		 * back; anything else after the data is damage */
		if (len - pos < 6 || memcmp(f->buf + pos, "\x93NUMPY", 6)) {
			s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			               "%zu bytes after the data of array %zu are not another .npy array",
			               len - pos, f->ntensors - 1);
			break;
		}
		snprintf(where, sizeof where, " (array %zu)", f->ntensors);
	}
	for (size_t i = 0; s == MQ_IO_OK && i < f->ntensors; i++)
		if (!(f->t[i].name = base_name(f->path, i, f->ntensors > 1)))
			s = mq_io_fail(f, err, errlen, MQ_IO_ENOMEM, "out of memory");
	if (s != MQ_IO_OK)
		mq_io_close(f);
	return s;
}

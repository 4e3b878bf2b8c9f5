/* buf.c: growable byte buffer (see buf.h). */
#include "buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(mq_buf *b, size_t need)
{
	if (b->failed)
		return 0;
	if (b->len + need + 1 <= b->cap)
		return 1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1) {
		if (cap > (size_t)-1 / 2) {
			b->failed = 1;
			return 0;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return 0;
	}
	b->p = p;
	b->cap = cap;
	return 1;
}

void mq_buf_add(mq_buf *b, const void *s, size_t n)
{
	if (!grow(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void mq_buf_str(mq_buf *b, const char *s)
{
	mq_buf_add(b, s, strlen(s));
}

void mq_buf_char(mq_buf *b, char c)
{
	mq_buf_add(b, &c, 1);
}

void mq_buf_printf(mq_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		mq_buf_add(b, small, (size_t)n);
		return;
	}
	if (!grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *mq_double_str(double x, char out[32])
{
	/* Integral values print as integers: "%.17g" would too, but taking the
	 * branch first keeps 1e15..2^53 out of exponent form. */
	if (x == floor(x) && fabs(x) < 9007199254740992.0) {
		snprintf(out, 32, "%.0f", x); /* -0 prints as "-0" */
		return out;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, x);
		if (strtod(out, NULL) == x)
			break;
	}
	return out;
}

void mq_buf_double(mq_buf *b, double x)
{
	char s[32];
	mq_buf_str(b, mq_double_str(x, s));
}

void mq_buf_truncate(mq_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->p[len] = 0;
	}
}

int mq_buf_ok(const mq_buf *b)
{
	return !b->failed;
}

void mq_buf_free(mq_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void mq_buf_csv(mq_buf *b, const char *s, size_t n)
{
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		mq_buf_add(b, s, n);
		return;
	}
	mq_buf_char(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			mq_buf_char(b, '"');
		mq_buf_char(b, s[i]);
	}
	mq_buf_char(b, '"');
}

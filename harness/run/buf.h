/* buf.h: a growable byte buffer for text the harness builds (CSV rows,
 * the manifest).  Unlike a buffer on a script stack it lives on its own, so it
 * can outlive a binding call.  Allocation failure is sticky: every append
 * after one is a no-op and mq_buf_ok() reports it, so callers check once. */
#ifndef MQ_BUF_H
#define MQ_BUF_H

#include <stddef.h>

typedef struct mq_buf {
	char *p;        /* NUL-terminated when len > 0 or after any append */
	size_t len, cap;
	int failed;     /* an allocation failed */
} mq_buf;

#define MQ_BUF_INIT {NULL, 0, 0, 0}

void mq_buf_add(mq_buf *b, const void *s, size_t n);
void mq_buf_str(mq_buf *b, const char *s);
void mq_buf_char(mq_buf *b, char c);
void mq_buf_printf(mq_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A finite double in the shortest %.Ng (N = 15..17) that reads back to the
 * same double, so CSV and JSON numbers round-trip exactly; integral values
 * below 2^53 print without exponent or point ("512", not "5.12e+02"). */
void mq_buf_double(mq_buf *b, double x);
void mq_buf_truncate(mq_buf *b, size_t len);
int mq_buf_ok(const mq_buf *b);
void mq_buf_free(mq_buf *b);

/* s[0..n) as one CSV field, quoted as RFC 4180 says: enclosed in double
 * quotes with inner quotes doubled if it holds a comma, a double quote, CR
 * or LF, else as it is. */
void mq_buf_csv(mq_buf *b, const char *s, size_t n);

/* The shortest round-trip text of a finite double into out[32]. */
const char *mq_double_str(double x, char out[32]);

#endif

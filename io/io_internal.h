/* io_internal.h: what the readers in io/ share; not part of the API. */
#ifndef MQ_IO_INTERNAL_H
#define MQ_IO_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include "tensorfile.h"

/* Write "PATH: message" into err and return s. */
mq_io_status mq_io_fail(const mq_io_file *f, char *err, size_t errlen, mq_io_status s,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Append a zeroed tensor to f->t; NULL if out of memory. */
mq_io_tensor *mq_io_add(mq_io_file *f);

/* Start f on a borrowed buffer: copies the name, sets buf/len. */
mq_io_status mq_io_begin(mq_io_file *f, const void *buf, size_t len, const char *name,
                         char *err, size_t errlen);

/* Unsigned little-endian integer of nbytes (1..8) bytes at p. */
uint64_t mq_io_le(const unsigned char *p, int nbytes);

/* a * b into *r; 0 on overflow. */
int mq_io_mul(uint64_t a, uint64_t b, uint64_t *r);

/* strdup, which C11 lacks. */
char *mq_io_strdup(const char *s);

#endif

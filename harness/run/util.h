/* util.h: the small helpers every part of the harness needs once: string
 * copies, mkdir -p, and writing a file so that a reader never sees half
 * of it. */
#ifndef MQ_UTIL_H
#define MQ_UTIL_H

#include <stddef.h>

/* A malloc'd copy of s (NULL for NULL, or out of memory). */
char *mq_strdup(const char *s);
/* A malloc'd copy of s[0..n), NUL-terminated; NULL if out of memory. */
char *mq_strndup(const char *s, size_t n);

/* mkdir -p: 0, or -1 with errno. */
int mq_mkdirs(const char *path);

/* Write data[0..len) to PATH.tmp, then rename(2) it over path, which
 * replaces the file atomically: a reader (or a resumed run) sees the old
 * file or the new one, whole.  0, or -1 with "PATH.tmp: reason" (or
 * "rename PATH.tmp: reason") in err and no PATH.tmp left behind. */
int mq_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif

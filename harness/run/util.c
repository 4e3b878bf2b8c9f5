/* util.c: the harness's small helpers (see util.h). */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *mq_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

char *mq_strdup(const char *s)
{
	return s ? mq_strndup(s, strlen(s)) : NULL;
}

int mq_mkdirs(const char *path)
{
	if (!*path) { /* the loop below starts past the first character */
		errno = ENOENT;
		return -1;
	}
	char *p = mq_strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) && errno != EEXIST) {
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	struct stat st;
	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR; /* else EEXIST from mkdir, which says less */
		return -1;
	}
	return 0;
}

int mq_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	size_t n = strlen(path) + 5;
	char *tmp = malloc(n);
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, n, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	int e = f ? 0 : errno;
	if (f) {
		size_t w = len ? fwrite(data, 1, len, f) : 0;
		e = w == len ? 0 : errno ? errno : EIO;
		if (fclose(f) && !e)
			e = errno ? errno : EIO;
	}
	if (e)
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
	else if (rename(tmp, path)) {
		e = errno;
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(e));
	}
	if (e && f)
		remove(tmp);
	free(tmp);
	return e ? -1 : 0;
}

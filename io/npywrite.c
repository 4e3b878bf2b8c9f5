/* npywrite.c: float32 arrays to .npy (npywrite.h). */
#include "npywrite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int little_endian(void)
{
	const uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

static mq_io_status fail(const char *path, const char *what, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(errno));
	return MQ_IO_ESYS;
}

mq_io_status mq_io_save_npy(const char *path, const float *x, int ndim, const uint64_t *dim,
                            char *err, size_t errlen)
{
	if (ndim < 0 || ndim > MQ_IO_MAXDIM) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %d axes (at most %d)", path, ndim, MQ_IO_MAXDIM);
		return MQ_IO_ELIMIT;
	}
	/* the dict literal: a 1-tuple needs its trailing comma, as in Python */
	char shape[MQ_IO_MAXDIM * 22 + 4];
	size_t o = 0;
	uint64_t n = 1;
	shape[o++] = '(';
	for (int i = 0; i < ndim; i++) {
		o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%llu", i ? ", " : "",
		                      (unsigned long long)dim[i]);
		n *= dim[i];
	}
	if (ndim == 1)
		shape[o++] = ',';
	shape[o++] = ')';
	shape[o] = 0;
	char head[sizeof shape + 80];
	int hl = snprintf(head, sizeof head, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
	                  shape);
	/* magic (6) + version (2) + length (2) + dict + padding + '\n' */
	size_t total = 10 + (size_t)hl + 1;
	size_t pad = (64 - total % 64) % 64;
	size_t hlen = (size_t)hl + pad + 1;
	if (hlen > 65535) {
		if (err && errlen)
			snprintf(err, errlen, "%s: header of %zu bytes (format 1.0 holds 65535)", path, hlen);
		return MQ_IO_ELIMIT;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	if (!tmp) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return MQ_IO_ENOMEM;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		mq_io_status s = fail(tmp, "cannot create", err, errlen);
		free(tmp);
		return s;
	}
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
	                         (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
	int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre &&
	         fwrite(head, 1, (size_t)hl, f) == (size_t)hl;
	for (size_t i = 0; ok && i < pad; i++)
		ok = fputc(' ', f) != EOF;
	ok = ok && fputc('\n', f) != EOF;
	if (ok && little_endian()) {
		ok = fwrite(x, sizeof *x, (size_t)n, f) == (size_t)n;
	} else {
		for (uint64_t i = 0; ok && i < n; i++) {
			uint32_t u;
			memcpy(&u, &x[i], 4);
			unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8),
			                      (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
			ok = fwrite(b, 1, 4, f) == 4;
		}
	}
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		mq_io_status s = fail(path, ok ? "cannot rename the temporary file" : "cannot write", err,
		                      errlen);
		remove(tmp);
		free(tmp);
		return s;
	}
	free(tmp);
	return MQ_IO_OK;
}

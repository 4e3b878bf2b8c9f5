/* safetensors.c: the safetensors reader (rules in tensorfile.h).
 *
 * The JSON header is parsed by jansson (JSON_REJECT_DUPLICATES: a name
 * given twice would make the file mean two things).  The checks follow the
 * reference implementation (huggingface/safetensors, Metadata::validate):
 * header length limit, '{' first, every tensor's byte span equal to its
 * element count times its item size, and the spans tiling the data buffer
 * with no gap, overlap or trailing bytes.  Integer JSON numbers only:
 * jansson keeps them as json_int_t (long long), and a negative or
 * non-integer shape or offset is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "io_internal.h"

#define ST_MAX_HEADER 100000000ULL  /* the reference's MAX_HEADER_SIZE */

static const struct {
	const char *name;
	int size;            /* bytes per element */
	mq_io_dtype dtype;
} dtypes[] = {
	{"F32", 4, MQ_IO_F32}, {"F16", 2, MQ_IO_F16}, {"BF16", 2, MQ_IO_BF16},
	{"F64", 8, MQ_IO_F64},
	/* listed so that their spans are checked; not loaded */
	{"I64", 8, MQ_IO_OTHER}, {"I32", 4, MQ_IO_OTHER}, {"I16", 2, MQ_IO_OTHER},
	{"I8", 1, MQ_IO_OTHER}, {"U64", 8, MQ_IO_OTHER}, {"U32", 4, MQ_IO_OTHER},
	{"U16", 2, MQ_IO_OTHER}, {"U8", 1, MQ_IO_OTHER}, {"BOOL", 1, MQ_IO_OTHER},
	{"F8_E5M2", 1, MQ_IO_OTHER}, {"F8_E4M3", 1, MQ_IO_OTHER},
	{"F8_E8M0", 1, MQ_IO_OTHER}, {"C64", 8, MQ_IO_OTHER},
};

static const char skip_nonfloat[] =
    "dtype is not a float format metriq reads (F32, F16, BF16, F64); skipped";
static const char skip_unknown[] = "dtype unknown to metriq; skipped";

/* Sort by data offset, then name (zero-size tensors share an offset). */
static int by_offset(const void *a, const void *b)
{
	const mq_io_tensor *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->nbytes != y->nbytes)
		return x->nbytes < y->nbytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int get_uint(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

static mq_io_status parse_tensor(mq_io_file *f, const char *key, json_t *v, char *err,
                                 size_t errlen)
{
	if (!json_is_object(v))
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "entry '%s' is not an object", key);
	json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
	       *jo = json_object_get(v, "data_offsets");
	if (!json_is_string(jd))
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "tensor '%s': no string 'dtype'", key);
	if (!json_is_array(js))
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "tensor '%s': no array 'shape'", key);
	if (!json_is_array(jo) || json_array_size(jo) != 2)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		                  "tensor '%s': 'data_offsets' is not an array [begin, end]", key);
	if (json_array_size(js) > MQ_IO_MAXDIM)
		return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT, "tensor '%s': more than %d axes", key,
		                  MQ_IO_MAXDIM);
	mq_io_tensor *t = mq_io_add(f);
	if (!t || !(t->name = mq_io_strdup(key)))
		return mq_io_fail(f, err, errlen, MQ_IO_ENOMEM, "out of memory");
	const char *ds = json_string_value(jd);
	snprintf(t->dtype_str, sizeof t->dtype_str, "%.23s", ds);
	int size = 0;
	t->dtype = MQ_IO_OTHER;
	t->skip = skip_unknown;
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (!strcmp(ds, dtypes[i].name)) {
			size = dtypes[i].size;
			t->dtype = dtypes[i].dtype;
			t->skip = t->dtype == MQ_IO_OTHER ? skip_nonfloat : NULL;
		}
	t->ndim = (int)json_array_size(js);
	uint64_t n = 1;
	for (int k = 0; k < t->ndim; k++)
		if (!get_uint(json_array_get(js, (size_t)k), &t->dim[k]))
			return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			                  "tensor '%s': shape[%d] is not a non-negative integer", key, k);
		else if (t->dim[k] == 0)
			n = 0;
	for (int k = 0; n && k < t->ndim; k++)
		if (!mq_io_mul(n, t->dim[k], &n))
			return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
			                  "tensor '%s': more than 2^64 elements", key);
	uint64_t b, e;
	if (!get_uint(json_array_get(jo, 0), &b) || !get_uint(json_array_get(jo, 1), &e) || e < b)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		                  "tensor '%s': data_offsets are not integers 0 <= begin <= end", key);
	t->n = n;
	t->offset = b;          /* relative to the data buffer until all are read */
	t->nbytes = e - b;
	uint64_t need;
	if (size && !mq_io_mul(n, (uint64_t)size, &need))
		return mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
		                  "tensor '%s': %llu elements of %s take over 2^64 bytes", key,
		                  (unsigned long long)n, ds);
	if (size && need != e - b)
		return mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		                  "tensor '%s': data_offsets span %llu bytes, but %llu elements of "
		                  "%s take %llu", key, (unsigned long long)(e - b),
		                  (unsigned long long)n, ds, (unsigned long long)need);
	return MQ_IO_OK;
}

mq_io_status mq_io_parse_safetensors(mq_io_file *f, const void *buf, size_t len,
                                     const char *name, const mq_io_opts *opts,
                                     char *err, size_t errlen)
{
	(void)opts;
	mq_io_status s = mq_io_begin(f, buf, len, name, err, errlen);
	if (s != MQ_IO_OK)
		return s;
	f->kind = MQ_IO_SAFETENSORS;
	json_t *root = NULL;
	if (len < 8) {
		s = mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
		               "truncated: %zu bytes, but a safetensors file starts with an 8-byte "
		               "header length", len);
		goto out;
	}
	uint64_t hlen = mq_io_le(f->buf, 8);
	if (hlen > ST_MAX_HEADER) {
		s = mq_io_fail(f, err, errlen, MQ_IO_ELIMIT,
		               "header length %llu is over the limit of %llu bytes (or this is not "
		               "a safetensors file)", (unsigned long long)hlen, ST_MAX_HEADER);
		goto out;
	}
	if (hlen > len - 8) {
		s = mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
		               "truncated: the header is %llu bytes but only %zu follow its length",
		               (unsigned long long)hlen, len - 8);
		goto out;
	}
	if (hlen == 0 || f->buf[8] != '{') {
		s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		               "the header does not start with '{' (not a safetensors file)");
		goto out;
	}
	json_error_t je;
	root = json_loadb((const char *)f->buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "header is not valid JSON: %s (byte %d)",
		               je.text, je.position + 8);
		goto out;
	}
	if (!json_is_object(root)) {
		s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "header is not a JSON object");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "__metadata__")) {
			const char *mk;
			json_t *mv;
			if (!json_is_object(v)) {
				s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT, "__metadata__ is not an object");
				goto out;
			}
			json_object_foreach(v, mk, mv) if (!json_is_string(mv)) {
				s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
				               "__metadata__ value '%s' is not a string", mk);
				goto out;
			}
			continue;
		}
		if ((s = parse_tensor(f, key, v, err, errlen)) != MQ_IO_OK)
			goto out;
	}
	/* the spans must tile [0, data length) */
	uint64_t data0 = 8 + hlen, dlen = len - data0, at = 0;
	if (f->ntensors)
		qsort(f->t, f->ntensors, sizeof f->t[0], by_offset);
	for (size_t i = 0; i < f->ntensors; i++) {
		mq_io_tensor *t = &f->t[i];
		if (t->offset != at) {
			s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
			               "tensor '%s' begins at data byte %llu, but the previous tensor "
			               "ends at %llu (spans must tile the data without gaps or overlaps)",
			               t->name, (unsigned long long)t->offset, (unsigned long long)at);
			goto out;
		}
		if (t->nbytes > dlen - at) {
			s = mq_io_fail(f, err, errlen, MQ_IO_ETRUNC,
			               "truncated: tensor '%s' ends at data byte %llu, but the data "
			               "buffer has %llu bytes", t->name,
			               (unsigned long long)(at + t->nbytes), (unsigned long long)dlen);
			goto out;
		}
		at += t->nbytes;
		t->offset += data0;
	}
	if (at != dlen)
		s = mq_io_fail(f, err, errlen, MQ_IO_EFORMAT,
		               "%llu bytes after the last tensor's data", (unsigned long long)(dlen - at));
out:
	if (root)
		json_decref(root);
	if (s != MQ_IO_OK)
		mq_io_close(f);
	return s;
}

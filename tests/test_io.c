/* test_io.c: the tensor file readers (io/tensorfile.h).
 *
 *  - files NumPy itself wrote (tests/fuzz/corpus, made by make_seeds.py):
 *    every dtype, byte order, Fortran order, versions 1-3, scalars, empty
 *    arrays, several arrays in one file, the bfloat16 conventions, and
 *    safetensors files laid out as the reference serializer lays them out;
 *  - conversions checked against values computed another way: all 65536
 *    float16 and bfloat16 patterns from their definition, float64 rounding
 *    at the edges of float32's range;
 *  - malformed, truncated and oversized inputs, one defect at a time: the
 *    status, and a message that names the file and the problem.
 *
 * usage: test_io CORPUS_DIR SCRATCH_DIR */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorfile.h"
#include "check.h"

static const char *corpus;
static char err[1024];

static int same_bits(float a, float b)
{
	return !memcmp(&a, &b, sizeof a);
}

/* Open a corpus file; load tensor i into a new array. */
static float *load(mq_io_file *f, size_t i, mq_io_conv *c)
{
	float *x = malloc((f->t[i].n ? f->t[i].n : 1) * sizeof *x);
	mq_io_status s = mq_io_load(f, i, x, c, err, sizeof err);
	CHECK(s == MQ_IO_OK, "load %s[%zu]: %s", f->path, i, err);
	return x;
}

static int open_corpus(mq_io_file *f, const char *name, const mq_io_opts *o)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", corpus, name);
	mq_io_status s = mq_io_open(f, path, o, err, sizeof err);
	CHECK(s == MQ_IO_OK, "open %s: %s", name, err);
	return s == MQ_IO_OK;
}

static void test_numpy_f4(void)
{
	static const char *files[] = {"npy/f4_c.npy", "npy/f4_fortran.npy", "npy/f4_be.npy",
	                              "npy/f4_v2.npy", "npy/f4_v3.npy"};
	for (size_t k = 0; k < 5; k++) {
		mq_io_file f;
		if (!open_corpus(&f, files[k], NULL))
			continue;
		CHECK(f.kind == MQ_IO_NPY && f.ntensors == 1, "%s: kind/count", files[k]);
		mq_io_tensor *t = &f.t[0];
		CHECK(t->dtype == MQ_IO_F32 && t->ndim == 2 && t->dim[0] == 3 && t->dim[1] == 4 &&
		          t->n == 12, "%s: dtype/shape", files[k]);
		CHECK(t->fortran == (k == 1) && t->big_endian == (k == 2), "%s: order flags", files[k]);
		const char *base = strrchr(files[k], '/') + 1;
		CHECK(!strncmp(t->name, base, strlen(base) - 4) && strlen(t->name) == strlen(base) - 4,
		      "%s: name '%s'", files[k], t->name);
		float *x = load(&f, 0, NULL);
		for (int i = 0; i < 12; i++)
			CHECK(x[i] == (float)(i - 5) / 4, "%s: x[%d] = %g", files[k], i, x[i]);
		free(x);
		mq_io_close(&f);
	}
	mq_io_file f;
	if (open_corpus(&f, "npy/f4_3d_fortran.npy", NULL)) {
		CHECK(f.t[0].ndim == 3 && f.t[0].fortran && f.t[0].dim[2] == 4, "3d fortran shape");
		float *x = load(&f, 0, NULL);
		for (int i = 0; i < 24; i++)
			CHECK(x[i] == i, "3d fortran x[%d] = %g", i, x[i]);
		free(x);
		mq_io_close(&f);
	}
}

static void test_numpy_other(void)
{
	mq_io_file f;
	mq_io_conv c;
	if (open_corpus(&f, "npy/f2.npy", NULL)) {
		float *x = load(&f, 0, &c);
		const float want[8] = {0.0f, -0.0f, 1, 65504, 0x1p-24f, 0x1p-14f, INFINITY, -INFINITY};
		for (int i = 0; i < 8; i++)
			CHECK(same_bits(x[i], want[i]), "f2 x[%d] = %g", i, x[i]);
		CHECK(isnan(x[8]) && c.nan == 1 && c.inf == 2, "f2 nan/inf counts %llu %llu",
		      (unsigned long long)c.nan, (unsigned long long)c.inf);
		free(x);
		mq_io_close(&f);
	}
	if (open_corpus(&f, "npy/f8.npy", NULL)) {
		float *x = load(&f, 0, &c);
		CHECK(x[0] == 0.1f && x[1] == INFINITY && x[2] == -INFINITY && x[3] == 0 &&
		          x[4] == INFINITY && x[5] == -2.5f,
		      "f8 values %g %g %g %g %g %g", x[0], x[1], x[2], x[3], x[4], x[5]);
		/* 3.4028235677973366e38 is FLT_MAX + half an ulp: the tie goes to inf */
		CHECK(c.overflow == 3 && c.inf == 3 && c.underflow == 1 && c.inexact == 1 && !c.nan,
		      "f8 counts ovf %llu inf %llu unf %llu inexact %llu",
		      (unsigned long long)c.overflow, (unsigned long long)c.inf,
		      (unsigned long long)c.underflow, (unsigned long long)c.inexact);
		free(x);
		mq_io_close(&f);
	}
	if (open_corpus(&f, "npy/scalar.npy", NULL)) {
		CHECK(f.t[0].ndim == 0 && f.t[0].n == 1, "scalar shape");
		float *x = load(&f, 0, NULL);
		CHECK(x[0] == 3.5f, "scalar %g", x[0]);
		free(x);
		mq_io_close(&f);
	}
	if (open_corpus(&f, "npy/empty.npy", NULL)) {
		CHECK(f.t[0].ndim == 2 && f.t[0].n == 0 && f.t[0].dim[1] == 5, "empty shape");
		free(load(&f, 0, NULL));
		mq_io_close(&f);
	}
	if (open_corpus(&f, "npy/multi.npy", NULL)) {
		CHECK(f.ntensors == 2 && !strcmp(f.t[0].name, "multi[0]") &&
		          !strcmp(f.t[1].name, "multi[1]") && f.t[1].dtype == MQ_IO_F64,
		      "multi: %zu tensors", f.ntensors);
		if (f.ntensors == 2) {
			float *x = load(&f, 1, NULL);
			CHECK(x[0] == 7 && x[1] == 8, "multi[1] %g %g", x[0], x[1]);
			free(x);
		}
		mq_io_close(&f);
	}
	/* bfloat16: V2 always, u2/i2 only on request */
	const float bf[4] = {1, -2, 0.5f, 3.140625f};
	static const char *v2[] = {"npy/bf16_void.npy", "npy/bf16_mldtypes.npy",
	                           "npy/bf16_u2.npy", "npy/bf16_i2.npy"};
	mq_io_opts on = {0, 1};
	for (int k = 0; k < 4; k++) {
		if (!open_corpus(&f, v2[k], k < 2 ? NULL : &on))
			continue;
		CHECK(f.t[0].dtype == MQ_IO_BF16, "%s dtype", v2[k]);
		float *x = load(&f, 0, NULL);
		for (int i = 0; i < 4; i++)
			CHECK(x[i] == bf[i], "%s x[%d] = %g", v2[k], i, x[i]);
		free(x);
		mq_io_close(&f);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/npy/bf16_i2.npy", corpus);
	mq_io_status s = mq_io_open(&f, path, NULL, err, sizeof err);
	CHECK(s == MQ_IO_EDTYPE && strstr(err, "'<i2' is a 16-bit integer") &&
	          strstr(err, "int16-as-bf16 option"), "i2 without the option: %s", err);
	mq_io_close(&f);
}

static void test_safetensors_files(void)
{
	mq_io_file f;
	if (open_corpus(&f, "safetensors/all.safetensors", NULL)) {
		static const char *names[] = {"w.f32", "w.f16", "w.bf16", "w.f64", "pos"};
		CHECK(f.kind == MQ_IO_SAFETENSORS && f.ntensors == 5, "all: %zu tensors", f.ntensors);
		for (size_t i = 0; i < f.ntensors && i < 5; i++)
			CHECK(!strcmp(f.t[i].name, names[i]), "all: tensor %zu is '%s'", i, f.t[i].name);
		if (f.ntensors == 5) {
			float *x = load(&f, 0, NULL);
			CHECK(x[0] == -1.25f && x[11] == 1.5f && f.t[0].dim[1] == 4, "all: w.f32");
			free(x);
			x = load(&f, 1, NULL);
			CHECK(x[0] == 1 && x[1] == -2 && x[2] == 0.5f && x[3] == 65504, "all: w.f16");
			free(x);
			x = load(&f, 2, NULL);
			CHECK(x[0] == 1 && x[1] == -2 && x[2] == 0.5f && x[3] == 3.140625f, "all: w.bf16");
			free(x);
			mq_io_conv c;
			x = load(&f, 3, &c);
			CHECK(x[0] == 0.1f && same_bits(x[1], -0.0f) && c.underflow == 1, "all: w.f64");
			free(x);
			CHECK(f.t[4].skip && f.t[4].dtype == MQ_IO_OTHER && !strcmp(f.t[4].dtype_str, "I64"),
			      "all: pos is listed, skipped");
			float y[3];
			mq_io_status s = mq_io_load(&f, 4, y, NULL, err, sizeof err);
			CHECK(s == MQ_IO_EDTYPE && strstr(err, "tensor 'pos'") &&
			          strstr(err, "all.safetensors: "), "load of I64: %s", err);
		}
		mq_io_close(&f);
	}
	if (open_corpus(&f, "safetensors/empty.safetensors", NULL)) {
		CHECK(f.ntensors == 0, "empty: %zu tensors", f.ntensors);
		mq_io_close(&f);
	}
	if (open_corpus(&f, "safetensors/zero_size.safetensors", NULL)) {
		CHECK(f.ntensors == 2 && !strcmp(f.t[0].name, "z") && f.t[0].n == 0 &&
		          f.t[1].ndim == 0 && f.t[1].n == 1, "zero_size");
		if (f.ntensors == 2) {
			float *x = load(&f, 1, NULL);
			CHECK(x[0] == 2.5f, "zero_size scalar %g", x[0]);
			free(x);
		}
		mq_io_close(&f);
	}
}

/* ---- conversions ---- */

/* An in-memory .npy v1.0 file, header padded to 64 bytes as NumPy does. */
static size_t make_npy(unsigned char *out, size_t cap, const char *dict, const void *data,
                       size_t nbytes)
{
	size_t dl = strlen(dict), hl = dl + 1;
	hl += (64 - (10 + hl) % 64) % 64;
	if (10 + hl + nbytes > cap)
		abort();
	memcpy(out, "\x93NUMPY\x01\x00", 8);
	out[8] = (unsigned char)(hl & 0xff);
	out[9] = (unsigned char)(hl >> 8);
	memcpy(out + 10, dict, dl);
	memset(out + 10 + dl, ' ', hl - dl - 1);
	out[10 + hl - 1] = '\n';
	if (nbytes)
		memcpy(out + 10 + hl, data, nbytes);
	return 10 + hl + nbytes;
}

/* float16 by its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormals
 * 2^-14 (m/1024), e = 31 inf or NaN. */
static float half_ref(unsigned h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v;
	if (e == 31)
		v = m ? NAN : INFINITY;
	else if (e == 0)
		v = ldexp(m / 1024.0, -14);
	else
		v = ldexp(1 + m / 1024.0, e - 15);
	return (float)(s ? -v : v);
}

static void test_all_halves(void)
{
	static uint16_t h[65536];
	static unsigned char buf[65536 * 2 + 256];
	static float x[65536];
	for (unsigned i = 0; i < 65536; i++)
		h[i] = (uint16_t)i;   /* little-endian host assumed by the test data */
	const char *dicts[2] = {"{'descr': '<f2', 'fortran_order': False, 'shape': (65536,), }",
	                        "{'descr': '<V2', 'fortran_order': False, 'shape': (65536,), }"};
	for (int k = 0; k < 2; k++) {
		size_t n = make_npy(buf, sizeof buf, dicts[k], h, sizeof h);
		mq_io_file f;
		mq_io_conv c;
		if (mq_io_parse(&f, buf, n, "halves.npy", NULL, err, sizeof err) != MQ_IO_OK) {
			CHECK(0, "halves: %s", err);
			continue;
		}
		CHECK(mq_io_load(&f, 0, x, &c, err, sizeof err) == MQ_IO_OK, "halves load: %s", err);
		int bad = 0;
		for (unsigned i = 0; i < 65536; i++) {
			float want;
			if (k == 0)
				want = half_ref(i);
			else {
				uint32_t u = i << 16;
				memcpy(&want, &u, 4);
			}
			int ok = isnan(want) ? isnan(x[i]) && !!signbit(x[i]) == !!(i >> 15)
			                     : same_bits(x[i], want);
			if (!ok && bad++ < 5)
				CHECK(0, "%s pattern 0x%04x: got %a want %a", k ? "bf16" : "f16", i, x[i],
				      want);
		}
		/* NaN patterns: exponent all ones, mantissa nonzero, both signs */
		uint64_t nans = k == 0 ? 2 * 1023 : 2 * 127;
		CHECK(c.nan == nans && c.inf == 2, "%s counts nan %llu inf %llu", k ? "bf16" : "f16",
		      (unsigned long long)c.nan, (unsigned long long)c.inf);
		mq_io_close(&f);
	}
}

static void test_double_rounding(void)
{
	const double tie = 0x1.ffffffp+127;     /* FLT_MAX + half an ulp */
	const double d[] = {FLT_MAX, nextafter(tie, 0), tie, -tie, 0x1p-150, 0x1.000001p-150,
	                    0x1p-149, 1 + 0x1p-24, 1 + 0x1.8p-24, 1e-320};
	const float want[] = {FLT_MAX, FLT_MAX, INFINITY, -INFINITY, 0.0f, 0x1p-149f,
	                      0x1p-149f, 1.0f, 1 + 0x1p-23f, 0.0f};
	unsigned char buf[512];
	size_t n = make_npy(buf, sizeof buf,
	                    "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }", d, sizeof d);
	mq_io_file f;
	mq_io_conv c;
	float x[10];
	if (mq_io_parse(&f, buf, n, "d.npy", NULL, err, sizeof err) != MQ_IO_OK) {
		CHECK(0, "doubles: %s", err);
		return;
	}
	CHECK(mq_io_load(&f, 0, x, &c, err, sizeof err) == MQ_IO_OK, "doubles load");
	for (int i = 0; i < 10; i++)
		CHECK(same_bits(x[i], want[i]), "double %a -> %a, want %a", d[i], x[i], want[i]);
	CHECK(c.overflow == 2 && c.underflow == 2 && c.inexact == 4,
	      "double counts ovf %llu unf %llu inexact %llu", (unsigned long long)c.overflow,
	      (unsigned long long)c.underflow, (unsigned long long)c.inexact);
	mq_io_close(&f);
}

/* ---- bad input ---- */

typedef mq_io_status (*parser)(mq_io_file *, const void *, size_t, const char *,
                               const mq_io_opts *, char *, size_t);

static void expect_bad(parser p, const void *buf, size_t len, mq_io_status want,
                       const char *msg, const char *what)
{
	mq_io_file f;
	err[0] = 0;
	mq_io_status s = p(&f, buf, len, "bad.file", NULL, err, sizeof err);
	CHECK(s == want, "%s: status %d (%s), want %d", what, s, err, want);
	CHECK(!strncmp(err, "bad.file: ", 10) && strstr(err, msg), "%s: message '%s' lacks '%s'",
	      what, err, msg);
	CHECK(f.ntensors == 0 && !f.t && !f.path, "%s: file not left empty", what);
	mq_io_close(&f);
}

static void bad_npy(const char *dict, size_t nbytes, mq_io_status want, const char *msg)
{
	static unsigned char buf[4096], data[1024];
	size_t n = make_npy(buf, sizeof buf, dict, data, nbytes);
	expect_bad(mq_io_parse_npy, buf, n, want, msg, dict);
}

static void test_bad_npy(void)
{
	const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
	unsigned char buf[256];
	size_t n = make_npy(buf, sizeof buf, ok, "abcdefghijklmnopqrstuvwx", 24);
	mq_io_file f;
	CHECK(mq_io_parse_npy(&f, buf, n, "ok.npy", NULL, err, sizeof err) == MQ_IO_OK, "%s", err);
	mq_io_close(&f);

	expect_bad(mq_io_parse, "", 0, MQ_IO_EFORMAT, "empty file", "empty");
	expect_bad(mq_io_parse, "hello world", 11, MQ_IO_EFORMAT, "neither a .npy file", "text");
	expect_bad(mq_io_parse_npy, "hello world", 11, MQ_IO_EFORMAT, "no \\x93NUMPY magic", "magic");
	expect_bad(mq_io_parse, "\x93NUMPY", 6, MQ_IO_ETRUNC, "no version", "magic only");
	expect_bad(mq_io_parse, "\x93NUMPY\x01", 7, MQ_IO_ETRUNC, "no version", "half version");
	expect_bad(mq_io_parse, "\x93NUMPY\x01\x00\x10", 9, MQ_IO_ETRUNC, "header length needs",
	           "half length");
	unsigned char b2[256];
	memcpy(b2, buf, n);
	b2[6] = 4;
	expect_bad(mq_io_parse, b2, n, MQ_IO_EFORMAT, "unsupported .npy version 4.0", "version");
	b2[6] = 1;
	b2[7] = 1;
	expect_bad(mq_io_parse, b2, n, MQ_IO_EFORMAT, "version 1.1", "minor");
	memcpy(b2, buf, n);
	b2[8] = 0xff;
	b2[9] = 0x00;
	expect_bad(mq_io_parse, b2, n, MQ_IO_ETRUNC, "the header is 255 bytes but only", "hlen");
	memcpy(b2, buf, n);
	b2[6] = 2;  /* v2: 4-byte length, now read from "v\0{'" */
	expect_bad(mq_io_parse, b2, n, MQ_IO_ELIMIT, "over the limit of 10000", "v2 hlen");
	expect_bad(mq_io_parse, buf, n - 1, MQ_IO_ETRUNC, "need 24 bytes, the file has 23", "data");
	unsigned char b3[300];
	memcpy(b3, buf, n);
	memcpy(b3 + n, "junk", 4);
	expect_bad(mq_io_parse, b3, n + 4, MQ_IO_EFORMAT, "4 bytes after the data of array 0", "tail");
	memcpy(b3 + n, buf, 20);   /* a second array whose header is cut short */
	expect_bad(mq_io_parse, b3, n + 20, MQ_IO_ETRUNC, "(array 1)", "second array");

	bad_npy("['descr', '<f4']", 0, MQ_IO_EFORMAT, "expected '{'");
	bad_npy("{'descr': '<f4', 'fortran_order': False}", 0, MQ_IO_EFORMAT,
	        "lacks the key 'shape'");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4,
	        MQ_IO_EFORMAT, "unexpected key 'x'");
	bad_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", 4,
	        MQ_IO_EFORMAT, "'descr' appears twice");
	bad_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", 4, MQ_IO_EFORMAT,
	        "neither True nor False");
	bad_npy("{'descr': '<f4', 'fortran_order': Falsey, 'shape': ()}", 4, MQ_IO_EFORMAT,
	        "neither True nor False");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", 8, MQ_IO_EFORMAT,
	        "shape is not a tuple");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8, MQ_IO_EFORMAT,
	        "trailing comma");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8, MQ_IO_EFORMAT,
	        "non-negative integer");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", 8, MQ_IO_EFORMAT,
	        "expected ',' or ')'");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 0,
	        MQ_IO_ELIMIT, "over 2^64");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 0,
	        MQ_IO_ELIMIT, "more than 2^64 elements");
	bad_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", 0,
	        MQ_IO_ELIMIT, "more than 2^64 bytes");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,)}", 8, MQ_IO_ETRUNC,
	        "1000000 elements of '<f4' need 4000000 bytes");
	bad_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", 8, MQ_IO_EDTYPE,
	        "unsupported dtype '<i8'");
	bad_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", 8, MQ_IO_EDTYPE,
	        "unsupported dtype");
	bad_npy("{'descr': '<f4x', 'fortran_order': False, 'shape': (1,)}", 8, MQ_IO_EDTYPE,
	        "unsupported dtype");
	bad_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4,
	        MQ_IO_EDTYPE, "structured dtype");
	bad_npy("{'descr': '<f4\\n', 'fortran_order': False, 'shape': (1,)}", 4, MQ_IO_EFORMAT,
	        "descr is not a short quoted string");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4, MQ_IO_EFORMAT,
	        "unexpected text after the dict");
	bad_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, MQ_IO_EFORMAT,
	        "malformed header at byte");
	char many[512] = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
	for (int k = 0; k < 65; k++)
		strcat(many, "1,");
	strcat(many, ")}");
	bad_npy(many, 4, MQ_IO_ELIMIT, "more than 64 axes");
}

/* An in-memory safetensors file from a header string and data size. */
static size_t make_st(unsigned char *out, const char *header, size_t nbytes)
{
	size_t h = strlen(header);
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(out + 8, header, h);
	memset(out + 8 + h, 0, nbytes);
	return 8 + h + nbytes;
}

static void bad_st(const char *header, size_t nbytes, mq_io_status want, const char *msg)
{
	static unsigned char buf[4096];
	size_t n = make_st(buf, header, nbytes);
	expect_bad(mq_io_parse_safetensors, buf, n, want, msg, header);
}

static void test_bad_safetensors(void)
{
	unsigned char buf[512];
	size_t n = make_st(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
	mq_io_file f;
	CHECK(mq_io_parse_safetensors(&f, buf, n, "ok", NULL, err, sizeof err) == MQ_IO_OK, "%s",
	      err);
	mq_io_close(&f);
	expect_bad(mq_io_parse_safetensors, buf, 5, MQ_IO_ETRUNC, "8-byte header length", "short");
	expect_bad(mq_io_parse_safetensors, buf, 30, MQ_IO_ETRUNC, "only 22 follow its length",
	           "cut header");
	expect_bad(mq_io_parse_safetensors, buf, n - 1, MQ_IO_ETRUNC,
	           "ends at data byte 8, but the data buffer has 7", "cut data");
	unsigned char b2[512];
	memcpy(b2, buf, n);
	b2[7] = 1;
	expect_bad(mq_io_parse_safetensors, b2, n, MQ_IO_ELIMIT, "over the limit", "huge hlen");
	memcpy(b2, buf, n);
	b2[8] = ' ';
	expect_bad(mq_io_parse_safetensors, b2, n, MQ_IO_EFORMAT, "does not start with '{'", "{");

	bad_st("{\"a\":1", 0, MQ_IO_EFORMAT, "not valid JSON");
	bad_st("{\"a\":{}, \"a\":{}}", 0, MQ_IO_EFORMAT, "duplicate");
	bad_st("{\"a\":1}", 0, MQ_IO_EFORMAT, "entry 'a' is not an object");
	bad_st("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4, MQ_IO_EFORMAT, "no string 'dtype'");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, MQ_IO_EFORMAT,
	       "no array 'shape'");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", 4, MQ_IO_EFORMAT, "'data_offsets'");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}", 4, MQ_IO_EFORMAT,
	       "'data_offsets'");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, MQ_IO_EFORMAT,
	       "shape[0] is not a non-negative integer");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, MQ_IO_EFORMAT,
	       "shape[0]");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, MQ_IO_EFORMAT,
	       "begin <= end");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, MQ_IO_EFORMAT,
	       "span 4 bytes, but 2 elements of F32 take 8");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
	       "\"data_offsets\":[0,4]}}", 4, MQ_IO_ELIMIT, "more than 2^64 elements");
	bad_st("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
	       "\"data_offsets\":[0,4]}}", 4, MQ_IO_ELIMIT, "over 2^64 bytes");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MQ_IO_EFORMAT,
	       "begins at data byte 4, but the previous tensor ends at 0");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MQ_IO_EFORMAT,
	       "begins at data byte 4, but the previous tensor ends at 8");
	bad_st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, MQ_IO_EFORMAT,
	       "2 bytes after the last tensor's data");
	bad_st("{\"__metadata__\":{\"k\":1}}", 0, MQ_IO_EFORMAT, "__metadata__ value 'k'");
	bad_st("{\"__metadata__\":[]}", 0, MQ_IO_EFORMAT, "__metadata__ is not an object");
	bad_st("[]", 0, MQ_IO_EFORMAT, "does not start with '{'");
	char many[1024] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[";
	for (int k = 0; k < 65; k++)
		strcat(many, k ? ",1" : "1");
	strcat(many, "],\"data_offsets\":[0,4]}}");
	bad_st(many, 4, MQ_IO_ELIMIT, "more than 64 axes");

	/* an unknown dtype is listed and skipped, its span unchecked */
	n = make_st(buf, "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2);
	CHECK(mq_io_parse_safetensors(&f, buf, n, "u", NULL, err, sizeof err) == MQ_IO_OK &&
	          f.ntensors == 1 && f.t[0].skip && strstr(f.t[0].skip, "unknown"), "unknown dtype");
	mq_io_close(&f);
}

static void test_open(const char *scratch)
{
	mq_io_file f;
	char path[1024];
	snprintf(path, sizeof path, "%s/does-not-exist.npy", scratch);
	CHECK(mq_io_open(&f, path, NULL, err, sizeof err) == MQ_IO_ESYS && strstr(err, path) &&
	          strstr(err, "No such file"), "missing file: %s", err);
	mq_io_close(&f);
	CHECK(mq_io_open(&f, corpus, NULL, err, sizeof err) == MQ_IO_ESYS &&
	          strstr(err, "is a directory"), "directory: %s", err);
	mq_io_close(&f);
	mq_io_opts small = {100, 0};
	snprintf(path, sizeof path, "%s/npy/f4_c.npy", corpus);
	CHECK(mq_io_open(&f, path, &small, err, sizeof err) == MQ_IO_ELIMIT &&
	          strstr(err, "file is 176 bytes, over the size cap of 100 bytes"), "cap: %s", err);
	mq_io_close(&f);
	small.max_bytes = 176;
	CHECK(mq_io_open(&f, path, &small, err, sizeof err) == MQ_IO_OK, "cap = size: %s", err);
	mq_io_close(&f);
	CHECK(mq_io_load(&f, 0, NULL, NULL, err, sizeof err) == MQ_IO_EFORMAT, "load past the end");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_io CORPUS_DIR SCRATCH_DIR\n");
		return 2;
	}
	corpus = argv[1];
	test_numpy_f4();
	test_numpy_other();
	test_safetensors_files();
	test_all_halves();
	test_double_rounding();
	test_bad_npy();
	test_bad_safetensors();
	test_open(argv[2]);
	if (failures)
		fprintf(stderr, "test_io: %d failures\n", failures);
	else
		printf("test_io: ok\n");
	return failures != 0;
}

/* test_tsample.c: the .npy writer (io/npywrite.h) read back by io's
 * reader, and the matmul sampler (train/tsample.h) on a tiny training run:
 * the files and index it writes, saved operands equal to the model's
 * weights in canonical layout, duplicates written once, bad folders. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model.h"
#include "npywrite.h"
#include "rng.h"
#include "tensorfile.h"
#include "tsample.h"

static char dir[512];

/* Read path's single tensor: its shape into dim (returns ndim, -1 on
 * failure) and its data (malloc'ed) into *x. */
static int load(const char *path, uint64_t *dim, float **x, uint64_t *offset)
{
	mq_io_file f;
	char err[256];
	*x = NULL;
	if (mq_io_open(&f, path, NULL, err, sizeof err) != MQ_IO_OK || f.ntensors != 1 ||
	    f.t[0].dtype != MQ_IO_F32) {
		fprintf(stderr, "load %s: %s\n", path, err);
		mq_io_close(&f);
		return -1;
	}
	int nd = f.t[0].ndim;
	memcpy(dim, f.t[0].dim, (size_t)nd * sizeof *dim);
	if (offset)
		*offset = f.t[0].offset;
	*x = malloc((f.t[0].n ? f.t[0].n : 1) * sizeof **x);
	if (mq_io_load(&f, 0, *x, NULL, err, sizeof err) != MQ_IO_OK)
		nd = -1;
	mq_io_close(&f);
	return nd;
}

static void test_npy(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/a.npy", dir);
	/* every bit pattern class: normals, subnormals, zeros, inf, NaN */
	float x[2 * 3 * 4 * 5];
	for (int i = 0; i < 120; i++)
		x[i] = (float)ldexp((i % 7) - 3.5, (i % 23) - 11) * (i % 2 ? 1 : -1);
	x[3] = 1e-42f, x[4] = -0.0f, x[5] = INFINITY, x[6] = NAN;
	uint64_t dim[4] = {2, 3, 4, 5};
	char err[256];
	CHECK(mq_io_save_npy(path, x, 4, dim, err, sizeof err) == MQ_IO_OK, "save: %s", err);
	uint64_t got[64], off;
	float *y;
	int nd = load(path, got, &y, &off);
	CHECK(nd == 4 && got[0] == 2 && got[1] == 3 && got[2] == 4 && got[3] == 5, "shape");
	CHECK(y && !memcmp(x, y, sizeof x), "data differs after the round trip");
	CHECK(off % 64 == 0, "data offset %llu not 64-aligned", (unsigned long long)off);
	free(y);
	/* 1-D (the tuple's trailing comma) and a scalar */
	uint64_t d1 = 7;
	CHECK(mq_io_save_npy(path, x, 1, &d1, err, sizeof err) == MQ_IO_OK, "save 1-D: %s", err);
	nd = load(path, got, &y, NULL);
	CHECK(nd == 1 && got[0] == 7 && y && !memcmp(x, y, 7 * sizeof *x), "1-D round trip");
	free(y);
	CHECK(mq_io_save_npy(path, x, 0, NULL, err, sizeof err) == MQ_IO_OK, "save 0-D: %s", err);
	nd = load(path, got, &y, NULL);
	CHECK(nd == 0 && y && !memcmp(x, y, sizeof *x), "scalar round trip");
	free(y);
	char tmp[620];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0, "temporary file left behind");
	/* a folder that does not exist: an error naming the file, nothing left */
	snprintf(path, sizeof path, "%s/no/such/b.npy", dir);
	CHECK(mq_io_save_npy(path, x, 1, &d1, err, sizeof err) == MQ_IO_ESYS, "unwritable");
	CHECK(strstr(err, "no/such/b.npy") != NULL, "message '%s' lacks the path", err);
}

/* The sampler on a tiny run; at step 0 the weights are the initial ones,
 * which a model initialised with the same seed reproduces. */
static void test_sampler(void)
{
	mq_train_cfg c;
	mq_train_defaults(&c);
	c.dims = (mq_nn_dims){.V = MQ_VOCAB, .T = 8, .C = 16, .L = 2, .NH = 2, .B = 2, .NM = 2};
	c.steps = 3, c.eval_every = 1, c.eval_seqs = 2, c.seed = 5, c.threads = 1;
	char sdir[600], err[600];
	snprintf(sdir, sizeof sdir, "%s/tensors", dir);
	uint64_t steps[] = {0, 2, 2};
	mq_tsample *ts;
	CHECK(mq_tsample_open(&ts, sdir, steps, 3, err, sizeof err) == MQ_OK, "open: %s", err);
	if (!ts)
		return;
	/* the same run unsampled: the tap only reads, so the same numbers */
	mq_train_result r0, r;
	CHECK(mq_train_run(&c, NULL, NULL, NULL, &r0) == MQ_OK, "train");
	mq_tsample_attach(ts, &c.quant);
	CHECK(mq_train_run(&c, NULL, NULL, NULL, &r) == MQ_OK, "train");
	CHECK(r.nevals == r0.nevals && r.auc == r0.auc && r.train_loss == r0.train_loss,
	      "sampling changed training: auc %.17g vs %.17g", r.auc, r0.auc);
	for (int i = 0; i < r.nevals && i < r0.nevals; i++)
		CHECK(r.evals[i].loss == r0.evals[i].loss, "eval %d loss differs", i);
	mq_train_result_free(&r0);
	mq_train_result_free(&r);
	CHECK(mq_tsample_finish(ts, err, sizeof err) == MQ_OK, "finish: %s", err);
	size_t n;
	uint64_t bytes;
	const mq_tsample_row *rows = mq_tsample_rows(ts, &n, &bytes);
	/* per step: 6 products forward (4 dense, 2 attention) and 12 backward
	 * per layer, 1 + 2 for the head, two operands each */
	size_t per = (size_t)2 * (c.dims.L * 18 + 3);
	CHECK(n == 2 * per, "%zu rows, want %zu", n, 2 * per);
	size_t at0 = 0, at2 = 0;
	for (size_t i = 0; i < n; i++)
		at0 += rows[i].step == 0, at2 += rows[i].step == 2;
	CHECK(at0 == per && at2 == per, "rows at step 0: %zu, at 2: %zu (evaluations sampled?)",
	      at0, at2);
	/* every file exists with the row's shape; sum of sizes = bytes */
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		char p[800];
		snprintf(p, sizeof p, "%s/%s", sdir, rows[i].file);
		uint64_t dim[64];
		float *x;
		int nd = load(p, dim, &x, NULL);
		CHECK(nd == 4 && dim[0] == (uint64_t)rows[i].nex && dim[1] == (uint64_t)rows[i].nbat &&
		      dim[2] == (uint64_t)rows[i].free && dim[3] == (uint64_t)rows[i].contract,
		      "%s: shape", rows[i].file);
		free(x);
		CHECK(rows[i].written, "%s: no duplicate expected in the model", rows[i].file);
		sum += 4 * dim[0] * dim[1] * dim[2] * dim[3];
	}
	CHECK(sum == bytes, "bytes %llu, files hold %llu", (unsigned long long)bytes,
	      (unsigned long long)sum);
	/* the index: a header and one line per row */
	char ip[700];
	snprintf(ip, sizeof ip, "%s/tensors.csv", sdir);
	FILE *f = fopen(ip, "r");
	CHECK(f != NULL, "no index");
	if (f) {
		char line[512];
		size_t lines = 0;
		CHECK(fgets(line, sizeof line, f) &&
		      !strcmp(line, "step,layer,matmul,pass,operand,category,nex,nbat,free,contract,"
		                    "storage,file\n"), "header: %s", line);
		while (fgets(line, sizeof line, f))
			lines++;
		fclose(f);
		CHECK(lines == n, "index has %zu rows, want %zu", lines, n);
	}
	/* layer 1's QKV weight at step 0: fwd B is W (3C x C) as stored; in
	 * dX = dY.W it is B read contract x free, so canonical W^T (C x 3C) */
	mq_nn_f32 m;
	CHECK(mq_nn_alloc_f32(&m, &c.dims) == MQ_OK, "alloc");
	mq_nn_init_f32(&m, mq_seed_derive(c.seed, 1));
	int C = c.dims.C;
	const float *w = m.p[MQ_P_QKVW] + (size_t)3 * C * C;
	char p[800];
	uint64_t dim[64];
	float *x;
	snprintf(p, sizeof p, "%s/s000000_l1_attn.qkv_B.npy", sdir);
	int nd = load(p, dim, &x, NULL);
	CHECK(nd == 4 && dim[2] == (uint64_t)3 * C && dim[3] == (uint64_t)C && x &&
	      !memcmp(x, w, (size_t)3 * C * C * sizeof *w), "fwd B is not the weight");
	free(x);
	snprintf(p, sizeof p, "%s/s000000_l1_attn.qkv.dx_B.npy", sdir);
	nd = load(p, dim, &x, NULL);
	int same = nd == 4 && dim[2] == (uint64_t)C && dim[3] == (uint64_t)3 * C && x;
	for (int i = 0; same && i < C; i++)
		for (int j = 0; j < 3 * C; j++)
			same &= x[(size_t)i * 3 * C + j] == w[(size_t)j * C + i];
	CHECK(same, "bwd dx B is not the weight transposed");
	free(x);
	/* the two uses share a storage number; other weights do not */
	int s_fwd = -1, s_dx = -1, s_l0 = -1;
	for (size_t i = 0; i < per; i++) {
		if (rows[i].layer == 1 && !strcmp(rows[i].matmul, "attn.qkv") && rows[i].operand == 1)
			s_fwd = rows[i].storage;
		if (rows[i].layer == 1 && !strcmp(rows[i].matmul, "attn.qkv.dx") && rows[i].operand == 1)
			s_dx = rows[i].storage;
		if (rows[i].layer == 0 && !strcmp(rows[i].matmul, "attn.qkv") && rows[i].operand == 1)
			s_l0 = rows[i].storage;
	}
	CHECK(s_fwd >= 0 && s_fwd == s_dx && s_l0 != s_fwd, "storage %d %d %d", s_fwd, s_dx, s_l0);
	mq_nn_free_f32(&m);
	mq_tsample_free(ts);
}

/* The same operand twice in a step is written once; the step filter. */
static void test_duplicates(void)
{
	char sdir[600], err[600];
	snprintf(sdir, sizeof sdir, "%s/dup", dir);
	uint64_t steps[] = {7};
	mq_tsample *ts;
	CHECK(mq_tsample_open(&ts, sdir, steps, 1, err, sizeof err) == MQ_OK, "open: %s", err);
	if (!ts)
		return;
	mq_tquant t;
	mq_tquant_init(&t);
	mq_tsample_attach(ts, &t);
	float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {-1, 0, 1, 2, 3, 4}, cc[9];
	mq_tquant_step(&t, 6);
	mq_mm_f32(&t, 1, 1, 3, 3, 2, a, 0, MQ_TCAT_LHS, b, 1, MQ_TCAT_RHS, cc, 0);
	size_t n;
	mq_tsample_rows(ts, &n, NULL);
	CHECK(n == 0, "step 6 sampled");
	mq_tquant_step(&t, 7);
	mq_tquant_tag(&t, 0, "x");
	mq_mm_f32(&t, 1, 1, 3, 3, 2, a, 0, MQ_TCAT_LHS, b, 1, MQ_TCAT_RHS, cc, 0);
	/* the same two buffers in the same layouts, then a in another layout */
	mq_mm_f32(&t, 1, 1, 3, 3, 2, a, 0, MQ_TCAT_LHS, b, 1, MQ_TCAT_RHS, cc, 0);
	mq_mm_f32(&t, 1, 1, 2, 2, 3, a, 1, MQ_TCAT_LHS, b, 0, MQ_TCAT_RHS, cc, 0);
	/* a changed in place: the same storage, new values, a new file */
	a[0] = 10;
	mq_mm_f32(&t, 1, 1, 3, 3, 2, a, 0, MQ_TCAT_LHS, b, 1, MQ_TCAT_RHS, cc, 0);
	const mq_tsample_row *r = mq_tsample_rows(ts, &n, NULL);
	CHECK(n == 8, "%zu rows", n);
	if (n == 8) {
		CHECK(r[0].written && r[1].written && !r[2].written && !r[3].written, "duplicates");
		CHECK(!strcmp(r[2].file, r[0].file) && !strcmp(r[3].file, r[1].file), "dup files");
		CHECK(r[4].written && strcmp(r[4].file, r[0].file) && r[4].storage == r[0].storage,
		      "transposed use: %s storage %d", r[4].file, r[4].storage);
		CHECK(r[6].written && r[6].storage == r[0].storage && strcmp(r[6].file, r[0].file),
		      "changed values: %s", r[6].file);
		CHECK(!r[7].written && !strcmp(r[7].file, r[1].file), "b unchanged");
		CHECK(!strcmp(r[0].file, "s000007_l0_x_A.npy"), "name %s", r[0].file);
	}
	CHECK(mq_tsample_finish(ts, err, sizeof err) == MQ_OK, "finish: %s", err);
	mq_tsample_free(ts);
	mq_tquant_free(&t);
}

static void test_bad_folder(void)
{
	char p[600], err[600];
	snprintf(p, sizeof p, "%s/file", dir);
	FILE *f = fopen(p, "w");
	if (f)
		fclose(f);
	snprintf(p, sizeof p, "%s/file/tensors", dir);
	uint64_t steps[] = {0};
	mq_tsample *ts;
	CHECK(mq_tsample_open(&ts, p, steps, 1, err, sizeof err) == MQ_EIO && !ts, "folder in a file");
	CHECK(strstr(err, "file/tensors") && strstr(err, "cannot create"), "message: %s", err);
	uint64_t big[] = {1ull << 62};
	snprintf(p, sizeof p, "%s/ok", dir);
	CHECK(mq_tsample_open(&ts, p, big, 1, err, sizeof err) == MQ_EOPTION && !ts, "step 2^62");
}

int main(int argc, char **argv)
{
	snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "test_tsample.out");
	mkdir(dir, 0777);
	test_npy();
	test_sampler();
	test_duplicates();
	test_bad_folder();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("test_tsample: all passed\n");
	return 0;
}

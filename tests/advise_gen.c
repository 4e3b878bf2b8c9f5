/* advise_gen.c: fixtures for tests/advise_test.sh, written at test time.
 *
 * The tensors are drawn with the kernels' samplers (sample.h: GSL), as the
 * paper describes BERT's: weights normal, gradients with log-normal
 * magnitudes and random signs.  The files are written by this program's
 * own small .npy and safetensors writers, which share nothing with io/,
 * so a reader bug cannot hide behind a matching writer bug.
 *
 * usage: advise_gen DIR   (writes the files listed in main) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"

static const char *dir;

static FILE *create(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static void put(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n) {
		perror("write");
		exit(1);
	}
}

static void done(FILE *f)
{
	if (fclose(f)) {
		perror("close");
		exit(1);
	}
}

/* .npy v1.0 with NumPy's layout: dict, spaces, '\n', total a multiple of 64. */
static void npy(const char *name, const char *descr, int fortran, const char *shape,
                const void *data, size_t nbytes)
{
	char dict[256];
	int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
	                  descr, fortran ? "True" : "False", shape);
	size_t hl = (size_t)dl + 1;
	hl += (64 - (10 + hl) % 64) % 64;
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
	                         (unsigned char)(hl >> 8)};
	FILE *f = create(name);
	put(f, pre, 10);
	put(f, dict, (size_t)dl);
	for (size_t i = (size_t)dl; i + 1 < hl; i++)
		put(f, " ", 1);
	put(f, "\n", 1);
	put(f, data, nbytes);
	done(f);
}

typedef struct st_tensor {
	const char *name, *dtype, *shape; /* shape as JSON, e.g. "[256,512]" */
	const void *data;
	size_t nbytes;
} st_tensor;

/* safetensors as the reference serializer writes it: compact JSON with
 * "__metadata__" first, padded with spaces to a multiple of 8. */
static void safetensors(const char *name, const st_tensor *t, size_t n)
{
	char h[4096];
	size_t k = (size_t)snprintf(h, sizeof h, "{\"__metadata__\":{\"format\":\"pt\"}");
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		k += (size_t)snprintf(h + k, sizeof h - k,
		                      ",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
		                      t[i].name, t[i].dtype, t[i].shape, off, off + t[i].nbytes);
		off += t[i].nbytes;
	}
	h[k++] = '}';
	while (k % 8)
		h[k++] = ' ';
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)k >> (8 * i));
	FILE *f = create(name);
	put(f, len, 8);
	put(f, h, k);
	for (size_t i = 0; i < n; i++)
		put(f, t[i].data, t[i].nbytes);
	done(f);
}

static void sample(mq_dist_kind kind, double a, double b, uint64_t seed, float *x, size_t n)
{
	mq_dist d = {kind, a, b};
	if (mq_sample(&d, seed, x, n) != MQ_OK) {
		fprintf(stderr, "advise_gen: sampling failed\n");
		exit(1);
	}
}

/* Log-normal magnitudes exp(N(mu, sigma)) with random signs. */
static void lognormal_grads(double mu, double sigma, uint64_t seed, float *x, size_t n)
{
	float *u = malloc(n * sizeof *u);
	if (!u)
		exit(1);
	sample(MQ_DIST_LOGNORMAL, mu, sigma, seed, x, n);
	sample(MQ_DIST_UNIFORM, 0, 1, seed + 1, u, n);
	for (size_t i = 0; i < n; i++)
		if (u[i] < 0.5f)
			x[i] = -x[i];
	free(u);
}

/* float32 -> bfloat16 bits, round to nearest even (finite inputs). */
static uint16_t to_bf16(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* float32 -> float16 bits via the format library (the RTNE encoder). */
static void to_f16(const float *x, size_t n, uint16_t *h)
{
	mq_qspec q;
	if (mq_qspec_init(&q, "fp16", "rtne") != MQ_OK ||
	    mq_encode(&q, x, n, 1.0f, 0, h, NULL) != MQ_OK) {
		fprintf(stderr, "advise_gen: fp16 encode failed\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: advise_gen DIR\n");
		return 2;
	}
	dir = argv[1];
	enum { R = 256, C = 512, N = R * C };
	float *w = malloc(N * sizeof *w), *g1 = malloc(N * sizeof *g1),
	      *g2 = malloc(N * sizeof *g2), *wt = malloc(N * sizeof *wt);
	uint16_t *b = malloc(N * sizeof *b), *h = malloc(N * sizeof *h);
	if (!w || !g1 || !g2 || !wt || !b || !h)
		return 1;

	/* weights: normal, sd 0.02 (BERT's initializer) */
	sample(MQ_DIST_NORMAL, 0, 0.02, 1, w, N);
	npy("weights.npy", "<f4", 0, "(256, 512)", w, N * sizeof *w);
	/* the same as float16 in Fortran order (column-major bytes) */
	for (size_t i = 0; i < R; i++)
		for (size_t j = 0; j < C; j++)
			wt[j * R + i] = w[i * C + j];
	to_f16(wt, N, h);
	npy("weights_f16_fortran.npy", "<f2", 1, "(256, 512)", h, N * sizeof *h);
	/* bfloat16 bits as torch's t.view(torch.int16).numpy() leaves them */
	for (size_t i = 0; i < N; i++)
		b[i] = to_bf16(w[i]);
	npy("weights_bf16_i2.npy", "<i2", 0, "(256, 512)", b, N * sizeof *b);

	/* gradients: log-normal magnitudes (sigma 1.5 and 2.5 in ln units) */
	lognormal_grads(-10, 1.5, 2, g1, N);
	lognormal_grads(-8, 2.5, 4, g2, N);
	for (size_t i = 0; i < N; i++)
		b[i] = to_bf16(g1[i]);
	int64_t pos[4] = {0, 1, 2, 3};
	st_tensor ts[3] = {
	    {"grad.bf16", "BF16", "[256,512]", b, N * sizeof *b},
	    {"grad.f32", "F32", "[256,512]", g2, N * sizeof *g2},
	    {"position_ids", "I64", "[4]", pos, sizeof pos},
	};
	safetensors("grads.safetensors", ts, 3);

	/* Student-t(3): a power-law tail of index 3, for the Hill estimator */
	sample(MQ_DIST_T, 3, 0, 5, g1, N);
	npy("t3.npy", "<f4", 0, "(256, 512)", g1, N * sizeof *g1);

	/* bad files */
	npy("truncated.npy", "<f4", 0, "(256, 512)", w, 1000);
	npy("int64.npy", "<i8", 0, "(4,)", pos, sizeof pos);
	float nan4[4] = {1, NAN, 2, INFINITY};
	npy("nan.npy", "<f4", 0, "(4,)", nan4, sizeof nan4);
	FILE *f = create("garbage.bin");
	put(f, "this is not a tensor file\n", 26);
	done(f);
	safetensors("no_tensors.safetensors", NULL, 0);

	free(w);
	free(g1);
	free(g2);
	free(wt);
	free(b);
	free(h);
	return 0;
}

// conv.cu: every float32 bit pattern converted by the GPU's own conversion
// routines, compared with metriq's mq_encode on the host CPUs (issue 8).
//
//   mq_gpu_conv [--threads T] [--out DIR] [--dump FILE] [--stride S]
//
// Six comparisons (format, metriq mode, GPU routine):
//   e4m3 saturate  __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)
//   e4m3 ieee      __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3)
//   e5m2 saturate  __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2)
//   e5m2 ieee      __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2)
//   bf16 ieee      __float2bfloat16_rn(x)
//   fp16 ieee      __float2half_rn(x)
// all with metriq's rtne rounding and gradual underflow.  On sm_89 and later
// cuda_fp8.hpp maps SATFINITE to the cvt.rn.satfinite.{e4m3,e5m2}x2.f32
// instruction; NOSAT has no instruction and runs cuda_fp8.hpp's own integer
// code on the GPU (docs/gpu.md).  The inputs are the 2^32 patterns in chunks
// of 2^26; each chunk is converted on the GPU, copied back and compared by
// T host threads.
//
// Writes DIR/conversions.csv (format, mode, gpu_op, checked, mismatches,
// metriq_path) and DIR/conversions_mismatches.csv: every mismatch class as
// (input class, GPU code, metriq code, count, an example input), classes
// nan, inf, zero, overflow (finite |x| > max), subnormal (|x| < smallest
// normal of the format, float32 subnormals included), normal; and
// DIR/conversions_nan.csv: for all NaN inputs, how many codes each side
// gives that decode to NaN and how many keep the input's sign.
//
// --dump FILE also writes, for every S-th pattern (x = i * S) and a list of
// special values, the records {uint32 x; uint8 gpu[4]; uint16 gpu16[2];
// uint8 mq[4]; uint16 mq16[2]} (20 bytes, little endian; the comparisons in
// the order above) for the
// cross-check against ml_dtypes and PyTorch (gpu/conv_xcheck.py).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "quant.h"
#if defined(__has_include)
#if __has_include("qkern.h")
#include "qkern.h"
#define HAVE_QKERN 1
#endif
#endif
}

#define CK(call)                                                                         \
	do {                                                                                 \
		cudaError_t e_ = (call);                                                         \
		if (e_ != cudaSuccess) {                                                         \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,               \
			        cudaGetErrorString(e_));                                             \
			exit(1);                                                                     \
		}                                                                                \
	} while (0)

enum { NV = 6, NCLASS = 6, MAXPAIR = 48, CHUNK_LOG = 26 };
static const char *vfmt[NV] = {"e4m3", "e4m3", "e5m2", "e5m2", "bf16", "fp16"};
static const char *vmode[NV] = {"saturate", "ieee", "saturate", "ieee", "ieee", "ieee"};
static const char *vop[NV] = {"__nv_cvt_float_to_fp8(x,__NV_SATFINITE,__NV_E4M3)",
                              "__nv_cvt_float_to_fp8(x,__NV_NOSAT,__NV_E4M3)",
                              "__nv_cvt_float_to_fp8(x,__NV_SATFINITE,__NV_E5M2)",
                              "__nv_cvt_float_to_fp8(x,__NV_NOSAT,__NV_E5M2)",
                              "__float2bfloat16_rn(x)", "__float2half_rn(x)"};
static const char *cname[NCLASS] = {"nan", "inf", "zero", "overflow", "subnormal", "normal"};

__global__ void conv_all(uint32_t base, uint32_t n, uint8_t *o0, uint8_t *o1, uint8_t *o2,
                         uint8_t *o3, uint16_t *o4, uint16_t *o5)
{
	for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += gridDim.x * blockDim.x) {
		float x = __uint_as_float(base + i);
		o0[i] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
		o1[i] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3);
		o2[i] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
		o3[i] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2);
		o4[i] = __bfloat16_as_ushort(__float2bfloat16_rn(x));
		o5[i] = __half_as_ushort(__float2half_rn(x));
	}
}

// Same routines on an explicit list of inputs (the --dump sample).
__global__ void conv_list(const uint32_t *in, uint32_t n, uint8_t *o8, uint16_t *o16)
{
	for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += gridDim.x * blockDim.x) {
		float x = __uint_as_float(in[i]);
		o8[4 * i + 0] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
		o8[4 * i + 1] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3);
		o8[4 * i + 2] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
		o8[4 * i + 3] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2);
		o16[2 * i + 0] = __bfloat16_as_ushort(__float2bfloat16_rn(x));
		o16[2 * i + 1] = __half_as_ushort(__float2half_rn(x));
	}
}

struct pair {
	uint32_t gpu, mq, example;
	uint64_t count;
};

struct vstats {
	uint64_t mism[NCLASS];
	struct pair pairs[NCLASS][MAXPAIR];
	int npair[NCLASS];
	uint64_t other[NCLASS]; // mismatches in classes past MAXPAIR pairs
	// NaN inputs, all of them: how many gave a NaN code, kept the sign
	uint64_t nan_in, gpu_nan, gpu_sign_kept, mq_nan, mq_sign_kept;
};

static mq_qspec Q[NV];

static int classify(const mq_format *f, uint32_t bits)
{
	uint32_t u = bits & 0x7fffffffu;
	if (u > 0x7f800000u)
		return 0;
	if (u == 0x7f800000u)
		return 1;
	if (u == 0)
		return 2;
	float a;
	memcpy(&a, &u, 4);
	if (a > f->max)
		return 3;
	if (a < f->min_normal)
		return 4;
	return 5;
}

static void record(struct vstats *s, int c, uint32_t gpu, uint32_t mq, uint32_t x,
                   uint64_t count)
{
	s->mism[c] += count;
	for (int i = 0; i < s->npair[c]; i++)
		if (s->pairs[c][i].gpu == gpu && s->pairs[c][i].mq == mq) {
			s->pairs[c][i].count += count;
			return;
		}
	if (s->npair[c] < MAXPAIR) {
		s->pairs[c][s->npair[c]++] = (struct pair){gpu, mq, x, count};
		return;
	}
	s->other[c] += count;
}

struct tjob {
	uint32_t base; // first input of the chunk
	uint32_t i0, i1;
	const uint8_t *g8[4];
	const uint16_t *g16[2];
	float *x;
	uint8_t *c8;
	uint16_t *c16;
	struct vstats st[NV];
	int err;
};

static void *compare(void *arg)
{
	struct tjob *j = (struct tjob *)arg;
	uint32_t n = j->i1 - j->i0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = j->base + j->i0 + i;
		memcpy(&j->x[i], &b, 4);
	}
	for (int v = 0; v < NV; v++) {
		int wide = v >= 4;
		void *codes = wide ? (void *)j->c16 : (void *)j->c8;
		if (mq_encode(&Q[v], j->x, n, 1.0f, 0, codes, NULL) != MQ_OK) {
			j->err = 1;
			return NULL;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t g = wide ? j->g16[v - 4][j->i0 + i] : j->g8[v][j->i0 + i];
			uint32_t m = wide ? j->c16[i] : j->c8[i];
			uint32_t xb = j->base + j->i0 + i;
			if ((xb & 0x7fffffffu) > 0x7f800000u) {
				const mq_format *f = &Q[v].fmt;
				uint32_t xs = xb >> 31;
				struct vstats *s = &j->st[v];
				s->nan_in++;
				s->gpu_nan += isnan(mq_decode1(f, g)) != 0;
				s->mq_nan += isnan(mq_decode1(f, m)) != 0;
				s->gpu_sign_kept += ((g & f->signbit) != 0) == xs;
				s->mq_sign_kept += ((m & f->signbit) != 0) == xs;
			}
			if (g != m) {
				uint32_t b = j->base + j->i0 + i;
				record(&j->st[v], classify(&Q[v].fmt, b), g, m, b, 1);
			}
		}
	}
	return NULL;
}

static void merge(struct vstats *to, const struct vstats *from)
{
	for (int c = 0; c < NCLASS; c++) {
		for (int i = 0; i < from->npair[c]; i++)
			record(to, c, from->pairs[c][i].gpu, from->pairs[c][i].mq,
			       from->pairs[c][i].example, from->pairs[c][i].count);
		to->mism[c] += from->other[c];
		to->other[c] += from->other[c];
	}
	to->nan_in += from->nan_in, to->gpu_nan += from->gpu_nan;
	to->gpu_sign_kept += from->gpu_sign_kept, to->mq_nan += from->mq_nan;
	to->mq_sign_kept += from->mq_sign_kept;
}

static int dump(const char *path, uint32_t stride)
{
	static const uint32_t specials[] = {
	    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
	    0x7f800001u, 0xff800001u, 0x7fffffffu, 0xffffffffu, 0x43e00000u, 0xc3e00000u,
	    0x43e80000u, 0x43e80001u, 0x43e7ffffu, 0x47600000u, 0x47700000u, 0x476fffffu,
	    0x47700001u, 0x477fe000u, 0x477ff000u, 0x477ff001u, 0x7f7fffffu, 0x3a800000u,
	    0x3a000000u, 0x3a000001u, 0x37800000u, 0x37000000u, 0x37000001u, 0x33800000u,
	    0x33000000u, 0x33000001u, 0x00000001u, 0x80000001u, 0x007fffffu, 0x00800000u};
	size_t nsp = sizeof specials / sizeof specials[0];
	size_t ns = (size_t)(0x100000000ull / stride);
	size_t n = ns + nsp;
	uint32_t *in = (uint32_t *)malloc(n * 4);
	uint8_t *o8 = (uint8_t *)malloc(n * 4), *m8 = (uint8_t *)malloc(n);
	uint16_t *o16 = (uint16_t *)malloc(n * 4), *m16 = (uint16_t *)malloc(n * 2);
	float *x = (float *)malloc(n * 4);
	uint8_t *mq8 = (uint8_t *)malloc(n * 4);
	uint16_t *mq16 = (uint16_t *)malloc(n * 4);
	if (!in || !o8 || !m8 || !o16 || !m16 || !x || !mq8 || !mq16)
		return -1;
	for (size_t i = 0; i < ns; i++)
		in[i] = (uint32_t)(i * stride);
	memcpy(in + ns, specials, nsp * 4);
	memcpy(x, in, n * 4);
	uint32_t *d_in;
	uint8_t *d8;
	uint16_t *d16;
	CK(cudaMalloc(&d_in, n * 4));
	CK(cudaMalloc(&d8, n * 4));
	CK(cudaMalloc(&d16, n * 4));
	CK(cudaMemcpy(d_in, in, n * 4, cudaMemcpyHostToDevice));
	conv_list<<<1024, 256>>>(d_in, (uint32_t)n, d8, d16);
	CK(cudaGetLastError());
	CK(cudaMemcpy(o8, d8, n * 4, cudaMemcpyDeviceToHost));
	CK(cudaMemcpy(o16, d16, n * 4, cudaMemcpyDeviceToHost));
	for (int v = 0; v < NV; v++) {
		if (v < 4) {
			mq_encode(&Q[v], x, n, 1.0f, 0, m8, NULL);
			for (size_t i = 0; i < n; i++)
				mq8[4 * i + v] = m8[i];
		} else {
			mq_encode(&Q[v], x, n, 1.0f, 0, m16, NULL);
			for (size_t i = 0; i < n; i++)
				mq16[2 * i + v - 4] = m16[i];
		}
	}
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		fwrite(&in[i], 4, 1, fp);
		fwrite(&o8[4 * i], 1, 4, fp);
		fwrite(&o16[2 * i], 2, 2, fp);
		fwrite(&mq8[4 * i], 1, 4, fp);
		fwrite(&mq16[2 * i], 2, 2, fp);
	}
	fclose(fp);
	CK(cudaFree(d_in));
	CK(cudaFree(d8));
	CK(cudaFree(d16));
	free(in), free(o8), free(m8), free(o16), free(m16), free(x), free(mq8), free(mq16);
	printf("dump: %zu records (stride %u + %zu specials) -> %s\n", n, stride, nsp, path);
	return 0;
}

int main(int argc, char **argv)
{
	int nthreads = 16;
	const char *outdir = ".", *dumpfile = NULL;
	uint32_t stride = 1031;
	/* --first, --chunks: a part of the range, for smoke tests */
	uint64_t first = 0, nchunks = 1ull << (32 - CHUNK_LOG);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			outdir = argv[++i];
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			dumpfile = argv[++i];
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--chunks") && i + 1 < argc)
			nchunks = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stride") && i + 1 < argc)
			stride = (uint32_t)strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--threads T] [--out DIR] [--dump FILE] [--stride S]\n",
			        argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 256)
		nthreads = 16;
	for (int v = 0; v < NV; v++) {
		if (mq_qspec_init(&Q[v], vfmt[v], "rtne") != MQ_OK) {
			fprintf(stderr, "metriq does not know %s\n", vfmt[v]);
			return 1;
		}
		Q[v].ovf = strcmp(vmode[v], "ieee") ? MQ_OVF_SATURATE : MQ_OVF_IEEE;
		if (mq_qspec_check(&Q[v]) != MQ_OK) {
			fprintf(stderr, "bad spec %s %s\n", vfmt[v], vmode[v]);
			return 1;
		}
	}
	const char *path = "scalar";
#ifdef HAVE_QKERN
	mq_qkern_select(&path);
#endif
	printf("metriq encoder path: %s\n", path);
	if (dumpfile && dump(dumpfile, stride))
		return 1;

	const uint32_t CH = 1u << CHUNK_LOG;
	uint8_t *d8[4], *h8[4];
	uint16_t *d16[2], *h16[2];
	for (int v = 0; v < 4; v++) {
		CK(cudaMalloc(&d8[v], CH));
		CK(cudaMallocHost(&h8[v], CH));
	}
	for (int v = 0; v < 2; v++) {
		CK(cudaMalloc(&d16[v], (size_t)CH * 2));
		CK(cudaMallocHost(&h16[v], (size_t)CH * 2));
	}
	struct tjob *jobs = (struct tjob *)calloc(nthreads, sizeof *jobs);
	pthread_t *th = (pthread_t *)calloc(nthreads, sizeof *th);
	for (int t = 0; t < nthreads; t++) {
		uint32_t len = CH / nthreads + 1;
		jobs[t].x = (float *)malloc((size_t)len * 4);
		jobs[t].c8 = (uint8_t *)malloc(len);
		jobs[t].c16 = (uint16_t *)malloc((size_t)len * 2);
		if (!jobs[t].x || !jobs[t].c8 || !jobs[t].c16)
			return 1;
	}
	uint64_t checked = 0;
	for (uint64_t c = first; c < first + nchunks && c < (1ull << (32 - CHUNK_LOG)); c++) {
		checked += CH;
		uint32_t base = (uint32_t)(c << CHUNK_LOG);
		conv_all<<<2048, 256>>>(base, CH, d8[0], d8[1], d8[2], d8[3], d16[0], d16[1]);
		CK(cudaGetLastError());
		for (int v = 0; v < 4; v++)
			CK(cudaMemcpy(h8[v], d8[v], CH, cudaMemcpyDeviceToHost));
		for (int v = 0; v < 2; v++)
			CK(cudaMemcpy(h16[v], d16[v], (size_t)CH * 2, cudaMemcpyDeviceToHost));
		for (int t = 0; t < nthreads; t++) {
			struct tjob *j = &jobs[t];
			j->base = base;
			j->i0 = (uint32_t)((uint64_t)CH * t / nthreads);
			j->i1 = (uint32_t)((uint64_t)CH * (t + 1) / nthreads);
			for (int v = 0; v < 4; v++)
				j->g8[v] = h8[v];
			for (int v = 0; v < 2; v++)
				j->g16[v] = h16[v];
			if (pthread_create(&th[t], NULL, compare, j)) {
				fprintf(stderr, "pthread_create failed\n");
				return 1;
			}
		}
		for (int t = 0; t < nthreads; t++) {
			pthread_join(th[t], NULL);
			if (jobs[t].err) {
				fprintf(stderr, "mq_encode failed\n");
				return 1;
			}
		}
	}
	static struct vstats total[NV];
	for (int t = 0; t < nthreads; t++)
		for (int v = 0; v < NV; v++)
			merge(&total[v], &jobs[t].st[v]);

	char fn[4096];
	snprintf(fn, sizeof fn, "%s/conversions.csv", outdir);
	FILE *f = fopen(fn, "w");
	snprintf(fn, sizeof fn, "%s/conversions_mismatches.csv", outdir);
	FILE *g = fopen(fn, "w");
	snprintf(fn, sizeof fn, "%s/conversions_nan.csv", outdir);
	FILE *h = fopen(fn, "w");
	if (!f || !g || !h) {
		fprintf(stderr, "cannot write to %s\n", outdir);
		return 1;
	}
	fprintf(f, "format,mode,gpu_op,checked,mismatches,metriq_path\n");
	fprintf(g, "format,mode,input_class,gpu_code,metriq_code,count,example_input\n");
	fprintf(h, "format,mode,nan_inputs,gpu_nan_codes,gpu_sign_kept,metriq_nan_codes,"
	           "metriq_sign_kept\n");
	for (int v = 0; v < NV; v++) {
		uint64_t m = 0;
		for (int c = 0; c < NCLASS; c++)
			m += total[v].mism[c];
		fprintf(f, "%s,%s,\"%s\",%llu,%llu,%s\n", vfmt[v], vmode[v], vop[v],
		        (unsigned long long)checked, (unsigned long long)m, path);
		printf("%-5s %-8s checked %llu mismatches %llu\n", vfmt[v], vmode[v],
		       (unsigned long long)checked, (unsigned long long)m);
		const struct vstats *t = &total[v];
		fprintf(h, "%s,%s,%llu,%llu,%llu,%llu,%llu\n", vfmt[v], vmode[v],
		        (unsigned long long)t->nan_in, (unsigned long long)t->gpu_nan,
		        (unsigned long long)t->gpu_sign_kept, (unsigned long long)t->mq_nan,
		        (unsigned long long)t->mq_sign_kept);
		printf("    NaN inputs %llu: GPU gives a NaN code for %llu, keeps the sign of %llu; "
		       "metriq %llu, %llu\n",
		       (unsigned long long)t->nan_in, (unsigned long long)t->gpu_nan,
		       (unsigned long long)t->gpu_sign_kept, (unsigned long long)t->mq_nan,
		       (unsigned long long)t->mq_sign_kept);
		int w = v >= 4 ? 4 : 2;
		for (int c = 0; c < NCLASS; c++) {
			for (int i = 0; i < total[v].npair[c]; i++) {
				const struct pair *p = &total[v].pairs[c][i];
				fprintf(g, "%s,%s,%s,0x%0*X,0x%0*X,%llu,0x%08X\n", vfmt[v], vmode[v],
				        cname[c], w, p->gpu, w, p->mq, (unsigned long long)p->count,
				        p->example);
				if (i < 6)
					printf("    %-9s gpu 0x%0*X metriq 0x%0*X  x%llu (e.g. input 0x%08X)\n",
				       cname[c], w, p->gpu, w, p->mq, (unsigned long long)p->count,
				       p->example);
			}
			if (total[v].other[c]) {
				fprintf(g, "%s,%s,%s,other,other,%llu,\n", vfmt[v], vmode[v], cname[c],
				        (unsigned long long)total[v].other[c]);
				printf("    %-9s %llu more in other code pairs\n", cname[c],
				       (unsigned long long)total[v].other[c]);
			}
		}
	}
	fclose(f);
	fclose(g);
	fclose(h);
	return 0;
}

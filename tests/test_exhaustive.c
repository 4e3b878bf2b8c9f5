/* test_exhaustive.c: every float32 bit pattern through the production
 * quantizer and the independent reference (tests/ref), bit for bit.
 *
 * For e4m3, e5m2, bf16, fp16 and int8, each under rtne and rtz (saturate,
 * gradual), all 2^32 inputs go through mq_encode and mq_fakequant (array
 * API, scale 1) in chunks on two threads.  Codes must be equal; fake-quantized
 * values must have equal bit patterns, except that any two NaNs are equal.
 *
 *   test_exhaustive [--stride S] [--format NAME] [--isa NAME]
 * --stride S checks only the patterns 0, S, 2S, ... (sanitizer builds).
 * --isa NAME forces a kernel path (generic, avx2, avx512; qkern.h), so that
 * every path the machine runs meets the reference; without it the library
 * chooses (METRIQ_ISA, else the widest).  A path this CPU cannot run exits
 * with 77, which CTest reports as skipped. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metriq.h"
#include "qkern.h"
#include "ref.h"

#define CHUNK 65536
#define NTHREADS 2
#define NSHOW 5

typedef struct job {
	const mq_qspec *q;
	const ref_spec *rs;
	uint64_t stride, total;     /* patterns k * stride for k < total */
	int tid;
	uint64_t checked, mismatches;
	int nshow;
	uint32_t show_in[NSHOW], show_rc[NSHOW], show_pc[NSHOW];
	uint32_t show_rv[NSHOW], show_pv[NSHOW];
	int api_error;
} job;

static inline uint32_t fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

static inline float bitsf(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

static int same_value(float a, float b)
{
	if (a != a || b != b)
		return a != a && b != b;
	return fbits(a) == fbits(b);
}

static void *worker(void *arg)
{
	job *j = arg;
	int wide = j->q->fmt.bits > 8;
	float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
	void *codes = malloc(CHUNK * sizeof(uint16_t));
	if (!x || !y || !codes) {
		j->api_error = 1;
		goto out;
	}
	uint64_t nchunks = (j->total + CHUNK - 1) / CHUNK;
	for (uint64_t c = (uint64_t)j->tid; c < nchunks; c += NTHREADS) {
		uint64_t k0 = c * CHUNK;
		size_t n = (size_t)(j->total - k0 < CHUNK ? j->total - k0 : CHUNK);
		for (size_t k = 0; k < n; k++)
			x[k] = bitsf((uint32_t)((k0 + k) * j->stride));
		mq_status s1 = mq_encode(j->q, x, n, 1.0f, k0, codes, NULL);
		mq_status s2 = mq_fakequant(j->q, x, n, 1.0f, k0, y, NULL);
		if (s1 != MQ_OK || s2 != MQ_OK) {
			j->api_error = 1;
			break;
		}
		/* The expected result is a step function of the bit pattern: take
		 * it a run at a time from the reference, and check the run logic
		 * itself against a direct evaluation every 1024th element. */
		const uint8_t *c8 = codes;
		const uint16_t *c16 = codes;
		size_t k = 0;
		while (k < n) {
			uint32_t last;
			ref_out o = ref_quant_run(j->rs, fbits(x[k]), &last);
			uint32_t vbits = fbits(o.value);
			int vnan = o.value != o.value;
			for (; k < n && fbits(x[k]) <= last; k++) {
				uint32_t pc = wide ? c16[k] : c8[k];
				uint32_t pv = fbits(y[k]);
				int ok = pc == o.code && (vnan ? y[k] != y[k] : pv == vbits);
				if (ok && (k & 1023) == 0) {
					ref_out d = ref_quant(j->rs, x[k], 0);
					if (d.code != o.code || !same_value(d.value, o.value)) {
						fprintf(stderr, "reference run logic disagrees with itself at 0x%08x\n",
						        fbits(x[k]));
						j->api_error = 1;
					}
				}
				if (ok)
					continue;
				if (j->nshow < NSHOW) {
					j->show_in[j->nshow] = fbits(x[k]);
					j->show_rc[j->nshow] = o.code;
					j->show_pc[j->nshow] = pc;
					j->show_rv[j->nshow] = vbits;
					j->show_pv[j->nshow] = pv;
					j->nshow++;
				}
				j->mismatches++;
			}
		}
		j->checked += n;
	}
out:
	free(x);
	free(y);
	free(codes);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One (format, rounding) sweep; returns the number of failures. */
static int sweep(const char *fmt, const char *rnd, uint64_t stride)
{
	mq_qspec q;
	ref_fmt rf;
	mq_status st = mq_qspec_init(&q, fmt, rnd);
	if (st != MQ_OK) {
		printf("FAIL %s %s: mq_qspec_init: %s\n", fmt, rnd, mq_strerror(st));
		return 1;
	}
	if (ref_fmt_open(&rf, fmt) != 0) {
		printf("FAIL %s: reference cannot open it\n", fmt);
		return 1;
	}
	ref_spec rs = { &rf, strcmp(rnd, "rtz") == 0 ? REF_RTZ : REF_RTNE, 32, 0, 0 };
	job jobs[NTHREADS];
	pthread_t th[NTHREADS];
	double t0 = now();
	for (int t = 0; t < NTHREADS; t++) {
		memset(&jobs[t], 0, sizeof jobs[t]);
		jobs[t].q = &q;
		jobs[t].rs = &rs;
		jobs[t].stride = stride;
		jobs[t].total = ((uint64_t)1 << 32) / stride + (((uint64_t)1 << 32) % stride != 0);
		jobs[t].tid = t;
		if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0) {
			printf("FAIL: pthread_create\n");
			exit(2);
		}
	}
	uint64_t checked = 0, bad = 0;
	int api_error = 0;
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		checked += jobs[t].checked;
		bad += jobs[t].mismatches;
		api_error |= jobs[t].api_error;
	}
	double secs = now() - t0;
	printf("%-5s %-4s: checked %llu, mismatches %llu, %.1f s\n", fmt, rnd,
	       (unsigned long long)checked, (unsigned long long)bad, secs);
	for (int t = 0; t < NTHREADS; t++)
		for (int k = 0; k < jobs[t].nshow; k++)
			printf("  x=0x%08x (%.9g): expected code 0x%x value 0x%08x (%.9g), "
			       "got code 0x%x value 0x%08x (%.9g)\n",
			       jobs[t].show_in[k], ref_bitsf(jobs[t].show_in[k]),
			       jobs[t].show_rc[k], jobs[t].show_rv[k], ref_bitsf(jobs[t].show_rv[k]),
			       jobs[t].show_pc[k], jobs[t].show_pv[k], ref_bitsf(jobs[t].show_pv[k]));
	if (api_error)
		printf("FAIL %s %s: an API call or the reference failed\n", fmt, rnd);
	fflush(stdout);
	ref_fmt_close(&rf);
	return (bad != 0) + api_error;
}

int main(int argc, char **argv)
{
	static const char *const formats[] = { "e4m3", "e5m2", "bf16", "fp16", "int8" };
	static const char *const modes[] = { "rtne", "rtz" };
	uint64_t stride = 1;
	const char *only = NULL, *isa = NULL;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--stride") == 0 && a + 1 < argc) {
			char *end;
			unsigned long long s = strtoull(argv[++a], &end, 10);
			if (*end || s == 0 || s > 0xFFFFFFFFull) {
				fprintf(stderr, "test_exhaustive: bad stride '%s'\n", argv[a]);
				return 2;
			}
			stride = s;
		} else if (strcmp(argv[a], "--format") == 0 && a + 1 < argc) {
			only = argv[++a];
		} else if (strcmp(argv[a], "--isa") == 0 && a + 1 < argc) {
			isa = argv[++a];
		} else {
			fprintf(stderr, "usage: test_exhaustive [--stride S] [--format NAME] [--isa NAME]\n");
			return 2;
		}
	}
	if (isa && strcmp(isa, "generic") && strcmp(isa, "avx2") && strcmp(isa, "avx512")) {
		fprintf(stderr, "test_exhaustive: unknown kernel path '%s' (generic, avx2, avx512)\n", isa);
		return 2;
	}
	if (isa && mq_qkern_force(isa) != MQ_OK) {
		printf("test_exhaustive: kernel path '%s' not available on this CPU: skipped\n", isa);
		return 77;
	}
	const char *path = NULL;
	mq_qkern_select(&path);
	int failures = 0, sweeps = 0;
	double t0 = now();
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		if (only && strcmp(only, formats[f]) != 0)
			continue;
		for (size_t m = 0; m < 2; m++, sweeps++)
			failures += sweep(formats[f], modes[m], stride) != 0;
	}
	printf("test_exhaustive: kernel %s, stride %llu, %d sweeps, %d failed, %.1f s\n", path,
	       (unsigned long long)stride, sweeps, failures, now() - t0);
	return failures ? 1 : 0;
}

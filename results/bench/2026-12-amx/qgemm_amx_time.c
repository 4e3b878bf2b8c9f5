/* qgemm_amx_time.c: BM_qgemm's call (mq_qmatmul, both operands <fmt> RTNE
 * at <gran>, exact sums, one thread) and BM_sgemm's (cblas_sgemm) at n, on
 * a machine with no Google Benchmark or GSL: CPU-time medians of 5
 * repetitions of >= 0.5 s each, per METRIQ_ISA path; and the results of
 * each path against the plain loops (MQ_QMM_REFERENCE), bit for bit. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "qgemm.h"
#include "qkern.h"

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
static float *X, *C, *Cref;
static size_t n;
static mq_qmatmul_cfg cfg;
static void op_q(void) { mq_qmatmul(&cfg, n, n, n, X, X + n * n, C, 1, NULL, NULL); }
static void op_s(void)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f, X,
	            (int)n, X + n * n, (int)n, 0.0f, C, (int)n);
}
static double med(void (*f)(void))
{
	double r[5];
	for (int k = 0; k < 5; k++) {
		long it = 0;
		double t0 = cpu(), t;
		do
			f(), it++;
		while ((t = cpu() - t0) < 0.5);
		r[k] = t / it;
	}
	qsort(r, 5, sizeof *r, cmp);
	return r[2];
}
int main(int argc, char **argv)
{
	n = argc > 1 ? (size_t)atol(argv[1]) : 1024;
	X = malloc(2 * n * n * sizeof *X), C = malloc(n * n * 4), Cref = malloc(n * n * 4);
	unsigned long long s = 42;
	for (size_t i = 0; i < 2 * n * n; i++) { /* N(0,1), Box-Muller */
		double u[2];
		for (int j = 0; j < 2; j++)
			s = s * 6364136223846793005ull + 1442695040888963407ull,
			u[j] = ((s >> 11) + 0.5) / 9007199254740992.0;
		X[i] = (float)(sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]));
	}
	double ts = med(op_s);
	printf("BM_sgemm/%zu cpu %.3f ms\n", n, ts * 1e3);
	const char *fmts[] = {"int8", "e4m3", "e5m2"}, *grans[] = {"channel", "tensor", "block:32"};
	const char *isas[] = {"amx", "avx512"};
	for (int f = 0; f < 3; f++)
		for (int g = 0; g < 3; g++) {
			memset(&cfg, 0, sizeof cfg);
			mq_qoperand_init(&cfg.lhs, fmts[f], "rtne", grans[g]);
			mq_qoperand_init(&cfg.rhs, fmts[f], "rtne", grans[g]);
			cfg.accum = MQ_ACCUM_EXACT;
			cfg.flags = MQ_QMM_REFERENCE;
			mq_qmatmul(&cfg, n, n, n, X, X + n * n, Cref, 1, NULL, NULL);
			cfg.flags = 0;
			for (int p = 0; p < 2; p++) {
				if (mq_qkern_force(isas[p]) != MQ_OK) {
					printf("%s: not on this CPU\n", isas[p]);
					continue;
				}
				op_q();
				int same = !memcmp(C, Cref, n * n * 4);
				double tq = med(op_q);
				printf("BM_qgemm/%s/%s/%zu %s cpu %.3f ms = %.3fx sgemm, %s the loops\n",
				       fmts[f], grans[g], n, isas[p], tq * 1e3, tq / ts,
				       same ? "bit-identical to" : "DIFFERS FROM");
			}
		}
	mq_qkern_force(NULL);
	return 0;
}

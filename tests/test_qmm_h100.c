/* test_qmm_h100.c: mq_qmatmul with the H100 accumulator model against the
 * H100's own outputs (issue 8, docs/gpu.md).
 *
 *   test_qmm_h100 [options] DIR [DIR ...]
 *     --split NAME    configurations of that split only (fit, heldout,
 *                     shapes; default heldout; "all" for every one)
 *     --maxK K        only K <= K (default 1024; 0: no limit)
 *     --threads T     qmatmul's threads (default 2)
 *     --csv FILE      one row per configuration
 *     --report        exit 0 whatever the match (for tables); the default
 *                     fails unless every output is bit for bit the GPU's
 *                     and every mean backward error within 10% of it
 *
 * DIR is a GPU run folder (results/gpu/raw/run1, .../run2/shapes) with
 * gemm_configs.csv and gemm_hw_sub.bin (gpu/gemm_hw.py): per configuration
 * the seeds, the FP8 formats, the float32 scales the GPU used, hashes of
 * the FP8 codes, and 32 x 32 of the GPU's float32 outputs (rows and
 * columns spread over the M x N product).  For each configuration this
 * program draws those 32 rows of L and 32 columns of R again on the CPU
 * (gpu/mqgpu_host.c), checks that they encode to the GPU's codes, and runs
 * mq_qmatmul on them with accum "h100-fp8" (use_fast_accum False) or
 * "h100-fp8-fast" (True).
 *
 * The scales.  The GPU scaled whole 2048 x K tensors (per-tensor absmax,
 * or 1); qmatmul computes its absmax scale from what it is given.  So L
 * gets one extra row, zero but for one entry v chosen so that the absmax
 * scale of the padded 33 x K matrix is exactly the GPU's (v = max(fmt)
 * for scale 1), and R an extra column likewise.  The extra row and column
 * only add outputs, which are ignored: each output is its own dot product.
 * A configuration where no such v exists (a kept row above max(fmt) under
 * scale 1) would be skipped and reported; none is in the committed data.
 *
 * Backward error (Eq. 3) of an output: |C_exact - C| / (|A||B|), where
 * C_exact is qmatmul with exact accumulation (the exact product of the
 * dequantized operands, rounded once) and |A||B| is summed exactly over
 * the decoded codes, as gpu/fit_accum.c does; the mean is over the 1024
 * kept outputs, for the GPU's outputs and for qmatmul's alike.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "mqgpu_host.h"
#include "qgemm.h"

__extension__ typedef __int128 i128;

#define SUB 32
#define NOUT (SUB * SUB)

typedef struct {
	int id, K, nu, fast, M, N;
	char split[16], dist[16], fmt_l[8], fmt_r[8], scaling[8];
	uint64_t seed_l, seed_r, hash_l, hash_r;
	float s_l, s_r;
	float hw[NOUT];
} config;

/* Bad input or a broken environment: exit status 2, not a test failure. */
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "test_qmm_h100: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- reading a run folder ---- */

static int split_csv(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	char *nl = strpbrk(f[n - 1], "\r\n");
	if (nl)
		*nl = 0;
	return n;
}

static int col(char **h, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcmp(h[i], name))
			return i;
	die("gemm_configs.csv has no column %s", name);
	return -1;
}

static float bits2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

/* All configurations of dir, their GPU outputs included. */
static config *read_configs(const char *dir, int *count)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/gemm_configs.csv", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open %s", path);
	snprintf(path, sizeof path, "%s/gemm_hw_sub.bin", dir);
	FILE *b = fopen(path, "rb");
	if (!b)
		die("cannot open %s", path);
	static char hl[4096], line[4096];
	char *h[64], *v[64];
	if (!fgets(hl, sizeof hl, f))
		die("%s/gemm_configs.csv is empty", dir);
	int nh = split_csv(hl, h, 64);
	int c_id = col(h, nh, "id"), c_split = col(h, nh, "split"), c_K = col(h, nh, "K"),
	    c_dist = col(h, nh, "dist"), c_nu = col(h, nh, "nu"), c_fl = col(h, nh, "fmt_l"),
	    c_fr = col(h, nh, "fmt_r"), c_sc = col(h, nh, "scaling"),
	    c_fast = col(h, nh, "fast_accum"), c_sl = col(h, nh, "seed_l"),
	    c_sr = col(h, nh, "seed_r"), c_bl = col(h, nh, "scale_l_bits"),
	    c_br = col(h, nh, "scale_r_bits"), c_hl = col(h, nh, "hash_l"),
	    c_hr = col(h, nh, "hash_r"), c_M = col(h, nh, "M"), c_N = col(h, nh, "N");
	config *cs = NULL;
	int n = 0, cap = 0;
	while (fgets(line, sizeof line, f)) {
		if (split_csv(line, v, 64) < nh)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			cs = realloc(cs, (size_t)cap * sizeof *cs);
			if (!cs)
				die("out of memory");
		}
		config *c = &cs[n];
		memset(c, 0, sizeof *c);
		c->id = atoi(v[c_id]);
		snprintf(c->split, sizeof c->split, "%s", v[c_split]);
		c->K = atoi(v[c_K]);
		snprintf(c->dist, sizeof c->dist, "%s", v[c_dist]);
		c->nu = atoi(v[c_nu]);
		snprintf(c->fmt_l, sizeof c->fmt_l, "%s", v[c_fl]);
		snprintf(c->fmt_r, sizeof c->fmt_r, "%s", v[c_fr]);
		snprintf(c->scaling, sizeof c->scaling, "%s", v[c_sc]);
		c->fast = atoi(v[c_fast]);
		c->seed_l = strtoull(v[c_sl], NULL, 0);
		c->seed_r = strtoull(v[c_sr], NULL, 0);
		c->s_l = bits2f((uint32_t)strtoul(v[c_bl], NULL, 0));
		c->s_r = bits2f((uint32_t)strtoul(v[c_br], NULL, 0));
		c->hash_l = strtoull(v[c_hl], NULL, 0);
		c->hash_r = strtoull(v[c_hr], NULL, 0);
		c->M = atoi(v[c_M]);
		c->N = atoi(v[c_N]);
		if (c->K < 1 || c->M < SUB || c->N < SUB)
			die("%s/gemm_configs.csv: a configuration has a bad shape", dir);
		if (fread(c->hw, 4, NOUT, b) != NOUT)
			die("%s/gemm_hw_sub.bin is shorter than gemm_configs.csv says", dir);
		n++;
	}
	fclose(f);
	fclose(b);
	*count = n;
	return cs;
}

/* The rows (cols = 0) or columns (cols = 1) the GPU kept: gpu/gemm_hw.py's
 * sub_rows and sub_cols. */
static void sub_idx(int n, int cols, int64_t *idx)
{
	int step = n / SUB;
	for (int i = 0; i < SUB; i++)
		idx[i] = (int64_t)i * step + (cols ? (i * 7 + 3) % step : (i * 13) % step);
}

static int dist_code(const char *d)
{
	if (!strcmp(d, "codes"))
		return MQG_CODES;
	if (!strcmp(d, "spike"))
		return MQG_SPIKE;
	return MQG_T;
}

/* ---- one configuration ---- */

typedef struct {
	int skipped;      /* no padding gives the GPU's scale */
	long bitexact;    /* outputs equal to the GPU's, bit for bit */
	double be_hw, be_model, be_fp32;
} outcome;

/* A value v >= absmax whose absmax scale, fl32(v / max), is s; or -1. */
static float pad_value(float s, float absmax, const mq_format *f)
{
	float v = s * f->max;
	for (int step = 0; step < 64 && v / f->max < s; step++)
		v = nextafterf(v, INFINITY);
	for (int step = 0; step < 64 && v / f->max > s; step++)
		v = nextafterf(v, 0.0f);
	if (v / f->max != s)
		return -1.0f;
	if (absmax > v)
		return absmax / f->max == s ? absmax : -1.0f;
	return v;
}

/* x: SUB rows of K (one operand as the GPU held it: L's rows, R's
 * columns).  Checks the codes against the GPU's hash and returns the
 * decoded values (unscaled) and the pad value. */
static float *draw(const config *c, int right, int threads, float **x_out, float *pad)
{
	int64_t idx[SUB];
	sub_idx(right ? c->N : c->M, right, idx);
	size_t n = (size_t)SUB * (size_t)c->K;
	const char *fmt = right ? c->fmt_r : c->fmt_l;
	float s = right ? c->s_r : c->s_l;
	float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
	uint8_t *codes = xmalloc(n);
	if (mqg_sample(dist_code(c->dist), c->nu, fmt, right ? c->seed_r : c->seed_l, idx, SUB,
	               c->K, x, threads) ||
	    mqg_encode(fmt, x, (int64_t)n, s, codes, threads) || mqg_decode(fmt, codes, (int64_t)n, y))
		die("cannot draw the operands of a configuration (format %s)", fmt);
	if (mqg_hash(codes, (int64_t)n) != (right ? c->hash_r : c->hash_l)) {
		fprintf(stderr, "test_qmm_h100: config %d: the %s operand's codes differ from the "
		        "GPU's (hash)\n", c->id, right ? "right" : "left");
		exit(1);
	}
	free(codes);
	mq_format f;
	mq_format_get(fmt, &f);
	float absmax = 0.0f;
	for (size_t i = 0; i < n; i++)
		absmax = fabsf(x[i]) > absmax ? fabsf(x[i]) : absmax;
	*pad = pad_value(s, absmax, &f);
	*x_out = x;
	return y;
}

static outcome run_config(const config *c, int threads)
{
	outcome o = {0, 0, 0, 0, 0};
	size_t K = (size_t)c->K, M1 = SUB + 1, N1 = SUB + 1;
	float *xl, *xr, pl, pr;
	float *a = draw(c, 0, threads, &xl, &pl), *b = draw(c, 1, threads, &xr, &pr);
	if (pl < 0 || pr < 0) {
		o.skipped = 1;
		free(xl), free(xr), free(a), free(b);
		return o;
	}
	/* L: 33 x K, row 32 the pad; R: K x 33, column 32 the pad */
	float *L = calloc(M1 * K, sizeof *L), *R = calloc(K * N1, sizeof *R);
	if (!L || !R)
		die("out of memory");
	memcpy(L, xl, SUB * K * sizeof *L);
	L[SUB * K] = pl;
	for (size_t j = 0; j < SUB; j++)
		for (size_t k = 0; k < K; k++)
			R[k * N1 + j] = xr[j * K + k];
	R[SUB] = pr;

	mq_qmatmul_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	if (mq_qoperand_init(&cfg.lhs, c->fmt_l, "rtne", "tensor") ||
	    mq_qoperand_init(&cfg.rhs, c->fmt_r, "rtne", "tensor"))
		die("bad format in config (%s)", c->fmt_l);
	const char *acc = c->fast ? "h100-fp8-fast" : "h100-fp8";
	float *C = xmalloc(M1 * N1 * sizeof *C), *Cf = xmalloc(M1 * N1 * sizeof *Cf);
	double *E = xmalloc(M1 * N1 * sizeof *E);
	mq_status s1 = mq_qmatmul_accum(&cfg, acc), s2, s3, s4;
	s2 = mq_qmatmul(&cfg, M1, K, N1, L, R, C, threads, NULL, NULL);
	cfg.accum = MQ_ACCUM_FP32;
	s3 = mq_qmatmul(&cfg, M1, K, N1, L, R, Cf, threads, NULL, NULL);
	cfg.accum = MQ_ACCUM_EXACT;
	s4 = mq_qmatmul_f64(&cfg, M1, K, N1, L, R, E, threads, NULL, NULL);
	if (s1 || s2 || s3 || s4) {
		fprintf(stderr, "test_qmm_h100: config %d: qmatmul failed (%s)\n", c->id,
		        mq_strerror(s1 ? s1 : s2 ? s2 : s3 ? s3 : s4));
		exit(1);
	}
	/* |A||B| exactly: e4m3 and e5m2 values are multiples of 2^-16, so
	 * their images below 2^32 and each product of two fits 64 bits */
	double sc = (double)c->s_l * (double)c->s_r;
	for (int r = 0; r < SUB; r++)
		for (int q = 0; q < SUB; q++) {
			i128 d = 0;
			const float *ar = a + (size_t)r * K, *bq = b + (size_t)q * K;
			for (size_t k = 0; k < K; k++) {
				int64_t ia = (int64_t)ldexpf(fabsf(ar[k]), 16);
				int64_t ib = (int64_t)ldexpf(fabsf(bq[k]), 16);
				d += (i128)ia * ib;
			}
			double den = ldexp((double)d, -32) * sc;
			double ex = E[r * N1 + q];
			float y = C[r * N1 + q], hw = c->hw[r * SUB + q], yf = Cf[r * N1 + q];
			o.bitexact += !memcmp(&y, &hw, sizeof y);
			if (den > 0) {
				o.be_model += fabs(ex - (double)y) / den;
				o.be_hw += fabs(ex - (double)hw) / den;
				o.be_fp32 += fabs(ex - (double)yf) / den;
			}
		}
	o.be_model /= NOUT, o.be_hw /= NOUT, o.be_fp32 /= NOUT;
	free(L), free(R), free(C), free(Cf), free(E);
	free(xl), free(xr), free(a), free(b);
	return o;
}

int main(int argc, char **argv)
{
	const char *split = "heldout", *csv = NULL;
	long maxK = 1024;
	int threads = 2, report = 0, ndir = 0;
	const char *dirs[16];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--split") && i + 1 < argc)
			split = argv[++i];
		else if (!strcmp(argv[i], "--maxK") && i + 1 < argc)
			maxK = atol(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else if (!strcmp(argv[i], "--report"))
			report = 1;
		else if (argv[i][0] != '-' && ndir < 16)
			dirs[ndir++] = argv[i];
		else
			die("bad argument '%s' (see tests/test_qmm_h100.c)", argv[i]);
	}
	if (!ndir)
		die("usage: test_qmm_h100 [--split S] [--maxK K] [--threads T] [--csv F] "
		    "[--report] DIR...");
	FILE *out = NULL;
	if (csv) {
		out = fopen(csv, "w");
		if (!out)
			die("cannot write %s", csv);
		fprintf(out, "data,id,split,M,N,K,dist,nu,formats,scaling,fast_accum,accum,outputs,"
		        "bitexact,be_hw,be_qmatmul,be_qmatmul_over_hw,be_fp32,be_fp32_over_hw\n");
	}
	int nrun = 0, nskip = 0, nbad = 0;
	long outs = 0, exact = 0;
	double worst = 1.0, sum_hw = 0, sum_model = 0;
	for (int d = 0; d < ndir; d++) {
		int n;
		config *cs = read_configs(dirs[d], &n);
		for (int i = 0; i < n; i++) {
			const config *c = &cs[i];
			if ((strcmp(split, "all") && strcmp(split, c->split)) || (maxK && c->K > maxK))
				continue;
			outcome o = run_config(c, threads);
			if (o.skipped) {
				nskip++;
				fprintf(stderr, "config %d: no padding gives the GPU's scales: skipped\n",
				        c->id);
				continue;
			}
			nrun++;
			outs += NOUT, exact += o.bitexact;
			sum_hw += o.be_hw, sum_model += o.be_model;
			double ratio = o.be_hw > 0 ? o.be_model / o.be_hw : (o.be_model > 0 ? INFINITY : 1);
			if (fabs(ratio - 1) > fabs(worst - 1))
				worst = ratio;
			int ok = o.bitexact == NOUT && fabs(ratio - 1) <= 0.10;
			nbad += !ok;
			if (!ok && !report)
				fprintf(stderr, "%s config %d (K %d, %s, %s x %s, %s, fast %d): %ld of %d "
				        "outputs bit for bit, mean be %.6e vs the GPU's %.6e\n", dirs[d],
				        c->id, c->K, c->dist, c->fmt_l, c->fmt_r, c->scaling, c->fast,
				        o.bitexact, NOUT, o.be_model, o.be_hw);
			if (out)
				fprintf(out, "%s,%d,%s,%d,%d,%d,%s,%d,%sx%s,%s,%d,%s,%d,%ld,%.6e,%.6e,%.4f,"
				        "%.6e,%.3g\n", dirs[d], c->id, c->split, c->M, c->N, c->K, c->dist,
				        c->nu, c->fmt_l, c->fmt_r, c->scaling, c->fast,
				        c->fast ? "h100-fp8-fast" : "h100-fp8", NOUT, o.bitexact, o.be_hw,
				        o.be_model, ratio, o.be_fp32, o.be_hw > 0 ? o.be_fp32 / o.be_hw : 0);
		}
		free(cs);
	}
	if (out && fclose(out))
		die("cannot write %s", csv);
	printf("test_qmm_h100: %d configurations (%d skipped), %ld of %ld outputs bit for bit; "
	       "mean backward error qmatmul/GPU %.4f overall, worst configuration %.4f\n", nrun,
	       nskip, exact, outs, sum_hw > 0 ? sum_model / sum_hw : 1.0, worst);
	if (nrun == 0)
		die("no configuration selected (split %s, maxK %ld)", split, maxK);
	return report || nbad == 0 ? 0 : 1;
}

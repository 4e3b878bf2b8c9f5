/* fit_accum.c: fit and check the accumulator model (kernels/accum.h)
 * against the outputs of an FP8 GEMM on the GPU (issue 8).
 *
 *   mq_fit_accum DIR [filters] (--model SPEC | --preset NAME | --grid GRID)
 *                [--sub N] [--threads T] [--csv OUT] [--top N]
 *
 * DIR holds gemm_configs.csv and gemm_hw_sub.bin from gpu/gemm_hw.py.  For
 * each configuration the 32 rows of L and 32 columns of R whose products
 * the GPU's outputs were kept for are drawn again (mqgpu_host.h), quantized
 * with the recorded scales and checked against the recorded code hashes;
 * the 32 x 32 dot products are then computed under the model and compared
 * with the GPU's: bit for bit, and by the mean backward error
 * |C_exact - C| / (|A||B|) (C_exact summed exactly in 128-bit integers).
 *
 * Filters: --split fit|heldout, --fast 0|1, --scaling one|absmax,
 * --dist NAME, --minK K, --maxK K, --fmt e4m3|e5m2 (the left operand).
 * SPEC: block=32,F=13,align=rz,acc=14,norm=rz,promote=128,opexp=1
 * (accum.h; keys left out take these values).  emin_a and emin_b are set
 * from each configuration's formats.
 * GRID: the same keys with lists (a,b,c) or ranges (lo-hi) separated by
 * ';', e.g. "block=16,32;F=10-26;align=rz,rd,rne;acc=24;norm=rz,rne;
 * promote=0".  --grid ranks every model of the grid by the fraction of
 * outputs it reproduces bit for bit, then by how close its mean backward
 * error is to the GPU's; --model / --preset print one row a configuration
 * (and write them to --csv OUT).  --sub N uses the first N of the 1024
 * outputs of each configuration (default all).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"
#include "mqgpu_host.h"

#define SUB 32
#define NOUT (SUB * SUB)

typedef struct {
	int id, K, nu, fast, M, N;
	char split[16], dist[16], fmt_l[8], fmt_r[8], scaling[8];
	uint64_t seed_l, seed_r, hash_l, hash_r;
	float s_l, s_r;
	int emin_l, emin_r;
	double be_hw_full;
	float hw[NOUT];
	/* filled by load() */
	float *a, *b;              /* SUB x K each: decoded, unscaled */
	double exact[NOUT], den[NOUT]; /* scaled by s_l * s_r */
} config;

static config *cfgs;
static int ncfg;

/* ---- CSV ---- */
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
	fprintf(stderr, "gemm_configs.csv: no column %s\n", name);
	exit(1);
}

static float bits2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static void read_configs(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/gemm_configs.csv", dir);
	FILE *f = fopen(path, "r");
	snprintf(path, sizeof path, "%s/gemm_hw_sub.bin", dir);
	FILE *b = fopen(path, "rb");
	if (!f || !b) {
		fprintf(stderr, "cannot open %s/gemm_configs.csv or gemm_hw_sub.bin\n", dir);
		exit(1);
	}
	static char hl[4096], line[4096];
	char *h[64], *v[64];
	if (!fgets(hl, sizeof hl, f))
		exit(1);
	int nh = split_csv(hl, h, 64);
	int c_id = col(h, nh, "id"), c_split = col(h, nh, "split"), c_K = col(h, nh, "K"),
	    c_dist = col(h, nh, "dist"), c_nu = col(h, nh, "nu"), c_fl = col(h, nh, "fmt_l"),
	    c_fr = col(h, nh, "fmt_r"), c_sc = col(h, nh, "scaling"),
	    c_fast = col(h, nh, "fast_accum"), c_sl = col(h, nh, "seed_l"),
	    c_sr = col(h, nh, "seed_r"), c_bl = col(h, nh, "scale_l_bits"),
	    c_br = col(h, nh, "scale_r_bits"), c_hl = col(h, nh, "hash_l"),
	    c_hr = col(h, nh, "hash_r"), c_M = col(h, nh, "M"), c_N = col(h, nh, "N"),
	    c_be = col(h, nh, "be_hw");
	int cap = 0;
	while (fgets(line, sizeof line, f)) {
		int n = split_csv(line, v, 64);
		if (n < nh)
			continue;
		if (ncfg == cap) {
			cap = cap ? 2 * cap : 64;
			cfgs = realloc(cfgs, (size_t)cap * sizeof *cfgs);
		}
		config *c = &cfgs[ncfg];
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
		c->be_hw_full = atof(v[c_be]);
		mq_format fl, fr;
		if (mq_format_get(c->fmt_l, &fl) || mq_format_get(c->fmt_r, &fr)) {
			fprintf(stderr, "config %d: unknown format\n", c->id);
			exit(1);
		}
		c->emin_l = fl.emin, c->emin_r = fr.emin;
		if (fread(c->hw, 4, NOUT, b) != NOUT) {
			fprintf(stderr, "gemm_hw_sub.bin is short\n");
			exit(1);
		}
		ncfg++;
	}
	fclose(f);
	fclose(b);
}

/* The same spread of rows and columns as gemm_hw.py. */
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

/* Operands of one side: SUB rows, decoded (unscaled). */
static float *operand(const config *c, int right, int nthreads)
{
	int64_t idx[SUB];
	sub_idx(right ? c->N : c->M, right, idx);
	size_t n = (size_t)SUB * (size_t)c->K;
	float *x = malloc(n * 4), *y = malloc(n * 4);
	uint8_t *codes = malloc(n);
	const char *fmt = right ? c->fmt_r : c->fmt_l;
	if (!x || !y || !codes) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (mqg_sample(dist_code(c->dist), c->nu, fmt, right ? c->seed_r : c->seed_l, idx, SUB,
	               c->K, x, nthreads) ||
	    mqg_encode(fmt, x, (int64_t)n, right ? c->s_r : c->s_l, codes, nthreads) ||
	    mqg_decode(fmt, codes, (int64_t)n, y)) {
		fprintf(stderr, "config %d: cannot draw operands\n", c->id);
		exit(1);
	}
	uint64_t h = mqg_hash(codes, (int64_t)n);
	if (h != (right ? c->hash_r : c->hash_l)) {
		fprintf(stderr, "config %d: %s operand hash 0x%016llx, GPU side had 0x%016llx\n",
		        c->id, right ? "right" : "left", (unsigned long long)h,
		        (unsigned long long)(right ? c->hash_r : c->hash_l));
		exit(1);
	}
	free(x);
	free(codes);
	return y;
}

/* Exact sums: every value of e4m3 and e5m2 is a multiple of 2^-16, so
 * a * 2^16 is an integer (|.| < 2^32) and so is each product of two
 * such images; 128-bit sums are exact for any K here. */
static void exact_sums(config *c)
{
	for (int i = 0; i < SUB; i++)
		for (int j = 0; j < SUB; j++) {
			__int128 s = 0, d = 0;
			const float *a = c->a + (size_t)i * c->K, *b = c->b + (size_t)j * c->K;
			for (int k = 0; k < c->K; k++) {
				int64_t ia = (int64_t)ldexpf(a[k], 16), ib = (int64_t)ldexpf(b[k], 16);
				__int128 p = (__int128)ia * ib;
				s += p;
				d += p < 0 ? -p : p;
			}
			double sc = (double)c->s_l * (double)c->s_r;
			c->exact[i * SUB + j] = ldexp((double)s, -32) * sc;
			c->den[i * SUB + j] = ldexp((double)d, -32) * sc;
		}
}

static void load(config *c, const config *prev, int nthreads)
{
	if (prev && prev->a && prev->K == c->K && prev->seed_l == c->seed_l &&
	    prev->seed_r == c->seed_r && !strcmp(prev->fmt_l, c->fmt_l) &&
	    !strcmp(prev->fmt_r, c->fmt_r) && prev->s_l == c->s_l && prev->s_r == c->s_r) {
		c->a = prev->a, c->b = prev->b;
		memcpy(c->exact, prev->exact, sizeof c->exact);
		memcpy(c->den, prev->den, sizeof c->den);
		return;
	}
	c->a = operand(c, 0, nthreads);
	c->b = operand(c, 1, nthreads);
	exact_sums(c);
}

/* ---- models ---- */
static int parse_round(const char *s, mq_acc_round *r)
{
	if (!strcmp(s, "rz"))
		*r = MQ_ACC_RZ;
	else if (!strcmp(s, "rd"))
		*r = MQ_ACC_RD;
	else if (!strcmp(s, "rne"))
		*r = MQ_ACC_RNE;
	else
		return -1;
	return 0;
}

static const char *rname(mq_acc_round r)
{
	return r == MQ_ACC_RZ ? "rz" : r == MQ_ACC_RD ? "rd" : "rne";
}

static void model_str(const mq_accum_model *m, char *buf, size_t n)
{
	snprintf(buf, n, "block=%d,F=%d,align=%s,acc=%d,norm=%s,promote=%d,opexp=%d", m->block,
	         m->frac_bits, rname(m->round_align), m->acc_bits, rname(m->round_norm), m->promote,
	         m->operand_exp);
}

/* A grid: per key a list of values (rounding names as 0..2). */
enum { G_BLOCK, G_F, G_ALIGN, G_ACC, G_NORM, G_PROMOTE, G_OPEXP, NG };
static const char *gkey[NG] = {"block", "F", "align", "acc", "norm", "promote", "opexp"};
typedef struct {
	int v[NG][64];
	int n[NG];
} grid;

static int parse_grid(const char *spec, grid *g, int single)
{
	static const int def[NG] = {32, 13, MQ_ACC_RZ, 14, MQ_ACC_RZ, 0, 1};
	for (int k = 0; k < NG; k++)
		g->v[k][0] = def[k], g->n[k] = 1;
	char *s = strdup(spec), *save = NULL;
	for (char *part = strtok_r(s, single ? "," : ";", &save); part;
	     part = strtok_r(NULL, single ? "," : ";", &save)) {
		char *eq = strchr(part, '=');
		if (!eq)
			return -1;
		*eq = 0;
		int k;
		for (k = 0; k < NG; k++)
			if (!strcmp(part, gkey[k]))
				break;
		if (k == NG)
			return -1;
		g->n[k] = 0;
		char *save2 = NULL;
		for (char *item = strtok_r(eq + 1, single ? ";" : ",", &save2); item;
		     item = strtok_r(NULL, ",", &save2)) {
			if (k == G_ALIGN || k == G_NORM) {
				mq_acc_round r;
				if (parse_round(item, &r))
					return -1;
				g->v[k][g->n[k]++] = (int)r;
				continue;
			}
			char *dash = strchr(item + 1, '-');
			int lo = atoi(item), hi = dash ? atoi(dash + 1) : lo;
			for (int x = lo; x <= hi && g->n[k] < 64; x++)
				g->v[k][g->n[k]++] = x;
		}
	}
	free(s);
	return 0;
}

/* ---- evaluation ---- */
typedef struct {
	const mq_accum_model *m;
	const int *sel;
	int nsel, sub, t, nthreads;
	long *match;     /* this thread's, per selected config */
	long *match_alt; /* descaled as s_l * (s_r * dot) */
	double *be;      /* sum of the model's backward errors */
} ejob;

static float descale(const config *c, float dot, int alt)
{
	if (alt)
		return c->s_l * (c->s_r * dot);
	return (c->s_l * c->s_r) * dot;
}

static void *eval_thread(void *arg)
{
	ejob *j = arg;
	long total = (long)j->nsel * j->sub;
	long i0 = total * j->t / j->nthreads, i1 = total * (j->t + 1) / j->nthreads;
	for (long w = i0; w < i1; w++) {
		int ci = (int)(w / j->sub), e = (int)(w % j->sub);
		const config *c = &cfgs[j->sel[ci]];
		int r = e / SUB, s = e % SUB;
		mq_accum_model m = *j->m;
		m.emin_a = c->emin_l, m.emin_b = c->emin_r;
		float dot = mq_accum_dot(&m, c->a + (size_t)r * c->K, 1, c->b + (size_t)s * c->K, 1,
		                         (size_t)c->K);
		float y = descale(c, dot, 0), y2 = descale(c, dot, 1);
		uint32_t u, v, u2;
		memcpy(&u, &y, 4);
		memcpy(&v, &c->hw[e], 4);
		memcpy(&u2, &y2, 4);
		j->match[ci] += u == v;
		j->match_alt[ci] += u2 == v;
		j->be[ci] += c->den[e] > 0 ? fabs(c->exact[e] - (double)y) / c->den[e] : 0;
	}
	return NULL;
}

static void evaluate(const mq_accum_model *m, const int *sel, int nsel, int sub, int nthreads,
                     long *match, long *match_alt, double *be)
{
	memset(match, 0, sizeof *match * (size_t)nsel);
	memset(match_alt, 0, sizeof *match_alt * (size_t)nsel);
	memset(be, 0, sizeof *be * (size_t)nsel);
	pthread_t th[256];
	ejob jobs[256];
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (ejob){m, sel, nsel, sub, t, nthreads, calloc((size_t)nsel, sizeof(long)),
		                 calloc((size_t)nsel, sizeof(long)), calloc((size_t)nsel, sizeof(double))};
		if (!jobs[t].match || !jobs[t].match_alt || !jobs[t].be) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		if (pthread_create(&th[t], NULL, eval_thread, &jobs[t])) {
			fprintf(stderr, "pthread_create failed\n");
			exit(1);
		}
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
		for (int s = 0; s < nsel; s++) {
			match[s] += jobs[t].match[s];
			match_alt[s] += jobs[t].match_alt[s];
			be[s] += jobs[t].be[s];
		}
		free(jobs[t].match);
		free(jobs[t].match_alt);
		free(jobs[t].be);
	}
}

static double be_of(const config *c, const float *y, int sub)
{
	double s = 0;
	for (int e = 0; e < sub; e++)
		s += c->den[e] > 0 ? fabs(c->exact[e] - (double)y[e]) / c->den[e] : 0;
	return s / sub;
}

typedef struct {
	mq_accum_model m;
	double match, err;
} ranked;

static int by_rank(const void *x, const void *y)
{
	const ranked *a = x, *b = y;
	if (a->match != b->match)
		return a->match < b->match ? 1 : -1;
	return a->err < b->err ? -1 : a->err > b->err;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: see gpu/fit_accum.c\n");
		return 2;
	}
	const char *dir = argv[1], *split = NULL, *scaling = NULL, *dist = NULL, *fmt = NULL;
	const char *model = NULL, *preset = NULL, *gridspec = NULL, *csv = NULL;
	int fast = -1, minK = 0, maxK = 1 << 30, sub = NOUT, nthreads = 2, top = 20;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "%s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--split"))
			split = v;
		else if (!strcmp(a, "--scaling"))
			scaling = v;
		else if (!strcmp(a, "--dist"))
			dist = v;
		else if (!strcmp(a, "--fmt"))
			fmt = v;
		else if (!strcmp(a, "--fast"))
			fast = atoi(v);
		else if (!strcmp(a, "--minK"))
			minK = atoi(v);
		else if (!strcmp(a, "--maxK"))
			maxK = atoi(v);
		else if (!strcmp(a, "--sub"))
			sub = atoi(v);
		else if (!strcmp(a, "--threads"))
			nthreads = atoi(v);
		else if (!strcmp(a, "--top"))
			top = atoi(v);
		else if (!strcmp(a, "--model"))
			model = v;
		else if (!strcmp(a, "--preset"))
			preset = v;
		else if (!strcmp(a, "--grid"))
			gridspec = v;
		else if (!strcmp(a, "--csv"))
			csv = v;
		else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
	}
	if (sub < 1 || sub > NOUT)
		sub = NOUT;
	if (nthreads < 1 || nthreads > 256)
		nthreads = 2;
	read_configs(dir);
	int *sel = malloc(sizeof *sel * (size_t)(ncfg ? ncfg : 1)), nsel = 0;
	for (int i = 0; i < ncfg; i++) {
		config *c = &cfgs[i];
		if ((split && strcmp(split, c->split)) || (scaling && strcmp(scaling, c->scaling)) ||
		    (dist && strcmp(dist, c->dist)) || (fmt && strcmp(fmt, c->fmt_l)) ||
		    (fast >= 0 && fast != c->fast) || c->K < minK || c->K > maxK)
			continue;
		sel[nsel++] = i;
	}
	fprintf(stderr, "%d of %d configurations selected; drawing operands...\n", nsel, ncfg);
	for (int s = 0; s < nsel; s++)
		load(&cfgs[sel[s]], s ? &cfgs[sel[s - 1]] : NULL, nthreads);
	long *match = calloc((size_t)nsel + 1, sizeof *match);
	long *match_alt = calloc((size_t)nsel + 1, sizeof *match_alt);
	double *be = calloc((size_t)nsel + 1, sizeof *be);
	long *m32 = calloc((size_t)nsel + 1, sizeof *m32), *m32a = calloc((size_t)nsel + 1, 8);
	double *be32 = calloc((size_t)nsel + 1, sizeof *be32);

	if (gridspec) {
		grid g;
		if (parse_grid(gridspec, &g, 0)) {
			fprintf(stderr, "bad grid %s\n", gridspec);
			return 2;
		}
		size_t cap = 1;
		for (int k = 0; k < NG; k++)
			cap *= (size_t)g.n[k];
		ranked *r = calloc(cap, sizeof *r);
		size_t nr = 0;
		double hw_be = 0;
		for (int s = 0; s < nsel; s++)
			hw_be += be_of(&cfgs[sel[s]], cfgs[sel[s]].hw, sub);
		hw_be /= nsel;
		int ix[NG] = {0};
		for (;;) {
			mq_accum_model m = {g.v[G_BLOCK][ix[0]], g.v[G_F][ix[1]],
			                    (mq_acc_round)g.v[G_ALIGN][ix[2]], g.v[G_ACC][ix[3]],
			                    (mq_acc_round)g.v[G_NORM][ix[4]], g.v[G_PROMOTE][ix[5]],
			                    g.v[G_OPEXP][ix[6]], -6, -6};
			if (mq_accum_model_check(&m) == MQ_OK) {
				evaluate(&m, sel, nsel, sub, nthreads, match, match_alt, be);
				long tm = 0;
				double tb = 0;
				for (int s = 0; s < nsel; s++)
					tm += match[s] > match_alt[s] ? match[s] : match_alt[s], tb += be[s];
				r[nr].m = m;
				r[nr].match = (double)tm / ((double)nsel * sub);
				r[nr].err = fabs(tb / ((double)nsel * sub) / hw_be - 1);
				nr++;
			}
			int k = 0;
			while (k < NG && ++ix[k] == g.n[k])
				ix[k++] = 0;
			if (k == NG)
				break;
		}
		qsort(r, nr, sizeof *r, by_rank);
		printf("%zu models on %d configurations x %d outputs (hw mean be %.4e)\n", nr, nsel, sub,
		       hw_be);
		for (size_t i = 0; i < nr && (int)i < top; i++) {
			char buf[128];
			model_str(&r[i].m, buf, sizeof buf);
			printf("%-62s bit-exact %.4f  |be/be_hw - 1| %.4f\n", buf, r[i].match, r[i].err);
		}
		return 0;
	}

	mq_accum_model m;
	if (preset) {
		if (mq_accum_model_preset(preset, &m)) {
			fprintf(stderr, "unknown preset %s (known: %s)\n", preset, mq_accum_model_known());
			return 2;
		}
	} else if (model) {
		grid g;
		if (parse_grid(model, &g, 1)) {
			fprintf(stderr, "bad model %s\n", model);
			return 2;
		}
		m = (mq_accum_model){g.v[G_BLOCK][0], g.v[G_F][0], (mq_acc_round)g.v[G_ALIGN][0],
		                     g.v[G_ACC][0], (mq_acc_round)g.v[G_NORM][0], g.v[G_PROMOTE][0],
		                     g.v[G_OPEXP][0], -6, -6};
	} else {
		fprintf(stderr, "one of --model, --preset, --grid is needed\n");
		return 2;
	}
	if (mq_accum_model_check(&m)) {
		fprintf(stderr, "invalid model\n");
		return 2;
	}
	mq_accum_model f32;
	mq_accum_model_preset("fp32", &f32);
	evaluate(&m, sel, nsel, sub, nthreads, match, match_alt, be);
	evaluate(&f32, sel, nsel, sub, nthreads, m32, m32a, be32);
	char buf[128];
	model_str(&m, buf, sizeof buf);
	printf("model %s\n", buf);
	printf("%4s %-7s %6s %-6s %-9s %-6s %4s %10s %10s %10s %10s %7s %7s %7s\n", "id", "split",
	       "K", "dist", "formats", "scale", "fast", "be_hw_all", "be_hw", "be_model", "be_fp32",
	       "ratio", "exact", "exact_f");
	FILE *out = csv ? fopen(csv, "w") : NULL;
	if (out)
		fprintf(out, "id,split,K,dist,fmt_l,fmt_r,scaling,fast_accum,outputs,be_hw_full,"
		             "be_hw,be_model,be_fp32,be_model_over_hw,bitexact_model,bitexact_fp32,"
		             "bitexact_descale_product,bitexact_descale_sequential\n");
	double sum_hw = 0, sum_m = 0;
	long tot_match = 0;
	for (int s = 0; s < nsel; s++) {
		config *c = &cfgs[sel[s]];
		double bh = be_of(c, c->hw, sub), bm = be[s] / sub, b32 = be32[s] / sub;
		long mm = match[s] > match_alt[s] ? match[s] : match_alt[s];
		long mf = m32[s] > m32a[s] ? m32[s] : m32a[s];
		sum_hw += bh, sum_m += bm, tot_match += mm;
		printf("%4d %-7s %6d %-6s %s-%s %-6s %4d %10.3e %10.3e %10.3e %10.3e %7.3f %7.4f %7.4f\n",
		       c->id, c->split, c->K, c->dist, c->fmt_l, c->fmt_r, c->scaling, c->fast,
		       c->be_hw_full, bh, bm, b32, bm / bh, (double)mm / sub, (double)mf / sub);
		if (out)
			fprintf(out, "%d,%s,%d,%s,%s,%s,%s,%d,%d,%.6e,%.6e,%.6e,%.6e,%.4f,%.4f,%.4f,%.4f,%.4f\n",
			        c->id, c->split, c->K, c->dist, c->fmt_l, c->fmt_r, c->scaling, c->fast, sub,
			        c->be_hw_full, bh, bm, b32, bm / bh, (double)mm / sub, (double)mf / sub,
			        (double)match[s] / sub, (double)match_alt[s] / sub);
	}
	if (out)
		fclose(out);
	printf("overall: mean be_model / mean be_hw = %.4f, bit-exact %.4f (%d configurations)\n",
	       sum_m / sum_hw, (double)tot_match / ((double)nsel * sub), nsel);
	return 0;
}

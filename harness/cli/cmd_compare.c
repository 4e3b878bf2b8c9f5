/* cmd_compare.c: `metriq compare FILE.json [FILE.json ...]`, benchmark
 * results side by side.
 *
 * Reads Google Benchmark JSON (metriq-bench --benchmark_out=FILE
 * --benchmark_out_format=json, or results/gpu/throughput.json, which uses
 * the same schema) with jansson, and prints one line per file with its
 * context (host, CPU or GPU, metriq_isa, date), then one row per benchmark
 * name: its rate in every file that has it and the ratio of each later
 * file to the first (above 1: faster than the first file).
 *
 * The rate of a benchmark is items_per_second where the file has it (every
 * metriq-bench benchmark sets items), else bytes_per_second, else runs per
 * second from real_time; a row uses the first of these that every file
 * holding the benchmark has, so that a ratio never mixes two kinds.  With
 * --benchmark_repetitions a file holds one "iteration" entry per
 * repetition: the row takes their median (Google Benchmark's own median
 * aggregate is the same number); a file with aggregates only
 * (--benchmark_report_aggregates_only) gives its "median" aggregate, else
 * its "mean".  Entries with error_occurred show as "error".
 *
 * With --plot DIR (two files or more) the ratios also go to
 * DIR/compare.csv and a bar chart of them, plots/compare.gp, to
 * DIR/compare.png and DIR/compare.svg (plot.h: temp files renamed).
 *
 * Every file is read and checked before anything is printed: a missing
 * file, a JSON syntax error (with line and column), JSON that is not a
 * Google Benchmark file (no "context" object or no "benchmarks" array), an
 * entry without a name or without any rate are errors, exit status 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "opt.h"
#include "plot.h"

enum { RATE_ITEMS, RATE_BYTES, RATE_RUNS, NRATE };
static const char *const rate_unit[NRATE] = {"items/s", "bytes/s", "runs/s"};

/* One benchmark of one file: the repetitions' rates, then their medians. */
typedef struct {
	char *name;
	double *v[NRATE];   /* per repetition; NAN where the entry lacks the field */
	size_t n, cap;
	double med[NRATE];  /* NAN if absent */
	int error;          /* some repetition reported error_occurred */
	int from_agg;       /* filled from an aggregate entry */
} bench;

typedef struct {
	const char *path;
	json_t *root;
	bench *b;
	size_t nb, capb;
} bfile;

static bench *find(bfile *f, const char *name)
{
	for (size_t i = 0; i < f->nb; i++)
		if (!strcmp(f->b[i].name, name))
			return &f->b[i];
	return NULL;
}

static bench *add_bench(bfile *f, const char *name)
{
	if (f->nb == f->capb) {
		size_t cap = f->capb ? 2 * f->capb : 16;
		bench *nb = realloc(f->b, cap * sizeof *nb);
		if (!nb)
			return NULL;
		f->b = nb, f->capb = cap;
	}
	bench *b = &f->b[f->nb];
	memset(b, 0, sizeof *b);
	size_t len = strlen(name) + 1; /* strdup is POSIX, not C11 */
	b->name = malloc(len);
	if (!b->name)
		return NULL;
	memcpy(b->name, name, len);
	f->nb++;
	return b;
}

static int add_rep(bench *b, const double r[NRATE])
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4;
		for (int k = 0; k < NRATE; k++) {
			double *nv = realloc(b->v[k], cap * sizeof *nv);
			if (!nv)
				return -1;
			b->v[k] = nv;
		}
		b->cap = cap;
	}
	for (int k = 0; k < NRATE; k++)
		b->v[k][b->n] = r[k];
	b->n++;
	return 0;
}

static void bfile_free(bfile *f)
{
	for (size_t i = 0; i < f->nb; i++) {
		free(f->b[i].name);
		for (int k = 0; k < NRATE; k++)
			free(f->b[i].v[k]);
	}
	free(f->b);
	if (f->root)
		json_decref(f->root);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of the non-NaN values among v[0..n); NAN unless every repetition
 * has the field (a rate present in some repetitions only is not one). */
static double median(double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isnan(v[i]))
			return NAN;
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Seconds per time_unit; 0 if unknown. */
static double unit_seconds(const char *u)
{
	if (!u || !strcmp(u, "ns")) /* Google Benchmark's default, left out by some writers */
		return 1e-9;
	if (!strcmp(u, "us"))
		return 1e-6;
	if (!strcmp(u, "ms"))
		return 1e-3;
	if (!strcmp(u, "s"))
		return 1.0;
	return 0.0;
}

/* The rates of one entry: items, bytes, runs per second (NAN if absent). */
static int entry_rates(const json_t *e, double r[NRATE])
{
	r[RATE_ITEMS] = num(e, "items_per_second");
	r[RATE_BYTES] = num(e, "bytes_per_second");
	double t = num(e, "real_time"), u = unit_seconds(str(e, "time_unit"));
	r[RATE_RUNS] = t > 0 && u > 0 ? 1.0 / (t * u) : NAN;
	return !isnan(r[RATE_ITEMS]) || !isnan(r[RATE_BYTES]) || !isnan(r[RATE_RUNS]);
}

/* A rate field present but not a finite number > 0 (its name), else
 * NULL.  Google Benchmark writes rates as counts over elapsed time, never
 * negative; a file that holds one was edited or corrupted, and taking it
 * in would print a negative rate and a ratio of the wrong sign. */
static const char *bad_rate(const json_t *e)
{
	static const char *const keys[] = {"items_per_second", "bytes_per_second"};
	for (int i = 0; i < 2; i++) {
		const json_t *v = json_object_get(e, keys[i]);
		double x = json_is_number(v) ? json_number_value(v) : 1.0;
		if (v && (!json_is_number(v) || !(x > 0) || isinf(x)))
			return keys[i];
	}
	return NULL;
}

static int is_error(const json_t *e)
{
	return json_is_true(json_object_get(e, "error_occurred"));
}

/* Load and check one file; 0, or -1 after printing the reason. */
static int load(bfile *f)
{
	json_error_t err;
	f->root = json_load_file(f->path, 0, &err);
	if (!f->root) {
		if (err.line < 1) /* cannot open or read: jansson's text names the file and errno */
			mq_cli_error("compare", "%s", err.text);
		else
			mq_cli_error("compare", "%s:%d:%d: not valid JSON: %s", f->path, err.line,
			             err.column, err.text);
		return -1;
	}
	const json_t *ctx = json_object_get(f->root, "context");
	const json_t *arr = json_object_get(f->root, "benchmarks");
	if (!json_is_object(f->root) || !json_is_object(ctx) || !json_is_array(arr)) {
		mq_cli_error("compare", "%s: not a Google Benchmark JSON file (it needs a \"context\" "
		             "object and a \"benchmarks\" array, as metriq-bench --benchmark_out=FILE "
		             "--benchmark_out_format=json writes)", f->path);
		return -1;
	}
	size_t n = json_array_size(arr);
	if (n == 0) {
		mq_cli_error("compare", "%s: the \"benchmarks\" array is empty", f->path);
		return -1;
	}
	/* Pass 1: iteration entries (run_type absent in older files). */
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(arr, i);
		const char *name = json_is_object(e) ? str(e, "name") : NULL;
		if (!name) {
			mq_cli_error("compare", "%s: benchmarks[%zu] is not an object with a \"name\" "
			             "string", f->path, i);
			return -1;
		}
		const char *rt = str(e, "run_type");
		if (rt && strcmp(rt, "iteration"))
			continue;
		double r[NRATE];
		const char *bad = bad_rate(e);
		if (bad && !is_error(e)) {
			mq_cli_error("compare", "%s: benchmark '%s' has %s that is not a number > 0",
			             f->path, name, bad);
			return -1;
		}
		int has = entry_rates(e, r);
		if (!has && !is_error(e)) {
			mq_cli_error("compare", "%s: benchmark '%s' has no items_per_second, "
			             "bytes_per_second or real_time", f->path, name);
			return -1;
		}
		bench *b = find(f, name);
		if (!b && !(b = add_bench(f, name)))
			goto nomem;
		if (is_error(e))
			b->error = 1;
		else if (add_rep(b, r))
			goto nomem;
	}
	/* Pass 2: benchmarks present as aggregates only: the median, else the
	 * mean (never stddev or cv, which are not rates). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const json_t *e = json_array_get(arr, i);
			const char *rt = str(e, "run_type"), *agg = str(e, "aggregate_name");
			const char *run = str(e, "run_name");
			if (!rt || strcmp(rt, "aggregate") || !agg || !run ||
			    strcmp(agg, pass ? "mean" : "median"))
				continue;
			bench *b = find(f, run);
			if (b && !b->from_agg)
				continue; /* has iterations, or a median already */
			double r[NRATE];
			if (bad_rate(e)) {
				mq_cli_error("compare", "%s: benchmark '%s' (%s) has %s that is not a number "
				             "> 0", f->path, run, agg, bad_rate(e));
				return -1;
			}
			if (!entry_rates(e, r))
				continue;
			if (!b) {
				if (!(b = add_bench(f, run)))
					goto nomem;
				b->from_agg = 1;
			}
			if (b->n == 0 && add_rep(b, r))
				goto nomem;
		}
	if (f->nb == 0) {
		mq_cli_error("compare", "%s: no benchmark with a rate (only aggregates other than "
		             "median and mean?)", f->path);
		return -1;
	}
	for (size_t i = 0; i < f->nb; i++)
		for (int k = 0; k < NRATE; k++)
			f->b[i].med[k] = median(f->b[i].v[k], f->b[i].n);
	return 0;
nomem:
	mq_cli_error("compare", "%s: out of memory", f->path);
	return -1;
}

/* "1.564G": 4 significant digits and an SI prefix. */
static void si(char *buf, size_t len, double v)
{
	static const char pre[] = " kMGTPE";
	int p = 0;
	double a = fabs(v);
	while (a >= 999.95 && p < 6)
		a /= 1000, v /= 1000, p++;
	if (p)
		snprintf(buf, len, "%.4g%c", v, pre[p]);
	else
		snprintf(buf, len, "%.4g", v);
}

/* One line of context: what ran, where ("; " between the parts). */
static void print_context(size_t i, const bfile *f)
{
	const json_t *c = json_object_get(f->root, "context");
	const char *sep = " ";
	printf("[%zu] %s:", i + 1, f->path);
	const char *host = str(c, "host_name");
	if (host)
		printf("%shost %s", sep, host), sep = "; ";
	const char *dev = str(c, "device"), *drv = str(c, "driver");
	if (dev) {
		printf("%sGPU %s", sep, dev), sep = "; ";
		if (drv)
			printf(" (driver %s)", drv);
	}
	/* Google Benchmark records no CPU model; metriq bench may add one */
	const char *cpu = str(c, "cpu_model");
	double ncpu = num(c, "num_cpus"), mhz = num(c, "mhz_per_cpu");
	if (cpu || !isnan(ncpu)) {
		printf("%sCPU", sep), sep = "; ";
		if (cpu)
			printf(" %s", cpu);
		if (!isnan(ncpu))
			printf(" %s%.0f cores", cpu ? "(" : "", ncpu);
		if (!isnan(ncpu) && mhz > 0)
			printf(" @ %.0f MHz", mhz);
		if (cpu && !isnan(ncpu))
			printf(")");
	}
	const char *isa = str(c, "metriq_isa");
	if (isa)
		printf("%smetriq_isa %s", sep, isa), sep = "; ";
	const char *date = str(c, "date");
	if (date)
		printf("%sdate %s", sep, date);
	printf("\n");
}

static const char about[] =
    "Prints Google Benchmark JSON files side by side (metriq-bench\n"
    "--benchmark_out=FILE --benchmark_out_format=json, results/gpu/throughput.json):\n"
    "each file's context, then per benchmark its rate in every file\n"
    "(items/s where present, else bytes/s, else runs/s from real_time; the\n"
    "median over repetitions) and the ratio of each file to the first\n"
    "(above 1: faster than the first).  '-' where a file lacks the benchmark.\n";

/* The ratios as CSV (temp file, renamed): benchmark, then one column per
 * later file, headed "[k] NAME"; '-' where there is no ratio. */
static int write_ratios(const char *dir, const bfile *f, size_t nf, const char **rows,
                        size_t nrow, const double *ratio)
{
	char tmp[4096], final[4096];
	snprintf(tmp, sizeof tmp, "%s/.compare.csv.tmp", dir);
	snprintf(final, sizeof final, "%s/compare.csv", dir);
	FILE *o = fopen(tmp, "w");
	if (!o)
		return mq_cli_error("compare", "cannot write %s: %s", tmp, strerror(errno)), -1;
	fprintf(o, "benchmark");
	for (size_t i = 1; i < nf; i++) {
		const char *base = strrchr(f[i].path, '/');
		base = base ? base + 1 : f[i].path;
		fprintf(o, ",[%zu] ", i + 1);
		for (const char *c = base; *c; c++) /* a comma would split the column */
			fputc(*c == ',' ? ';' : *c, o);
	}
	fputc('\n', o);
	for (size_t r = 0; r < nrow; r++) {
		for (const char *c = rows[r]; *c; c++)
			fputc(*c == ',' ? ';' : *c, o);
		for (size_t i = 1; i < nf; i++) {
			double v = ratio[r * nf + i];
			if (isnan(v))
				fprintf(o, ",-");
			else
				fprintf(o, ",%.6g", v);
		}
		fputc('\n', o);
	}
	if (fclose(o) != 0 || rename(tmp, final) != 0) {
		mq_cli_error("compare", "cannot write %s: %s", final, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}

int mq_cmd_compare(int argc, char **argv)
{
	const char *plotdir = NULL;
	const mq_opt opts[] = {
		{"plot", 0, MQ_OPT_STRING, &plotdir, "DIR",
		 "also a bar chart of the ratios, DIR/compare.png and .svg\n"
		 "(gnuplot), from DIR/compare.csv; needs two files or more", 0, 0},
		MQ_OPT_END,
	};
	const mq_optcmd cmd = {"compare",
	                       "FILE.json [FILE.json ...]\n"
	                       "       metriq compare --plot DIR FILE.json FILE.json [FILE.json ...]",
	                       about, opts, 0};
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return mq_opt_status(n);
	if (plotdir && !*plotdir)
		return mq_cli_error("compare", "--plot needs a folder");
	if (n < 1)
		return mq_cli_error("compare", "no file given (see 'metriq compare --help')");
	size_t nf = (size_t)n;
	if (plotdir && nf < 2)
		return mq_cli_error("compare", "--plot draws ratios to the first file: give two "
		                    "files or more");
	if (plotdir && mkdir(plotdir, 0777) != 0 && errno != EEXIST)
		return mq_cli_error("compare", "cannot create %s: %s", plotdir, strerror(errno));
	bfile *f = calloc(nf, sizeof *f);
	if (!f)
		return mq_cli_error("compare", "out of memory");
	int rc = 0;
	for (size_t i = 0; i < nf && !rc; i++) {
		f[i].path = argv[i + 1];
		if (load(&f[i]))
			rc = 2;
	}
	if (rc)
		goto out;

	/* Rows: every name, in the order of first appearance, file by file. */
	size_t nrow = 0, caprow = 0, wname = strlen("benchmark");
	const char **rows = NULL;
	for (size_t i = 0; i < nf; i++)
		for (size_t j = 0; j < f[i].nb; j++) {
			const char *nm = f[i].b[j].name;
			int seen = 0;
			for (size_t r = 0; r < nrow && !seen; r++)
				seen = !strcmp(rows[r], nm);
			if (seen)
				continue;
			if (nrow == caprow) {
				caprow = caprow ? 2 * caprow : 64;
				const char **nr = realloc(rows, caprow * sizeof *nr);
				if (!nr) {
					free(rows);
					rc = mq_cli_error("compare", "out of memory");
					goto out;
				}
				rows = nr;
			}
			rows[nrow++] = nm;
			if (strlen(nm) > wname)
				wname = strlen(nm);
		}

	for (size_t i = 0; i < nf; i++)
		print_context(i, &f[i]);
	printf("\n%-*s  %-7s", (int)wname, "benchmark", "rate");
	for (size_t i = 0; i < nf; i++) {
		char h[24];
		snprintf(h, sizeof h, "[%zu]", i + 1);
		printf("  %9s", h);
	}
	for (size_t i = 1; i < nf; i++) {
		char h[32];
		snprintf(h, sizeof h, "[%zu]/[1]", i + 1);
		printf("  %9s", h);
	}
	printf("\n");
	bench **b = malloc(nf * sizeof *b);
	double *ratio = malloc((nrow ? nrow : 1) * nf * sizeof *ratio);
	if (!b || !ratio) {
		free(b);
		free(ratio);
		free(rows);
		rc = mq_cli_error("compare", "out of memory");
		goto out;
	}
	for (size_t r = 0; r < nrow; r++) {
		for (size_t i = 0; i < nf; i++)
			b[i] = find(&f[i], rows[r]);
		/* the first rate kind every file with a rate for this row has */
		int kind = -1;
		for (int k = 0; k < NRATE && kind < 0; k++) {
			int all = 1, any = 0;
			for (size_t i = 0; i < nf; i++)
				if (b[i] && b[i]->n) {
					any = 1;
					all &= !isnan(b[i]->med[k]);
				}
			if (any && all)
				kind = k;
		}
		printf("%-*s  %-7s", (int)wname, rows[r], kind >= 0 ? rate_unit[kind] : "-");
		for (size_t i = 0; i < nf; i++) {
			char cell[32] = "-";
			if (b[i] && b[i]->n && kind >= 0)
				si(cell, sizeof cell, b[i]->med[kind]);
			else if (b[i] && b[i]->error)
				snprintf(cell, sizeof cell, "error");
			printf("  %9s", cell);
		}
		for (size_t i = 1; i < nf; i++) {
			char cell[32] = "-";
			ratio[r * nf + i] = NAN;
			if (kind >= 0 && b[0] && b[0]->n && b[i] && b[i]->n && b[0]->med[kind] > 0) {
				ratio[r * nf + i] = b[i]->med[kind] / b[0]->med[kind];
				snprintf(cell, sizeof cell, "%.3g", ratio[r * nf + i]);
			}
			printf("  %9s", cell);
		}
		printf("\n");
	}
	if (plotdir) {
		char err[1024];
		if (write_ratios(plotdir, f, nf, rows, nrow, ratio) != 0)
			rc = 2;
		else if (mq_plot_render("compare", plotdir, err, sizeof err) != 0)
			rc = mq_cli_error("compare", "%s", err);
		else
			printf("\nwrote %s/compare.csv, compare.png, compare.svg\n", plotdir);
	}
	free(ratio);
	free(b);
	free(rows);
out:
	for (size_t i = 0; i < nf; i++)
		bfile_free(&f[i]);
	free(f);
	return rc;
}

/* cmd_advise.c: `metriq advise`, the paper's method applied to a user's own
 * tensors: for each tensor of .npy / safetensors files, its moments and
 * tail index, the error of every candidate format x rounding at one scale
 * granularity, and a recommendation by the rule in docs/advise.md.
 *
 * Reading is io/ (tensorfile.h); the measures and the rule are
 * kernels/advise.h (mq_advise), the code behind metriq.advise too; this
 * file parses the options, prints, and writes the CSV files.  Those are
 * written whole to NAME.tmp and renamed over NAME, so a reader never sees
 * half a file. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "lock.h"
#include "opt.h"
#include "util.h"
#include "advise.h"
#include "metriq.h"
#include "tensorfile.h"

static const char about[] =
    "For every float tensor in the .npy and safetensors FILEs: moments, a tail\n"
    "index, and for every candidate format x rounding at the granularity: SQNR,\n"
    "mean and max relative error, clipped and underflowed fractions; then a\n"
    "recommendation.  The rule: among candidates whose underflowed fraction\n"
    "(nonzero values flushed to zero) is at most --underflow-budget (default\n"
    "0.03) and whose clipping causes at most --clip-budget (default 0.01) of\n"
    "the squared error, take the best SQNR; the first candidate (formats in\n"
    "LIST order, then roundings) within --margin dB (default 0) of it wins.\n"
    "If none is within budget, the one with the fewest underflowed + clipped.\n"
    "docs/advise.md has the details.\n";

#define MAXF MQ_ADVISE_MAXFMT /* candidate formats */
#define MAXR MQ_ADVISE_MAXRND /* candidate roundings */

/* The method's options (advise.h) and what only the command needs. */
typedef struct opts {
	mq_advise_opts ad;
	char gran_name[32];
	mq_operand role;
	mq_io_opts io;
	const char *out;
	char rnd_name[MAXR][16];
} opts;

/* ---- option parsing ---- */

static int parse_double(const char *s, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno || !(x >= lo && x <= hi))
		return 0;
	*v = x;
	return 1;
}

/* The options' text, as the table below fills it. */
typedef struct args {
	const char *gran, *role, *scale, *under, *clip, *margin;
	mq_optlist formats, roundings;
	uint64_t max_bytes;
	int int16_as_bf16;
} args;

static int check_formats(const mq_optlist *l, mq_advise_opts *ad)
{
	for (size_t i = 0; i < l->n; i++) {
		if (mq_format_get(l->v[i], &ad->fmt[i]) != MQ_OK)
			return mq_cli_error("advise", "unknown format '%s' (known: %s)", l->v[i],
			                    mq_format_known());
		/* E8M0 has no zero and no sign: it is a scale format, and a
		 * tensor quantized to it has no meaningful error */
		if (ad->fmt[i].kind == MQ_KIND_E8M0)
			return mq_cli_error("advise", "format '%s' is a scale format (no sign, no zero), "
			                    "not a candidate for tensor elements", l->v[i]);
	}
	ad->nfmt = l->n;
	return 0;
}

static int check_roundings(const mq_optlist *l, opts *o)
{
	for (size_t i = 0; i < l->n; i++) {
		if (mq_rounding_parse(l->v[i], &o->ad.rnd[i]) != MQ_OK)
			return mq_cli_error("advise", "unknown rounding '%s' (known: %s)", l->v[i],
			                    mq_rounding_known());
		mq_rounding_name(&o->ad.rnd[i], o->rnd_name[i]);
	}
	o->ad.nrnd = l->n;
	return 0;
}

/* The text options into o: 0, or the exit status of an error. */
static int check_args(const args *a, opts *o)
{
	if (mq_gran_parse(a->gran, &o->ad.gran) != MQ_OK)
		return mq_cli_error("advise", "unknown granularity '%s' (known: %s)", a->gran,
		                    mq_gran_known());
	mq_gran_name(&o->ad.gran, o->gran_name, sizeof o->gran_name);
	if (mq_role_parse(a->role, &o->role) != MQ_OK)
		return mq_cli_error("advise", "unknown role '%s' (known: %s)", a->role, mq_role_known());
	if (mq_scale_mode_parse(a->scale, &o->ad.scale) != MQ_OK)
		return mq_cli_error("advise", "unknown scale '%s' (known: %s)", a->scale,
		                    mq_scale_mode_known());
	if (a->under && !parse_double(a->under, 0, 1, &o->ad.under_budget))
		return mq_cli_error("advise", "--underflow-budget '%s' is not a fraction in [0, 1]",
		                    a->under);
	if (a->clip && !parse_double(a->clip, 0, 1, &o->ad.clip_budget))
		return mq_cli_error("advise", "--clip-budget '%s' is not a fraction in [0, 1]", a->clip);
	if (a->margin && !parse_double(a->margin, 0, INFINITY, &o->ad.margin))
		return mq_cli_error("advise", "--margin '%s' is not a number of dB >= 0", a->margin);
	o->io.max_bytes = a->max_bytes;
	o->io.int16_as_bf16 = a->int16_as_bf16;
	int rc = check_formats(&a->formats, &o->ad);
	return rc ? rc : check_roundings(&a->roundings, o);
}

/* 0 with the files in argv[1..*nfiles], -1 after --help, or the exit
 * status of an error. */
static int parse_args(int argc, char **argv, opts *o, int *nfiles)
{
	memset(o, 0, sizeof *o);
	mq_advise_defaults(&o->ad);
	static args a; /* mq_optlist is large; one command runs per process */
	memset(&a, 0, sizeof a);
	a.gran = "tensor", a.role = "lhs", a.scale = "fp32";
	const mq_opt table[] = {
	    {"granularity", 0, MQ_OPT_STRING, &a.gran, "G", "scale groups: tensor (default), channel, block:N", 0, 0},
	    {"role", 0, MQ_OPT_STRING, &a.role, "R", "which axis is contracted: lhs (default) the last\n"
	     "axis (M x K), rhs the first (K x N); other axes are flattened", 0, 0},
	    {"formats", 0, MQ_OPT_LIST, &a.formats, "LIST", "default int8,e4m3,e5m2 ('metriq formats' lists all)", 0, MAXF},
	    {"roundings", 0, MQ_OPT_LIST, &a.roundings, "LIST", "default rtne,sr (also rtz, rna, sr:K)", 0, MAXR},
	    {"scale", 0, MQ_OPT_STRING, &a.scale, "S", "absmax scale rounded to fp32 (default) or pow2", 0, 0},
	    {"seed", 0, MQ_OPT_SEED, &o->ad.seed, "N", "stochastic rounding stream (default 0)", 0, 0},
	    {"underflow-budget", 0, MQ_OPT_STRING, &a.under, "F", "default 0.03", 0, 0},
	    {"clip-budget", 0, MQ_OPT_STRING, &a.clip, "F", "default 0.01", 0, 0},
	    {"margin", 0, MQ_OPT_STRING, &a.margin, "DB", "default 0", 0, 0},
	    {"max-bytes", 0, MQ_OPT_SIZE, &a.max_bytes, "N", "refuse files larger than this (default 1G)", 1, INT64_MAX},
	    {"int16-as-bf16", 0, MQ_OPT_FLAG, &a.int16_as_bf16, NULL, ".npy '<i2'/'<u2' data are bfloat16 bit patterns", 0, 0},
	    {"out", 0, MQ_OPT_STRING, &o->out, "DIR", "write DIR/advice.csv (one row per tensor) and\n"
	     "DIR/metrics.csv (every candidate)", 0, 0},
	    MQ_OPT_END,
	};
	const mq_optcmd cmd = {"advise", "FILE... [OPTIONS]", about, table, 0};
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return n == MQ_OPT_HELP ? -1 : mq_opt_status(n);
	if (n == 0)
		return mq_cli_error("advise", "no input files (usage: metriq advise FILE... [options])");
	static const char *const dfmt[] = {"int8", "e4m3", "e5m2"}, *const drnd[] = {"rtne", "sr"};
	if (!a.formats.n)
		a.formats.n = 3, memcpy(a.formats.v, dfmt, sizeof dfmt);
	if (!a.roundings.n)
		a.roundings.n = 2, memcpy(a.roundings.v, drnd, sizeof drnd);
	*nfiles = n;
	return check_args(&a, o);
}

/* ---- output ---- */

/* A CSV number: the shortest round-trip text, or inf / -inf / nan. */
static void csv_num(mq_buf *b, double v)
{
	mq_buf_char(b, ',');
	if (isnan(v))
		mq_buf_str(b, "nan");
	else if (isinf(v))
		mq_buf_str(b, v < 0 ? "-inf" : "inf");
	else
		mq_buf_double(b, v);
}

/* A CSV text field (RFC 4180: quoted if it holds a comma, quote, CR or LF). */
static void csv_str(mq_buf *b, const char *s, int first)
{
	if (!first)
		mq_buf_char(b, ',');
	mq_buf_csv(b, s, strlen(s));
}

/* Text to DIR/NAME, atomically (util.h). */
static int write_atomic(const char *dir, const char *name, const mq_buf *b)
{
	char dst[4096], err[4400];
	if (snprintf(dst, sizeof dst, "%s/%s", dir, name) >= (int)sizeof dst - 4)
		return mq_cli_error("advise", "--out '%s': path too long", dir);
	if (mq_write_atomic(dst, b->p ? b->p : "", b->len, err, sizeof err))
		return mq_cli_error("advise", "%s", err);
	return 0;
}

static void shape_str(const mq_io_tensor *t, char *out, size_t len)
{
	size_t k = (size_t)snprintf(out, len, "%s", t->ndim ? "" : "scalar");
	for (int d = 0; d < t->ndim && k < len; d++)
		k += (size_t)snprintf(out + k, len - k, "%s%llu", d ? "x" : "",
		                      (unsigned long long)t->dim[d]);
}

/* A tensor name for the terminal: control characters become '?'. */
static void print_name(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* ---- one tensor ---- */

typedef struct sink {
	mq_buf advice, metrics;   /* CSV text, header included */
	mq_buf summary;           /* the closing table on stdout */
	size_t tensors;
} sink;

/* Load tensor ti of f as float32 into *x (malloc'd) and its layout; 0 when
 * there is nothing to do (skipped, with a note), else a reason printed. */
static int load_tensor(const opts *o, const mq_io_file *f, size_t ti, const char *label,
                       float **x, mq_layout *l, int *skip)
{
	const mq_io_tensor *t = &f->t[ti];
	char err[1024];
	*skip = 1;
	if (t->skip) {
		fprintf(stderr, "metriq advise: %s (%s): %s\n", label, t->dtype_str, t->skip);
		return 0;
	}
	if (t->n == 0) {
		fprintf(stderr, "metriq advise: %s has no elements; skipped\n", label);
		return 0;
	}
	*skip = 0;
	if (t->n > SIZE_MAX / (2 * sizeof(size_t)))
		return mq_cli_error("advise", "%s: too many elements", label);
	size_t n = (size_t)t->n;
	if (!(*x = malloc(n * sizeof **x)))
		return mq_cli_error("advise", "%s: out of memory for %zu elements", label, n);
	mq_io_conv cv;
	if (mq_io_load(f, ti, *x, &cv, err, sizeof err) != MQ_IO_OK)
		return mq_cli_error("advise", "%s", err);
	/* absmax scaling of non-finite data has no answer (scale.h): refuse,
	 * and say where the values came from */
	if (cv.nan || cv.inf)
		return mq_cli_error("advise", "%s has %llu NaN and %llu infinite values of %zu%s; "
		                    "advise needs finite data", label, (unsigned long long)cv.nan,
		                    (unsigned long long)cv.inf, n,
		                    cv.overflow ? " (some are float64 values beyond float32's range)"
		                                : "");
	size_t dim[MQ_IO_MAXDIM];
	for (int d = 0; d < t->ndim; d++)
		dim[d] = (size_t)t->dim[d];
	if (mq_advise_layout(t->ndim, dim, o->role, l) != MQ_OK ||
	    mq_scale_count(l, &o->ad.gran) == 0)
		return mq_cli_error("advise", "%s: granularity %s does not fit a %zu x %zu matrix", label,
		                    o->gran_name, l->dim[0], l->dim[1]);
	return 0;
}

static const char *role_name(const opts *o)
{
	return o->role == MQ_LHS ? "lhs" : "rhs";
}

static const char *scale_name(const opts *o)
{
	return o->ad.scale == MQ_SCALE_POW2 ? "pow2" : "fp32";
}

/* stdout: the tensor, its statistics, the candidates */
static void print_advice(const opts *o, const mq_io_file *f, const mq_io_tensor *t,
                         const char *shape, const mq_advice *a, const sink *out)
{
	const mq_advise_cand *c = a->cand, *p = &a->cand[a->pick];
	printf("%s", out->tensors ? "\n" : "");
	print_name(t->name);
	printf("  (%s, %s %s, %zu elements, %zu nonzero)\n", f->path, mq_io_dtype_name(t->dtype),
	       shape, a->n, a->nnz);
	printf("  mean %.4g  sd %.4g  skew %.3g  kurtosis %.3g  tail index %.3g", a->mo.mean,
	       a->mo.sd, a->mo.skew, a->mo.kurtosis, a->tail_index);
	if (a->hill_k)
		printf(" (Hill, k = %zu)", a->hill_k);
	printf("\n  %s granularity, %s, %s scale\n", o->gran_name, role_name(o), scale_name(o));
	/* clipped: share of the nonzero elements; clip_sse: share of the
	 * squared error (what the clip budget limits); underflow: share of the
	 * nonzero elements (what the underflow budget limits) */
	printf("  %-8s %-8s %8s %9s %9s %9s %9s %9s\n", "format", "rounding", "sqnr_db", "mean_re",
	       "max_re", "clipped", "clip_sse", "underflow");
	for (size_t i = 0; i < a->ncand; i++)
		printf("  %-8s %-8s %8.2f %9.3e %9.3e %8.4f%% %8.4f%% %8.4f%%%s\n",
		       o->ad.fmt[c[i].f].name, o->rnd_name[c[i].r], c[i].sqnr_db, c[i].mean_re,
		       c[i].max_re, 100 * c[i].clip_frac, 100 * c[i].clip_share, 100 * c[i].under_frac,
		       i == a->pick ? "  <- advice" : c[i].ok ? "" : "  (over budget)");
	printf("  advice: %s %s (%s)\n", o->ad.fmt[p->f].name, o->rnd_name[p->r],
	       mq_advise_reason(a->why));
}

/* advice.csv: one row per tensor */
static void advice_row(const opts *o, const mq_io_file *f, const mq_io_tensor *t,
                       const char *shape, const mq_advice *a, mq_buf *b)
{
	const mq_advise_cand *p = &a->cand[a->pick];
	csv_str(b, t->name, 1);
	csv_str(b, o->ad.fmt[p->f].name, 0);
	csv_str(b, o->gran_name, 0);
	csv_str(b, o->rnd_name[p->r], 0);
	csv_num(b, p->sqnr_db);
	csv_num(b, p->under_frac);
	csv_num(b, p->clip_share);
	csv_num(b, p->ok);
	csv_str(b, mq_advise_reason(a->why), 0);
	csv_str(b, f->path, 0);
	csv_str(b, mq_io_dtype_name(t->dtype), 0);
	csv_str(b, shape, 0);
	csv_num(b, (double)a->n);
	csv_str(b, role_name(o), 0);
	csv_num(b, a->mo.mean);
	csv_num(b, a->mo.variance);
	csv_num(b, a->mo.skew);
	csv_num(b, a->mo.kurtosis);
	csv_num(b, a->tail_index);
	csv_num(b, p->mean_re);
	csv_num(b, p->max_re);
	csv_num(b, p->clip_frac);
	mq_buf_char(b, '\n');
}

/* metrics.csv: one row per candidate */
static void metrics_rows(const opts *o, const mq_io_file *f, const mq_io_tensor *t,
                         const mq_advice *a, mq_buf *m)
{
	for (size_t i = 0; i < a->ncand; i++) {
		const mq_advise_cand *c = &a->cand[i];
		csv_str(m, t->name, 1);
		csv_str(m, f->path, 0);
		csv_str(m, o->gran_name, 0);
		csv_str(m, role_name(o), 0);
		csv_str(m, scale_name(o), 0);
		csv_str(m, o->ad.fmt[c->f].name, 0);
		csv_str(m, o->rnd_name[c->r], 0);
		csv_num(m, c->sqnr_db);
		csv_num(m, c->mse);
		csv_num(m, c->mean_re);
		csv_num(m, c->max_re);
		csv_num(m, c->clip_frac);
		csv_num(m, c->clip_share);
		csv_num(m, c->under_frac);
		csv_num(m, c->ok);
		csv_num(m, i == a->pick);
		mq_buf_char(m, '\n');
	}
}

static int advise_tensor(const opts *o, const mq_io_file *f, size_t ti, sink *out)
{
	const mq_io_tensor *t = &f->t[ti];
	char label[1200], shape[400];
	snprintf(label, sizeof label, "%s: tensor '%s'", f->path, t->name);
	float *x = NULL;
	mq_layout l;
	int skip;
	int rc = load_tensor(o, f, ti, label, &x, &l, &skip);
	if (rc || skip) {
		free(x);
		return rc;
	}
	mq_advice *a = malloc(sizeof *a);
	mq_status s = a ? mq_advise(&o->ad, &l, x, a) : MQ_ENOMEM;
	free(x);
	if (s == MQ_ENOMEM) {
		rc = mq_cli_error("advise", "%s: out of memory for %zu elements", label, (size_t)t->n);
	} else if (s != MQ_OK) {
		const mq_advise_cand *c = &a->cand[a->ncand];
		rc = mq_cli_error("advise", "%s: %s %s: %s", label, o->ad.fmt[c->f].name,
		                  o->rnd_name[c->r], mq_strerror(s));
	} else {
		const mq_advise_cand *p = &a->cand[a->pick];
		shape_str(t, shape, sizeof shape);
		print_advice(o, f, t, shape, a, out);
		advice_row(o, f, t, shape, a, &out->advice);
		metrics_rows(o, f, t, a, &out->metrics);
		mq_buf_printf(&out->summary, "  %-24s %-8s %-8s %9.2f  %s\n", t->name,
		              o->ad.fmt[p->f].name, o->rnd_name[p->r], p->sqnr_db,
		              mq_advise_reason(a->why));
		out->tensors++;
	}
	free(a);
	return rc;
}

int mq_cmd_advise(int argc, char **argv)
{
	opts o;
	int nfiles = 0;
	int rc = parse_args(argc, argv, &o, &nfiles);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.out && !*o.out)
		return mq_cli_error("advise", "--out is empty: give a folder");
	char **files = argv + 1;
	sink out = {MQ_BUF_INIT, MQ_BUF_INIT, MQ_BUF_INIT, 0};
	mq_buf_str(&out.advice, "tensor,format,granularity,rounding,sqnr_db,underflow_frac,"
	                        "clip_share,within_budgets,reason,file,dtype,shape,n,role,mean,"
	                        "variance,skew,kurtosis,tail_index,mean_relerr,max_relerr,"
	                        "clipped_frac\n");
	mq_buf_str(&out.metrics, "tensor,file,granularity,role,scale,format,rounding,sqnr_db,mse,"
	                         "mean_relerr,max_relerr,clipped_frac,clip_share,underflow_frac,"
	                         "within_budgets,recommended\n");
	/* a bad file or tensor is reported and the others still analysed; the
	 * exit status says that something failed */
	int failed = 0;
	for (int i = 0; i < nfiles; i++) {
		mq_io_file f;
		char err[1024];
		mq_io_status s = mq_io_open(&f, files[i], &o.io, err, sizeof err);
		if (s != MQ_IO_OK) {
			mq_cli_error("advise", "%s%s", err,
			             s == MQ_IO_ELIMIT && strstr(err, "size cap") ? " (raise it with "
			                                                           "--max-bytes)"
			                                                         : "");
			failed = 1;
			continue;
		}
		if (f.ntensors == 0)
			fprintf(stderr, "metriq advise: %s holds no tensors\n", files[i]);
		for (size_t t = 0; t < f.ntensors; t++)
			if (advise_tensor(&o, &f, t, &out))
				failed = 1;
		mq_io_close(&f);
	}
	if (out.tensors > 1)
		printf("\nsummary (%s granularity):\n  %-24s %-8s %-8s %9s  %s\n%s", o.gran_name,
		       "tensor", "format", "rounding", "sqnr_db", "why", out.summary.p);
	if (!out.tensors && !failed) {
		mq_cli_error("advise", "no float tensor in the input");
		failed = 1;
	}
	if (!mq_buf_ok(&out.advice) || !mq_buf_ok(&out.metrics) || !mq_buf_ok(&out.summary)) {
		mq_cli_error("advise", "out of memory");
		failed = 1;
	} else if (o.out && out.tensors) {
		char err[512];
		int lock = -1;
		if (mq_mkdirs(o.out))
			failed = mq_cli_error("advise", "--out '%s': %s", o.out, strerror(errno)) != 0;
		else if ((lock = mq_lock_dir(o.out, err, sizeof err)) < 0)
			failed = mq_cli_error("advise", "%s", err) != 0;
		else if (write_atomic(o.out, "advice.csv", &out.advice) ||
		         write_atomic(o.out, "metrics.csv", &out.metrics))
			failed = 1;
		mq_unlock_dir(lock);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		mq_cli_error("advise", "error writing stdout");
		failed = 1;
	}
	mq_buf_free(&out.advice);
	mq_buf_free(&out.metrics);
	mq_buf_free(&out.summary);
	return failed ? 2 : 0;
}

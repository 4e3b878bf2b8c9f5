/* results.c: CSV results files with atomic replacement (see results.h). */
#include "results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int mq_results_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		      || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int mq_results_col_ok(const char *col)
{
	size_t n = strlen(col);
	return n > 0 && n <= 128 && !strpbrk(col, ",\"\r\n");
}

mq_results *mq_results_new(const char *name)
{
	mq_results *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->name = mq_strdup(name);
	if (!r->name) {
		free(r);
		return NULL;
	}
	return r;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_cols(mq_results *r)
{
	free_strs(r->cols, r->ncols);
	r->cols = NULL;
	r->ncols = 0;
}

void mq_results_unit_end(mq_results *r)
{
	free_strs(r->pcols, r->npcols);
	r->pcols = NULL;
	r->npcols = 0;
	r->pending_rows = 0;
}

void mq_results_free(mq_results *r)
{
	if (!r)
		return;
	free_cols(r);
	free_strs(r->order, r->norder);
	mq_results_unit_end(r);
	mq_buf_free(&r->committed);
	free(r->name);
	free(r);
}

/* Copies of n names (lens NULL: NUL-terminated) into *out. */
static mq_status copy_names(char ***out, const char *const *cols, const size_t *lens, size_t n)
{
	char **v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		return MQ_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = mq_strndup(cols[i], lens ? lens[i] : strlen(cols[i]));
		if (!v[i]) {
			free_strs(v, i);
			return MQ_ENOMEM;
		}
	}
	*out = v;
	return MQ_OK;
}

static mq_status set_cols(mq_results *r, const char *const *cols, const size_t *lens, size_t n)
{
	mq_status s = copy_names(&r->cols, cols, lens, n);
	r->ncols = s ? 0 : n;
	return s;
}

/* names joined by ", ", for a message; "" if out of memory */
static void join(mq_buf *b, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			mq_buf_str(b, ", ");
		mq_buf_str(b, names[i]);
	}
	mq_buf_char(b, 0);
}

static int same_names(const char *const *a, const char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

static mq_status order_error(const char *what, const char *const *names, size_t n,
                             const char *a, const char *b, char *err, size_t errlen)
{
	mq_buf h = MQ_BUF_INIT;
	join(&h, names, n);
	snprintf(err, errlen, what, a, b, mq_buf_ok(&h) ? h.p : "");
	mq_buf_free(&h);
	return MQ_EOPTION;
}

mq_status mq_results_set_order(mq_results *r, const char *const *cols, size_t n, char *err,
                               size_t errlen)
{
	if (n == 0) {
		snprintf(err, errlen, "%s.csv: an explicit order needs at least one column", r->name);
		return MQ_EOPTION;
	}
	for (size_t i = 0; i < n; i++) {
		if (!mq_results_col_ok(cols[i])) {
			snprintf(err, errlen, "bad column name '%s' (1 to 128 bytes, no comma, quote or "
			         "line break)", cols[i]);
			return MQ_EOPTION;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cols[i], cols[j])) {
				snprintf(err, errlen, "column '%s' is listed twice", cols[i]);
				return MQ_EOPTION;
			}
	}
	const char *const *had = r->order ? (const char *const *)r->order
	                                  : (const char *const *)r->cols;
	size_t nhad = r->order ? r->norder : r->ncols;
	if (had && (nhad != n || !same_names(had, cols, n)))
		return order_error("%s.csv %s (%s)", had, nhad, r->name,
		                   r->order ? "has another explicit order" : "has another header",
		                   err, errlen);
	if (r->order)
		return MQ_OK;
	mq_status s = copy_names(&r->order, cols, NULL, n);
	r->norder = s ? 0 : n;
	if (s)
		snprintf(err, errlen, "%s.csv: out of memory", r->name);
	return s;
}

/* Move the name equal to want, if it is among cols[i..n), to cols[i]. */
static int bring(const char **cols, size_t i, size_t n, const char *want)
{
	for (size_t j = i; j < n; j++)
		if (!strcmp(cols[j], want)) {
			const char *t = cols[i];
			cols[i] = cols[j];
			cols[j] = t;
			return 1;
		}
	return 0;
}

static int namecmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mq_status mq_results_order(const mq_results *r, const char *const *axes, size_t naxes,
                           const char **cols, size_t n, char *err, size_t errlen)
{
	const char *const *order = (const char *const *)r->order;
	if (order) {
		for (size_t i = 0; i < r->norder; i++)
			if (!bring(cols, i, n, order[i]))
				return order_error("row lacks column '%s' (%s.csv's columns: %s)", order,
				                   r->norder, order[i], r->name, err, errlen);
		if (n > r->norder)
			return order_error("column '%s' is not among %s.csv's columns (%s)", order,
			                   r->norder, cols[r->norder], r->name, err, errlen);
		return MQ_OK;
	}
	size_t first = 0;
	for (size_t a = 0; a < naxes; a++)
		first += (size_t)bring(cols, first, n, axes[a]);
	qsort(cols + first, n - first, sizeof *cols, namecmp);
	return MQ_OK;
}

long mq_results_col(const mq_results *r, const char *col, size_t len)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strlen(r->cols[i]) == len && !memcmp(r->cols[i], col, len))
			return (long)i;
	return -1;
}

mq_status mq_results_pending(mq_results *r, const char *const *names, size_t n)
{
	if (r->pending_rows++ || r->cols)
		return MQ_OK;
	mq_status s = copy_names(&r->pcols, names, NULL, n);
	r->npcols = s ? 0 : n;
	return s;
}

const char *const *mq_results_fits(const mq_results *r, size_t *n)
{
	if (r->cols) {
		*n = r->ncols;
		return (const char *const *)r->cols;
	}
	*n = r->npcols;
	return r->pcols ? (const char *const *)r->pcols : NULL;
}

/* The first row committed: its columns, in its order, are the header. */
static mq_status take_header(mq_results *r, const mq_row *row, char *err, size_t errlen)
{
	size_t n = row->ncols ? row->ncols : 1, pos = 0, tl;
	const char **names = calloc(n, sizeof *names), *text;
	size_t *lens = calloc(n, sizeof *lens);
	mq_status s = names && lens ? MQ_OK : MQ_ENOMEM;
	for (size_t i = 0; !s && i < row->ncols; i++)
		mq_row_col(row, &pos, &names[i], &lens[i], &text, &tl);
	if (!s)
		s = set_cols(r, names, lens, row->ncols);
	free(names);
	free(lens);
	if (s) {
		snprintf(err, errlen, "%s.csv: out of memory", r->name);
		return s;
	}
	for (size_t i = 0; i < r->ncols; i++) {
		if (i)
			mq_buf_char(&r->committed, ',');
		mq_buf_str(&r->committed, r->cols[i]);
	}
	mq_buf_char(&r->committed, '\n');
	return MQ_OK;
}

/* Each of the row's fields under its header column, into fields/flens
 * (ncols slots, NULL where the row has none): the whole row is checked
 * before anything is written. */
static mq_status place_fields(const mq_results *r, const mq_row *row, const char **fields,
                              size_t *flens, char *err, size_t errlen)
{
	size_t pos = 0, nl, tl;
	const char *name, *text;
	for (size_t i = 0; i < row->ncols; i++) {
		mq_row_col(row, &pos, &name, &nl, &text, &tl);
		long c = mq_results_col(r, name, nl);
		if (c < 0) {
			mq_buf h = MQ_BUF_INIT;
			join(&h, (const char *const *)r->cols, r->ncols);
			snprintf(err, errlen, "column '%.*s' is not in the header of %s.csv (%s)", (int)nl,
			         name, r->name, mq_buf_ok(&h) ? h.p : "");
			mq_buf_free(&h);
			return MQ_EOPTION;
		}
		fields[c] = text;
		flens[c] = tl;
	}
	return MQ_OK;
}

mq_status mq_results_add_row(mq_results *r, const mq_row *row, char *err, size_t errlen)
{
	mq_status s = r->cols ? MQ_OK : take_header(r, row, err, errlen);
	if (s)
		return s;
	const char **fields = calloc(r->ncols ? r->ncols : 1, sizeof *fields);
	size_t *flens = calloc(r->ncols ? r->ncols : 1, sizeof *flens);
	if (!fields || !flens) {
		snprintf(err, errlen, "%s.csv: out of memory", r->name);
		s = MQ_ENOMEM;
	} else {
		s = place_fields(r, row, fields, flens, err, errlen);
	}
	for (size_t i = 0; !s && i < r->ncols; i++) {
		if (i)
			mq_buf_char(&r->committed, ',');
		if (fields[i])
			mq_buf_csv(&r->committed, fields[i], flens[i]);
	}
	free(fields);
	free(flens);
	if (s)
		return s;
	mq_buf_char(&r->committed, '\n');
	r->rows++;
	r->dirty = 1;
	if (!mq_buf_ok(&r->committed)) {
		snprintf(err, errlen, "%s.csv: out of memory", r->name);
		return MQ_ENOMEM;
	}
	return MQ_OK;
}

void mq_results_undo(mq_results *r, size_t len, size_t rows, int had_header)
{
	mq_buf_truncate(&r->committed, len);
	r->rows = rows;
	if (!had_header)
		free_cols(r);
}

static char *path(const char *dir, const char *name, const char *ext)
{
	size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s%s", dir, name, ext);
	return p;
}

mq_status mq_results_flush(mq_results *r, const char *dir, char *err, size_t errlen)
{
	if (!r->dirty)
		return MQ_OK;
	if (!mq_buf_ok(&r->committed)) {
		snprintf(err, errlen, "%s.csv: out of memory", r->name);
		return MQ_ENOMEM;
	}
	char *dst = path(dir, r->name, ".csv");
	if (!dst) {
		snprintf(err, errlen, "out of memory");
		return MQ_ENOMEM;
	}
	int rc = mq_write_atomic(dst, r->committed.p ? r->committed.p : "", r->committed.len, err,
	                         errlen);
	free(dst);
	if (rc)
		return MQ_EIO;
	r->flushed = r->committed.len;
	r->dirty = 0;
	return MQ_OK;
}

mq_status mq_results_load(mq_results *r, const char *dir, size_t bytes, size_t rows,
                          char *err, size_t errlen)
{
	char *p = path(dir, r->name, ".csv");
	if (!p)
		return MQ_ENOMEM;
	FILE *f = fopen(p, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		return MQ_EIO;
	}
	mq_buf_truncate(&r->committed, 0);
	char chunk[65536];
	size_t left = bytes;
	while (left) {
		size_t want = left < sizeof chunk ? left : sizeof chunk;
		size_t got = fread(chunk, 1, want, f);
		mq_buf_add(&r->committed, chunk, got);
		left -= got;
		if (got < want)
			break;
	}
	fclose(f);
	if (left) {
		snprintf(err, errlen, "%s is shorter (%zu bytes) than the manifest records (%zu)",
		         p, bytes - left, bytes);
		free(p);
		return MQ_EIO;
	}
	free(p);
	if (!mq_buf_ok(&r->committed))
		return MQ_ENOMEM;
	/* the header: the first line, split on commas (names hold none) */
	const char *s = r->committed.p, *nl = s ? memchr(s, '\n', r->committed.len) : NULL;
	if (!nl) {
		snprintf(err, errlen, "%s.csv has no header line", r->name);
		return MQ_EIO;
	}
	size_t n = 1;
	for (const char *q = s; q < nl; q++)
		n += *q == ',';
	const char **cols = malloc(n * sizeof *cols);
	size_t *lens = malloc(n * sizeof *lens);
	if (!cols || !lens) {
		free(cols);
		free(lens);
		return MQ_ENOMEM;
	}
	size_t i = 0;
	for (const char *q = s;; q++) {
		if (q == nl || *q == ',') {
			cols[i] = s;
			lens[i] = (size_t)(q - s);
			i++;
			s = q + 1;
			if (q == nl)
				break;
		}
	}
	free_cols(r);
	mq_status st = set_cols(r, cols, lens, n);
	free(cols);
	free(lens);
	r->rows = rows;
	/* the file may hold uncommitted rows past `bytes`: rewrite it */
	r->dirty = 1;
	return st;
}

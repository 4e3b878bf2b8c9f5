/* run.c: the run's commit points, results files and resume (see run.h). */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dist.h"
#include "jv.h"
#include "rng.h"
#include "rows.h"

uint64_t mq_run_next_seed(mq_run *run)
{
	return mq_seed_derive(run->seed_base, ++run->seed_count);
}

mq_results *mq_run_results(mq_run *run, const char *name)
{
	for (size_t i = 0; i < run->nres; i++)
		if (!strcmp(run->res[i]->name, name))
			return run->res[i];
	mq_results **v = realloc(run->res, (run->nres + 1) * sizeof *v);
	if (!v) {
		snprintf(run->err, sizeof run->err, "out of memory");
		return NULL;
	}
	run->res = v;
	mq_results *r = mq_results_new(name);
	if (!r) {
		snprintf(run->err, sizeof run->err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < run->prior.nfiles; i++) {
		const mq_prior_file *f = &run->prior.files[i];
		if (strcmp(f->name, name))
			continue;
		char err[400];
		if (mq_results_load(r, run->outdir, f->bytes, f->rows, err, sizeof err)) {
			snprintf(run->err, sizeof run->err, "cannot resume: %s", err);
			mq_results_free(r);
			return NULL;
		}
		r->flushed = f->bytes;
	}
	run->res[run->nres++] = r;
	return r;
}

/* Whether cell c of the current grid is this process's to run (a shard's:
 * its index over the run's grids is K mod N). */
static int ours(const mq_run *run, size_t c)
{
	return run->mode != MQ_SHARD || (run->cells_before + c) % run->shard_n == run->shard_k;
}

int mq_run_grid_begin(mq_run *run, const char *const *axes, size_t naxes,
                      const char *const *keys, const uint64_t *seeds, size_t ncells)
{
	/* which grid of the script this is: the count of grids begun so far */
	size_t g = run->grid_count;
	if (g < run->man.ngrids) {
		/* resuming: the record of this grid must be the same grid */
		mq_grid *r = &run->man.grids[g];
		int same = r->naxes == naxes && r->ncells == ncells;
		for (size_t a = 0; same && a < naxes; a++)
			same = !strcmp(r->axes[a], axes[a]);
		if (same && !r->keys_known) {
			/* the compact form (manifest.h): the hash stands for the cells
			 * not listed, and the listed ones must sit where they were */
			same = mq_cells_hash(keys, seeds, ncells) == r->hash;
			for (size_t c = 0; same && c < ncells; c++)
				same = !r->cells[c].key
				       || (!strcmp(r->cells[c].key, keys[c]) && r->cells[c].seed == seeds[c]);
			if (same && mq_manifest_fill_keys(r, keys, seeds)) {
				snprintf(run->err, sizeof run->err, "out of memory");
				return -1;
			}
		}
		for (size_t c = 0; same && c < ncells; c++)
			same = !strcmp(r->cells[c].key, keys[c]) && r->cells[c].seed == seeds[c];
		if (!same) {
			run->writable = 0;
			snprintf(run->err, sizeof run->err,
			         "cannot resume: grid %zu differs from the one in the manifest "
			         "(the script, its params or the seed changed; run without --resume)",
			         g + 1);
			return -1;
		}
	} else {
		size_t idx;
		if (mq_manifest_add_grid(&run->man, axes, naxes, keys, seeds, ncells, &idx)) {
			snprintf(run->err, sizeof run->err, "out of memory");
			return -1;
		}
	}
	run->grid_count++;
	run->grid = (long)g;
	run->cell = -1;
	run->cells_before = 0;
	for (size_t i = 0; i < g; i++)
		run->cells_before += run->man.grids[i].ncells;
	run->deal_next = run->commit_next = 0;
	size_t mine = 0;
	for (size_t c = 0; c < ncells; c++)
		mine += ours(run, c);
	char label[32];
	snprintf(label, sizeof label, "grid %zu", g + 1);
	mq_progress_start(&run->progress, stderr, run->quiet, label, mine);
	return 0;
}

int mq_run_cell_done_before(const mq_run *run, size_t c)
{
	return run->man.grids[run->grid].cells[c].status == MQ_CELL_DONE;
}

void mq_run_cell_skip(mq_run *run, size_t c)
{
	(void)c;
	mq_progress_step(&run->progress, 1);
}

int mq_run_next_cell(mq_run *run, size_t *c)
{
	if (run->mode == MQ_COORD || run->mode == MQ_WORKER)
		return mq_dist_next_cell(run, c);
	const mq_grid *g = &run->man.grids[run->grid];
	for (; run->deal_next < g->ncells; run->deal_next++) {
		if (!ours(run, run->deal_next))
			continue;
		if (!mq_run_cell_done_before(run, run->deal_next))
			break;
		mq_run_cell_skip(run, run->deal_next);
	}
	/* cells done before (held ones too) are committed in their turn */
	if (mq_run_drain(run))
		return -1;
	if (run->deal_next == g->ncells)
		return 0;
	*c = run->deal_next++;
	return 1;
}

void mq_run_cell_begin(mq_run *run, size_t c)
{
	mq_cell *cell = &run->man.grids[run->grid].cells[c];
	cell->status = MQ_CELL_RUNNING;
	run->cell = (long)c;
	run->cell_t0 = mq_now();
	run->outer_count = run->seed_count;
	run->seed_base = cell->seed;
	run->seed_count = 0;
}

int mq_run_cell_end(mq_run *run, int ok, const char *msg)
{
	if (run->cell < 0)
		return 0;
	size_t c = (size_t)run->cell;
	mq_cell *cell = &run->man.grids[run->grid].cells[c];
	for (size_t i = 0; i < run->nres; i++)
		mq_results_unit_end(run->res[i]);
	cell->status = ok ? MQ_CELL_DONE : MQ_CELL_FAILED;
	cell->seconds = mq_now() - run->cell_t0;
	run->cell = -1;
	run->seed_base = run->seed;
	run->seed_count = run->outer_count;
	if (!mq_buf_ok(&run->unit)) {
		snprintf(run->err, sizeof run->err, "out of memory");
		return -1;
	}
	if (run->mode == MQ_WORKER) {
		/* rank 0 holds and commits it */
		int rc = mq_dist_cell_done(run, c, ok, msg);
		mq_buf_truncate(&run->unit, 0);
		return rc;
	}
	if (!ok) {
		mq_buf_truncate(&run->unit, 0);
		return 0;
	}
	/* the rows pass to the cell, held until its turn */
	mq_buf_free(&cell->rows);
	cell->rows = run->unit;
	cell->held = 1;
	run->unit = (mq_buf)MQ_BUF_INIT;
	mq_progress_step(&run->progress, 0);
	if (mq_run_drain(run))
		return -1;
	return mq_run_flush(run, 0);
}

void mq_run_grid_end(mq_run *run)
{
	if (run->grid < 0)
		return;
	mq_progress_end(&run->progress);
	run->grid = -1;
}

int mq_run_commit_rows(mq_run *run, const char *p, size_t len, const char *cell)
{
	/* all or none: on a row that does not fit, the files go back to where
	 * they were, so that no cell is ever half in a file */
	size_t n0 = run->nres;
	size_t *lens = malloc((n0 ? n0 : 1) * sizeof *lens), *rows = malloc((n0 ? n0 : 1) * sizeof *rows);
	int *had = malloc((n0 ? n0 : 1) * sizeof *had);
	int rc = -1;
	if (!lens || !rows || !had) {
		snprintf(run->err, sizeof run->err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n0; i++) {
		lens[i] = run->res[i]->committed.len;
		rows[i] = run->res[i]->rows;
		had[i] = run->res[i]->cols != NULL;
	}
	size_t off = 0;
	mq_row row;
	int got;
	while ((got = mq_rows_next(p, len, &off, &row)) > 0) {
		char name[80], err[400];
		if (row.file_len >= sizeof name || (memcpy(name, row.file, row.file_len),
		                                    name[row.file_len] = 0, !mq_results_name_ok(name))) {
			got = -1;
			break;
		}
		mq_results *r = mq_run_results(run, name);
		if (!r)
			goto undo;
		if (mq_results_add_row(r, &row, err, sizeof err)) {
			if (cell)
				snprintf(run->err, sizeof run->err, "cell %.100s: %s", cell, err);
			else
				snprintf(run->err, sizeof run->err, "%s", err);
			goto undo;
		}
	}
	if (got == 0) {
		rc = 0;
		goto out;
	}
	snprintf(run->err, sizeof run->err, "cell %.100s: malformed rows", cell ? cell : "(none)");
undo:
	for (size_t i = 0; i < run->nres; i++)
		if (i < n0)
			mq_results_undo(run->res[i], lens[i], rows[i], had[i]);
		else
			mq_results_undo(run->res[i], 0, 0, 0);
out:
	free(lens);
	free(rows);
	free(had);
	return rc;
}

int mq_run_drain(mq_run *run)
{
	if (run->grid < 0 || run->mode == MQ_SHARD || run->mode == MQ_WORKER)
		return 0; /* a shard's rows wait for merge; a worker's are rank 0's */
	mq_grid *g = &run->man.grids[run->grid];
	while (run->commit_next < g->ncells && g->cells[run->commit_next].status == MQ_CELL_DONE) {
		mq_cell *cl = &g->cells[run->commit_next];
		if (cl->held) {
			int bad = mq_run_commit_rows(run, cl->rows.p, cl->rows.len, cl->key);
			mq_buf_free(&cl->rows);
			cl->held = 0;
			if (bad) {
				/* rows that do not fit the header: the cell failed, and a
				 * resumed run runs it again */
				cl->status = MQ_CELL_FAILED;
				return -1;
			}
		}
		run->commit_next++;
	}
	return 0;
}

int mq_run_checks_columns(const mq_run *run)
{
	return run->mode == MQ_ONE || run->mode == MQ_COORD;
}

/* The text of axis a's value in cell key k ("a=1,b=x"): where it starts
 * and its length.  A value runs to the next ",NAME=" of the next axis, so
 * a value holding a comma is still read whole. */
static const char *axis_value(const mq_grid *g, const char *k, size_t a, size_t *len)
{
	const char *p = k;
	for (size_t i = 0; i <= a; i++) {
		size_t nl = strlen(g->axes[i]);
		if (strncmp(p, g->axes[i], nl) || p[nl] != '=')
			return NULL;
		p += nl + 1;
		const char *end = p + strlen(p);
		if (i + 1 < g->naxes) {
			size_t ml = strlen(g->axes[i + 1]);
			for (const char *q = strchr(p, ','); q; q = strchr(q + 1, ','))
				if (!strncmp(q + 1, g->axes[i + 1], ml) && q[1 + ml] == '=') {
					end = q;
					break;
				}
		}
		if (i == a) {
			*len = (size_t)(end - p);
			return p;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

/* A row written in a cell that names one of the grid's axes must give
 * the cell's value: a row saying x = 99 in cell x = 1 would be filed
 * under coordinates it did not come from.  0, or -1 with run->err. */
static int row_fits_cell(mq_run *run, size_t n, const char *const *names,
                         const char *const *texts, const size_t *lens)
{
	const mq_grid *g = &run->man.grids[run->grid];
	const char *key = g->cells[run->cell].key;
	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < g->naxes; a++) {
			size_t vl;
			const char *v;
			if (strcmp(names[i], g->axes[a]) || !(v = axis_value(g, key, a, &vl)))
				continue;
			if (vl != lens[i] || memcmp(v, texts[i], vl)) {
				snprintf(run->err, sizeof run->err, "column '%s' is %.*s in cell %.200s, whose "
				         "%s is %.*s: a row written in a cell must agree with its coordinates",
				         names[i], (int)(lens[i] > 100 ? 100 : lens[i]), texts[i], key,
				         names[i], (int)(vl > 100 ? 100 : vl), v);
				return -1;
			}
		}
	return 0;
}

int mq_run_row(mq_run *run, mq_results *r, size_t n, const char *const *names,
               const char *const *texts, const size_t *lens)
{
	if (run->cell >= 0) {
		if (run->grid >= 0 && row_fits_cell(run, n, names, texts, lens))
			return -1;
		mq_rows_add(&run->unit, 0, r->name, n, names, texts, lens);
		if (mq_results_pending(r, names, n) || !mq_buf_ok(&run->unit)) {
			snprintf(run->err, sizeof run->err, "out of memory");
			return -1;
		}
		return 1;
	}
	run->loose_seen++;
	if (run->loose_seen <= run->man.loose_rows || run->mode == MQ_WORKER)
		return 0; /* an earlier run wrote it (it is in the reloaded text), or rank 0 does */
	if (run->mode == MQ_SHARD) {
		/* kept with its place among the grids, for merge */
		mq_rows_add(&run->man.loose, (uint32_t)run->grid_count, r->name, n, names, texts, lens);
		if (!mq_buf_ok(&run->man.loose)) {
			snprintf(run->err, sizeof run->err, "out of memory");
			return -1;
		}
	} else {
		mq_buf one = MQ_BUF_INIT;
		mq_rows_add(&one, 0, r->name, n, names, texts, lens);
		int rc = mq_buf_ok(&one) ? mq_run_commit_rows(run, one.p, one.len, NULL) : -1;
		if (!mq_buf_ok(&one))
			snprintf(run->err, sizeof run->err, "out of memory");
		mq_buf_free(&one);
		if (rc)
			return -1;
	}
	run->man.loose_rows = run->loose_seen;
	return mq_run_flush(run, 0) ? -1 : 1;
}

size_t mq_run_unfinished(const mq_run *run, mq_buf *b, size_t max)
{
	size_t n = 0;
	for (size_t g = 0; g < run->man.ngrids; g++)
		for (size_t c = 0; c < run->man.grids[g].ncells; c++) {
			const mq_cell *cl = &run->man.grids[g].cells[c];
			if (cl->status == MQ_CELL_DONE)
				continue;
			if (n < max) {
				mq_buf_str(b, n ? ", " : "");
				if (cl->key)
					mq_buf_str(b, cl->key);
				else /* a compact grid's cell the run has not reached */
					mq_buf_printf(b, "cell %zu of grid %zu", c + 1, g + 1);
				if (cl->status == MQ_CELL_RUNNING && cl->rank >= 0)
					mq_buf_printf(b, " (rank %ld)", cl->rank);
			}
			n++;
		}
	if (n > max)
		mq_buf_printf(b, " and %zu more", n - max);
	return n;
}

int mq_run_flush(mq_run *run, int force)
{
	if (!run->writable)
		return 0; /* leave an earlier run's record alone (see run.h) */
	double t0 = mq_now();
	/* a flush rewrites whole files: space them so that at most about a
	 * tenth of the time goes to it */
	if (!force && t0 - run->last_flush < 10 * run->flush_cost)
		return 0;
	char err[400];
	for (size_t i = 0; i < run->nres; i++) {
		if (mq_results_flush(run->res[i], run->outdir, err, sizeof err)) {
			snprintf(run->err, sizeof run->err, "%s", err);
			return -1;
		}
	}
	if (mq_manifest_write(&run->man, run->outdir, run->res, run->nres, err, sizeof err)) {
		snprintf(run->err, sizeof run->err, "%s", err);
		return -1;
	}
	run->last_flush = mq_now();
	run->flush_cost = run->last_flush - t0;
	return 0;
}

int mq_run_set_params(mq_run *run, const json_t *params)
{
	if (run->params_declared) {
		snprintf(run->err, sizeof run->err, "params declared twice");
		return -1;
	}
	mq_buf b = MQ_BUF_INIT;
	mq_jv_compact(&b, params);
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		snprintf(run->err, sizeof run->err, "out of memory");
		return -1;
	}
	if (mq_run_check_params(run, b.p)) {
		mq_buf_free(&b);
		return -1;
	}
	free(run->man.params_json);
	run->man.params_json = b.p; /* ownership passes to the manifest */
	run->params_declared = 1;
	/* the params are part of the record a resume checks: on disk now */
	return mq_run_flush(run, 1);
}

/* Whether params text now is the record's then, read as a reader of the
 * manifest reads it: a string's bytes that are not UTF-8 are recorded as
 * the Latin-1 characters (jv.h), and a manifest written before NaN had its
 * marker holds null for it. */
static int same_params(const char *now, const char *then)
{
	if (!strcmp(now, then))
		return 1;
	char err[64];
	json_t *v = mq_jv_load(now, strlen(now), err, sizeof err);
	mq_buf b = MQ_BUF_INIT, old = MQ_BUF_INIT;
	mq_jv_compact(&b, v);
	json_decref(v);
	static const char mark[] = "\"\\u0000nan\"";
	for (const char *p = b.p ? b.p : ""; *p;) {
		const char *m = strstr(p, mark);
		size_t n = m ? (size_t)(m - p) : strlen(p);
		mq_buf_add(&old, p, n);
		if (m)
			mq_buf_str(&old, "null");
		p += n + (m ? sizeof mark - 1 : 0);
	}
	int same = v && mq_buf_ok(&b) && mq_buf_ok(&old) &&
	           (!strcmp(b.p, then) || !strcmp(old.p ? old.p : "", then));
	mq_buf_free(&b);
	mq_buf_free(&old);
	return same;
}

int mq_run_check_params(mq_run *run, const char *params_json)
{
	if (!run->prior.present)
		return 0;
	const char *now = params_json ? params_json : "null";
	const char *then = run->prior.params_json ? run->prior.params_json : "null";
	/* a record of no work (killed before its first cell) binds nothing */
	if (!same_params(now, then) && run->prior.committed) {
		run->writable = 0;
		snprintf(run->err, sizeof run->err,
		         "cannot resume: params %.200s differ from the manifest's %.200s", now, then);
		return -1;
	}
	run->writable = 1;
	return 0;
}

int mq_run_ready(mq_run *run)
{
	if (run->set.n && !run->params_declared) {
		snprintf(run->err, sizeof run->err, "--set given but the script has not declared its "
		         "params (call metriq.params{...} before the first grid or row)");
		return -1;
	}
	if (run->prior.present && !run->params_declared && !run->writable)
		return mq_run_check_params(run, NULL);
	return 0;
}

char *mq_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	mq_buf b = MQ_BUF_INIT;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		mq_buf_add(&b, chunk, got);
	int bad = ferror(f);
	fclose(f);
	mq_buf_char(&b, 0); /* NUL-terminated, for readers that want a string */
	if (bad || !mq_buf_ok(&b)) {
		mq_buf_free(&b);
		errno = bad ? EIO : ENOMEM;
		return NULL;
	}
	*len = b.len - 1;
	return b.p;
}

void mq_run_free(mq_run *run)
{
	for (size_t i = 0; i < run->nres; i++)
		mq_results_free(run->res[i]);
	free(run->res);
	for (size_t i = 0; i < run->prior.nfiles; i++)
		free(run->prior.files[i].name);
	free(run->prior.files);
	free(run->prior.params_json);
	mq_buf_free(&run->unit);
	mq_manifest_free(&run->man);
	mq_set_free(&run->set);
	free(run->outdir);
}

/* resume.c: an earlier run's manifest read back (mq_run_load_prior, run.h).
 *
 * Only what a resumed run needs is read: seed, shard, params, --set values,
 * times, files, the count of rows written outside cells, and the grids
 * with their cells' seeds, statuses and held rows.  Anything else in the
 * file (machine, libraries, the error) is the earlier run's record, which
 * the new run rewrites for itself. */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"
#include "rows.h"

static int bad(mq_run *run, const char *what)
{
	snprintf(run->err, sizeof run->err, "%s/manifest.json: %s (not a complete metriq manifest;"
	         " run without --resume to start afresh)", run->outdir, what);
	return -1;
}

/* A grid's axes, cell keys and seeds into the manifest. */
static int add_grid(mq_run *run, const json_t *axes, const json_t *cells, size_t *idx)
{
	size_t na = json_array_size(axes), nc = json_array_size(cells);
	const char **an = calloc(na + 1, sizeof *an), **keys = calloc(nc + 1, sizeof *keys);
	uint64_t *seeds = calloc(nc + 1, sizeof *seeds);
	int ok = an && keys && seeds;
	for (size_t a = 0; ok && a < na; a++)
		ok = (an[a] = json_string_value(json_array_get(axes, a))) != NULL;
	for (size_t c = 0; ok && c < nc; c++) {
		const json_t *cl = json_array_get(cells, c);
		const char *seed = mq_jv_str(cl, "seed");
		ok = (keys[c] = mq_jv_str(cl, "cell")) != NULL && seed;
		if (ok)
			seeds[c] = strtoull(seed, NULL, 10);
	}
	if (ok)
		ok = !mq_manifest_add_grid(&run->man, an, na, keys, seeds, nc, idx);
	free(an);
	free(keys);
	free(seeds);
	return ok ? 0 : bad(run, "a grid with malformed cells");
}

/* A cell's state: only "done" carries over (a cell that was running or
 * failed is run again), with the rows it holds if they were not yet in
 * the CSV files. */
static int load_cell(mq_run *run, mq_cell *cell, const json_t *cl)
{
	const char *status = mq_jv_str(cl, "status");
	if (status && !strcmp(status, "done"))
		cell->status = MQ_CELL_DONE;
	json_t *x = json_object_get(cl, "seconds");
	if (json_is_number(x))
		cell->seconds = json_number_value(x);
	x = json_object_get(cl, "rank");
	if (!json_is_integer(x))
		x = json_object_get(cl, "shard");
	if (json_is_integer(x))
		cell->rank = (long)json_integer_value(x);
	x = json_object_get(cl, "rows");
	if (cell->status == MQ_CELL_DONE && json_is_array(x)) {
		if (mq_rows_from_json(x, 0, &cell->rows) || !mq_buf_ok(&cell->rows))
			return bad(run, "a cell with malformed rows");
		cell->held = 1;
	}
	return 0;
}

/* A grid in the compact form (manifest.h): the listed cells by index. */
static int load_compact(mq_run *run, const json_t *g, const json_t *axes, const json_t *cells)
{
	const json_t *n = json_object_get(g, "ncells");
	const char *hash = mq_jv_str(g, "cells_fnv1a64");
	size_t na = json_array_size(axes);
	const char **an = calloc(na + 1, sizeof *an);
	int ok = an && json_is_integer(n) && json_integer_value(n) >= 0 && hash;
	for (size_t a = 0; ok && a < na; a++)
		ok = (an[a] = json_string_value(json_array_get(axes, a))) != NULL;
	size_t idx = 0;
	if (ok)
		ok = !mq_manifest_add_compact(&run->man, an, na, (size_t)json_integer_value(n),
		                              strtoull(hash, NULL, 16), &idx);
	free(an);
	if (!ok)
		return bad(run, "a compact grid without ncells or cells_fnv1a64");
	mq_grid *gr = &run->man.grids[idx];
	for (size_t c = 0; c < json_array_size(cells); c++) {
		const json_t *cl = json_array_get(cells, c), *i = json_object_get(cl, "index");
		const char *key = mq_jv_str(cl, "cell"), *seed = mq_jv_str(cl, "seed");
		if (!json_is_integer(i) || json_integer_value(i) < 0
		    || (size_t)json_integer_value(i) >= gr->ncells || !key || !seed)
			return bad(run, "a grid with malformed cells");
		size_t k = (size_t)json_integer_value(i);
		if (mq_manifest_set_cell(gr, k, key, strtoull(seed, NULL, 10))
		    || load_cell(run, &gr->cells[k], cl))
			return -1;
	}
	return 0;
}

static int load_grids(mq_run *run, const json_t *top)
{
	const json_t *gs = json_object_get(top, "grids");
	if (!json_is_array(gs))
		return bad(run, "no grids");
	for (size_t i = 0; i < json_array_size(gs); i++) {
		const json_t *g = json_array_get(gs, i);
		const json_t *axes = json_object_get(g, "axes"), *cells = json_object_get(g, "cells");
		if (!json_is_array(axes) || !json_is_array(cells))
			return bad(run, "a grid without axes or cells");
		if (json_object_get(g, "ncells")) {
			if (load_compact(run, g, axes, cells))
				return -1;
			continue;
		}
		size_t idx;
		if (add_grid(run, axes, cells, &idx))
			return -1;
		for (size_t c = 0; c < json_array_size(cells); c++)
			if (load_cell(run, &run->man.grids[idx].cells[c], json_array_get(cells, c)))
				return -1;
	}
	return 0;
}

/* One entry of "files": NAME.csv, its committed bytes and rows. */
static int load_file(mq_run *run, const json_t *f, mq_prior_file *pf)
{
	const char *name = mq_jv_str(f, "name");
	if (!name)
		return bad(run, "a file without a name");
	size_t len = strlen(name);
	char base[80];
	if (len < 5 || len - 4 >= sizeof base || strcmp(name + len - 4, ".csv"))
		return bad(run, "a file name that is not NAME.csv");
	memcpy(base, name, len - 4);
	base[len - 4] = 0;
	if (!mq_results_name_ok(base))
		return bad(run, "a bad file name");
	json_t *bytes = json_object_get(f, "bytes"), *rows = json_object_get(f, "rows");
	if (!json_is_integer(bytes) || !json_is_integer(rows))
		return bad(run, "a file without bytes or rows");
	pf->bytes = (size_t)json_integer_value(bytes);
	pf->rows = (size_t)json_integer_value(rows);
	if (!(pf->name = mq_strdup(base)))
		return bad(run, "out of memory");
	return 0;
}

static int load_files(mq_run *run, const json_t *top)
{
	const json_t *fs = json_object_get(top, "files");
	if (!json_is_array(fs))
		return bad(run, "no files");
	size_t n = json_array_size(fs);
	run->prior.files = calloc(n + 1, sizeof *run->prior.files);
	if (!run->prior.files)
		return bad(run, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (load_file(run, json_array_get(fs, i), &run->prior.files[run->prior.nfiles]))
			return -1;
		run->prior.nfiles++;
	}
	return 0;
}

/* Remove the CSV files an earlier manifest lists (fresh run). */
static void remove_files(mq_run *run, const json_t *top)
{
	if (load_files(run, top) == 0) /* a damaged manifest: leave its files alone */
		for (size_t i = 0; i < run->prior.nfiles; i++) {
			char path[4200];
			snprintf(path, sizeof path, "%s/%s.csv", run->outdir, run->prior.files[i].name);
			remove(path);
		}
	for (size_t i = 0; i < run->prior.nfiles; i++)
		free(run->prior.files[i].name);
	free(run->prior.files);
	run->prior.files = NULL;
	run->prior.nfiles = 0;
	run->err[0] = 0;
}

static int load_seed(mq_run *run, const json_t *top, int seed_given)
{
	const char *seed = mq_jv_str(top, "seed");
	if (!seed)
		return bad(run, "no seed");
	run->prior.seed = strtoull(seed, NULL, 10);
	if (seed_given && run->prior.seed != run->seed) {
		snprintf(run->err, sizeof run->err,
		         "cannot resume: the manifest's seed is %" PRIu64 ", not %" PRIu64
		         " (leave --seed out to take the manifest's)", run->prior.seed, run->seed);
		return -1;
	}
	run->seed = run->prior.seed;
	return 0;
}

/* A shard's record resumes only as that shard, and only it does. */
static int load_shard(mq_run *run, const json_t *top)
{
	const json_t *sh = json_object_get(top, "shard");
	unsigned long k = (unsigned long)json_integer_value(json_object_get(sh, "index"));
	unsigned long n = (unsigned long)json_integer_value(json_object_get(sh, "count"));
	unsigned long want_k = run->mode == MQ_SHARD ? run->shard_k : 0;
	unsigned long want_n = run->mode == MQ_SHARD ? run->shard_n : 0;
	if (k != want_k || n != want_n) {
		if (n)
			snprintf(run->err, sizeof run->err, "cannot resume: %.300s/manifest.json is shard "
			         "%lu/%lu's (resume it with --shard %lu/%lu)", run->outdir, k, n, k, n);
		else
			snprintf(run->err, sizeof run->err, "cannot resume: %.300s/manifest.json is not "
			         "a shard's (resume it without --shard)", run->outdir);
		return -1;
	}
	const json_t *loose = json_object_get(top, "loose");
	if (n && json_is_array(loose)
	    && (mq_rows_from_json(loose, 1, &run->man.loose) || !mq_buf_ok(&run->man.loose)))
		return bad(run, "malformed loose rows");
	return 0;
}

/* params (as the text mq_run_set_params compares) and, without --set on
 * the command line, the earlier run's --set values. */
static int load_params(mq_run *run, const json_t *top)
{
	const json_t *p = json_object_get(top, "params");
	if (p && !json_is_null(p)) {
		mq_buf b = MQ_BUF_INIT;
		mq_jv_compact(&b, p);
		if (!mq_buf_ok(&b))
			return bad(run, "out of memory");
		run->prior.params_json = b.p;
	}
	const json_t *set = json_object_get(top, "set");
	const char *key;
	json_t *v;
	if (run->set.n)
		return 0;
	json_object_foreach((json_t *)set, key, v) {
		if (!json_is_string(v))
			continue;
		mq_buf kv = MQ_BUF_INIT;
		mq_buf_printf(&kv, "%s=%s", key, json_string_value(v));
		char err[128];
		int rc = mq_buf_ok(&kv) ? mq_set_add(&run->set, kv.p, err, sizeof err) : -1;
		mq_buf_free(&kv);
		if (rc)
			return bad(run, "a --set value that cannot be read");
	}
	return 0;
}

/* The start time and the resume times: the earlier ones, then now. */
static void load_times(mq_run *run, const json_t *top)
{
	const char *start = mq_jv_str(top, "start");
	if (start)
		snprintf(run->man.start, sizeof run->man.start, "%.31s", start);
	char now[32];
	mq_utc_now(now);
	mq_buf b = MQ_BUF_INIT;
	mq_buf_char(&b, '[');
	const json_t *resumed = json_object_get(top, "resumed");
	for (size_t i = 0; i < json_array_size(resumed); i++) {
		const json_t *t = json_array_get(resumed, i);
		if (!json_is_string(t))
			break;
		mq_json_string(&b, json_string_value(t), json_string_length(t));
		mq_buf_str(&b, ", ");
	}
	mq_json_string(&b, now, strlen(now));
	mq_buf_char(&b, ']');
	free(run->man.resumed);
	run->man.resumed = b.p;
}

/* Whether the record holds any work (a record of none binds nothing). */
static int committed(const mq_run *run)
{
	int any = run->man.loose_rows > 0 || run->prior.nfiles > 0;
	for (size_t g = 0; g < run->man.ngrids; g++)
		for (size_t c = 0; c < run->man.grids[g].ncells; c++)
			any |= run->man.grids[g].cells[c].status == MQ_CELL_DONE;
	return any;
}

static int load(mq_run *run, const json_t *top, int seed_given)
{
	if (load_seed(run, top, seed_given) || load_shard(run, top) || load_params(run, top))
		return -1;
	load_times(run, top);
	json_t *loose = json_object_get(top, "loose_rows");
	if (json_is_integer(loose))
		run->man.loose_rows = (size_t)json_integer_value(loose);
	if (load_files(run, top) || load_grids(run, top))
		return -1;
	run->prior.committed = committed(run);
	run->prior.present = 1;
	/* Open every file of the record now, not when the script first names
	 * it: a manifest written before then must still list it. */
	for (size_t i = 0; i < run->prior.nfiles; i++)
		if (!mq_run_results(run, run->prior.files[i].name))
			return -1;
	return 0;
}

int mq_run_load_prior(mq_run *run, int seed_given)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/manifest.json", run->outdir);
	size_t len;
	char *text = mq_read_all(path, &len);
	if (!text) {
		if (errno == ENOENT || !run->resume)
			return 0; /* nothing to resume: a fresh run */
		snprintf(run->err, sizeof run->err, "%.300s: %s", path, strerror(errno));
		return -1;
	}
	char jerr[200];
	json_t *top = mq_jv_load(text, len, jerr, sizeof jerr);
	free(text);
	int rc = 0;
	if (!json_is_object(top))
		rc = run->resume ? bad(run, top ? "not an object" : jerr) : 0;
	else if (!run->resume)
		remove_files(run, top);
	else
		rc = load(run, top, seed_given);
	json_decref(top);
	return rc;
}

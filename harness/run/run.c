/* run.c: the run's commit points, results files and resume (see run.h). */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lauxlib.h>

#include "dist.h"
#include "json.h"
#include "rng.h"
#include "rows.h"

static const char run_key = 0; /* its address is the registry key */

void mq_run_set(lua_State *L, mq_run *run)
{
	lua_pushlightuserdata(L, run);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &run_key);
}

mq_run *mq_run_get(lua_State *L)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &run_key);
	mq_run *run = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (!run)
		luaL_error(L, "metriq: no run (the module works only inside 'metriq run')");
	return run;
}

uint64_t mq_run_next_seed(mq_run *run)
{
	return mq_seed_derive(run->seed_base, ++run->seed_count);
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
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
		const mq_grid *r = &run->man.grids[g];
		int same = r->naxes == naxes && r->ncells == ncells;
		for (size_t a = 0; same && a < naxes; a++)
			same = !strcmp(r->axes[a], axes[a]);
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

int mq_run_row(mq_run *run, mq_results *r, size_t n, const char *const *names,
               const char *const *texts, const size_t *lens)
{
	if (run->cell >= 0) {
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
				mq_buf_str(b, cl->key);
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

int mq_run_check_params(mq_run *run, const char *params_json)
{
	if (!run->prior.present)
		return 0;
	const char *now = params_json ? params_json : "null";
	const char *then = run->prior.params_json ? run->prior.params_json : "null";
	/* a record of no work (killed before its first cell) binds nothing */
	if (strcmp(now, then) && run->prior.committed) {
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

/* ---- reading an earlier manifest ---- */

static int bad(mq_run *run, const char *what)
{
	snprintf(run->err, sizeof run->err, "%s/manifest.json: %s (not a complete metriq manifest;"
	         " run without --resume to start afresh)", run->outdir, what);
	return -1;
}

/* t[k] as a string / number / table at the top of the stack, or -1. */
static int field(lua_State *L, int t, const char *k, int type)
{
	lua_getfield(L, t, k);
	if (lua_type(L, -1) != type) {
		lua_pop(L, 1);
		return -1;
	}
	return lua_gettop(L);
}

static void free_strs(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A copy of t[i] if it is a string, else NULL. */
static char *str_at(lua_State *L, int t, lua_Integer i)
{
	char *s = lua_rawgeti(L, t, i) == LUA_TSTRING ? dupstr(lua_tostring(L, -1)) : NULL;
	lua_pop(L, 1);
	return s;
}

static int load_grid(mq_run *run, lua_State *L, int g)
{
	int axes = field(L, g, "axes", LUA_TTABLE);
	int cells = field(L, g, "cells", LUA_TTABLE);
	if (axes < 0 || cells < 0)
		return bad(run, "a grid without axes or cells");
	size_t na = (size_t)lua_rawlen(L, axes), nc = (size_t)lua_rawlen(L, cells);
	char **an = calloc(na + 1, sizeof *an), **keys = calloc(nc + 1, sizeof *keys);
	uint64_t *seeds = calloc(nc + 1, sizeof *seeds);
	int ok = an && keys && seeds;
	size_t a = 0, c = 0;
	for (; ok && a < na; a++)
		ok = (an[a] = str_at(L, axes, (lua_Integer)a + 1)) != NULL;
	for (; ok && c < nc; c++) {
		lua_rawgeti(L, cells, (lua_Integer)c + 1);
		int cl = lua_gettop(L);
		ok = lua_istable(L, cl) && field(L, cl, "cell", LUA_TSTRING) > 0;
		if (ok) {
			ok = (keys[c] = dupstr(lua_tostring(L, -1))) != NULL;
			lua_pop(L, 1);
		}
		if (ok && (ok = field(L, cl, "seed", LUA_TSTRING) > 0)) {
			seeds[c] = strtoull(lua_tostring(L, -1), NULL, 10);
			lua_pop(L, 1);
		}
		lua_settop(L, cl - 1);
	}
	size_t idx = 0;
	if (ok)
		ok = !mq_manifest_add_grid(&run->man, (const char *const *)an, na,
		                           (const char *const *)keys, seeds, nc, &idx);
	free_strs(an, a);
	free_strs(keys, c);
	free(seeds);
	if (!ok)
		return bad(run, "a grid with malformed cells");
	/* statuses: only "done" carries over; a cell that was running or
	 * failed is run again */
	mq_grid *mg = &run->man.grids[idx];
	for (c = 0; c < nc; c++) {
		lua_rawgeti(L, cells, (lua_Integer)c + 1);
		int cl = lua_gettop(L);
		if (field(L, cl, "status", LUA_TSTRING) > 0) {
			if (!strcmp(lua_tostring(L, -1), "done"))
				mg->cells[c].status = MQ_CELL_DONE;
			lua_pop(L, 1);
		}
		if (field(L, cl, "seconds", LUA_TNUMBER) > 0) {
			mg->cells[c].seconds = (double)lua_tonumber(L, -1);
			lua_pop(L, 1);
		}
		if (field(L, cl, "rank", LUA_TNUMBER) > 0 || field(L, cl, "shard", LUA_TNUMBER) > 0) {
			mg->cells[c].rank = (long)lua_tointeger(L, -1);
			lua_pop(L, 1);
		}
		/* a done cell whose rows were not yet in the CSV files keeps them */
		if (mg->cells[c].status == MQ_CELL_DONE && field(L, cl, "rows", LUA_TTABLE) > 0) {
			if (mq_rows_from_lua(L, -1, 0, &mg->cells[c].rows) || !mq_buf_ok(&mg->cells[c].rows))
				return bad(run, "a cell with malformed rows");
			mg->cells[c].held = 1;
		}
		lua_settop(L, cl - 1);
	}
	return 0;
}

static int load_grids(mq_run *run, lua_State *L, int top)
{
	int gs = field(L, top, "grids", LUA_TTABLE);
	if (gs < 0)
		return bad(run, "no grids");
	for (lua_Integer i = 1; lua_rawgeti(L, gs, i) == LUA_TTABLE; i++) {
		int rc = load_grid(run, L, lua_gettop(L));
		lua_settop(L, gs);
		if (rc)
			return rc;
	}
	lua_settop(L, gs - 1);
	return 0;
}

static int load_files(mq_run *run, lua_State *L, int top)
{
	int fs = field(L, top, "files", LUA_TTABLE);
	if (fs < 0)
		return bad(run, "no files");
	size_t n = (size_t)lua_rawlen(L, fs);
	run->prior.files = calloc(n + 1, sizeof *run->prior.files);
	if (!run->prior.files)
		return bad(run, "out of memory");
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, fs, (lua_Integer)i + 1);
		int f = lua_gettop(L);
		if (!lua_istable(L, f) || field(L, f, "name", LUA_TSTRING) < 0)
			return bad(run, "a file without a name");
		size_t len;
		const char *name = lua_tolstring(L, -1, &len);
		char base[80];
		if (len < 5 || len - 4 >= sizeof base || strcmp(name + len - 4, ".csv"))
			return bad(run, "a file name that is not NAME.csv");
		memcpy(base, name, len - 4);
		base[len - 4] = 0;
		if (!mq_results_name_ok(base))
			return bad(run, "a bad file name");
		if (field(L, f, "bytes", LUA_TNUMBER) < 0 || field(L, f, "rows", LUA_TNUMBER) < 0)
			return bad(run, "a file without bytes or rows");
		mq_prior_file *pf = &run->prior.files[run->prior.nfiles];
		pf->bytes = (size_t)lua_tointeger(L, -2);
		pf->rows = (size_t)lua_tointeger(L, -1);
		if (!(pf->name = dupstr(base)))
			return bad(run, "out of memory");
		run->prior.nfiles++;
		lua_settop(L, fs);
	}
	lua_settop(L, fs - 1);
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

/* Remove the CSV files an earlier manifest lists (fresh run). */
static void remove_files(mq_run *run, lua_State *L, int top)
{
	if (load_files(run, L, top))
		return; /* a damaged manifest: leave its files alone */
	for (size_t i = 0; i < run->prior.nfiles; i++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s.csv", run->outdir, run->prior.files[i].name);
		remove(path);
		free(run->prior.files[i].name);
	}
	free(run->prior.files);
	run->prior.files = NULL;
	run->prior.nfiles = 0;
}

int mq_run_load_prior(mq_run *run, lua_State *L, int seed_given)
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
	char jerr[128];
	int base = lua_gettop(L);
	int ok = mq_json_decode(L, text, len, jerr, sizeof jerr);
	free(text);
	if (!ok || !lua_istable(L, -1)) {
		lua_settop(L, base);
		if (!run->resume)
			return 0;
		return bad(run, ok ? "not an object" : jerr);
	}
	int top = lua_gettop(L);
	if (!run->resume) {
		remove_files(run, L, top);
		lua_settop(L, base);
		return 0;
	}
	int rc = -1;
	if (field(L, top, "seed", LUA_TSTRING) < 0) {
		bad(run, "no seed");
		goto out;
	}
	run->prior.seed = strtoull(lua_tostring(L, -1), NULL, 10);
	lua_pop(L, 1);
	if (seed_given && run->prior.seed != run->seed) {
		snprintf(run->err, sizeof run->err,
		         "cannot resume: the manifest's seed is %" PRIu64 ", not %" PRIu64
		         " (leave --seed out to take the manifest's)", run->prior.seed, run->seed);
		goto out;
	}
	run->seed = run->prior.seed;
	{
		/* a shard's record resumes only as that shard, and only it does */
		unsigned long k = 0, n = 0;
		if (field(L, top, "shard", LUA_TTABLE) > 0) {
			lua_getfield(L, -1, "index");
			lua_getfield(L, -2, "count");
			k = (unsigned long)lua_tointeger(L, -2);
			n = (unsigned long)lua_tointeger(L, -1);
			lua_pop(L, 3);
		}
		unsigned long want_k = run->mode == MQ_SHARD ? run->shard_k : 0;
		unsigned long want_n = run->mode == MQ_SHARD ? run->shard_n : 0;
		if (k != want_k || n != want_n) {
			if (n)
				snprintf(run->err, sizeof run->err, "cannot resume: %.300s/manifest.json is shard "
				         "%lu/%lu's (resume it with --shard %lu/%lu)", run->outdir, k, n, k, n);
			else
				snprintf(run->err, sizeof run->err, "cannot resume: %.300s/manifest.json is not "
				         "a shard's (resume it without --shard)", run->outdir);
			goto out;
		}
		if (n && field(L, top, "loose", LUA_TTABLE) > 0) {
			if (mq_rows_from_lua(L, -1, 1, &run->man.loose) || !mq_buf_ok(&run->man.loose)) {
				bad(run, "malformed loose rows");
				goto out;
			}
			lua_pop(L, 1);
		}
	}
	lua_getfield(L, top, "params");
	if (!lua_isnil(L, -1)) {
		mq_buf b = MQ_BUF_INIT;
		if (mq_json_lua(&b, L, -1, -1) || !mq_buf_ok(&b)) {
			mq_buf_free(&b);
			bad(run, "unreadable params");
			goto out;
		}
		run->prior.params_json = b.p;
	}
	lua_pop(L, 1);
	/* --set: without any on the command line, the earlier run's */
	if (run->set.n == 0 && field(L, top, "set", LUA_TTABLE) > 0) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
				lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
				char err[128];
				if (mq_set_add(&run->set, lua_tostring(L, -1), err, sizeof err)) {
					snprintf(run->err, sizeof run->err, "%s", err);
					goto out;
				}
				lua_pop(L, 1);
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	if (field(L, top, "start", LUA_TSTRING) > 0) {
		snprintf(run->man.start, sizeof run->man.start, "%.31s", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	{
		/* the resume times: the earlier ones and now */
		char now[32];
		mq_utc_now(now);
		mq_buf b = MQ_BUF_INIT;
		mq_buf_char(&b, '[');
		if (field(L, top, "resumed", LUA_TTABLE) > 0) {
			for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
				size_t n;
				const char *s = lua_tolstring(L, -1, &n);
				mq_json_string(&b, s, n);
				mq_buf_str(&b, ", ");
				lua_pop(L, 1);
			}
			lua_pop(L, 2);
		}
		mq_json_string(&b, now, strlen(now));
		mq_buf_char(&b, ']');
		free(run->man.resumed);
		run->man.resumed = b.p;
	}
	if (field(L, top, "loose_rows", LUA_TNUMBER) > 0) {
		run->man.loose_rows = (size_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	if (load_files(run, L, top) || load_grids(run, L, top))
		goto out;
	run->prior.committed = run->man.loose_rows > 0 || run->prior.nfiles > 0;
	for (size_t g = 0; g < run->man.ngrids; g++)
		for (size_t c = 0; c < run->man.grids[g].ncells; c++)
			run->prior.committed |= run->man.grids[g].cells[c].status == MQ_CELL_DONE;
	run->prior.present = 1;
	/* Open every file of the record now, not when the script first names
	 * it: a manifest written before then must still list it. */
	for (size_t i = 0; i < run->prior.nfiles; i++)
		if (!mq_run_results(run, run->prior.files[i].name))
			goto out;
	rc = 0;
out:
	lua_settop(L, base);
	return rc;
}

int mq_mkdirs(const char *path)
{
	char *p = malloc(strlen(path) + 1);
	if (!p)
		return -1;
	strcpy(p, path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) && errno != EEXIST) {
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
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

/* cmd_merge.c: `metriq merge OUT DIR...`, the shards of a run made whole.
 *
 * Each DIR is the folder of one `metriq run SCRIPT --shard K/N` (its
 * manifest.json holds its cells' rows as records and the rows written
 * outside cells; run.h).  merge checks that the folders are the N shards
 * of one run: the same script (name and FNV-1a hash of its bytes), params,
 * seed, N and grids; every K from 0 to N-1 once; every shard done.  Then
 * it commits every row in the order one process would have (rows outside
 * cells at their place among the grids, each grid's cells in the grid's
 * order) through the same code a run commits with, so the CSV files are
 * byte for byte those of `metriq run SCRIPT` with the same params and seed.
 * The manifest is the one that run would have written, with each cell's
 * shard and seconds, and "merged": the shard folders it came from.
 *
 * Nothing is written unless everything checks: a refusal names the
 * folders at fault and leaves OUT as it was. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jv.h"
#include "opt.h"
#include "rows.h"
#include "run.h"
#include "lock.h"

typedef struct shard {
	const char *dir;
	json_t *m;              /* its manifest */
	unsigned long k, n;
	mq_buf loose;           /* its rows outside cells (records) */
	char *params;           /* JSON text */
} shard;

static char err[1024];

static int fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, sizeof err, fmt, ap);
	va_end(ap);
	return -1;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The cells of grid g of a manifest (NULL if there is none). */
static const json_t *grid_cells(const json_t *m, size_t g)
{
	return json_object_get(json_array_get(json_object_get(m, "grids"), g), "cells");
}

/* Read and check one folder's manifest. */
static int load(shard *s)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/manifest.json", s->dir);
	size_t len;
	char *text = mq_read_all(path, &len);
	if (!text)
		return fail("%s: %s (not a shard folder)", path, strerror(errno));
	char jerr[200];
	s->m = mq_jv_load(text, len, jerr, sizeof jerr);
	free(text);
	if (!s->m)
		return fail("%s: %s", path, jerr);
	const json_t *sh = json_object_get(s->m, "shard");
	if (!json_is_object(sh))
		return fail("%s is not a shard folder (its manifest has no \"shard\"; "
		            "`metriq run SCRIPT --shard K/N` makes them)", s->dir);
	const json_t *jk = json_object_get(sh, "index"), *jn = json_object_get(sh, "count");
	json_int_t k = json_integer_value(jk), n = json_integer_value(jn);
	if (!json_is_integer(jk) || !json_is_integer(jn) || n < 1 || k < 0 || k >= n)
		return fail("%s: a malformed \"shard\" in its manifest", s->dir);
	s->k = (unsigned long)k;
	s->n = (unsigned long)n;
	const char *status = mq_jv_str(s->m, "status"), *script = mq_jv_str(s->m, "script");
	if (!same(status, "done"))
		return fail("%s (shard %lu/%lu) is not finished (status '%s'): finish it with "
		            "`metriq run %s --shard %lu/%lu --resume`", s->dir, s->k, s->n,
		            status ? status : "?", script ? script : "SCRIPT", s->k, s->n);
	mq_buf b = MQ_BUF_INIT;
	mq_jv_compact(&b, json_object_get(s->m, "params")); /* null when absent */
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		return fail("%s: unreadable params", s->dir);
	}
	s->params = b.p;
	const json_t *loose = json_object_get(s->m, "loose");
	if (json_is_array(loose) && (mq_rows_from_json(loose, 1, &s->loose) || !mq_buf_ok(&s->loose)))
		return fail("%s: malformed rows outside cells in its manifest", s->dir);
	if (!json_is_array(json_object_get(s->m, "grids")))
		return fail("%s: no grids in its manifest", s->dir);
	return 0;
}

/* A grid's axes and its cells' keys and seeds, as one text. */
static void grid_text(mq_buf *o, const json_t *g)
{
	mq_jv_compact(o, json_object_get(g, "axes"));
	const json_t *cells = json_object_get(g, "cells");
	for (size_t c = 0; c < json_array_size(cells); c++) {
		const char *key = mq_jv_str(json_array_get(cells, c), "cell");
		const char *seed = mq_jv_str(json_array_get(cells, c), "seed");
		mq_buf_printf(o, "|%s|%s", key ? key : "", seed ? seed : "");
	}
}

/* The grids of shard b as shard a has them: axes, cell keys and seeds. */
static int same_grids(const shard *a, const shard *b, char *what, size_t len)
{
	const json_t *ga = json_object_get(a->m, "grids"), *gb = json_object_get(b->m, "grids");
	size_t n = json_array_size(ga);
	if (json_array_size(gb) != n) {
		snprintf(what, len, "%zu and %zu grids", n, json_array_size(gb));
		return 0;
	}
	for (size_t g = 0; g < n; g++) {
		mq_buf ta = MQ_BUF_INIT, tb = MQ_BUF_INIT;
		grid_text(&ta, json_array_get(ga, g));
		grid_text(&tb, json_array_get(gb, g));
		int ok = ta.p && tb.p && !strcmp(ta.p, tb.p);
		mq_buf_free(&ta);
		mq_buf_free(&tb);
		if (!ok) {
			snprintf(what, len, "grid %zu differs", g + 1);
			return 0;
		}
	}
	return 1;
}

/* Shards a and b: one run. */
static int check_pair(const shard *a, const shard *b)
{
	char what[200];
	const char *ha = mq_jv_str(a->m, "script_fnv1a64"), *hb = mq_jv_str(b->m, "script_fnv1a64");
	const char *sa = mq_jv_str(a->m, "seed"), *sb = mq_jv_str(b->m, "seed");
	if (!same(mq_jv_str(a->m, "name"), mq_jv_str(b->m, "name")) || (ha && hb && strcmp(ha, hb)))
		return fail("%s and %s are shards of different scripts (%s, hash %s; %s, hash %s)",
		            a->dir, b->dir, mq_jv_str(a->m, "script"), ha ? ha : "?",
		            mq_jv_str(b->m, "script"), hb ? hb : "?");
	if (strcmp(a->params, b->params))
		return fail("%s and %s are shards of different runs: params %.300s and %.300s",
		            a->dir, b->dir, a->params, b->params);
	if (!same(sa, sb))
		return fail("%s and %s are shards of different runs: seeds %s and %s", a->dir,
		            b->dir, sa, sb);
	if (a->n != b->n)
		return fail("%s and %s are shards of different splits: %lu/%lu and %lu/%lu", a->dir,
		            b->dir, a->k, a->n, b->k, b->n);
	if (!same_grids(a, b, what, sizeof what))
		return fail("%s and %s are shards of different runs: %s (does the script make "
		            "the same grids every time?)", a->dir, b->dir, what);
	if (a->loose.len != b->loose.len || (a->loose.len && memcmp(a->loose.p, b->loose.p,
	                                                             a->loose.len)))
		return fail("%s and %s wrote different rows outside grid cells (such rows must "
		            "not depend on which cells ran)", a->dir, b->dir);
	return 0;
}

/* All shards: one run, every K once. */
static int check_set(shard *s, size_t ns)
{
	for (size_t i = 1; i < ns; i++)
		if (check_pair(&s[0], &s[i]))
			return -1;
	unsigned long n = s[0].n;
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < i; j++)
			if (s[i].k == s[j].k)
				return fail("%s and %s are both shard %lu/%lu", s[j].dir, s[i].dir, s[i].k, n);
	if (ns < n) {
		mq_buf m = MQ_BUF_INIT;
		size_t missing = 0;
		for (unsigned long k = 0; k < n; k++) {
			size_t i = 0;
			while (i < ns && s[i].k != k)
				i++;
			if (i == ns && missing++ < 20)
				mq_buf_printf(&m, "%s%lu/%lu", missing > 1 ? ", " : "", k, n);
		}
		if (missing > 20)
			mq_buf_printf(&m, " and %zu more", missing - 20);
		fail("shard%s %s missing (%zu of %lu given)", missing > 1 ? "s" : "",
		     m.p ? m.p : "", ns, n);
		mq_buf_free(&m);
		return -1;
	}
	return 0;
}

/* Grid g of the first shard into the merged run's manifest. */
static int add_grid(const shard *s, size_t g, mq_run *run, size_t *idx)
{
	const json_t *gt = json_array_get(json_object_get(s->m, "grids"), g);
	const json_t *ja = json_object_get(gt, "axes"), *jc = json_object_get(gt, "cells");
	size_t na = json_array_size(ja), nc = json_array_size(jc);
	const char **axes = calloc(na + 1, sizeof *axes), **keys = calloc(nc + 1, sizeof *keys);
	uint64_t *seeds = calloc(nc + 1, sizeof *seeds);
	int ok = axes && keys && seeds;
	for (size_t a = 0; ok && a < na; a++)
		ok = (axes[a] = json_string_value(json_array_get(ja, a))) != NULL;
	for (size_t c = 0; ok && c < nc; c++) {
		const char *sd = mq_jv_str(json_array_get(jc, c), "seed");
		ok = (keys[c] = mq_jv_str(json_array_get(jc, c), "cell")) && sd;
		if (ok)
			seeds[c] = strtoull(sd, NULL, 10);
	}
	ok = ok && !mq_manifest_add_grid(&run->man, axes, na, keys, seeds, nc, idx);
	free(axes);
	free(keys);
	free(seeds);
	return ok ? 0 : fail("%s: a malformed grid %zu in its manifest", s->dir, g + 1);
}

/* Cell c of grid g from the shard that ran it, held. */
static int take_cell(const shard *o, size_t g, size_t c, mq_cell *cell)
{
	const json_t *cl = json_array_get(grid_cells(o->m, g), c);
	const json_t *rows = json_object_get(cl, "rows");
	if (!same(mq_jv_str(cl, "status"), "done") || !json_is_array(rows))
		return fail("%s (shard %lu/%lu) has not got cell %s done (a damaged manifest?)", o->dir,
		            o->k, o->n, cell->key);
	if (mq_rows_from_json(rows, 0, &cell->rows) || !mq_buf_ok(&cell->rows))
		return fail("%s: malformed rows of cell %s", o->dir, cell->key);
	cell->status = MQ_CELL_DONE;
	cell->held = 1;
	cell->seconds = json_number_value(json_object_get(cl, "seconds"));
	cell->rank = (long)o->k;
	return 0;
}

/* Commit the rows outside cells, each at its place among the grids, and
 * every grid's cells in the grid's order. */
static int commit_all(const shard *s, mq_run *run)
{
	size_t off = 0;
	mq_row row;
	int got = mq_rows_next(s->loose.p, s->loose.len, &off, &row);
	for (size_t g = 0; g <= run->man.ngrids; g++) {
		while (got > 0 && row.tag <= g) {
			mq_buf one = MQ_BUF_INIT;
			mq_rows_copy(&one, &row, 0);
			int bad = !mq_buf_ok(&one) ? (snprintf(run->err, sizeof run->err, "out of memory"), 1)
			                           : mq_run_commit_rows(run, one.p, one.len, NULL);
			mq_buf_free(&one);
			if (bad)
				return fail("%s", run->err);
			run->man.loose_rows++;
			got = mq_rows_next(s->loose.p, s->loose.len, &off, &row);
		}
		if (g == run->man.ngrids)
			break;
		run->grid = (long)g;
		run->commit_next = 0;
		if (mq_run_drain(run))
			return fail("%s", run->err);
		run->grid = -1;
	}
	if (got < 0 || (got > 0 && row.tag > run->man.ngrids))
		return fail("%s: malformed rows outside cells in its manifest", s->dir);
	return 0;
}

/* The merged run in memory: grids from the shards, each cell's rows from
 * the shard that ran it, held; rows committed in one process's order. */
static int build(shard *s, size_t ns, mq_run *run)
{
	unsigned long n = s[0].n;
	const shard **by_k = calloc(n, sizeof *by_k);
	if (!by_k)
		return fail("out of memory");
	for (size_t i = 0; i < ns; i++)
		by_k[s[i].k] = &s[i];
	int rc = 0;
	size_t before = 0, ng = json_array_size(json_object_get(s[0].m, "grids"));
	for (size_t g = 0; !rc && g < ng; g++) {
		size_t idx;
		rc = add_grid(&s[0], g, run, &idx);
		/* each cell from its owner: index over the grids mod N */
		mq_grid *mg = rc ? NULL : &run->man.grids[idx];
		for (size_t c = 0; !rc && c < mg->ncells; c++)
			rc = take_cell(by_k[(before + c) % n], g, c, &mg->cells[c]);
		before += rc ? 0 : mg->ncells;
	}
	free(by_k);
	return rc ? rc : commit_all(&s[0], run);
}

static void str_or_null(mq_buf *b, const char *v)
{
	if (v)
		mq_json_string(b, v, strlen(v));
	else
		mq_buf_str(b, "null");
}

/* "merged": where each shard ran, for the record. */
static char *merged_json(shard *s, size_t ns)
{
	mq_buf b = MQ_BUF_INIT;
	mq_buf_str(&b, "  \"merged\": [");
	for (unsigned long k = 0; k < s[0].n; k++)
		for (size_t i = 0; i < ns; i++) {
			if (s[i].k != k)
				continue;
			mq_buf_str(&b, k ? ",\n    {\"dir\": " : "\n    {\"dir\": ");
			mq_json_string(&b, s[i].dir, strlen(s[i].dir));
			mq_buf_printf(&b, ", \"shard\": \"%lu/%lu\"", s[i].k, s[i].n);
			static const char *const keys[] = {"command", "start", "end", NULL};
			for (int j = 0; keys[j]; j++) {
				mq_buf_printf(&b, ", \"%s\": ", keys[j]);
				str_or_null(&b, mq_jv_str(s[i].m, keys[j]));
			}
			mq_buf_str(&b, ", \"host\": ");
			str_or_null(&b, mq_jv_str(json_object_get(s[i].m, "machine"), "host"));
			mq_buf_char(&b, '}');
		}
	mq_buf_str(&b, "\n  ],\n");
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* Where and on what the first shard ran: git, machine. */
static void describe_host(const json_t *t, mq_manifest *m)
{
	const json_t *git = json_object_get(t, "git"), *mach = json_object_get(t, "machine");
	const char *rev = mq_jv_str(git, "revision");
	snprintf(m->git_rev, sizeof m->git_rev, "%.63s", rev ? rev : "unknown");
	const json_t *dirty = json_object_get(git, "dirty");
	m->git_dirty = json_is_boolean(dirty) ? json_is_true(dirty) : -1;
	if (json_is_object(mach)) {
		const char *cpu = mq_jv_str(mach, "cpu"), *host = mq_jv_str(mach, "host");
		snprintf(m->cpu, sizeof m->cpu, "%s", cpu ? cpu : "unknown");
		snprintf(m->host, sizeof m->host, "%s", host ? host : "");
		m->cores = (long)json_integer_value(json_object_get(mach, "cores"));
	}
}

/* The record of the one run the shards make. */
static int describe(shard *s, size_t ns, mq_run *run, int argc, char **argv)
{
	mq_manifest *m = &run->man;
	const json_t *t = s[0].m;
	m->script = mq_strdup(mq_jv_str(t, "script"));
	m->name = mq_strdup(mq_jv_str(t, "name"));
	const char *hash = mq_jv_str(t, "script_fnv1a64");
	snprintf(m->script_hash, sizeof m->script_hash, "%s", hash ? hash : "");
	mq_buf cmd = MQ_BUF_INIT;
	mq_buf_str(&cmd, "metriq");
	for (int i = 0; i < argc; i++) {
		mq_buf_char(&cmd, ' ');
		mq_buf_str(&cmd, argv[i]);
	}
	m->command = mq_buf_ok(&cmd) ? cmd.p : NULL;
	m->params_json = strcmp(s[0].params, "null") ? mq_strdup(s[0].params) : NULL;
	const json_t *set = json_object_get(t, "set");
	if (json_object_size(set)) {
		mq_buf b = MQ_BUF_INIT;
		mq_jv_compact(&b, set);
		m->set_json = b.p; /* NULL (written {}) if out of memory */
	}
	const char *seed = mq_jv_str(t, "seed");
	m->seed = seed ? strtoull(seed, NULL, 10) : 0;
	run->seed = m->seed;
	m->threads = (int)json_integer_value(json_object_get(t, "threads"));
	describe_host(t, m);
	/* the run's span: the first shard's start to the last one's end */
	for (size_t i = 0; i < ns; i++) {
		const char *st = mq_jv_str(s[i].m, "start"), *en = mq_jv_str(s[i].m, "end");
		if (st && (!m->start[0] || strcmp(st, m->start) < 0))
			snprintf(m->start, sizeof m->start, "%.31s", st);
		if (en && strcmp(en, m->end) > 0)
			snprintf(m->end, sizeof m->end, "%.31s", en);
	}
	m->status = "done";
	m->cell_by = "shard";
	/* the binding that ran the shards, as they record it (s[0].m outlives
	 * the manifest's last write) */
	m->binding = "lua";
	m->binding_version = mq_jv_str(json_object_get(t, "libraries"), "lua");
	m->extra = merged_json(s, ns);
	if (!m->script || !m->name || !m->command || !m->extra)
		return fail("out of memory");
	return 0;
}

static const char about[] =
    "Combines the shard folders of one run (metriq run SCRIPT --shard K/N, for\n"
    "K = 0..N-1) into OUT: the CSV files and manifest.json that one\n"
    "`metriq run SCRIPT` with the same params and seed writes, byte for byte\n"
    "in the CSV files.  Shards of different scripts, params or seeds, a shard\n"
    "given twice, a missing or an unfinished shard are refused, and nothing is\n"
    "written.  See docs/cluster.md.\n";

/* The command line: OUT into *out, the folders into dirs (argc slots);
 * their count, or -1 for --help (done), or -2 after a usage error
 * (reported).  argv is left as given, for the manifest. */
static long merge_args(int argc, char **argv, const char **out, const char **dirs, int *quiet)
{
	const mq_opt table[] = {
	    {"quiet", 'q', MQ_OPT_FLAG, quiet, NULL, "no summary on stderr", 0, 0},
	    MQ_OPT_END,
	};
	const mq_optcmd cmd = {"merge", "OUT DIR... [OPTIONS]", about, table, 0};
	memcpy(dirs, argv, (size_t)argc * sizeof *dirs);
	int n = mq_opt_parse(&cmd, argc, (char **)dirs, NULL);
	if (n < 0)
		return n == MQ_OPT_HELP ? -1 : -2;
	if (n < 2) {
		mq_opt_help(&cmd, stderr);
		return -2;
	}
	*out = dirs[1];
	memmove(dirs, dirs + 2, (size_t)(n - 1) * sizeof *dirs);
	return n - 1;
}

/* Read and check every shard's manifest: 0, or -1 with err. */
static int load_all(shard *s, const char *const *dirs, size_t nd)
{
	for (size_t i = 0; i < nd; i++) {
		s[i].dir = dirs[i];
		if (load(&s[i]))
			return -1;
	}
	return check_set(s, nd);
}

/* Everything checks: now OUT (a fresh run's rules: files an earlier
 * manifest there lists are removed first).  0, or -1 (reported). */
static int write_out(mq_run *run, const shard *s, size_t nd, const char *out, int *lock)
{
	snprintf(run->name, sizeof run->name, "%s", run->man.name);
	for (size_t i = 0; i < nd; i++) {
		char a[4200], b[4200];
		if (realpath(out, a) && realpath(s[i].dir, b) && !strcmp(a, b)) {
			mq_cli_error("merge", "OUT is the shard folder %s: give another", s[i].dir);
			return -1;
		}
	}
	if (mq_mkdirs(out)) {
		mq_cli_error("merge", "cannot create '%s': %s", out, strerror(errno));
		return -1;
	}
	/* OUT is this merge's alone until it ends (lock.h) */
	if ((*lock = mq_lock_dir(out, run->err, sizeof run->err)) < 0) {
		mq_cli_error("merge", "%s", run->err);
		return -1;
	}
	if (mq_run_load_prior(run, 0) || (run->writable = 1, mq_run_flush(run, 1))) {
		mq_cli_error("merge", "%s", run->err);
		return -1;
	}
	return 0;
}

int mq_cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
	int quiet = 0;
	if (!dirs)
		return mq_cli_error("merge", "out of memory");
	long nd = merge_args(argc, argv, &out, dirs, &quiet);
	if (nd < 0) {
		free(dirs);
		return nd == -1 ? 0 : 2;
	}
	if (!*out) {
		free(dirs);
		return mq_cli_error("merge", "OUT is empty: give a folder");
	}
	shard *s = calloc((size_t)nd, sizeof *s);
	mq_run run;
	memset(&run, 0, sizeof run);
	run.grid = run.cell = -1;
	run.mode = MQ_ONE;
	int rc = 1, lock = -1;
	if (!s)
		mq_cli_error("merge", "out of memory");
	else if (load_all(s, dirs, (size_t)nd))
		mq_cli_error("merge", "%s", err);
	else if (!(run.outdir = mq_strdup(out)) || describe(s, (size_t)nd, &run, argc, argv)
	         || build(s, (size_t)nd, &run))
		mq_cli_error("merge", "%s", run.outdir ? err : "out of memory");
	else if (write_out(&run, s, (size_t)nd, out, &lock) == 0)
		rc = 0;
	if (rc == 0 && !quiet)
		for (size_t i = 0; i < run.nres; i++)
			fprintf(stderr, "metriq merge: %ld shards -> %s/%s.csv: %zu rows\n", nd, out,
			        run.res[i]->name, run.res[i]->rows);
	for (size_t i = 0; s && i < (size_t)nd; i++) {
		mq_buf_free(&s[i].loose);
		free(s[i].params);
		json_decref(s[i].m);
	}
	free(s);
	free(dirs);
	mq_run_free(&run);
	mq_unlock_dir(lock);
	return rc;
}

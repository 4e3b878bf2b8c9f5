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
#include <lauxlib.h>
#include <lualib.h>

#include "cli.h"
#include "json.h"
#include "rows.h"
#include "run.h"

static const char usage[] =
    "usage: metriq merge OUT DIR... [--quiet]\n\n"
    "Combines the shard folders of one run (metriq run SCRIPT --shard K/N, for\n"
    "K = 0..N-1) into OUT: the CSV files and manifest.json that one\n"
    "`metriq run SCRIPT` with the same params and seed writes, byte for byte\n"
    "in the CSV files.  Shards of different scripts, params or seeds, a shard\n"
    "given twice, a missing or an unfinished shard are refused, and nothing is\n"
    "written.  See docs/cluster.md.\n";

typedef struct shard {
	const char *dir;
	int t;                  /* stack index of its decoded manifest */
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

static const char *str(lua_State *L, int t, const char *k)
{
	lua_getfield(L, t, k);
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_pop(L, 1); /* the manifest table keeps the string alive */
	return s;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Read and check one folder's manifest, left at the top of the stack. */
static int load(lua_State *L, shard *s)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/manifest.json", s->dir);
	size_t len;
	char *text = mq_read_all(path, &len);
	if (!text)
		return fail("%s: %s (not a shard folder)", path, strerror(errno));
	char jerr[128];
	int ok = mq_json_decode(L, text, len, jerr, sizeof jerr);
	free(text);
	if (!ok)
		return fail("%s: %s", path, jerr);
	s->t = lua_gettop(L);
	if (!lua_istable(L, s->t) || lua_getfield(L, s->t, "shard") != LUA_TTABLE) {
		return fail("%s is not a shard folder (its manifest has no \"shard\"; "
		            "`metriq run SCRIPT --shard K/N` makes them)", s->dir);
	}
	lua_getfield(L, -1, "index");
	lua_getfield(L, -2, "count");
	int ik, in;
	lua_Integer k = lua_tointegerx(L, -2, &ik), n = lua_tointegerx(L, -1, &in);
	lua_pop(L, 3);
	if (!ik || !in || n < 1 || k < 0 || k >= n)
		return fail("%s: a malformed \"shard\" in its manifest", s->dir);
	s->k = (unsigned long)k;
	s->n = (unsigned long)n;
	const char *status = str(L, s->t, "status");
	if (!same(status, "done"))
		return fail("%s (shard %lu/%lu) is not finished (status '%s'): finish it with "
		            "`metriq run %s --shard %lu/%lu --resume`", s->dir, s->k, s->n,
		            status ? status : "?", str(L, s->t, "script") ? str(L, s->t, "script")
		                                                          : "SCRIPT", s->k, s->n);
	lua_getfield(L, s->t, "params");
	mq_buf b = MQ_BUF_INIT;
	if (mq_json_lua(&b, L, -1, -1) || !mq_buf_ok(&b)) {
		mq_buf_free(&b);
		lua_pop(L, 1);
		return fail("%s: unreadable params", s->dir);
	}
	lua_pop(L, 1);
	s->params = b.p;
	if (lua_getfield(L, s->t, "loose") == LUA_TTABLE
	    && (mq_rows_from_lua(L, -1, 1, &s->loose) || !mq_buf_ok(&s->loose))) {
		lua_pop(L, 1);
		return fail("%s: malformed rows outside cells in its manifest", s->dir);
	}
	lua_pop(L, 1);
	if (lua_getfield(L, s->t, "grids") != LUA_TTABLE) {
		lua_pop(L, 1);
		return fail("%s: no grids in its manifest", s->dir);
	}
	lua_pop(L, 1);
	return 0;
}

/* The grids of shard b as shard a has them: axes, cell keys and seeds. */
static int same_grids(lua_State *L, const shard *a, const shard *b, char *what, size_t len)
{
	lua_getfield(L, a->t, "grids");
	lua_getfield(L, b->t, "grids");
	int ga = lua_gettop(L) - 1, gb = ga + 1, rc = 1;
	lua_Integer n = (lua_Integer)lua_rawlen(L, ga);
	if ((lua_Integer)lua_rawlen(L, gb) != n) {
		snprintf(what, len, "%lld and %lld grids", (long long)n, (long long)lua_rawlen(L, gb));
		rc = 0;
	}
	for (lua_Integer g = 1; rc && g <= n; g++) {
		lua_rawgeti(L, ga, g);
		lua_rawgeti(L, gb, g);
		int x = lua_gettop(L) - 1;
		mq_buf ta = MQ_BUF_INIT, tb = MQ_BUF_INIT;
		/* axes and cells' keys and seeds, compared as JSON texts */
		for (int side = 0; side < 2; side++) {
			int t = x + side;
			mq_buf *o = side ? &tb : &ta;
			if (!lua_istable(L, t))
				break;
			lua_getfield(L, t, "axes");
			mq_json_lua(o, L, -1, -1);
			lua_pop(L, 1);
			lua_getfield(L, t, "cells");
			if (lua_istable(L, -1))
				for (lua_Integer c = 1; lua_rawgeti(L, -1, c) == LUA_TTABLE; c++) {
					const char *key = str(L, lua_gettop(L), "cell");
					const char *seed = str(L, lua_gettop(L), "seed");
					mq_buf_printf(o, "|%s|%s", key ? key : "", seed ? seed : "");
					lua_pop(L, 1);
				}
			lua_pop(L, 2);
		}
		if (!ta.p || !tb.p || strcmp(ta.p, tb.p)) {
			snprintf(what, len, "grid %lld differs", (long long)g);
			rc = 0;
		}
		mq_buf_free(&ta);
		mq_buf_free(&tb);
		lua_pop(L, 2);
	}
	lua_pop(L, 2);
	return rc;
}

/* All shards: one run, every K once. */
static int check_set(lua_State *L, shard *s, size_t ns)
{
	const shard *a = &s[0];
	for (size_t i = 1; i < ns; i++) {
		const shard *b = &s[i];
		char what[200];
		const char *ha = str(L, a->t, "script_fnv1a64"), *hb = str(L, b->t, "script_fnv1a64");
		if (!same(str(L, a->t, "name"), str(L, b->t, "name")) || (ha && hb && strcmp(ha, hb)))
			return fail("%s and %s are shards of different scripts (%s, hash %s; %s, hash %s)",
			            a->dir, b->dir, str(L, a->t, "script"), ha ? ha : "?",
			            str(L, b->t, "script"), hb ? hb : "?");
		if (strcmp(a->params, b->params))
			return fail("%s and %s are shards of different runs: params %.300s and %.300s",
			            a->dir, b->dir, a->params, b->params);
		if (!same(str(L, a->t, "seed"), str(L, b->t, "seed")))
			return fail("%s and %s are shards of different runs: seeds %s and %s", a->dir,
			            b->dir, str(L, a->t, "seed"), str(L, b->t, "seed"));
		if (a->n != b->n)
			return fail("%s and %s are shards of different splits: %lu/%lu and %lu/%lu", a->dir,
			            b->dir, a->k, a->n, b->k, b->n);
		if (!same_grids(L, a, b, what, sizeof what))
			return fail("%s and %s are shards of different runs: %s (does the script make "
			            "the same grids every time?)", a->dir, b->dir, what);
		if (a->loose.len != b->loose.len || (a->loose.len && memcmp(a->loose.p, b->loose.p,
		                                                             a->loose.len)))
			return fail("%s and %s wrote different rows outside grid cells (such rows must "
			            "not depend on which cells ran)", a->dir, b->dir);
	}
	/* each K once, none missing */
	unsigned long n = a->n;
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

/* The merged run in memory: grids from the shards, each cell's rows from
 * the shard that ran it, held; rows committed in one process's order. */
static int build(lua_State *L, shard *s, size_t ns, mq_run *run)
{
	unsigned long n = s[0].n;
	const shard **by_k = calloc(n, sizeof *by_k);
	if (!by_k)
		return fail("out of memory");
	for (size_t i = 0; i < ns; i++)
		by_k[s[i].k] = &s[i];
	int rc = -1;
	lua_getfield(L, s[0].t, "grids");
	int grids = lua_gettop(L);
	size_t before = 0;
	for (lua_Integer g = 1; lua_rawgeti(L, grids, g) == LUA_TTABLE; g++) {
		int gt = lua_gettop(L);
		lua_getfield(L, gt, "axes");
		lua_getfield(L, gt, "cells");
		size_t na = (size_t)lua_rawlen(L, -2), nc = (size_t)lua_rawlen(L, -1);
		const char **axes = calloc(na + 1, sizeof *axes), **keys = calloc(nc + 1, sizeof *keys);
		uint64_t *seeds = calloc(nc + 1, sizeof *seeds);
		size_t idx;
		int ok = axes && keys && seeds;
		for (size_t a = 0; ok && a < na; a++) {
			lua_rawgeti(L, gt + 1, (lua_Integer)a + 1);
			ok = (axes[a] = lua_tostring(L, -1)) != NULL;
			lua_pop(L, 1); /* the table keeps it */
		}
		for (size_t c = 0; ok && c < nc; c++) {
			lua_rawgeti(L, gt + 2, (lua_Integer)c + 1);
			keys[c] = lua_istable(L, -1) ? str(L, lua_gettop(L), "cell") : NULL;
			const char *sd = lua_istable(L, -1) ? str(L, lua_gettop(L), "seed") : NULL;
			ok = keys[c] && sd;
			if (ok)
				seeds[c] = strtoull(sd, NULL, 10);
			lua_pop(L, 1);
		}
		ok = ok && !mq_manifest_add_grid(&run->man, axes, na, keys, seeds, nc, &idx);
		free(axes);
		free(keys);
		free(seeds);
		if (!ok) {
			fail("%s: a malformed grid %lld in its manifest", s[0].dir, (long long)g);
			goto out;
		}
		/* each cell from its owner: index over the grids mod N */
		mq_grid *mg = &run->man.grids[idx];
		for (size_t c = 0; c < nc; c++) {
			const shard *o = by_k[(before + c) % n];
			lua_getfield(L, o->t, "grids");
			lua_rawgeti(L, -1, g);
			lua_getfield(L, -1, "cells");
			lua_rawgeti(L, -1, (lua_Integer)c + 1);
			int cl = lua_gettop(L);
			int done = lua_istable(L, cl) && same(str(L, cl, "status"), "done");
			lua_getfield(L, cl, "rows");
			lua_getfield(L, cl, "seconds");
			if (!done || !lua_istable(L, -2)) {
				fail("%s (shard %lu/%lu) has not got cell %s done (a damaged manifest?)", o->dir,
				     o->k, o->n, mg->cells[c].key);
				lua_settop(L, gt);
				goto out;
			}
			if (mq_rows_from_lua(L, -2, 0, &mg->cells[c].rows) || !mq_buf_ok(&mg->cells[c].rows)) {
				fail("%s: malformed rows of cell %s", o->dir, mg->cells[c].key);
				lua_settop(L, gt);
				goto out;
			}
			mg->cells[c].status = MQ_CELL_DONE;
			mg->cells[c].held = 1;
			mg->cells[c].seconds = (double)lua_tonumber(L, -1);
			mg->cells[c].rank = (long)o->k;
			lua_settop(L, gt);
		}
		before += nc;
		lua_settop(L, grids);
	}
	lua_settop(L, grids - 1);

	/* commit: rows outside cells at their place, then each grid in order */
	size_t off = 0;
	mq_row row;
	int got = mq_rows_next(s[0].loose.p, s[0].loose.len, &off, &row);
	for (size_t g = 0; g <= run->man.ngrids; g++) {
		while (got > 0 && row.tag <= g) {
			mq_buf one = MQ_BUF_INIT;
			mq_rows_copy(&one, &row, 0);
			int bad = !mq_buf_ok(&one) ? (snprintf(run->err, sizeof run->err, "out of memory"), 1)
			                           : mq_run_commit_rows(run, one.p, one.len, NULL);
			mq_buf_free(&one);
			if (bad) {
				fail("%s", run->err);
				goto out;
			}
			run->man.loose_rows++;
			got = mq_rows_next(s[0].loose.p, s[0].loose.len, &off, &row);
		}
		if (g == run->man.ngrids)
			break;
		run->grid = (long)g;
		run->commit_next = 0;
		if (mq_run_drain(run)) {
			fail("%s", run->err);
			goto out;
		}
		run->grid = -1;
	}
	if (got < 0 || (got > 0 && row.tag > run->man.ngrids)) {
		fail("%s: malformed rows outside cells in its manifest", s[0].dir);
		goto out;
	}
	rc = 0;
out:
	free(by_k);
	return rc;
}

/* "merged": where each shard ran, for the record. */
static char *merged_json(lua_State *L, shard *s, size_t ns)
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
				const char *v = str(L, s[i].t, keys[j]);
				mq_buf_printf(&b, ", \"%s\": ", keys[j]);
				if (v)
					mq_json_string(&b, v, strlen(v));
				else
					mq_buf_str(&b, "null");
			}
			lua_getfield(L, s[i].t, "machine");
			const char *host = lua_istable(L, -1) ? str(L, lua_gettop(L), "host") : NULL;
			mq_buf_str(&b, ", \"host\": ");
			if (host)
				mq_json_string(&b, host, strlen(host));
			else
				mq_buf_str(&b, "null");
			lua_pop(L, 1);
			mq_buf_char(&b, '}');
		}
	mq_buf_str(&b, "\n  ],\n");
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static char *dupstr(const char *s)
{
	if (!s)
		return NULL;
	char *d = malloc(strlen(s) + 1);
	if (d)
		strcpy(d, s);
	return d;
}

/* The record of the one run the shards make. */
static int describe(lua_State *L, shard *s, size_t ns, mq_run *run, int argc, char **argv)
{
	mq_manifest *m = &run->man;
	int t = s[0].t;
	m->script = dupstr(str(L, t, "script"));
	m->name = dupstr(str(L, t, "name"));
	snprintf(m->script_hash, sizeof m->script_hash, "%s",
	         str(L, t, "script_fnv1a64") ? str(L, t, "script_fnv1a64") : "");
	mq_buf cmd = MQ_BUF_INIT;
	mq_buf_str(&cmd, "metriq");
	for (int i = 0; i < argc; i++) {
		mq_buf_char(&cmd, ' ');
		mq_buf_str(&cmd, argv[i]);
	}
	m->command = mq_buf_ok(&cmd) ? cmd.p : NULL;
	m->params_json = strcmp(s[0].params, "null") ? dupstr(s[0].params) : NULL;
	lua_getfield(L, t, "set");
	mq_buf set = MQ_BUF_INIT;
	if (lua_istable(L, -1) && !mq_json_lua(&set, L, -1, -1) && mq_buf_ok(&set)
	    && strcmp(set.p, "[]"))
		m->set_json = set.p;
	else
		mq_buf_free(&set); /* {} (mq_json_lua writes an empty table as []) */
	lua_pop(L, 1);
	const char *seed = str(L, t, "seed");
	m->seed = seed ? strtoull(seed, NULL, 10) : 0;
	run->seed = m->seed;
	lua_getfield(L, t, "threads");
	m->threads = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, t, "git");
	m->git_dirty = -1;
	snprintf(m->git_rev, sizeof m->git_rev, "unknown");
	if (lua_istable(L, -1)) {
		const char *rev = str(L, lua_gettop(L), "revision");
		if (rev)
			snprintf(m->git_rev, sizeof m->git_rev, "%.63s", rev);
		lua_getfield(L, -1, "dirty");
		if (lua_isboolean(L, -1))
			m->git_dirty = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_getfield(L, t, "machine");
	if (lua_istable(L, -1)) {
		int mt = lua_gettop(L);
		snprintf(m->cpu, sizeof m->cpu, "%s", str(L, mt, "cpu") ? str(L, mt, "cpu") : "unknown");
		snprintf(m->host, sizeof m->host, "%s", str(L, mt, "host") ? str(L, mt, "host") : "");
		lua_getfield(L, mt, "cores");
		m->cores = (long)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* the run's span: the first shard's start to the last one's end */
	for (size_t i = 0; i < ns; i++) {
		const char *st = str(L, s[i].t, "start"), *en = str(L, s[i].t, "end");
		if (st && (!m->start[0] || strcmp(st, m->start) < 0))
			snprintf(m->start, sizeof m->start, "%.31s", st);
		if (en && strcmp(en, m->end) > 0)
			snprintf(m->end, sizeof m->end, "%.31s", en);
	}
	m->status = "done";
	m->cell_by = "shard";
	m->extra = merged_json(L, s, ns);
	if (!m->script || !m->name || !m->command || !m->extra)
		return fail("out of memory");
	return 0;
}

int mq_cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
	size_t nd = 0;
	int quiet = 0, rc = 2;
	if (!dirs)
		return mq_cli_error("merge", "out of memory");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			free(dirs);
			return 0;
		}
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1] == '-') {
			free(dirs);
			return mq_cli_error("merge", "unknown option '%s' (see 'metriq merge --help')",
			                    argv[i]);
		} else if (!out)
			out = argv[i];
		else
			dirs[nd++] = argv[i];
	}
	if (!out || !nd) {
		fputs(usage, stderr);
		free(dirs);
		return 2;
	}

	lua_State *L = luaL_newstate();
	shard *s = calloc(nd, sizeof *s);
	mq_run run;
	memset(&run, 0, sizeof run);
	run.grid = run.cell = -1;
	run.mode = MQ_ONE;
	if (!L || !s) {
		mq_cli_error("merge", "out of memory");
		goto out;
	}
	luaL_checkstack(L, (int)nd + 40, "too many shards");
	rc = 1;
	for (size_t i = 0; i < nd; i++) {
		s[i].dir = dirs[i];
		if (load(L, &s[i])) {
			mq_cli_error("merge", "%s", err);
			goto out;
		}
		lua_settop(L, s[i].t);
	}
	if (check_set(L, s, nd)) {
		mq_cli_error("merge", "%s", err);
		goto out;
	}
	run.outdir = dupstr(out);
	if (!run.outdir || describe(L, s, nd, &run, argc, argv) || build(L, s, nd, &run)) {
		mq_cli_error("merge", "%s", run.outdir ? err : "out of memory");
		goto out;
	}
	snprintf(run.name, sizeof run.name, "%s", run.man.name);

	/* everything checks: now OUT (a fresh run's rules: files an earlier
	 * manifest there lists are removed first) */
	for (size_t i = 0; i < nd; i++) {
		char a[4200], b[4200];
		if (realpath(out, a) && realpath(s[i].dir, b) && !strcmp(a, b)) {
			mq_cli_error("merge", "OUT is the shard folder %s: give another", s[i].dir);
			goto out;
		}
	}
	if (mq_mkdirs(out)) {
		mq_cli_error("merge", "cannot create '%s': %s", out, strerror(errno));
		goto out;
	}
	if (mq_run_load_prior(&run, L, 0)) {
		mq_cli_error("merge", "%s", run.err);
		goto out;
	}
	run.writable = 1;
	if (mq_run_flush(&run, 1)) {
		mq_cli_error("merge", "%s", run.err);
		goto out;
	}
	if (!quiet)
		for (size_t i = 0; i < run.nres; i++)
			fprintf(stderr, "metriq merge: %zu shards -> %s/%s.csv: %zu rows\n", nd, out,
			        run.res[i]->name, run.res[i]->rows);
	rc = 0;
out:
	for (size_t i = 0; s && i < nd; i++) {
		mq_buf_free(&s[i].loose);
		free(s[i].params);
	}
	free(s);
	free(dirs);
	mq_run_free(&run);
	if (L)
		lua_close(L);
	return rc;
}

/* lua_results.c: results files (results.h) as Lua objects.
 *
 *   local results = metriq.results([name])   -- DIR/<name>.csv, default: the
 *                                             -- script's name
 *   results:write{format = "e4m3", nu = 3, be_mean = 1.2e-3}
 *
 * Column order.  The first row fixes the header: the current grid's axes
 * that the row has, in axis order, then the row's other keys sorted
 * bytewise.  So a table of results reads left to right from the
 * coordinates to the measurements, and the same script always gives the
 * same header.  A later row may leave columns out (empty fields) but may
 * not add any.
 *
 * Values.  Integers print as integers, floats in the shortest form that
 * reads back to the same double (so no digit is lost), inf, -inf and nan
 * as such; booleans as true or false; strings as they are (quoted as RFC
 * 4180 says when they hold a comma, a quote or a line break).
 *
 * A row is checked whole before any of it is written: a bad row raises an
 * error and leaves nothing behind.  A row is kept as a record (rows.h) in
 * its natural order; rows written inside a grid cell are committed when
 * the cell's turn comes (run.h), and the first row committed to a file
 * makes its header. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmetriq.h"
#include "run.h"

#define MQ_RESULTS "metriq.results"

typedef struct resobj {
	mq_results *r;          /* owned by the run */
} resobj;

static mq_results *checkres(lua_State *L, int arg)
{
	return ((resobj *)luaL_checkudata(L, arg, MQ_RESULTS))->r;
}

static int l_results(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	const char *name = luaL_optstring(L, 1, run->name);
	if (!mq_results_name_ok(name))
		return luaL_argerror(L, 1, lua_pushfstring(L, "bad results name '%s' (1 to 64 of "
		                     "A-Z a-z 0-9 _ . -, not starting with '.')", name));
	mq_results *r = mq_run_results(run, name);
	if (!r)
		return luaL_error(L, "%s", run->err);
	resobj *o = lua_newuserdatauv(L, sizeof *o, 0);
	o->r = r;
	luaL_setmetatable(L, MQ_RESULTS);
	return 1;
}

static int keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The row's columns in natural order (see above) into cols[0..n). */
static size_t natural_order(lua_State *L, mq_run *run, int row, const char **cols)
{
	size_t n = 0;
	if (run->grid >= 0) {
		const mq_grid *g = &run->man.grids[run->grid];
		for (size_t a = 0; a < g->naxes; a++) {
			if (lua_getfield(L, row, g->axes[a]) != LUA_TNIL)
				cols[n++] = g->axes[a];
			lua_pop(L, 1);
		}
	}
	size_t first_sorted = n;
	lua_pushnil(L);
	while (lua_next(L, row)) {
		lua_pop(L, 1);
		const char *k = lua_tostring(L, -1); /* string keys only: checked */
		int dup = 0;
		for (size_t i = 0; i < first_sorted && !dup; i++)
			dup = !strcmp(cols[i], k);
		if (!dup)
			cols[n++] = k; /* the row table keeps its keys alive */
	}
	qsort(cols + first_sorted, n - first_sorted, sizeof *cols, keycmp);
	return n;
}

static int r_write(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	mq_results *r = checkres(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	if (mq_run_ready(run))
		return luaL_error(L, "%s", run->err);
	/* the header this row must fit, where this process can know it (rows
	 * of cells run apart are checked when they commit: run.h) */
	size_t nfit = 0;
	const char *const *fit = mq_run_checks_columns(run) ? mq_results_fits(r, &nfit) : NULL;
	/* check the whole row first */
	size_t nkeys = 0;
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_argerror(L, 2, lua_pushfstring(L, "column names must be strings, not %s",
			                                           luaL_typename(L, -2)));
		const char *k = lua_tostring(L, -2);
		if (!mq_results_col_ok(k))
			return luaL_argerror(L, 2, lua_pushfstring(L, "bad column name '%s' (no comma, quote "
			                                           "or line break)", k));
		int t = lua_type(L, -1);
		if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
			return luaL_argerror(L, 2, lua_pushfstring(L, "column '%s' is a %s (values are "
			                     "numbers, strings or booleans)", k, luaL_typename(L, -1)));
		int in = !fit;
		for (size_t i = 0; i < nfit && !in; i++)
			in = !strcmp(fit[i], k);
		if (!in) {
			luaL_Buffer b;
			luaL_buffinit(L, &b);
			for (size_t i = 0; i < nfit; i++) {
				if (i)
					luaL_addstring(&b, ", ");
				luaL_addstring(&b, fit[i]);
			}
			luaL_pushresult(&b);
			return luaL_argerror(L, 2, lua_pushfstring(L, "column '%s' is not in the header of "
			                     "%s.csv (%s)", k, r->name, lua_tostring(L, -1)));
		}
		lua_pop(L, 1);
		nkeys++;
	}
	if (nkeys == 0)
		return luaL_argerror(L, 2, "empty row");

	/* the fields, in the row's natural order */
	const char **cols = lua_newuserdatauv(L, nkeys * sizeof *cols, 0);
	size_t nc = natural_order(L, run, 2, cols);
	const char **fields = lua_newuserdatauv(L, nc * sizeof *fields, 0);
	size_t *lens = lua_newuserdatauv(L, nc * sizeof *lens, 0);
	char (*num)[32] = lua_newuserdatauv(L, nc * sizeof *num, 0);
	for (size_t i = 0; i < nc; i++) {
		switch (lua_getfield(L, 2, cols[i])) {
		case LUA_TNUMBER:
			if (lua_isinteger(L, -1)) {
				snprintf(num[i], 32, "%lld", (long long)lua_tointeger(L, -1));
			} else {
				double v = (double)lua_tonumber(L, -1);
				if (isnan(v))
					snprintf(num[i], 32, "nan");
				else if (isinf(v))
					snprintf(num[i], 32, v > 0 ? "inf" : "-inf");
				else
					mq_double_str(v, num[i]);
			}
			fields[i] = num[i];
			break;
		case LUA_TBOOLEAN:
			fields[i] = lua_toboolean(L, -1) ? "true" : "false";
			break;
		default:
			/* a string (checked above); the row table keeps it alive */
			fields[i] = lua_tostring(L, -1);
			break;
		}
		lens[i] = lua_type(L, -1) == LUA_TSTRING ? lua_rawlen(L, -1) : strlen(fields[i]);
		lua_pop(L, 1);
	}
	if (mq_run_row(run, r, nc, cols, fields, lens) < 0)
		return luaL_error(L, "%s", run->err);
	return 0;
}

static int r_rows(lua_State *L)
{
	mq_results *r = checkres(L, 1);
	lua_pushinteger(L, (lua_Integer)(r->rows + r->pending_rows));
	return 1;
}

static int r_path(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	mq_results *r = checkres(L, 1);
	lua_pushfstring(L, "%s/%s.csv", run->outdir, r->name);
	return 1;
}

static int r_tostring(lua_State *L)
{
	mq_results *r = checkres(L, 1);
	lua_pushfstring(L, "results %s.csv (%I rows)", r->name, (lua_Integer)(r->rows + r->pending_rows));
	return 1;
}

static const luaL_Reg methods[] = {
	{"write", r_write},
	{"rows", r_rows},
	{"path", r_path},
	{NULL, NULL}
};

int mq_open_results(lua_State *L)
{
	luaL_newmetatable(L, MQ_RESULTS);
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, r_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
	lua_pushcfunction(L, l_results);
	lua_setfield(L, -2, "results");
	return 0;
}

/* lua_results.c: results files (results.h) as Lua objects.
 *
 *   local results = metriq.results([name])   -- DIR/<name>.csv, default: the
 *                                             -- script's name
 *   results:write{format = "e4m3", nu = 3, be_mean = 1.2e-3}
 *
 * Column order: results.h states the rule (mq_results_order), which
 * this binding follows: the grid's axes first, then the row's other keys
 * sorted, unless the script gives its own order,
 *
 *   metriq.results("name", {columns = {"format", "nu", "be_mean"}})
 *
 * which every row must then have, key for key.  A later row may leave
 * columns out (without an explicit order) but may not add any.
 *
 * Values.  Integers print as integers, floats in the shortest form that
 * reads back to the same double (so no digit is lost), inf, -inf and nan
 * as such; booleans as true or false; strings as they are (quoted as RFC
 * 4180 says when they hold a comma, a quote or a line break).
 *
 * A row is checked whole before any of it is written: a bad row raises an
 * error and leaves nothing behind.  A row is kept as a record (rows.h) in
 * that order; rows written inside a grid cell are committed when
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

/* The options of metriq.results: {columns = {"a", "b", ...}}, the
 * explicit order (results.h). */
static void set_order(lua_State *L, int arg, mq_results *r)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "columns"))
			luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s' (known: columns)",
			                                      luaL_tolstring(L, -1, NULL)));
	}
	if (lua_getfield(L, arg, "columns") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_argerror(L, arg, "columns must be a list of column names");
	int t = lua_gettop(L);
	size_t n = (size_t)luaL_len(L, t);
	const char **cols = lua_newuserdatauv(L, (n ? n : 1) * sizeof *cols, 0);
	for (size_t i = 0; i < n; i++) {
		if (lua_geti(L, t, (lua_Integer)i + 1) != LUA_TSTRING)
			luaL_argerror(L, arg, lua_pushfstring(L, "columns[%I] is a %s, not a column name",
			                                      (lua_Integer)i + 1, luaL_typename(L, -1)));
		cols[i] = lua_tostring(L, -1); /* the list keeps it alive */
		lua_pop(L, 1);
	}
	char err[512];
	if (mq_results_set_order(r, cols, n, err, sizeof err))
		luaL_argerror(L, arg, lua_pushstring(L, err));
	lua_pop(L, 2);
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
	if (!lua_isnoneornil(L, 2))
		set_order(L, 2, r);
	resobj *o = lua_newuserdatauv(L, sizeof *o, 0);
	o->r = r;
	luaL_setmetatable(L, MQ_RESULTS);
	return 1;
}

/* Check the row at 2 key by key (names, value types) and gather its
 * names into a new userdata cols; their count.  The row table keeps the
 * names alive. */
static size_t row_names(lua_State *L, const char ***cols)
{
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_argerror(L, 2, lua_pushfstring(L, "column names must be strings, not %s",
			                                    luaL_typename(L, -2)));
		const char *k = lua_tostring(L, -2);
		if (!mq_results_col_ok(k))
			luaL_argerror(L, 2, lua_pushfstring(L, "bad column name '%s' (no comma, quote "
			                                    "or line break)", k));
		int t = lua_type(L, -1);
		if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
			luaL_argerror(L, 2, lua_pushfstring(L, "column '%s' is a %s (values are numbers, "
			                                    "strings or booleans)", k, luaL_typename(L, -1)));
		lua_pop(L, 1);
		n++;
	}
	if (n == 0)
		luaL_argerror(L, 2, "empty row");
	*cols = lua_newuserdatauv(L, n * sizeof **cols, 0);
	size_t i = 0;
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		lua_pop(L, 1);
		(*cols)[i++] = lua_tostring(L, -1);
	}
	return n;
}

/* Each column must be in the header the row must fit, where this process
 * can know it (rows of cells run apart are checked when they commit:
 * run.h). */
static void check_fits(lua_State *L, mq_run *run, mq_results *r, const char **cols, size_t n)
{
	size_t nfit = 0;
	const char *const *fit = mq_run_checks_columns(run) ? mq_results_fits(r, &nfit) : NULL;
	for (size_t c = 0; fit && c < n; c++) {
		int in = 0;
		for (size_t i = 0; i < nfit && !in; i++)
			in = !strcmp(fit[i], cols[c]);
		if (in)
			continue;
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		for (size_t i = 0; i < nfit; i++) {
			if (i)
				luaL_addstring(&b, ", ");
			luaL_addstring(&b, fit[i]);
		}
		luaL_pushresult(&b);
		luaL_argerror(L, 2, lua_pushfstring(L, "column '%s' is not in the header of %s.csv (%s)",
		                                    cols[c], r->name, lua_tostring(L, -1)));
	}
}

/* The field text of the value at the top into num (32 bytes) or the
 * string itself; its length in *len. */
static const char *field_text(lua_State *L, char *num, size_t *len)
{
	const char *f = num;
	switch (lua_type(L, -1)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1)) {
			snprintf(num, 32, "%lld", (long long)lua_tointeger(L, -1));
		} else {
			double v = (double)lua_tonumber(L, -1);
			if (isnan(v))
				snprintf(num, 32, "nan");
			else if (isinf(v))
				snprintf(num, 32, v > 0 ? "inf" : "-inf");
			else
				mq_double_str(v, num);
		}
		break;
	case LUA_TBOOLEAN:
		f = lua_toboolean(L, -1) ? "true" : "false";
		break;
	default:
		/* a string (checked); the row table keeps it alive */
		*len = lua_rawlen(L, -1);
		return lua_tostring(L, -1);
	}
	*len = strlen(f);
	return f;
}

static int r_write(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	mq_results *r = checkres(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	if (mq_run_ready(run))
		return luaL_error(L, "%s", run->err);
	/* the whole row is checked before any of it is written */
	const char **cols;
	size_t nc = row_names(L, &cols);
	const mq_grid *g = run->grid >= 0 ? &run->man.grids[run->grid] : NULL;
	char err[512];
	if (mq_results_order(r, g ? (const char *const *)g->axes : NULL, g ? g->naxes : 0, cols, nc,
	                     err, sizeof err))
		return luaL_argerror(L, 2, lua_pushstring(L, err));
	check_fits(L, run, r, cols, nc);
	const char **fields = lua_newuserdatauv(L, nc * sizeof *fields, 0);
	size_t *lens = lua_newuserdatauv(L, nc * sizeof *lens, 0);
	char (*num)[32] = lua_newuserdatauv(L, nc * sizeof *num, 0);
	for (size_t i = 0; i < nc; i++) {
		lua_getfield(L, 2, cols[i]);
		fields[i] = field_text(L, num[i], &lens[i]);
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

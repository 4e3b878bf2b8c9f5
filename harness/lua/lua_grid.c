/* lua_grid.c: metriq.grid, the Cartesian product of parameter lists.
 *
 *   for cell in metriq.grid{format = {"int8", "e4m3"}, nu = {1, 2, math.huge}} do
 *     ... cell.format, cell.nu, cell.seed, cell.index ...
 *   end
 *
 * Axis order.  Lua tables have no key order, so the order is defined: axes
 * given as {name, values} pairs in the list part come first, in list order;
 * then the named axes, sorted by name (bytewise).  The first axis varies
 * slowest and the last fastest (the order of nested for loops).  A value
 * that is not a table is an axis of one value.  Values are numbers,
 * strings or booleans, each at most once per axis.
 *
 * The cell.  A fresh table with the axis values, cell.index (1-based
 * position in the grid) and cell.seed.  The seed is derived from the run
 * seed and the cell's coordinates taken as (name, value) pairs in name
 * order, never from positions: the cell {format = "e4m3", nu = 3} gets the
 * same seed in any grid that holds it, so a cell re-run alone (a grid of
 * one-value axes) reproduces its numbers.  Seeds keep 63 bits, so that
 * Lua shows them as positive integers.
 *
 * Cells as commit units.  A cell begins when the iterator returns it and
 * ends when the loop asks for the next one, or leaves the loop: normally or
 * by break (the cell's rows are committed) or by an error (they are
 * discarded and the cell is recorded as failed).  The generic for's closing
 * value (Lua 5.4) is what sees the break and the error.  Cells a resumed
 * run finds done are skipped, with their progress counted.  Which cells
 * this process runs is the run's choice (run.h: all of them in order, a
 * shard's, or those MPI rank 0 deals).
 *
 * math.random is reseeded from cell.seed as each cell begins, and after
 * the grid from the run seed (lua_random.c).
 *
 * One grid at a time: a grid started inside a cell is an error (the cells
 * of the inner grid would have no meaning as units of their own). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "lmetriq.h"
#include "run.h"

#define MQ_GRID "metriq.grid"
#define MAXCELLS ((size_t)1 << 26)

typedef struct grid {
	size_t naxes, ncells;
	size_t next;            /* index of the next cell to consider */
	size_t *len;            /* values per axis */
	int state;              /* 0 running, 1 finished */
	long id;                /* run->grid while it runs */
} grid;

static int grid_gc(lua_State *L)
{
	grid *g = luaL_checkudata(L, 1, MQ_GRID);
	free(g->len);
	g->len = NULL;
	return 0;
}

/* The canonical text of an axis value, for cell keys and seeds.  Numbers
 * use the shortest round-trip form, so 3 and 3.0 are one value. */
static const char *value_text(lua_State *L, int idx, char *buf, size_t len)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER: {
		double v = (double)lua_tonumber(L, idx);
		if (isnan(v))
			snprintf(buf, len, "nan");
		else if (isinf(v))
			snprintf(buf, len, v > 0 ? "inf" : "-inf");
		else if (lua_isinteger(L, idx))
			snprintf(buf, len, "%lld", (long long)lua_tointeger(L, idx));
		else
			mq_double_str(v, buf);
		return buf;
	}
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? "true" : "false";
	default:
		return lua_tostring(L, idx);
	}
}

typedef struct axis {
	const char *name;
	int values;             /* stack index of the values list */
	size_t n;
} axis;

static int axcmp(const void *a, const void *b)
{
	return strcmp(((const axis *)a)->name, ((const axis *)b)->name);
}

/* Push the values list of an axis (a one-value list for a scalar). */
static void push_values(lua_State *L, int arg, const char *name)
{
	if (!lua_istable(L, -1)) {
		lua_createtable(L, 1, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	}
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	if (n == 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "axis '%s' has no values", name));
	for (lua_Integer i = 1; i <= n; i++) {
		int t = lua_rawgeti(L, -1, i);
		if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
			luaL_argerror(L, arg, lua_pushfstring(L, "axis '%s' value #%I is a %s (values are "
			              "numbers, strings or booleans)", name, i, luaL_typename(L, -1)));
		lua_pop(L, 1);
	}
}

/* One value of an axis, for the duplicate check. */
typedef struct vkey {
	int type;
	const char *text;       /* value_text: what the cell keys and seeds see */
	size_t pos;             /* 1-based place in the axis */
} vkey;

static int vkcmp(const void *a, const void *b)
{
	const vkey *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Values unique per axis, where equal means equal keys and seeds (same
 * type and canonical text: 3 and 3.0 are one value).  Sorted, a duplicate
 * is a pair of neighbours: n log n, where comparing every pair took a
 * minute at 30000 values.  The one reported is the earliest repeat, as a
 * reader scanning the list would find it. */
static void check_values(lua_State *L, const axis *x)
{
	vkey *k = lua_newuserdatauv(L, x->n * sizeof *k, 0);
	char *num = lua_newuserdatauv(L, x->n * 32, 0);
	for (size_t v = 0; v < x->n; v++) {
		/* the list anchors its strings, so their text outlives the pop */
		lua_rawgeti(L, x->values, (lua_Integer)v + 1);
		k[v].type = lua_type(L, -1);
		k[v].text = value_text(L, -1, num + 32 * v, 32);
		k[v].pos = v + 1;
		lua_pop(L, 1);
	}
	qsort(k, x->n, sizeof *k, vkcmp);
	const vkey *dup = NULL;
	for (size_t v = 1; v < x->n; v++)
		if (k[v].type == k[v - 1].type && !strcmp(k[v].text, k[v - 1].text)
		    && (!dup || k[v].pos < dup->pos))
			dup = &k[v];
	if (dup)
		luaL_argerror(L, 1, lua_pushfstring(L, "axis '%s' has the value %s twice", x->name,
		              dup->text));
	lua_pop(L, 2);
}

/* The bound on cells, with the axes that pass it. */
static int too_many_cells(lua_State *L, const axis *ax, size_t na)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_pushfstring(L, "more than %I cells, the most one grid may have (axis lengths: ",
	                (lua_Integer)MAXCELLS);
	luaL_addvalue(&b);
	for (size_t i = 0; i < na; i++) {
		lua_pushfstring(L, "%s%s %I", i ? ", " : "", ax[i].name, (lua_Integer)ax[i].n);
		luaL_addvalue(&b);
	}
	luaL_addchar(&b, ')');
	luaL_pushresult(&b);
	return luaL_argerror(L, 1, lua_tostring(L, -1));
}

static int grid_iter(lua_State *L);
static int grid_close(lua_State *L);

static int bad_name(const char *name)
{
	return !name[0] || strpbrk(name, "=,\"\r\n") || !strcmp(name, "seed") || !strcmp(name, "index");
}

/* Keys and seeds of every cell into the manifest (mq_run_grid_begin).
 * Nothing here raises but a memory error, so plain malloc is safe. */
static int record_cells(lua_State *L, mq_run *run, const axis *ax, size_t na, size_t ncells)
{
	char **keys = calloc(ncells, sizeof *keys);
	uint64_t *seeds = calloc(ncells, sizeof *seeds);
	size_t *idx = calloc(na, sizeof *idx);
	const axis **byname = malloc(na * sizeof *byname);
	const char **names = malloc(na * sizeof *names);
	mq_buf kb = MQ_BUF_INIT;
	char a[64];
	int rc = -1;
	if (!keys || !seeds || !idx || !byname || !names)
		goto out;
	/* seeds hash the coordinates in name order, whatever the axis order */
	for (size_t i = 0; i < na; i++) {
		names[i] = ax[i].name;
		byname[i] = &ax[i];
	}
	for (size_t i = 1; i < na; i++)
		for (size_t j = i; j > 0 && strcmp(byname[j - 1]->name, byname[j]->name) > 0; j--) {
			const axis *t = byname[j];
			byname[j] = byname[j - 1];
			byname[j - 1] = t;
		}
	for (size_t c = 0; c < ncells; c++) {
		/* millions of cells take seconds, all in C, where Ctrl-C's hook
		 * (cmd_run.c) cannot reach */
		if ((c & 4095) == 0 && run->stop && *run->stop) {
			snprintf(run->err, sizeof run->err, "interrupted");
			goto done;
		}
		size_t r = c;
		for (size_t i = na; i-- > 0;) {
			idx[i] = r % ax[i].n;
			r /= ax[i].n;
		}
		mq_buf_truncate(&kb, 0);
		for (size_t i = 0; i < na; i++) {
			lua_rawgeti(L, ax[i].values, (lua_Integer)idx[i] + 1);
			mq_buf_printf(&kb, "%s%s=%s", i ? "," : "", ax[i].name, value_text(L, -1, a, sizeof a));
			lua_pop(L, 1);
		}
		uint64_t s = run->seed;
		for (size_t k = 0; k < na; k++) {
			const axis *x = byname[k];
			lua_rawgeti(L, x->values, (lua_Integer)idx[x - ax] + 1);
			int t = lua_type(L, -1);
			char type = t == LUA_TNUMBER ? 'n' : t == LUA_TSTRING ? 's' : 'b';
			const char *vt = value_text(L, -1, a, sizeof a);
			/* name with its NUL, type, value: no two coordinates collide */
			uint64_t h = mq_fnv1a64(x->name, strlen(x->name) + 1, MQ_FNV1A64_INIT);
			h = mq_fnv1a64(&type, 1, h);
			h = mq_fnv1a64(vt, strlen(vt), h);
			lua_pop(L, 1);
			s = mq_seed_derive(s, h);
		}
		seeds[c] = s & INT64_MAX; /* 63 bits: a positive Lua integer, and the same
		                           * number in the CSV and the manifest */
		if (!mq_buf_ok(&kb) || !(keys[c] = malloc(kb.len + 1)))
			goto out;
		memcpy(keys[c], kb.p, kb.len + 1);
	}
	rc = mq_run_grid_begin(run, names, na, (const char *const *)keys, seeds, ncells);
	if (rc)
		goto done;
out:
	if (rc)
		snprintf(run->err, sizeof run->err, "out of memory");
done:
	for (size_t c = 0; keys && c < ncells; c++)
		free(keys[c]);
	free(keys);
	free(seeds);
	free(idx);
	free(byname);
	free(names);
	mq_buf_free(&kb);
	return rc;
}

static int l_grid(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (run->cell >= 0)
		return luaL_error(L, "grid inside a grid cell (nested grids are not supported)");
	if (mq_run_ready(run))
		return luaL_error(L, "%s", run->err);

	/* the axes, in a userdata array so that an argument error leaks nothing */
	size_t total = 0;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		total++;
	}
	if (total == 0)
		return luaL_argerror(L, 1, "a grid needs at least one axis");
	axis *ax = lua_newuserdatauv(L, total * sizeof *ax, 0);
	size_t na = 0;
	lua_Integer npos = (lua_Integer)lua_rawlen(L, 1);
	for (lua_Integer i = 1; i <= npos; i++) {
		lua_rawgeti(L, 1, i);
		if (!lua_istable(L, -1) || lua_rawlen(L, -1) != 2)
			return luaL_argerror(L, 1, lua_pushfstring(L, "list item #%I must be a {name, values} pair", i));
		lua_rawgeti(L, -1, 1);
		lua_rawgeti(L, -2, 2);
		lua_remove(L, -3);
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_argerror(L, 1, lua_pushfstring(L, "list item #%I must be a {name, values} pair", i));
		luaL_checkstack(L, 8, "too many axes");
		ax[na].name = lua_tostring(L, -2);
		push_values(L, 1, ax[na].name);
		ax[na].values = lua_gettop(L);
		ax[na].n = (size_t)lua_rawlen(L, -1);
		na++;
	}
	size_t first_named = na;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= npos) {
			lua_pop(L, 1);
			continue;
		}
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_argerror(L, 1, "axis names must be strings (or use {name, values} pairs)");
		luaL_checkstack(L, 8, "too many axes");
		/* keep a copy of the name and the values on the stack, then the key
		 * again on top for lua_next */
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		ax[na].name = lua_tostring(L, -2);
		push_values(L, 1, ax[na].name);
		ax[na].values = lua_gettop(L);
		ax[na].n = (size_t)lua_rawlen(L, -1);
		na++;
		lua_pushvalue(L, -3);
	}
	qsort(ax + first_named, na - first_named, sizeof *ax, axcmp);

	/* names unique and well-formed, and the size bounded, before any work
	 * per value or per cell */
	size_t ncells = 1;
	for (size_t i = 0; i < na; i++) {
		if (bad_name(ax[i].name))
			return luaL_argerror(L, 1, lua_pushfstring(L, "bad axis name '%s' (not empty, no '=', "
			                     "',' or '\"'; 'seed' and 'index' are the cell's own fields)", ax[i].name));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ax[i].name, ax[j].name))
				return luaL_argerror(L, 1, lua_pushfstring(L, "axis '%s' given twice", ax[i].name));
		if (ax[i].n > MAXCELLS / ncells)
			return too_many_cells(L, ax, na);
		ncells *= ax[i].n;
	}
	for (size_t i = 0; i < na; i++)
		check_values(L, &ax[i]);

	/* an earlier grid whose loop was left without closing it ends here */
	mq_run_grid_end(run);
	if (record_cells(L, run, ax, na, ncells))
		return luaL_error(L, "%s", run->err);

	/* the grid object: sizes in C, names and values in its user value */
	grid *g = lua_newuserdatauv(L, sizeof *g, 1);
	memset(g, 0, sizeof *g);
	luaL_setmetatable(L, MQ_GRID);
	int gi = lua_gettop(L);
	g->len = malloc(na * sizeof *g->len);
	if (!g->len)
		return luaL_error(L, "out of memory");
	g->naxes = na;
	g->ncells = ncells;
	g->id = run->grid;
	lua_createtable(L, (int)(2 * na), 0);
	for (size_t i = 0; i < na; i++) {
		g->len[i] = ax[i].n;
		lua_pushstring(L, ax[i].name);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
		lua_pushvalue(L, ax[i].values);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
	}
	lua_setiuservalue(L, gi, 1);
	/* for cell in <iterator>, <state>, <control>, <closing value> */
	lua_pushcfunction(L, grid_iter);
	lua_pushvalue(L, gi);
	lua_pushnil(L);
	lua_pushvalue(L, gi);
	return 4;
}

static int grid_iter(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	grid *g = luaL_checkudata(L, 1, MQ_GRID);
	if (g->state || run->grid != g->id)
		return 0; /* finished, or superseded by a later grid */
	if (run->cell >= 0 && mq_run_cell_end(run, 1, NULL))
		return luaL_error(L, "%s", run->err);
	/* this process's next cell: the next in order, one of its shard, or
	 * the one rank 0 deals (run.h) */
	size_t c;
	int got = mq_run_next_cell(run, &c);
	if (got < 0)
		return luaL_error(L, "%s", run->err);
	if (got == 0) {
		g->state = 1;
		mq_run_grid_end(run);
		mq_lua_random_after_grid(L, run->seed, (size_t)g->id);
		if (mq_run_flush(run, 1))
			return luaL_error(L, "%s", run->err);
		return 0;
	}
	mq_run_cell_begin(run, c);
	mq_lua_random_seed(L, run->man.grids[g->id].cells[c].seed);
	lua_getiuservalue(L, 1, 1);
	int uv = lua_gettop(L);
	lua_createtable(L, 0, (int)g->naxes + 2);
	size_t r = c;
	for (size_t i = g->naxes; i-- > 0;) {
		size_t k = r % g->len[i];
		r /= g->len[i];
		lua_rawgeti(L, uv, (lua_Integer)(2 * i + 1));
		lua_rawgeti(L, uv, (lua_Integer)(2 * i + 2));
		lua_rawgeti(L, -1, (lua_Integer)k + 1);
		lua_remove(L, -2);
		lua_rawset(L, -3);
	}
	lua_pushinteger(L, (lua_Integer)run->man.grids[g->id].cells[c].seed);
	lua_setfield(L, -2, "seed");
	lua_pushinteger(L, (lua_Integer)c + 1);
	lua_setfield(L, -2, "index");
	return 1;
}

/* The loop is left: by break (err nil) or by an error. */
static int grid_close(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	grid *g = luaL_checkudata(L, 1, MQ_GRID);
	if (g->state || run->grid != g->id)
		return 0;
	g->state = 1;
	int ok = lua_isnil(L, 2);
	/* Cells run apart cannot honour a break: which cells it leaves out
	 * depends on the order they happen to end in. */
	const char *msg = ok ? NULL : luaL_tolstring(L, 2, NULL);
	if (ok && run->mode != MQ_ONE)
		msg = "break out of a grid is not supported with --shard or MPI (cells run apart, so "
		      "which cells a break leaves out would depend on timing)";
	int rc = mq_run_cell_end(run, msg == NULL, msg);
	mq_run_grid_end(run);
	mq_lua_random_after_grid(L, run->seed, (size_t)g->id);
	if (rc)
		return luaL_error(L, "%s", run->err);
	if (ok && msg)
		return luaL_error(L, "%s", msg);
	return 0;
}

int mq_open_grid(lua_State *L)
{
	mq_lua_random_open(L, mq_run_get(L)->seed);
	luaL_newmetatable(L, MQ_GRID);
	lua_pushcfunction(L, grid_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, grid_close);
	lua_setfield(L, -2, "__close");
	lua_pop(L, 1);
	lua_pushcfunction(L, l_grid);
	lua_setfield(L, -2, "grid");
	return 0;
}

/* lua_tfile.c: sampled tensors from files, quantized in an explicit layout,
 * and rank correlation (issue 7: does the metric predict training?).
 *
 *   metriq.load(path [, name])   -> tensor, shape
 *       A tensor of a .npy or safetensors file (io/tensorfile.h), as
 *       float32 in C order.  The tensor has the file's shape when that has
 *       1 to 3 axes, else (a 4-D training sample, a scalar) it is 1-D with
 *       every element; `shape` is the file's shape as a list either way.
 *       `name` picks a tensor of a file that holds several.
 *   metriq.quantize_layout(t, cfg, layout)  -> y, stats
 *   metriq.error_split_layout(x, xq, cfg, layout) -> as metriq.error_split
 *       metriq.quantize and metriq.error_split with the axes and roles
 *       given instead of implied by the tensor's shape and cfg.role:
 *       layout = {shape = {d1, ..., dk}, roles = {"example", "batch",
 *       "free", "contract"}} (1 to 4 axes, the product of shape = #t).
 *       This is how train/tquant.c quantizes a product's operand: the
 *       canonical [example][batch][free][contract] with roles EXAMPLE,
 *       BATCH, FREE, CONTRACT.  cfg has no 'role' here (the layout says it).
 *   metriq.spearman(x, y [, {permutations = N, seed = S}]) -> rho [, p]
 *       Spearman's rho of two lists of numbers, ties by average ranks, and
 *       with permutations the two-sided permutation p (kernels/rankcorr.h);
 *       the seed defaults to the run's next implicit seed. */
#include <string.h>

#include "lmetriq.h"
#include "rankcorr.h"
#include "tensorfile.h"

#define MQ_IOFILE "metriq.iofile"

/* The open file lives in a userdata whose __gc closes it, so that any
 * error raised while loading (no memory, a bad name) cannot leak it. */
static int iofile_gc(lua_State *L)
{
	mq_io_close(luaL_checkudata(L, 1, MQ_IOFILE));
	return 0;
}

static int l_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *name = luaL_optstring(L, 2, NULL);
	mq_io_file *f = lua_newuserdatauv(L, sizeof *f, 0);
	memset(f, 0, sizeof *f);
	luaL_setmetatable(L, MQ_IOFILE);
	char err[512];
	if (mq_io_open(f, path, NULL, err, sizeof err) != MQ_IO_OK)
		return luaL_error(L, "load: %s", err);
	size_t i = 0;
	if (name) {
		while (i < f->ntensors && strcmp(f->t[i].name, name))
			i++;
		if (i == f->ntensors)
			return luaL_error(L, "load: %s has no tensor '%s'", path, name);
	} else if (f->ntensors != 1) {
		return luaL_error(L, "load: %s holds %I tensors: name the one to load", path,
		                  (lua_Integer)f->ntensors);
	}
	const mq_io_tensor *it = &f->t[i];
	if (it->skip)
		return luaL_error(L, "load: %s: tensor '%s' cannot be loaded (%s)", path, it->name,
		                  it->skip);
	if (it->n == 0)
		return luaL_error(L, "load: %s: tensor '%s' has no elements", path, it->name);
	size_t dim[MQ_TMAXDIM];
	int nd = it->ndim >= 1 && it->ndim <= MQ_TMAXDIM ? it->ndim : 1;
	if (nd == it->ndim)
		for (int a = 0; a < nd; a++)
			dim[a] = (size_t)it->dim[a];
	else
		dim[0] = (size_t)it->n;
	mq_tensor *t = mq_newtensor(L, nd, dim);
	if (mq_io_load(f, i, t->data, NULL, err, sizeof err) != MQ_IO_OK)
		return luaL_error(L, "load: %s", err);
	lua_createtable(L, it->ndim, 0);
	for (int a = 0; a < it->ndim; a++) {
		lua_pushinteger(L, (lua_Integer)it->dim[a]);
		lua_rawseti(L, -2, a + 1);
	}
	mq_io_close(f);
	return 2;
}

static const char *const role_names[] = {"contract", "free", "batch", "example", NULL};

/* The layout table at arg, for a tensor of n elements. */
static void checklayout(lua_State *L, int arg, size_t n, mq_layout *l)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	if (lua_getfield(L, arg, "shape") != LUA_TTABLE)
		luaL_argerror(L, arg, "layout needs 'shape', a list of 1 to 4 integers");
	if (lua_getfield(L, arg, "roles") != LUA_TTABLE)
		luaL_argerror(L, arg, "layout needs 'roles', a list of example, batch, free, contract");
	int shape = lua_absindex(L, -2), roles = lua_absindex(L, -1);
	lua_Integer k = (lua_Integer)lua_rawlen(L, shape);
	if (k < 1 || k > MQ_MAXDIM)
		luaL_argerror(L, arg, "layout 'shape' has 1 to 4 axes");
	if ((lua_Integer)lua_rawlen(L, roles) != k)
		luaL_argerror(L, arg, "layout 'roles' must name one role per axis of 'shape'");
	l->ndim = (int)k;
	size_t prod = 1;
	for (int a = 0; a < l->ndim; a++) {
		lua_rawgeti(L, shape, a + 1);
		int isint;
		lua_Integer d = lua_tointegerx(L, -1, &isint);
		if (!isint || d < 1)
			luaL_argerror(L, arg, lua_pushfstring(L, "layout shape[%d] is not an integer >= 1",
			                                      a + 1));
		lua_pop(L, 1);
		l->dim[a] = (size_t)d;
		prod = prod <= SIZE_MAX / (size_t)d ? prod * (size_t)d : 0;
		lua_rawgeti(L, roles, a + 1);
		const char *r = lua_tostring(L, -1);
		int ri = -1;
		for (int j = 0; r && role_names[j]; j++)
			if (!strcmp(r, role_names[j]))
				ri = j;
		if (ri < 0)
			luaL_argerror(L, arg, lua_pushfstring(L, "layout roles[%d] is not one of example, "
			                                      "batch, free, contract", a + 1));
		lua_pop(L, 1);
		l->role[a] = (mq_axis_role)ri;
	}
	lua_pop(L, 2);
	if (prod != n)
		luaL_argerror(L, arg, lua_pushfstring(L, "layout shape holds %I elements, the tensor %I",
		                                      (lua_Integer)prod, (lua_Integer)n));
	if (mq_layout_check(l) != MQ_OK)
		luaL_argerror(L, arg, "layout roles do not make a valid layout (scale.h: one contract "
		              "axis, at most one example axis)");
}

static void checkcfg(lua_State *L, int arg, int take_seed, mq_qcfg *cfg)
{
	if (lua_istable(L, arg)) {
		int has = lua_getfield(L, arg, "role") != LUA_TNIL;
		lua_pop(L, 1);
		if (has)
			luaL_argerror(L, arg, "'role' is given by the layout's roles here");
	}
	mq_checkqcfg(L, arg, 0, arg, NULL, take_seed, cfg);
}

static void setnum(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

static int l_quantize_layout(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_qcfg cfg;
	checkcfg(L, 2, 1, &cfg);
	mq_layout l;
	checklayout(L, 3, t->n, &l);
	size_t ns = mq_scale_count(&l, &cfg.op.gran);
	if (ns == 0)
		return luaL_argerror(L, 2, "granularity does not fit the layout");
	mq_tensor *y = mq_newtensor(L, t->ndim, t->dim);
	mq_tensor *sc = mq_newtensor(L, 1, &ns);
	mq_qstats st = {0, 0, 0, 0};
	mq_status s = mq_quantize_tensor(&cfg.op.q, &l, &cfg.op.gran, cfg.op.mode, t->data, y->data,
	                                 NULL, sc->data, &st);
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 1, "NaN or Inf in the tensor (absmax scaling needs finite data)");
	if (s)
		return mq_lua_status(L, s, 2, NULL);
	lua_createtable(L, 0, 5);     /* y, scales, stats */
	setint(L, "n", st.n);
	setint(L, "clipped", st.clipped);
	setint(L, "underflowed", st.underflowed);
	setint(L, "nan", st.nan);
	lua_rotate(L, -2, 1);         /* y, stats, scales */
	lua_setfield(L, -2, "scales");
	return 2;
}

static int l_error_split_layout(lua_State *L)
{
	mq_tensor *x = mq_checktensor(L, 1), *xq = mq_checktensor(L, 2);
	if (xq->n != x->n)
		return luaL_argerror(L, 2, lua_pushfstring(L, "%I elements, argument #1 has %I",
		                     (lua_Integer)xq->n, (lua_Integer)x->n));
	mq_qcfg cfg;
	checkcfg(L, 3, 0, &cfg);
	mq_layout l;
	checklayout(L, 4, x->n, &l);
	mq_errsplit e;
	mq_status st = mq_error_split(&cfg.op.q.fmt, &l, &cfg.op.gran, cfg.op.mode, x->data,
	                              xq->data, &e);
	if (st == MQ_ENONFINITE)
		return mq_lua_status(L, st, 0, "NaN or Inf in x or xq");
	if (st)
		return mq_lua_status(L, st, 3, NULL);
	lua_createtable(L, 0, 9);
	setint(L, "n", e.n);
	setint(L, "nclip", e.nclip);
	setint(L, "nunder", e.nunder);
	setnum(L, "sse", e.sse);
	setnum(L, "sse_clip", e.sse_clip);
	setnum(L, "sse_under", e.sse_under);
	setnum(L, "sse_round", e.sse_round);
	setnum(L, "mse", e.mse);
	setnum(L, "sqnr", e.sqnr_db);
	return 1;
}

/* A list of numbers at arg into a new userdata-backed array of its length. */
static double *checklist(lua_State *L, int arg, size_t *n)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	*n = (size_t)lua_rawlen(L, arg);
	double *v = lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *v, 0);
	for (size_t i = 0; i < *n; i++) {
		lua_rawgeti(L, arg, (lua_Integer)i + 1);
		int ok;
		v[i] = lua_tonumberx(L, -1, &ok);
		if (!ok || lua_type(L, -1) != LUA_TNUMBER)
			luaL_argerror(L, arg, lua_pushfstring(L, "element %I is a %s, expected a number",
			                                      (lua_Integer)i + 1, luaL_typename(L, -1)));
		lua_pop(L, 1);
	}
	return v;
}

static int l_spearman(lua_State *L)
{
	lua_Integer nperm = 0;
	uint64_t seed = 0;
	/* the options first: the lists below push their arrays */
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			lua_pop(L, 1);
			const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
			if (strcmp(k, "permutations") && strcmp(k, "seed"))
				luaL_argerror(L, 3, lua_pushfstring(L, "unknown field '%s' (known: "
				              "permutations, seed)", luaL_tolstring(L, -1, NULL)));
		}
		lua_getfield(L, 3, "permutations");
		int isint;
		nperm = lua_tointegerx(L, -1, &isint);
		if (!isint || nperm < 1)
			luaL_argerror(L, 3, "'permutations' must be an integer >= 1");
		lua_pop(L, 1);
		lua_getfield(L, 3, "seed");
		seed = mq_optseed(L, lua_gettop(L));
		lua_pop(L, 1);
	}
	size_t nx, ny;
	double *x = checklist(L, 1, &nx), *y = checklist(L, 2, &ny);
	if (nx != ny)
		return luaL_argerror(L, 2, lua_pushfstring(L, "%I numbers, argument #1 has %I",
		                     (lua_Integer)ny, (lua_Integer)nx));
	if (nx < 2)
		return luaL_argerror(L, 1, "Spearman's rho needs at least 2 pairs");
	double rho, p;
	mq_status s = nperm ? mq_spearman_perm(x, y, nx, (uint64_t)nperm, seed, &rho, &p)
	                    : mq_spearman(x, y, nx, &rho);
	if (s == MQ_ENONFINITE)
		return luaL_argerror(L, 1, "NaN in the data (a NaN has no rank)");
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	lua_pushnumber(L, rho);
	if (!nperm)
		return 1;
	lua_pushnumber(L, p);
	return 2;
}

static const luaL_Reg funcs[] = {
	{"load", l_load},
	{"quantize_layout", l_quantize_layout},
	{"error_split_layout", l_error_split_layout},
	{"spearman", l_spearman},
	{NULL, NULL}
};

int mq_open_tfile(lua_State *L)
{
	luaL_newmetatable(L, MQ_IOFILE);
	lua_pushcfunction(L, iofile_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

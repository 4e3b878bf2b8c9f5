/* lua_advise.c: metriq.advise, the paper's method of choosing a format
 * (kernels/advise.h), as `metriq advise` applies it to a file's tensor.
 *
 *   metriq.advise(t [, opts]) -> result
 *       opts (every field optional, defaults as the command's):
 *         granularity  "tensor" | "channel" | "fine" | "block:N"  ("tensor")
 *         role         "lhs" | "rhs": the contracted axis is the last or
 *                      the first; the others are flattened  ("lhs")
 *         formats      a list {"int8", "e4m3"} or "int8,e4m3"  (int8, e4m3, e5m2)
 *         roundings    the same for roundings  (rtne, sr)
 *         scale        "fp32" | "pow2"  ("fp32")
 *         seed         the SR stream, an integer  (0, as the command: the
 *                      answer does not depend on what the script ran before)
 *         underflow_budget, clip_budget  fractions in [0, 1]  (0.03, 0.01)
 *         margin       dB >= 0  (0)
 *       result = {n, nonzero, mean, variance, sd, skew, kurtosis, tail_index,
 *                 hill_k, granularity, role, scale, candidates = {...},
 *                 advice = {...}}; each candidate is {format, rounding,
 *                 sqnr_db, mse, mean_relerr, max_relerr, clipped_frac,
 *                 clip_share, underflow_frac, within_budgets, recommended}
 *                 (metrics.csv's columns), in formats-then-roundings order;
 *                 advice is the recommended candidate's table plus index
 *                 (into candidates) and reason. */
#include <math.h>
#include <string.h>

#include "advise.h"
#include "lmetriq.h"

#define FIELDS "granularity, role, formats, roundings, scale, seed, underflow_budget, " \
               "clip_budget, margin"

static const char *const fields[] = {
	"granularity", "role", "formats", "roundings", "scale", "seed", "underflow_budget",
	"clip_budget", "margin", NULL
};

/* Field k of the options at arg as a string (def when absent). */
static const char *optstr(lua_State *L, int arg, const char *k, const char *def)
{
	int t = lua_getfield(L, arg, k);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return def;
	}
	if (t != LUA_TSTRING)
		luaL_argerror(L, arg, lua_pushfstring(L, "'%s' must be a string, not %s", k,
		                                      luaL_typename(L, -1)));
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* the options table keeps the string alive */
	return s;
}

static double optfrac(lua_State *L, int arg, const char *k, double def, double hi)
{
	int t = lua_getfield(L, arg, k);
	double v = def;
	if (t == LUA_TNUMBER)
		v = lua_tonumber(L, -1);
	if ((t != LUA_TNIL && t != LUA_TNUMBER) || !(v >= 0 && v <= hi))
		luaL_argerror(L, arg, lua_pushfstring(L, hi > 1 ? "'%s' must be a number of dB >= 0"
		                                                : "'%s' must be a fraction in [0, 1]",
		                                      k));
	lua_pop(L, 1);
	return v;
}

/* Item i of the list field k (a table of strings or a comma string) into
 * buf; 0 past the end. */
static int listitem(lua_State *L, int arg, const char *k, int i, char *buf, size_t len)
{
	int t = lua_getfield(L, arg, k);
	const char *s = NULL;
	size_t l = 0;
	if (t == LUA_TTABLE) {
		if (lua_rawgeti(L, -1, i + 1) == LUA_TNIL) {
			lua_pop(L, 2);
			return 0;
		}
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d] must be a string, not %s", k, i + 1,
			                                      luaL_typename(L, -1)));
		s = lua_tolstring(L, -1, &l);
		lua_remove(L, -2);
	} else if (t == LUA_TSTRING) {
		s = lua_tostring(L, -1);
		for (int j = 0; j < i && s; j++)
			s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL;
		if (!s) {
			lua_pop(L, 1);
			return 0;
		}
		l = strchr(s, ',') ? (size_t)(strchr(s, ',') - s) : strlen(s);
	} else {
		luaL_argerror(L, arg, lua_pushfstring(L, "'%s' must be a list of names or a comma "
		                                      "string, not %s", k, luaL_typename(L, -1)));
	}
	if (l == 0 || l >= len)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d] is empty or too long", k, i + 1));
	memcpy(buf, s, l);
	buf[l] = 0;
	lua_pop(L, 1);
	return 1;
}

static void checkformats(lua_State *L, int arg, mq_advise_opts *o)
{
	char name[32];
	if (lua_getfield(L, arg, "formats") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	size_t n = 0;
	for (; listitem(L, arg, "formats", (int)n, name, sizeof name); n++) {
		if (n == MQ_ADVISE_MAXFMT)
			luaL_argerror(L, arg, "'formats' holds at most 16 formats");
		if (mq_format_get(name, &o->fmt[n]) != MQ_OK)
			luaL_argerror(L, arg, lua_pushfstring(L, "unknown format '%s'; known: %s", name,
			                                      mq_format_known()));
		if (o->fmt[n].kind == MQ_KIND_E8M0)
			luaL_argerror(L, arg, lua_pushfstring(L, "format '%s' is a scale format (no sign, "
			                                      "no zero), not a candidate for tensor "
			                                      "elements", name));
	}
	if (n == 0)
		luaL_argerror(L, arg, "'formats' is empty");
	o->nfmt = n;
}

static void checkroundings(lua_State *L, int arg, mq_advise_opts *o)
{
	char name[32];
	if (lua_getfield(L, arg, "roundings") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	size_t n = 0;
	for (; listitem(L, arg, "roundings", (int)n, name, sizeof name); n++) {
		if (n == MQ_ADVISE_MAXRND)
			luaL_argerror(L, arg, "'roundings' holds at most 8 roundings");
		if (mq_rounding_parse(name, &o->rnd[n]) != MQ_OK)
			luaL_argerror(L, arg, lua_pushfstring(L, "unknown rounding '%s'; known: rtne, rtz, "
			                                      "rna, sr, sr:K (1 <= K <= 32)", name));
	}
	if (n == 0)
		luaL_argerror(L, arg, "'roundings' is empty");
	o->nrnd = n;
}

/* The options table at arg (absent or nil: the defaults) into o and role. */
static void checkopts(lua_State *L, int arg, mq_advise_opts *o, mq_operand *role)
{
	mq_advise_defaults(o);
	*role = MQ_LHS;
	if (lua_isnoneornil(L, arg))
		return;
	luaL_checktype(L, arg, LUA_TTABLE);
	/* a misspelt field would silently take its default: refuse it */
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		lua_pop(L, 1);
		int known = 0;
		for (int i = 0; fields[i] && !known; i++)
			known = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), fields[i]);
		if (!known)
			luaL_argerror(L, arg, lua_pushfstring(L, "unknown field '%s' (known: " FIELDS ")",
			                                      luaL_tolstring(L, -1, NULL)));
	}
	const char *g = optstr(L, arg, "granularity", "tensor");
	if (mq_gran_parse(g, &o->gran) != MQ_OK)
		luaL_argerror(L, arg, lua_pushfstring(L, "unknown granularity '%s'; known: tensor, "
		                                      "channel, fine, block:N (N >= 1)", g));
	const char *r = optstr(L, arg, "role", "lhs");
	if (strcmp(r, "lhs") && strcmp(r, "rhs"))
		luaL_argerror(L, arg, lua_pushfstring(L, "unknown role '%s'; known: lhs, rhs", r));
	*role = strcmp(r, "lhs") ? MQ_RHS : MQ_LHS;
	const char *s = optstr(L, arg, "scale", "fp32");
	if (mq_scale_mode_parse(s, &o->scale) != MQ_OK)
		luaL_argerror(L, arg, lua_pushfstring(L, "unknown scale '%s'; known: fp32, pow2", s));
	checkformats(L, arg, o);
	checkroundings(L, arg, o);
	int t = lua_getfield(L, arg, "seed"), isint = 1;
	if (t != LUA_TNIL)
		o->seed = (uint64_t)lua_tointegerx(L, -1, &isint);
	if (!isint || (t != LUA_TNIL && t != LUA_TNUMBER))
		luaL_argerror(L, arg, "'seed' must be an integer");
	lua_pop(L, 1);
	o->under_budget = optfrac(L, arg, "underflow_budget", o->under_budget, 1);
	o->clip_budget = optfrac(L, arg, "clip_budget", o->clip_budget, 1);
	o->margin = optfrac(L, arg, "margin", o->margin, HUGE_VAL);
}

static void setnum(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void setstr(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

static void pushcand(lua_State *L, const mq_advise_opts *o, const mq_advice *a, size_t i)
{
	const mq_advise_cand *c = &a->cand[i];
	char rb[16];
	lua_createtable(L, 0, 13);
	setstr(L, "format", o->fmt[c->f].name);
	setstr(L, "rounding", mq_rounding_name(&o->rnd[c->r], rb));
	setnum(L, "sqnr_db", c->sqnr_db);
	setnum(L, "mse", c->mse);
	setnum(L, "mean_relerr", c->mean_re);
	setnum(L, "max_relerr", c->max_re);
	setnum(L, "clipped_frac", c->clip_frac);
	setnum(L, "clip_share", c->clip_share);
	setnum(L, "underflow_frac", c->under_frac);
	setbool(L, "within_budgets", c->ok);
	setbool(L, "recommended", i == a->pick);
}

static void pushresult(lua_State *L, const mq_advise_opts *o, mq_operand role,
                       const mq_advice *a)
{
	char gb[32];
	lua_createtable(L, 0, 14);
	lua_pushinteger(L, (lua_Integer)a->n);
	lua_setfield(L, -2, "n");
	lua_pushinteger(L, (lua_Integer)a->nnz);
	lua_setfield(L, -2, "nonzero");
	setnum(L, "mean", a->mo.mean);
	setnum(L, "variance", a->mo.variance);
	setnum(L, "sd", a->mo.sd);
	setnum(L, "skew", a->mo.skew);
	setnum(L, "kurtosis", a->mo.kurtosis);
	setnum(L, "tail_index", a->tail_index);
	lua_pushinteger(L, (lua_Integer)a->hill_k);
	lua_setfield(L, -2, "hill_k");
	setstr(L, "granularity", mq_gran_name(&o->gran, gb, sizeof gb));
	setstr(L, "role", role == MQ_LHS ? "lhs" : "rhs");
	setstr(L, "scale", o->scale == MQ_SCALE_POW2 ? "pow2" : "fp32");
	lua_createtable(L, (int)a->ncand, 0);
	for (size_t i = 0; i < a->ncand; i++) {
		pushcand(L, o, a, i);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "candidates");
	pushcand(L, o, a, a->pick);
	lua_pushinteger(L, (lua_Integer)a->pick + 1);
	lua_setfield(L, -2, "index");
	setstr(L, "reason", mq_advise_reason(a->why));
	lua_setfield(L, -2, "advice");
}

static int l_advise(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_advise_opts o;
	mq_operand role;
	checkopts(L, 2, &o, &role);
	mq_layout l;
	if (mq_advise_layout(t->ndim, t->dim, role, &l) != MQ_OK)
		return luaL_argerror(L, 1, "the tensor has no elements");
	/* a userdata, so that an error below cannot leak the 10 KB */
	mq_advice *a = lua_newuserdatauv(L, sizeof *a, 0);
	mq_status s = mq_advise(&o, &l, t->data, a);
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 1, "NaN or Inf in the tensor (absmax scaling needs finite "
		                     "data)");
	if (s == MQ_EGRAN) {
		char gb[32];
		return luaL_argerror(L, 2, lua_pushfstring(L, "granularity %s does not fit a %I x %I "
		                     "matrix", mq_gran_name(&o.gran, gb, sizeof gb),
		                     (lua_Integer)l.dim[0], (lua_Integer)l.dim[1]));
	}
	if (s != MQ_OK)
		return luaL_error(L, "advise: %s", mq_strerror(s));
	pushresult(L, &o, role, a);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"advise", l_advise},
	{NULL, NULL}
};

int mq_open_advise(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

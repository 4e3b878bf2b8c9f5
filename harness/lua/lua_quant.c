/* lua_quant.c: quantization configs, metriq.quantize, and the format
 * table (metriq.formats, metriq.format). */
#include <string.h>

#include "lmetriq.h"

int mq_lua_status(lua_State *L, mq_status s, int arg, const char *detail)
{
	const char *msg = detail ? detail : mq_strerror(s);
	if (s == MQ_EINTERRUPT)
		return luaL_error(L, "interrupted"); /* as Ctrl-C's hook says it (cmd_run.c) */
	if (arg > 0)
		return luaL_argerror(L, arg, msg);
	return luaL_error(L, "%s", msg);
}

void mq_tensor_layout(const mq_tensor *t, mq_operand role, mq_layout *l)
{
	if (t->ndim == 1)
		mq_layout_matrix(l, role == MQ_LHS ? 1 : t->dim[0], role == MQ_LHS ? t->dim[0] : 1, role);
	else if (t->ndim == 2)
		mq_layout_matrix(l, t->dim[0], t->dim[1], role);
	else
		mq_layout_batched(l, t->dim[0], t->dim[1], t->dim[2], role);
}

static const char *const qfields[] = {
	"format", "rounding", "granularity", "block", "role", "overflow", "underflow",
	"scale", "seed", NULL
};

/* Push field k of the config at idx, else of dflt; returns its type. */
static int getf(lua_State *L, int idx, int dflt, const char *k)
{
	if (idx && lua_istable(L, idx)) {
		if (lua_getfield(L, idx, k) != LUA_TNIL)
			return lua_type(L, -1);
		lua_pop(L, 1);
	}
	if (dflt)
		return lua_getfield(L, dflt, k);
	lua_pushnil(L);
	return LUA_TNIL;
}

static const char *optname(lua_State *L, int idx, int dflt, const char *k, const char *def,
                           int arg, const char *what)
{
	int t = getf(L, idx, dflt, k);
	const char *s = def;
	if (t == LUA_TSTRING)
		s = lua_tostring(L, -1); /* the config table keeps the string alive */
	else if (t != LUA_TNIL)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s'%s' must be a string, not %s", what, k,
		                                      luaL_typename(L, -1)));
	lua_pop(L, 1);
	return s;
}

static int bad(lua_State *L, int arg, const char *what, const char *field, const char *value,
               const char *known)
{
	return luaL_argerror(L, arg, lua_pushfstring(L, "%sunknown %s '%s'; known: %s", what, field,
	                                             value, known));
}

void mq_checkqcfg(lua_State *L, int idx, int dflt, int arg, const char *what, int take_seed,
                  mq_qcfg *cfg)
{
	if (!what)
		what = "";
	/* idx 0: no table of its own, every field from dflt */
	int type = idx ? lua_type(L, idx) : LUA_TNONE;
	if (idx)
		idx = lua_absindex(L, idx);
	if (dflt)
		dflt = lua_absindex(L, dflt);
	if (!idx && dflt)
		type = LUA_TTABLE;
	if (type != LUA_TSTRING && type != LUA_TTABLE)
		luaL_argerror(L, arg, lua_pushfstring(L, "%sexpected a format name or a config table, got %s",
		                                      what, luaL_typename(L, idx)));
	if (type == LUA_TTABLE && idx) {
		/* a misspelt field would silently take its default: refuse it */
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			int known = 0;
			if (lua_type(L, -1) == LUA_TSTRING)
				for (int i = 0; qfields[i] && !known; i++)
					known = !strcmp(lua_tostring(L, -1), qfields[i]);
			if (!known) {
				luaL_argerror(L, arg, lua_pushfstring(L, "%sunknown field '%s' (known: format, "
				              "rounding, granularity, block, role, overflow, underflow, scale, seed)",
				              what, luaL_tolstring(L, -1, NULL)));
			}
		}
	}
	int sidx = type == LUA_TTABLE ? idx : 0;
	const char *format = type == LUA_TSTRING ? lua_tostring(L, idx)
	                   : optname(L, sidx, dflt, "format", NULL, arg, what);
	if (!format)
		luaL_argerror(L, arg, lua_pushfstring(L, "%sno format (e.g. format = 'e4m3')", what));
	const char *rounding = optname(L, sidx, dflt, "rounding", "rtne", arg, what);
	const char *gran = optname(L, sidx, dflt, "granularity", NULL, arg, what);
	const char *role = optname(L, sidx, dflt, "role", "lhs", arg, what);
	const char *ovf = optname(L, sidx, dflt, "overflow", "saturate", arg, what);
	const char *unf = optname(L, sidx, dflt, "underflow", "gradual", arg, what);
	const char *scale = optname(L, sidx, dflt, "scale", "fp32", arg, what);

	memset(cfg, 0, sizeof *cfg);
	mq_qspec *q = &cfg->op.q;
	if (mq_format_get(format, &q->fmt))
		bad(L, arg, what, "format", format, mq_format_known());
	if (mq_rounding_parse(rounding, &q->rnd))
		bad(L, arg, what, "rounding", rounding, mq_rounding_known());
	if (mq_overflow_parse(ovf, &q->ovf))
		bad(L, arg, what, "overflow", ovf, mq_overflow_known());
	if (mq_underflow_parse(unf, &q->unf))
		bad(L, arg, what, "underflow", unf, mq_underflow_known());
	if (mq_scale_mode_parse(scale, &cfg->op.mode))
		bad(L, arg, what, "scale", scale, mq_scale_mode_known());
	if (mq_role_parse(role, &cfg->role))
		bad(L, arg, what, "role", role, mq_role_known());

	/* granularity, with block = B as a shorthand for block:B */
	int bt = getf(L, sidx, dflt, "block");
	lua_Integer block = 0;
	if (bt != LUA_TNIL) {
		int isint;
		block = lua_tointegerx(L, -1, &isint);
		if (!isint || block < 1)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s'block' must be an integer >= 1", what));
	}
	lua_pop(L, 1);
	if (block && (!gran || !strcmp(gran, "block") || !strcmp(gran, "channel"))) {
		lua_pushfstring(L, "block:%I", block);
		gran = lua_tostring(L, -1);
		/* left on the stack: it must live until parsed */
	} else if (block) {
		luaL_argerror(L, arg, lua_pushfstring(L, "%s'block' goes with granularity 'channel' or "
		                                      "'block', not '%s'", what, gran));
	}
	if (!gran)
		gran = "tensor";
	if (mq_gran_parse(gran, &cfg->op.gran))
		bad(L, arg, what, "granularity", gran,
		    lua_pushfstring(L, "%s (or block = B)", mq_gran_known()));
	if (block)
		lua_pop(L, 1);

	int st = getf(L, sidx, dflt, "seed");
	if (st == LUA_TNIL) {
		q->seed = take_seed ? mq_optseed(L, lua_gettop(L)) : 0;
	} else {
		int isint;
		lua_Integer s = lua_tointegerx(L, -1, &isint);
		if (!isint || st != LUA_TNUMBER)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s'seed' must be an integer", what));
		q->seed = (uint64_t)s;
	}
	lua_pop(L, 1);
	if (mq_qspec_check(q)) {
		char rb[16];
		luaL_argerror(L, arg, lua_pushfstring(L, "%sformat %s cannot take rounding %s with "
		              "overflow '%s' (it has no inf or NaN to overflow to)", what, q->fmt.name,
		              mq_rounding_name(&q->rnd, rb), ovf));
	}
}

static void push_stats(lua_State *L, const mq_qstats *st)
{
	lua_createtable(L, 0, 5);
	lua_pushinteger(L, (lua_Integer)st->n);
	lua_setfield(L, -2, "n");
	lua_pushinteger(L, (lua_Integer)st->clipped);
	lua_setfield(L, -2, "clipped");
	lua_pushinteger(L, (lua_Integer)st->underflowed);
	lua_setfield(L, -2, "underflowed");
	lua_pushinteger(L, (lua_Integer)st->nan);
	lua_setfield(L, -2, "nan");
}

/* metriq.quantize(t, cfg) -> fake-quantized tensor, stats
 * stats: n, clipped, underflowed, nan, scales (a 1-D tensor, one scale per
 * group in the order of scale.h). */
static int l_quantize(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_qcfg cfg;
	mq_checkqcfg(L, 2, 0, 2, NULL, 1, &cfg);
	mq_layout l;
	mq_tensor_layout(t, cfg.role, &l);
	size_t ns = mq_scale_count(&l, &cfg.op.gran);
	if (ns == 0)
		return luaL_argerror(L, 2, "granularity does not fit the tensor");
	mq_tensor *y = mq_newtensor(L, t->ndim, t->dim);
	mq_tensor *sc = mq_newtensor(L, 1, &ns);
	mq_qstats st = {0, 0, 0, 0};
	mq_status s = mq_quantize_tensor(&cfg.op.q, &l, &cfg.op.gran, cfg.op.mode, t->data, y->data,
	                                 NULL, sc->data, &st);
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 1, "NaN or Inf in the tensor (absmax scaling needs finite data)");
	if (s)
		return mq_lua_status(L, s, 2, NULL);
	push_stats(L, &st);           /* y, scales, stats */
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "scales");
	lua_remove(L, -2);            /* y, stats */
	return 2;
}

/* metriq.cast(t, cfg [, scale = 1]) -> tensor, stats: every element
 * through the format at one fixed scale, fakequant(x / scale) * scale, with
 * no absmax scaling: the format's own range (Fig. 3), or a scale the caller
 * chose.  cfg's granularity, role and scale-mode fields do not apply. */
static int l_cast(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_qcfg cfg;
	mq_checkqcfg(L, 2, 0, 2, NULL, 1, &cfg);
	lua_Number scale = luaL_optnumber(L, 3, 1.0);
	float fs = (float)scale;
	if (!(fs > 0.0f) || fs > 3.40282347e38f)
		return luaL_argerror(L, 3, "scale must be a finite number > 0 (as a float32)");
	mq_tensor *y = mq_newtensor(L, t->ndim, t->dim);
	mq_qstats st = {0, 0, 0, 0};
	mq_status s = mq_fakequant(&cfg.op.q, t->data, t->n, fs, 0, y->data, &st);
	if (s)
		return mq_lua_status(L, s, 2, NULL);
	push_stats(L, &st);
	return 2;
}

/* metriq.formats() -> list of the named formats */
static int l_formats(lua_State *L)
{
	lua_newtable(L);
	const char *name;
	for (size_t i = 0; (name = mq_format_name(i)) != NULL; i++) {
		lua_pushstring(L, name);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* metriq.format(name) -> the descriptor as a table */
static int l_format(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	mq_format f;
	if (mq_format_get(name, &f))
		return bad(L, 1, "", "format", name, mq_format_known());
	static const char *const kinds[] = {"float", "int", "e8m0"};
	lua_createtable(L, 0, 14);
	lua_pushstring(L, f.name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, kinds[f.kind]);
	lua_setfield(L, -2, "kind");
	struct { const char *k; int v; } ints[] = {
		{"bits", f.bits}, {"ebits", f.ebits}, {"mbits", f.mbits}, {"bias", f.bias},
		{"emin", f.emin}, {"emax", f.emax},
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		lua_pushinteger(L, ints[i].v);
		lua_setfield(L, -2, ints[i].k);
	}
	lua_pushboolean(L, f.has_inf);
	lua_setfield(L, -2, "has_inf");
	lua_pushboolean(L, f.has_nan);
	lua_setfield(L, -2, "has_nan");
	lua_pushnumber(L, f.max);
	lua_setfield(L, -2, "max");
	lua_pushnumber(L, f.min_normal);
	lua_setfield(L, -2, "min_normal");
	lua_pushnumber(L, f.min_subnormal);
	lua_setfield(L, -2, "min_subnormal");
	return 1;
}

static const luaL_Reg funcs[] = {
	{"quantize", l_quantize},
	{"cast", l_cast},
	{"formats", l_formats},
	{"format", l_format},
	{NULL, NULL}
};

int mq_open_quant(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

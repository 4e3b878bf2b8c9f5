/* lua_run.c: the engine's run (run.h) as the Lua state sees it: where the
 * bindings find it, and Lua values as the JSON values the engine records. */
#include <math.h>

#include "jv.h"
#include "lmetriq.h"
#include "run.h"

#define MAXDEPTH 64 /* deeper nesting than params ever have: a cycle */

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

static json_t *tojson(lua_State *L, int idx, int depth, const char **err);

/* A sequence 1..n becomes an array (the empty table too), a table with
 * string keys an object; anything else says nothing JSON can. */
static json_t *table_tojson(lua_State *L, int idx, int depth, const char **err)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	int seq = 1, strkeys = 1;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		strkeys &= lua_type(L, -1) == LUA_TSTRING;
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n)
			seq = 0;
	}
	if (!(seq && count == n) && !strkeys) {
		*err = "a table mixes list items and keys, or has non-string keys";
		return NULL;
	}
	json_t *out = seq && count == n ? json_array() : json_object();
	int ok = out != NULL;
	if (seq && count == n) {
		for (lua_Integer i = 1; ok && i <= n; i++) {
			lua_rawgeti(L, idx, i);
			ok = !json_array_append_new(out, tojson(L, lua_gettop(L), depth + 1, err));
			lua_pop(L, 1);
		}
	} else {
		lua_pushnil(L);
		while (ok && lua_next(L, idx)) {
			size_t kl;
			const char *k = lua_tolstring(L, -2, &kl);
			ok = !json_object_setn_new_nocheck(out, k, kl, tojson(L, lua_gettop(L), depth + 1, err));
			lua_pop(L, 1);
		}
		if (!ok)
			lua_pop(L, 1); /* the key lua_next left */
	}
	if (!ok) {
		json_decref(out);
		if (!*err)
			*err = "out of memory";
		return NULL;
	}
	return out;
}

static json_t *tojson(lua_State *L, int idx, int depth, const char **err)
{
	if (depth > MAXDEPTH || !lua_checkstack(L, 4)) {
		*err = "tables nested too deep (a cycle?)";
		return NULL;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return json_null();
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER: {
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		double x = (double)lua_tonumber(L, idx);
		/* NaN is null, as the manifest writes it */
		return isnan(x) ? mq_jv_nan() : isinf(x) ? mq_jv_inf(x < 0) : json_real(x);
	}
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		return json_stringn_nocheck(s, n); /* bytes as they are, UTF-8 or not */
	}
	case LUA_TTABLE:
		return table_tojson(L, idx, depth, err);
	default:
		*err = "only nil, booleans, numbers, strings and tables can be written";
		return NULL;
	}
}

json_t *mq_lua_tojson(lua_State *L, int idx, const char **err)
{
	*err = NULL;
	json_t *v = tojson(L, lua_absindex(L, idx), 0, err);
	if (!v && !*err)
		*err = "out of memory";
	return v;
}

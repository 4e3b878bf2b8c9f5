/* lua_params.c: metriq.params, a script's parameters and their --set values.
 *
 * A script declares its parameters and their defaults in one call,
 *     local P = metriq.params{ n = 512, nus = {1, 2, math.huge}, fmt = "e4m3" }
 * which returns the table with the --set values in place of the defaults
 * and hands the engine the result (mq_run_set_params).  A --set key the
 * script does not declare is an error (params.h for the rest).
 *
 * A --set text becomes a Lua value by the type of the declared default:
 *   number   a Lua numeral (integer or float, as Lua reads it), or inf,
 *            +inf, -inf, nan (any case); anything else is an error.
 *   boolean  true or false (also 1 or 0, yes or no).
 *   string   the text itself, unparsed ("--set fmt=8" gives "8").
 *   table    a list: the text split at commas, each item read as a
 *            number or boolean where it is one, else kept as a string;
 *            the empty text gives the empty list.
 * Defaults of other types (functions, userdata) are errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "lmetriq.h"
#include "run.h"

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		if (x != *b)
			return 0;
	}
	return *a == *b;
}

/* A number: Lua's own numeral syntax, plus the IEEE specials that Lua
 * spells math.huge and 0/0. */
static int push_number(lua_State *L, const char *s)
{
	if (ieq(s, "inf") || ieq(s, "+inf") || ieq(s, "infinity") || ieq(s, "+infinity"))
		lua_pushnumber(L, (lua_Number)INFINITY);
	else if (ieq(s, "-inf") || ieq(s, "-infinity"))
		lua_pushnumber(L, -(lua_Number)INFINITY);
	else if (ieq(s, "nan"))
		lua_pushnumber(L, (lua_Number)NAN);
	else
		return lua_stringtonumber(L, s) != 0;
	return 1;
}

static int push_boolean(lua_State *L, const char *s)
{
	if (ieq(s, "true") || ieq(s, "yes") || !strcmp(s, "1"))
		lua_pushboolean(L, 1);
	else if (ieq(s, "false") || ieq(s, "no") || !strcmp(s, "0"))
		lua_pushboolean(L, 0);
	else
		return 0;
	return 1;
}

/* A list item: a number or a boolean where it reads as one, else a string
 * ("--set formats=int8,e4m3" and "--set nus=1,2,inf" both do what they say). */
static void push_item(lua_State *L, const char *s, size_t n)
{
	lua_pushlstring(L, s, n);
	const char *t = lua_tostring(L, -1);
	if (push_number(L, t) || (!strcmp(t, "true") && (lua_pushboolean(L, 1), 1))
	    || (!strcmp(t, "false") && (lua_pushboolean(L, 0), 1)))
		lua_remove(L, -2);
}

/* Push the value of text for a parameter whose default is at index def;
 * 0, or -1 with a message in err (nothing pushed). */
static int param_push(lua_State *L, const char *text, int def, char *err, size_t errlen)
{
	switch (lua_type(L, def)) {
	case LUA_TNUMBER:
		if (push_number(L, text))
			return 0;
		snprintf(err, errlen, "expects a number, got '%s'", text);
		return -1;
	case LUA_TBOOLEAN:
		if (push_boolean(L, text))
			return 0;
		snprintf(err, errlen, "expects true or false, got '%s'", text);
		return -1;
	case LUA_TSTRING:
		lua_pushstring(L, text);
		return 0;
	case LUA_TTABLE: {
		lua_newtable(L);
		lua_Integer i = 0;
		const char *p = text;
		while (*text) {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			push_item(L, p, n);
			lua_rawseti(L, -2, ++i);
			if (!c)
				break;
			p = c + 1;
		}
		return 0;
	}
	default:
		snprintf(err, errlen, "has a default of type %s (use a number, boolean, string or list)",
		         luaL_typename(L, def));
		return -1;
	}
}

/* Keys of the declaration, sorted, comma-separated (for messages). */
static void declared(lua_State *L, int t, mq_buf *b)
{
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_newtable(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -3, ++n);
	}
	lua_pushvalue(L, -1);
	lua_insert(L, -3); /* keep the list below sort's arguments */
	lua_call(L, 1, 0);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (i > 1)
			mq_buf_str(b, ", ");
		mq_buf_str(b, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 2); /* list, table library */
}

int mq_lua_params(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	if (run->params_declared)
		return luaL_error(L, "params declared twice");
	/* check the declaration: string keys, values a --set can replace */
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_argerror(L, 1, "parameter names must be strings");
		int t = lua_type(L, -1);
		if (t != LUA_TNUMBER && t != LUA_TBOOLEAN && t != LUA_TSTRING && t != LUA_TTABLE)
			return luaL_argerror(L, 1, lua_pushfstring(L, "parameter '%s' has a default of type %s"
			                     " (use a number, boolean, string or list)",
			                     lua_tostring(L, -2), luaL_typename(L, -1)));
		lua_pop(L, 1);
	}
	/* the result: a copy of the defaults with --set values in their place */
	lua_newtable(L);
	int out = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, out);
	}
	for (size_t i = 0; i < run->set.n; i++) {
		const mq_set *s = &run->set.v[i];
		lua_getfield(L, 1, s->key);
		if (lua_isnil(L, -1)) {
			mq_buf b = MQ_BUF_INIT;
			declared(L, 1, &b);
			lua_pushfstring(L, "--set %s: the script declares no parameter '%s' (declared: %s)",
			                s->key, s->key, b.len ? b.p : "none");
			mq_buf_free(&b);
			return luaL_error(L, "%s", lua_tostring(L, -1));
		}
		char err[256];
		if (param_push(L, s->value, lua_gettop(L), err, sizeof err))
			return luaL_error(L, "--set %s: parameter '%s' %s", s->key, s->key, err);
		lua_setfield(L, out, s->key);
		lua_pop(L, 1);
	}
	/* record the values in the manifest (and check them against it) */
	const char *e;
	json_t *v = mq_lua_tojson(L, out, &e);
	if (!v)
		return luaL_argerror(L, 1, e);
	int rc = mq_run_set_params(run, v);
	json_decref(v);
	if (rc)
		return luaL_error(L, "%s", run->err);
	lua_settop(L, out);
	return 1;
}

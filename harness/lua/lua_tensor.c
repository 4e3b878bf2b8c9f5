/* lua_tensor.c: the tensor userdata (liolib's pattern: one type, one
 * metatable, methods through __index, __gc frees the data).
 *
 * Indices are 1-based, as everywhere in Lua.  t[i] is the i-th element in
 * row-major order and #t the number of elements, so a tensor of any shape
 * can be walked as a flat list; t:get(i, j, k) takes one index per axis.
 * Every function that makes a tensor returns a new one that owns its data:
 * slices and reshapes copy, so no tensor ever changes behind another's back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmetriq.h"


const char *mq_shapestr(const mq_tensor *t, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int a = 0; a < t->ndim && off < len; a++)
		off += (size_t)snprintf(buf + off, len - off, a ? "x%zu" : "%zu", t->dim[a]);
	return buf;
}

mq_tensor *mq_checktensor(lua_State *L, int arg)
{
	mq_tensor *t = luaL_checkudata(L, arg, MQ_TENSOR);
	if (!t->data)
		luaL_argerror(L, arg, "tensor already freed");
	return t;
}

mq_tensor *mq_newtensor(lua_State *L, int ndim, const size_t *dim)
{
	size_t n = 1;
	for (int a = 0; a < ndim; a++) {
		if (dim[a] == 0 || dim[a] > MQ_TMAXELEMS || n > MQ_TMAXELEMS / dim[a]) {
			mq_tensor want = {ndim, {dim[0], ndim > 1 ? dim[1] : 1, ndim > 2 ? dim[2] : 1}, 0, NULL};
			char s[96];
			mq_shapestr(&want, s, sizeof s);
			if (dim[a] == 0)
				luaL_error(L, "tensor of %s elements: every dimension must be >= 1", s);
			luaL_error(L, "tensor of %s elements: at most %I elements", s,
			           (lua_Integer)MQ_TMAXELEMS);
		}
		n *= dim[a];
	}
	mq_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
	t->ndim = 0; /* a valid empty state first: __gc may run if calloc fails */
	t->n = 0;
	t->data = NULL;
	luaL_setmetatable(L, MQ_TENSOR);
	/* round up to the alignment, as aligned_alloc requires */
	size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
	t->data = aligned_alloc(64, bytes);
	if (!t->data)
		luaL_error(L, "not enough memory for a tensor of %I elements", (lua_Integer)n);
	memset(t->data, 0, bytes);
	t->ndim = ndim;
	for (int a = 0; a < MQ_TMAXDIM; a++)
		t->dim[a] = a < ndim ? dim[a] : 1;
	t->n = n;
	return t;
}

int mq_checkshape(lua_State *L, int arg, size_t *dim)
{
	int nd = 0;
	if (lua_type(L, arg) == LUA_TNUMBER) {
		lua_Integer d = luaL_checkinteger(L, arg);
		luaL_argcheck(L, d >= 1, arg, "dimensions must be >= 1");
		dim[0] = (size_t)d;
		return 1;
	}
	luaL_argexpected(L, lua_type(L, arg) == LUA_TTABLE, arg, "shape (integer or list)");
	lua_Integer n = (lua_Integer)lua_rawlen(L, arg);
	luaL_argcheck(L, n >= 1 && n <= MQ_TMAXDIM, arg, "a shape has 1 to 3 dimensions");
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, arg, i);
		int isint;
		lua_Integer d = lua_tointegerx(L, -1, &isint);
		lua_pop(L, 1);
		if (!isint || d < 1)
			luaL_argerror(L, arg, lua_pushfstring(L, "dimension %I of the shape is not an integer >= 1", i));
		dim[nd++] = (size_t)d;
	}
	return nd;
}

/* ---- constructors ---- */

/* metriq.zeros(d1 [, d2 [, d3]]) or metriq.zeros{d1, ...} */
static int t_zeros(lua_State *L)
{
	size_t dim[MQ_TMAXDIM];
	int nd;
	if (lua_istable(L, 1)) {
		nd = mq_checkshape(L, 1, dim);
	} else {
		nd = lua_gettop(L);
		luaL_argcheck(L, nd >= 1, 1, "shape expected");
		luaL_argcheck(L, nd <= MQ_TMAXDIM, MQ_TMAXDIM + 1, "a shape has 1 to 3 dimensions");
		for (int a = 0; a < nd; a++) {
			lua_Integer d = luaL_checkinteger(L, a + 1);
			luaL_argcheck(L, d >= 1, a + 1, "dimensions must be >= 1");
			dim[a] = (size_t)d;
		}
	}
	mq_newtensor(L, nd, dim);
	return 1;
}

/* Depth and shape of a nested table, from its first elements. */
static int nested_shape(lua_State *L, int arg, size_t *dim)
{
	int nd = 0;
	lua_pushvalue(L, arg);
	while (lua_istable(L, -1)) {
		if (nd == MQ_TMAXDIM)
			luaL_argerror(L, arg, "tables nested deeper than 3 levels");
		size_t n = (size_t)lua_rawlen(L, -1);
		if (n == 0)
			luaL_argerror(L, arg, "empty table (a tensor has at least one element)");
		dim[nd++] = n;
		lua_rawgeti(L, -1, 1);
		lua_remove(L, -2);
	}
	lua_pop(L, 1);
	return nd;
}

static void fill_nested(lua_State *L, int arg, int t, int axis, const mq_tensor *ts,
                        size_t *pos, lua_Integer *ix)
{
	if (axis >= ts->ndim || axis >= MQ_TMAXDIM)
		return; /* never: the recursion stops at ndim; the compiler cannot tell */
	size_t n = (size_t)lua_rawlen(L, t);
	if (n != ts->dim[axis]) {
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		for (int a = 0; a < axis; a++)
			lua_pushfstring(L, "[%I]", ix[a]), luaL_addvalue(&b);
		luaL_pushresult(&b);
		luaL_argerror(L, arg, lua_pushfstring(L, "%s %s has %I elements, expected %I (rows must be equal)",
		                     axis ? "table" : "the table", lua_tostring(L, -1),
		                     (lua_Integer)n, (lua_Integer)ts->dim[axis]));
	}
	for (size_t i = 1; i <= n; i++) {
		ix[axis] = (lua_Integer)i;
		lua_rawgeti(L, t, (lua_Integer)i);
		if (axis + 1 < ts->ndim) {
			if (!lua_istable(L, -1))
				luaL_argerror(L, arg, lua_pushfstring(L, "element %I at depth %d is a %s, expected a table",
				                     (lua_Integer)i, axis + 1, luaL_typename(L, -1)));
			fill_nested(L, arg, lua_gettop(L), axis + 1, ts, pos, ix);
		} else {
			int ok;
			lua_Number v = lua_tonumberx(L, -1, &ok);
			if (!ok || lua_type(L, -1) != LUA_TNUMBER) {
				luaL_Buffer b;
				luaL_buffinit(L, &b);
				for (int a = 0; a <= axis; a++)
					lua_pushfstring(L, "[%I]", ix[a]), luaL_addvalue(&b);
				luaL_pushresult(&b);
				luaL_argerror(L, arg, lua_pushfstring(L, "element %s is a %s, expected a number",
				                     lua_tostring(L, -1), luaL_typename(L, -2)));
			}
			ts->data[(*pos)++] = (float)v;
		}
		lua_pop(L, 1);
	}
}

/* metriq.tensor{...}: from a list, a list of lists or a list of lists of
 * lists of numbers (each rounded to float32). */
static int t_tensor(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	size_t dim[MQ_TMAXDIM];
	int nd = nested_shape(L, 1, dim);
	mq_tensor *t = mq_newtensor(L, nd, dim);
	size_t pos = 0;
	lua_Integer ix[MQ_TMAXDIM];
	fill_nested(L, 1, 1, 0, t, &pos, ix);
	return 1;
}

/* ---- methods ---- */

static int t_shape(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	for (int a = 0; a < t->ndim; a++)
		lua_pushinteger(L, (lua_Integer)t->dim[a]);
	return t->ndim;
}

static int t_ndim(lua_State *L)
{
	lua_pushinteger(L, mq_checktensor(L, 1)->ndim);
	return 1;
}

/* Flat offset of the ndim indices at args first.. (1-based, checked). */
static size_t offset(lua_State *L, const mq_tensor *t, int first)
{
	size_t off = 0;
	for (int a = 0; a < t->ndim; a++) {
		lua_Integer i = luaL_checkinteger(L, first + a);
		if (i < 1 || (size_t)i > t->dim[a]) {
			char s[64];
			luaL_argerror(L, first + a, lua_pushfstring(L, "index %I out of range 1..%I (shape %s)",
			                          i, (lua_Integer)t->dim[a], mq_shapestr(t, s, sizeof s)));
		}
		off = off * t->dim[a] + (size_t)(i - 1);
	}
	return off;
}

static int t_get(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	/* the count is reported on the first index: argument 1 is self */
	luaL_argcheck(L, lua_gettop(L) == t->ndim + 1, 2,
	              lua_pushfstring(L, "a %d-D tensor takes %d indices", t->ndim, t->ndim));
	lua_pushnumber(L, t->data[offset(L, t, 2)]);
	return 1;
}

static int t_set(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	luaL_argcheck(L, lua_gettop(L) == t->ndim + 2, 2,
	              lua_pushfstring(L, "a %d-D tensor takes %d indices and a value", t->ndim, t->ndim));
	size_t off = offset(L, t, 2);
	t->data[off] = (float)luaL_checknumber(L, t->ndim + 2);
	return 0;
}

/* Range of axis a from argument arg: nil (all), an index i (i..i) or a
 * pair {first, last}; negative numbers count from the end (-1 = last). */
static void range(lua_State *L, const mq_tensor *t, int a, int arg, size_t *lo, size_t *hi)
{
	lua_Integer n = (lua_Integer)t->dim[a], f, l;
	if (lua_isnoneornil(L, arg)) {
		*lo = 0;
		*hi = (size_t)n;
		return;
	}
	if (lua_istable(L, arg)) {
		luaL_argcheck(L, lua_rawlen(L, arg) == 2, arg, "a range is {first, last}");
		lua_rawgeti(L, arg, 1);
		lua_rawgeti(L, arg, 2);
		int ok1, ok2;
		f = lua_tointegerx(L, -2, &ok1);
		l = lua_tointegerx(L, -1, &ok2);
		lua_pop(L, 2);
		luaL_argcheck(L, ok1 && ok2, arg, "a range is {first, last} with integers");
	} else {
		f = l = luaL_checkinteger(L, arg);
	}
	if (f < 0)
		f += n + 1;
	if (l < 0)
		l += n + 1;
	if (f < 1 || l > n || f > l) {
		char s[64];
		luaL_argerror(L, arg, lua_pushfstring(L, "range %I..%I outside axis %d of a %s tensor",
		                     f, l, a + 1, mq_shapestr(t, s, sizeof s)));
	}
	*lo = (size_t)(f - 1);
	*hi = (size_t)l;
}

/* t:slice(r1 [, r2 [, r3]]): a copy of the sub-block; axes keep their
 * number (a single index gives a dimension of 1). */
static int t_slice(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	luaL_argcheck(L, lua_gettop(L) <= t->ndim + 1, t->ndim + 2,
	              lua_pushfstring(L, "a %d-D tensor takes at most %d ranges", t->ndim, t->ndim));
	size_t lo[MQ_TMAXDIM] = {0, 0, 0}, hi[MQ_TMAXDIM] = {1, 1, 1}, dim[MQ_TMAXDIM];
	for (int a = 0; a < t->ndim; a++) {
		range(L, t, a, a + 2, &lo[a], &hi[a]);
		dim[a] = hi[a] - lo[a];
	}
	mq_tensor *s = mq_newtensor(L, t->ndim, dim);
	/* View both as 3-D with leading axes of 1 and copy contiguous runs
	 * along the last axis. */
	size_t D[3] = {1, 1, 1}, lo3[3] = {0, 0, 0}, hi3[3] = {1, 1, 1};
	int sh = MQ_TMAXDIM - t->ndim;
	for (int a = 0; a < t->ndim; a++) {
		D[a + sh] = t->dim[a];
		lo3[a + sh] = lo[a];
		hi3[a + sh] = hi[a];
	}
	size_t len = hi3[2] - lo3[2], o = 0;
	for (size_t i = lo3[0]; i < hi3[0]; i++)
		for (size_t j = lo3[1]; j < hi3[1]; j++) {
			memcpy(s->data + o, t->data + (i * D[1] + j) * D[2] + lo3[2], len * sizeof(float));
			o += len;
		}
	return 1;
}

static int t_reshape(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	size_t dim[MQ_TMAXDIM];
	int nd;
	if (lua_istable(L, 2)) {
		nd = mq_checkshape(L, 2, dim);
	} else {
		nd = lua_gettop(L) - 1;
		luaL_argcheck(L, nd >= 1 && nd <= MQ_TMAXDIM, 2, "a shape has 1 to 3 dimensions");
		for (int a = 0; a < nd; a++) {
			lua_Integer d = luaL_checkinteger(L, a + 2);
			luaL_argcheck(L, d >= 1, a + 2, "dimensions must be >= 1");
			dim[a] = (size_t)d;
		}
	}
	size_t n = 1;
	for (int a = 0; a < nd; a++)
		n = dim[a] <= MQ_TMAXELEMS && n <= MQ_TMAXELEMS / dim[a] ? n * dim[a] : 0;
	if (n != t->n) {
		mq_tensor want = {nd, {dim[0], nd > 1 ? dim[1] : 1, nd > 2 ? dim[2] : 1}, n, NULL};
		char a[64], b[64];
		return luaL_argerror(L, 2, lua_pushfstring(L, "cannot reshape a %s tensor to %s",
		                     mq_shapestr(t, a, sizeof a), mq_shapestr(&want, b, sizeof b)));
	}
	mq_tensor *r = mq_newtensor(L, nd, dim);
	memcpy(r->data, t->data, n * sizeof(float));
	return 1;
}

static int t_clone(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_tensor *c = mq_newtensor(L, t->ndim, t->dim);
	memcpy(c->data, t->data, t->n * sizeof(float));
	return 1;
}

static void push_nested(lua_State *L, const mq_tensor *t, int axis, size_t *pos)
{
	if (axis >= t->ndim || axis >= MQ_TMAXDIM) {
		lua_pushnil(L); /* never: the recursion stops at ndim; the compiler cannot tell */
		return;
	}
	luaL_checkstack(L, 3, "tensor too deep");
	lua_createtable(L, (int)(t->dim[axis] < 1u << 30 ? t->dim[axis] : 0), 0);
	for (size_t i = 0; i < t->dim[axis]; i++) {
		if (axis + 1 < t->ndim)
			push_nested(L, t, axis + 1, pos);
		else
			lua_pushnumber(L, t->data[(*pos)++]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* t:totable(): nested lists of numbers, the inverse of metriq.tensor. */
static int t_totable(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	size_t pos = 0;
	push_nested(L, t, 0, &pos);
	return 1;
}

/* ---- metamethods ---- */

static int t_gc(lua_State *L)
{
	mq_tensor *t = luaL_checkudata(L, 1, MQ_TENSOR);
	free(t->data);
	t->data = NULL;
	return 0;
}

static int t_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mq_checktensor(L, 1)->n);
	return 1;
}

static int t_tostring(lua_State *L)
{
	mq_tensor *t = luaL_checkudata(L, 1, MQ_TENSOR);
	char s[64];
	if (!t->data)
		lua_pushliteral(L, "tensor (freed)");
	else
		lua_pushfstring(L, "tensor %s (float32)", mq_shapestr(t, s, sizeof s));
	return 1;
}

/* t[i] (flat element) or t:method */
static int t_index(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	int isint;
	lua_Integer i = lua_tointegerx(L, 2, &isint);
	if (isint && lua_type(L, 2) == LUA_TNUMBER) {
		if (i < 1 || (size_t)i > t->n)
			return luaL_error(L, "tensor index %I out of range 1..%I", i, (lua_Integer)t->n);
		lua_pushnumber(L, t->data[i - 1]);
		return 1;
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1)); /* the methods table */
	return 1;
}

static int t_newindex(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	int isint;
	lua_Integer i = lua_tointegerx(L, 2, &isint);
	if (!isint || lua_type(L, 2) != LUA_TNUMBER)
		return luaL_error(L, "tensors take only integer keys (t[i] = x)");
	if (i < 1 || (size_t)i > t->n)
		return luaL_error(L, "tensor index %I out of range 1..%I", i, (lua_Integer)t->n);
	int ok;
	lua_Number v = lua_tonumberx(L, 3, &ok);
	if (!ok || lua_type(L, 3) != LUA_TNUMBER)
		return luaL_error(L, "tensor elements are numbers, not %s", luaL_typename(L, 3));
	t->data[i - 1] = (float)v;
	return 0;
}

static const luaL_Reg methods[] = {
	{"shape", t_shape},
	{"ndim", t_ndim},
	{"get", t_get},
	{"set", t_set},
	{"slice", t_slice},
	{"reshape", t_reshape},
	{"clone", t_clone},
	{"totable", t_totable},
	{NULL, NULL}
};

static const luaL_Reg metameth[] = {
	{"__newindex", t_newindex},
	{"__len", t_len},
	{"__gc", t_gc},
	{"__tostring", t_tostring},
	{NULL, NULL}
};

static const luaL_Reg funcs[] = {
	{"tensor", t_tensor},
	{"zeros", t_zeros},
	{NULL, NULL}
};

int mq_open_tensor(lua_State *L)
{
	luaL_newmetatable(L, MQ_TENSOR);
	luaL_setfuncs(L, metameth, 0);
	luaL_newlib(L, methods);
	lua_pushcclosure(L, t_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

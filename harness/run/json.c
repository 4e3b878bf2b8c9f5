/* json.c: JSON writing and reading for the manifest (see json.h). */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define MAXDEPTH 64 /* deeper nesting than the manifest ever has: a cycle */

void mq_json_string(mq_buf *b, const char *s, size_t len)
{
	mq_buf_char(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': mq_buf_str(b, "\\\""); break;
		case '\\': mq_buf_str(b, "\\\\"); break;
		case '\n': mq_buf_str(b, "\\n"); break;
		case '\r': mq_buf_str(b, "\\r"); break;
		case '\t': mq_buf_str(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				mq_buf_printf(b, "\\u%04x", c);
			else
				mq_buf_char(b, (char)c);
		}
	}
	mq_buf_char(b, '"');
}

void mq_json_number(mq_buf *b, double x)
{
	if (isnan(x))
		mq_buf_str(b, "null");
	else if (isinf(x))
		mq_buf_str(b, x > 0 ? "1e999" : "-1e999");
	else
		mq_buf_double(b, x);
}

typedef struct key { const char *s; size_t n; } key;

static int keycmp(const void *a, const void *b)
{
	const key *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void newline(mq_buf *b, int indent)
{
	if (indent < 0)
		return;
	mq_buf_char(b, '\n');
	for (int i = 0; i < indent; i++)
		mq_buf_char(b, ' ');
}

static const char *encode(mq_buf *b, lua_State *L, int idx, int indent, int depth);

static const char *encode_table(mq_buf *b, lua_State *L, int idx, int indent, int depth)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	int seq = 1, strkeys = 1;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		if (lua_type(L, -1) != LUA_TSTRING)
			strkeys = 0;
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n)
			seq = 0;
	}
	int inner = indent < 0 ? -1 : indent + 2;
	if (seq && count == n) {
		mq_buf_char(b, '[');
		for (lua_Integer i = 1; i <= n; i++) {
			if (i > 1)
				mq_buf_char(b, ',');
			newline(b, inner);
			lua_rawgeti(L, idx, i);
			const char *e = encode(b, L, lua_gettop(L), inner, depth + 1);
			lua_pop(L, 1);
			if (e)
				return e;
		}
		if (n)
			newline(b, indent);
		mq_buf_char(b, ']');
		return NULL;
	}
	if (!strkeys)
		return "a table mixes list items and keys, or has non-string keys";
	key *keys = malloc((size_t)count * sizeof *keys);
	if (!keys)
		return "out of memory";
	size_t k = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		/* the key strings stay alive: the table holds them */
		keys[k].s = lua_tolstring(L, -1, &keys[k].n);
		k++;
	}
	qsort(keys, k, sizeof *keys, keycmp);
	mq_buf_char(b, '{');
	const char *err = NULL;
	for (size_t i = 0; i < k && !err; i++) {
		if (i)
			mq_buf_char(b, ',');
		newline(b, inner);
		mq_json_string(b, keys[i].s, keys[i].n);
		mq_buf_str(b, indent < 0 ? ":" : ": ");
		lua_pushlstring(L, keys[i].s, keys[i].n);
		lua_rawget(L, idx);
		err = encode(b, L, lua_gettop(L), inner, depth + 1);
		lua_pop(L, 1);
	}
	free(keys);
	if (err)
		return err;
	if (k)
		newline(b, indent);
	mq_buf_char(b, '}');
	return NULL;
}

static const char *encode(mq_buf *b, lua_State *L, int idx, int indent, int depth)
{
	if (depth > MAXDEPTH)
		return "tables nested too deep (a cycle?)";
	if (!lua_checkstack(L, 4))
		return "Lua stack overflow";
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		mq_buf_str(b, "null");
		return NULL;
	case LUA_TBOOLEAN:
		mq_buf_str(b, lua_toboolean(L, idx) ? "true" : "false");
		return NULL;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			mq_buf_printf(b, "%lld", (long long)lua_tointeger(L, idx));
		else
			mq_json_number(b, (double)lua_tonumber(L, idx));
		return NULL;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		mq_json_string(b, s, n);
		return NULL;
	}
	case LUA_TTABLE:
		return encode_table(b, L, idx, indent, depth);
	default:
		return "only nil, booleans, numbers, strings and tables can be written";
	}
}

const char *mq_json_lua(mq_buf *b, lua_State *L, int idx, int indent)
{
	return encode(b, L, lua_absindex(L, idx), indent, 0);
}

/* ---- reading ---- */

typedef struct reader {
	lua_State *L;
	const char *s, *p, *end;
	const char *err;
} reader;

static void skipws(reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int fail(reader *r, const char *msg)
{
	if (!r->err)
		r->err = msg;
	return 0;
}

static int lit(reader *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return fail(r, "unexpected character");
	r->p += n;
	return 1;
}

static int hex4(reader *r, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++) {
		if (r->p >= r->end)
			return fail(r, "truncated \\u escape");
		char c = *r->p++;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
		           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d == 16)
			return fail(r, "bad \\u escape");
		*u = *u * 16 + d;
	}
	return 1;
}

static void utf8(luaL_Buffer *lb, unsigned u)
{
	if (u < 0x80) {
		luaL_addchar(lb, (char)u);
	} else if (u < 0x800) {
		luaL_addchar(lb, (char)(0xC0 | (u >> 6)));
		luaL_addchar(lb, (char)(0x80 | (u & 0x3F)));
	} else if (u < 0x10000) {
		luaL_addchar(lb, (char)(0xE0 | (u >> 12)));
		luaL_addchar(lb, (char)(0x80 | ((u >> 6) & 0x3F)));
		luaL_addchar(lb, (char)(0x80 | (u & 0x3F)));
	} else {
		luaL_addchar(lb, (char)(0xF0 | (u >> 18)));
		luaL_addchar(lb, (char)(0x80 | ((u >> 12) & 0x3F)));
		luaL_addchar(lb, (char)(0x80 | ((u >> 6) & 0x3F)));
		luaL_addchar(lb, (char)(0x80 | (u & 0x3F)));
	}
}

static int string(reader *r)
{
	luaL_Buffer lb;
	r->p++; /* opening quote */
	luaL_buffinit(r->L, &lb);
	for (;;) {
		if (r->p >= r->end) {
			luaL_pushresult(&lb);
			lua_pop(r->L, 1);
			return fail(r, "unterminated string");
		}
		char c = *r->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			luaL_pushresult(&lb);
			lua_pop(r->L, 1);
			return fail(r, "control character in string");
		}
		if (c != '\\') {
			luaL_addchar(&lb, c);
			continue;
		}
		if (r->p >= r->end)
			continue; /* reported as unterminated above */
		unsigned u, lo;
		switch (c = *r->p++) {
		case '"': case '\\': case '/': luaL_addchar(&lb, c); break;
		case 'b': luaL_addchar(&lb, '\b'); break;
		case 'f': luaL_addchar(&lb, '\f'); break;
		case 'n': luaL_addchar(&lb, '\n'); break;
		case 'r': luaL_addchar(&lb, '\r'); break;
		case 't': luaL_addchar(&lb, '\t'); break;
		case 'u':
			if (!hex4(r, &u))
				goto bad;
			/* a surrogate pair is one code point */
			if (u >= 0xD800 && u < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\'
			    && r->p[1] == 'u') {
				r->p += 2;
				if (!hex4(r, &lo))
					goto bad;
				if (lo >= 0xDC00 && lo < 0xE000)
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			utf8(&lb, u);
			break;
		default:
			fail(r, "bad escape in string");
			goto bad;
		}
	}
	luaL_pushresult(&lb);
	return 1;
bad:
	luaL_pushresult(&lb);
	lua_pop(r->L, 1);
	return 0;
}

static int number(reader *r)
{
	/* Check the JSON grammar, then let Lua convert: integers stay integers
	 * (seeds are 64-bit), and 1e999 overflows to inf as documented. */
	const char *q = r->p;
	if (q < r->end && *q == '-')
		q++;
	const char *digits = q;
	while (q < r->end && *q >= '0' && *q <= '9')
		q++;
	if (q == digits)
		return fail(r, "bad number");
	if (q < r->end && *q == '.') {
		q++;
		const char *f = q;
		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
		if (q == f)
			return fail(r, "bad number");
	}
	if (q < r->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < r->end && (*q == '+' || *q == '-'))
			q++;
		const char *e = q;
		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
		if (q == e)
			return fail(r, "bad number");
	}
	char tmp[64];
	size_t n = (size_t)(q - r->p);
	if (n >= sizeof tmp)
		return fail(r, "number too long");
	memcpy(tmp, r->p, n);
	tmp[n] = 0;
	if (!lua_stringtonumber(r->L, tmp)) {
		/* integers beyond 64 bits and 1e999: Lua's reader rejects neither
		 * in practice, but strtod is the fallback that always answers */
		lua_pushnumber(r->L, (lua_Number)strtod(tmp, NULL));
	}
	r->p = q;
	return 1;
}

static int value(reader *r, int depth);

static int array(reader *r, int depth)
{
	r->p++;
	lua_newtable(r->L);
	skipws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return 1;
	}
	for (lua_Integer i = 1;; i++) {
		if (!value(r, depth + 1))
			goto bad;
		lua_rawseti(r->L, -2, i);
		skipws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return 1;
		}
		fail(r, "expected ',' or ']'");
		goto bad;
	}
bad:
	lua_pop(r->L, 1);
	return 0;
}

static int object(reader *r, int depth)
{
	r->p++;
	lua_newtable(r->L);
	skipws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 1;
	}
	for (;;) {
		skipws(r);
		if (r->p >= r->end || *r->p != '"') {
			fail(r, "expected a string key");
			goto bad;
		}
		if (!string(r))
			goto bad;
		skipws(r);
		if (r->p >= r->end || *r->p != ':') {
			lua_pop(r->L, 1);
			fail(r, "expected ':'");
			goto bad;
		}
		r->p++;
		if (!value(r, depth + 1)) {
			lua_pop(r->L, 1);
			goto bad;
		}
		lua_rawset(r->L, -3);
		skipws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return 1;
		}
		fail(r, "expected ',' or '}'");
		goto bad;
	}
bad:
	lua_pop(r->L, 1);
	return 0;
}

static int value(reader *r, int depth)
{
	if (depth > MAXDEPTH)
		return fail(r, "nested too deep");
	if (!lua_checkstack(r->L, 4))
		return fail(r, "Lua stack overflow");
	skipws(r);
	if (r->p >= r->end)
		return fail(r, "unexpected end of text");
	switch (*r->p) {
	case '{': return object(r, depth);
	case '[': return array(r, depth);
	case '"': return string(r);
	case 't': if (!lit(r, "true")) return 0; lua_pushboolean(r->L, 1); return 1;
	case 'f': if (!lit(r, "false")) return 0; lua_pushboolean(r->L, 0); return 1;
	case 'n': if (!lit(r, "null")) return 0; lua_pushnil(r->L); return 1;
	default: return number(r);
	}
}

int mq_json_decode(lua_State *L, const char *s, size_t len, char *err, size_t errlen)
{
	reader r = {L, s, s, s + len, NULL};
	if (value(&r, 0)) {
		skipws(&r);
		if (r.p == r.end)
			return 1;
		lua_pop(L, 1);
		fail(&r, "text after the value");
	}
	snprintf(err, errlen, "offset %zu: %s", (size_t)(r.p - r.s), r.err ? r.err : "syntax error");
	return 0;
}

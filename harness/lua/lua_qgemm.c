/* lua_qgemm.c: matrix products (qgemm.h).
 *
 *   metriq.matmul(L, R) -> L.R computed in double, rounded to float32
 *   metriq.qmatmul(L, R, cfg) -> Q(L, R), stats
 *
 * qmatmul's cfg: a format name (both operands), or a table whose operand
 * fields (format, rounding, granularity, block, overflow, underflow,
 * scale, seed) apply to both operands unless a subtable lhs = {...} or
 * rhs = {...} (or a format name) overrides them; plus accum = 'exact'
 * (default), 'fp32', or an FP8 tensor core's accumulator, 'h100-fp8' or
 * 'h100-fp8-fast' (mq_qmatmul_accum: e4m3/e5m2 operands only), threads =
 * N (default: the run's --threads), and
 * reference = true (plain loops only, for tests).  The operand roles are
 * implied (L is the LHS, R the RHS).  Without a seed, the LHS then the RHS
 * take the run's next implicit seeds.
 *
 * Threads: qmatmul splits the rows of the product over the threads; the
 * kernel computes every element the same way whatever the split, so the
 * result is bit-identical for any thread count. */
#include <string.h>

#include "lmetriq.h"
#include "run.h"

/* A 2-D tensor argument. */
static mq_tensor *checkmatrix(lua_State *L, int arg)
{
	mq_tensor *t = mq_checktensor(L, arg);
	if (t->ndim != 2) {
		char s[64];
		luaL_argerror(L, arg, lua_pushfstring(L, "expected a 2-D tensor, got a %d-D tensor (%s)",
		                                      t->ndim, mq_shapestr(t, s, sizeof s)));
	}
	return t;
}

static void checkfit(lua_State *L, const mq_tensor *l, const mq_tensor *r)
{
	if (l->dim[1] != r->dim[0]) {
		char a[64], b[64];
		luaL_argerror(L, 2, lua_pushfstring(L, "shapes %s and %s do not fit: L has %I columns, "
		              "R has %I rows", mq_shapestr(l, a, sizeof a), mq_shapestr(r, b, sizeof b),
		              (lua_Integer)l->dim[1], (lua_Integer)r->dim[0]));
	}
}

static int l_matmul(lua_State *L)
{
	mq_tensor *l = checkmatrix(L, 1), *r = checkmatrix(L, 2);
	checkfit(L, l, r);
	size_t dim[2] = {l->dim[0], r->dim[1]};
	mq_tensor *c = mq_newtensor(L, 2, dim);
	mq_status s = mq_matmul_ref_f32(l->dim[0], l->dim[1], r->dim[1], l->data, r->data, c->data);
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	return 1;
}

static void push_stats(lua_State *L, const mq_qstats *st)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)st->n);
	lua_setfield(L, -2, "n");
	lua_pushinteger(L, (lua_Integer)st->clipped);
	lua_setfield(L, -2, "clipped");
	lua_pushinteger(L, (lua_Integer)st->underflowed);
	lua_setfield(L, -2, "underflowed");
	lua_pushinteger(L, (lua_Integer)st->nan);
	lua_setfield(L, -2, "nan");
}

/* "role" is listed so that it gets its own message below */
static const char *const outer_fields[] = {
	"lhs", "rhs", "accum", "threads", "reference", "format", "rounding", "granularity",
	"block", "overflow", "underflow", "scale", "seed", "role", NULL
};

/* One operand's config: the subtable cfg[side] over the outer fields. */
static void operand(lua_State *L, int cfg, const char *side, mq_qcfg *q)
{
	char what[8];
	snprintf(what, sizeof what, "%s: ", side);
	if (lua_type(L, cfg) == LUA_TSTRING) {
		mq_checkqcfg(L, cfg, 0, 3, what, 1, q);
		return;
	}
	int t = lua_getfield(L, cfg, side);
	if (t == LUA_TTABLE && lua_getfield(L, -1, "role") != LUA_TNIL)
		luaL_argerror(L, 3, lua_pushfstring(L, "%s'role' is implied by the operand in qmatmul", what));
	if (t == LUA_TTABLE)
		lua_pop(L, 1);
	if (t == LUA_TNIL)
		mq_checkqcfg(L, 0, cfg, 3, what, 1, q);
	else
		mq_checkqcfg(L, lua_gettop(L), cfg, 3, what, 1, q);
	lua_pop(L, 1);
}

static int l_qmatmul(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	mq_tensor *l = checkmatrix(L, 1), *r = checkmatrix(L, 2);
	checkfit(L, l, r);
	int ct = lua_type(L, 3);
	luaL_argexpected(L, ct == LUA_TTABLE || ct == LUA_TSTRING, 3, "format name or config table");
	mq_qmatmul_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.accum = MQ_ACCUM_EXACT;
	char accname[32] = "exact"; /* as the script spelled it, for messages */
	int threads = run->threads;
	if (ct == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			lua_pop(L, 1);
			int known = 0;
			if (lua_type(L, -1) == LUA_TSTRING)
				for (int i = 0; outer_fields[i] && !known; i++)
					known = !strcmp(lua_tostring(L, -1), outer_fields[i]);
			if (!known)
				luaL_argerror(L, 3, lua_pushfstring(L, "unknown field '%s' (known: lhs, rhs, "
				              "accum, threads, reference, and the operand fields of quantize)",
				              luaL_tolstring(L, -1, NULL)));
		}
		if (lua_getfield(L, 3, "role") != LUA_TNIL)
			luaL_argerror(L, 3, "'role' is implied by the operand in qmatmul");
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "accum") != LUA_TNIL) {
			const char *a = lua_tostring(L, -1);
			if (lua_type(L, -1) != LUA_TSTRING || mq_qmatmul_accum(&cfg, a))
				luaL_argerror(L, 3, lua_pushfstring(L, "unknown accum '%s'; known: %s",
				                                    luaL_tolstring(L, -1, NULL),
				                                    mq_qmatmul_accum_known()));
			snprintf(accname, sizeof accname, "%s", a);
		}
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "threads") != LUA_TNIL) {
			int isint;
			lua_Integer n = lua_tointegerx(L, -1, &isint);
			if (!isint || n < 1 || n > MQ_MAXTHREADS)
				luaL_argerror(L, 3, lua_pushfstring(L, "'threads' must be an integer in 1..%d",
				                                    MQ_MAXTHREADS));
			threads = (int)n;
		}
		lua_pop(L, 1);
		lua_getfield(L, 3, "reference");
		if (lua_toboolean(L, -1))
			cfg.flags |= MQ_QMM_REFERENCE;
		lua_pop(L, 1);
	}
	mq_qcfg lq, rq;
	operand(L, 3, "lhs", &lq);
	operand(L, 3, "rhs", &rq);
	cfg.lhs = lq.op;
	cfg.rhs = rq.op;

	size_t M = l->dim[0], K = l->dim[1], N = r->dim[1];
	size_t dim[2] = {M, N};
	mq_tensor *c = mq_newtensor(L, 2, dim);
	mq_qstats ls = {0, 0, 0, 0}, rs = {0, 0, 0, 0};
	mq_status s = mq_qmatmul(&cfg, M, K, N, l->data, r->data, c->data, threads, &ls, &rs);
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 0, "NaN or Inf in L or R (absmax scaling needs finite data)");
	if (s == MQ_EOPTION && cfg.accum == MQ_ACCUM_MODEL)
		return mq_lua_status(L, s, 3, lua_pushfstring(L, "accum '%s' models an FP8 tensor core: "
		                     "both operands must be e4m3 or e5m2, got %s x %s", accname,
		                     cfg.lhs.q.fmt.name, cfg.rhs.q.fmt.name));
	if (s == MQ_EOPTION)
		return mq_lua_status(L, s, 3, lua_pushfstring(L, "accum '%s' is not available for %s x %s "
		                     "(exact needs formats of at most 8 bits or int up to int16; use "
		                     "accum = 'fp32')", accname, cfg.lhs.q.fmt.name,
		                     cfg.rhs.q.fmt.name));
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	lua_createtable(L, 0, 2);
	push_stats(L, &ls);
	lua_setfield(L, -2, "lhs");
	push_stats(L, &rs);
	lua_setfield(L, -2, "rhs");
	return 2;
}

static const luaL_Reg funcs[] = {
	{"matmul", l_matmul},
	{"qmatmul", l_qmatmul},
	{NULL, NULL}
};

int mq_open_qgemm(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

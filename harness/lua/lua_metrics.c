/* lua_metrics.c: error measures and statistics (metrics.h).
 *
 *   metriq.relerr(v, q)               Eq. 2 per element -> tensor
 *   metriq.backward_error(L, R, Q)    Eq. 3 per element -> tensor (M x N)
 *   metriq.backward_error(ref, Q)     the same against a reference
 *   metriq.reference(L, R)            L.R and |L|.|R| in double, kept for
 *                                     several backward_error calls
 *   metriq.summary(t)                 {n, mean, median, p99, min, max}
 *   metriq.quantile(t, p)             one quantile, p in [0, 1]
 *   metriq.moments(t)                 {n, mean, variance, sd, skew, kurtosis}
 *   metriq.histogram(t [, {bins = 50, log = false, lo = 0, hi = 0}])
 *                                     {edges = {...}, counts = {...}, n,
 *                                      below, above, zero}
 *   metriq.mse(x, xq), metriq.sqnr(x, xq)        (SQNR in dB)
 *   metriq.error_split(x, xq, cfg)    clipping / underflow / rounding parts
 *                                     of the squared error; cfg is the
 *                                     quantize config that made xq */
#include <stdlib.h>
#include <string.h>

#include "lmetriq.h"

#define MAXBINS (1 << 24) /* 16M bins: 200 MB of edges and counts */

#define MQ_REFERENCE "metriq.reference"

typedef struct reference {
	size_t M, K, N;
	double *LR, *A;         /* M x N each; NULL after __gc */
} reference;

static void sameshape(lua_State *L, const mq_tensor *a, const mq_tensor *b, int arg)
{
	int same = a->ndim == b->ndim;
	for (int i = 0; same && i < a->ndim; i++)
		same = a->dim[i] == b->dim[i];
	if (!same) {
		char x[64], y[64];
		luaL_argerror(L, arg, lua_pushfstring(L, "shape %s differs from argument #%d's %s",
		              mq_shapestr(b, y, sizeof y), arg - 1, mq_shapestr(a, x, sizeof x)));
	}
}

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

/* Q's shape must be M x N. */
static void checkq(lua_State *L, const mq_tensor *q, size_t M, size_t N, int arg)
{
	if (q->ndim != 2 || q->dim[0] != M || q->dim[1] != N) {
		char s[64];
		luaL_argerror(L, arg, lua_pushfstring(L, "Q is %s but the product is %Ix%I",
		              mq_shapestr(q, s, sizeof s), (lua_Integer)M, (lua_Integer)N));
	}
}

static int l_relerr(lua_State *L)
{
	mq_tensor *v = mq_checktensor(L, 1), *q = mq_checktensor(L, 2);
	sameshape(L, v, q, 2);
	mq_tensor *re = mq_newtensor(L, v->ndim, v->dim);
	mq_status s = mq_relerr(v->data, q->data, v->n, re->data);
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 1, "NaN in v or q, or Inf in v (v must be finite)");
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	return 1;
}

static int ref_gc(lua_State *L)
{
	reference *r = luaL_checkudata(L, 1, MQ_REFERENCE);
	free(r->LR);
	free(r->A);
	r->LR = r->A = NULL;
	return 0;
}

static int l_reference(lua_State *L)
{
	mq_tensor *l = checkmatrix(L, 1), *r = checkmatrix(L, 2);
	checkfit(L, l, r);
	reference *ref = lua_newuserdatauv(L, sizeof *ref, 0);
	ref->M = l->dim[0];
	ref->K = l->dim[1];
	ref->N = r->dim[1];
	ref->LR = ref->A = NULL;
	luaL_setmetatable(L, MQ_REFERENCE);
	if (ref->M > ((size_t)1 << 32) / ref->N)
		return luaL_error(L, "a %Ix%I product is too large", (lua_Integer)ref->M,
		                  (lua_Integer)ref->N);
	size_t n = ref->M * ref->N;
	ref->LR = malloc(n * sizeof(double));
	ref->A = malloc(n * sizeof(double));
	if (!ref->LR || !ref->A)
		return luaL_error(L, "not enough memory for a %Ix%I reference", (lua_Integer)ref->M,
		                  (lua_Integer)ref->N);
	mq_status s = mq_matmul_ref(ref->M, ref->K, ref->N, l->data, r->data, ref->LR);
	if (!s)
		s = mq_matmul_absref(ref->M, ref->K, ref->N, l->data, r->data, ref->A);
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	return 1;
}

static int l_backward_error(lua_State *L)
{
	reference *ref = luaL_testudata(L, 1, MQ_REFERENCE);
	mq_status s;
	mq_tensor *be;
	if (ref) {
		if (!ref->LR)
			return luaL_argerror(L, 1, "reference already freed");
		mq_tensor *q = checkmatrix(L, 2);
		checkq(L, q, ref->M, ref->N, 2);
		be = mq_newtensor(L, 2, q->dim);
		s = mq_backward_error_elem(ref->M * ref->N, ref->LR, ref->A, q->data, be->data);
	} else {
		mq_tensor *l = checkmatrix(L, 1), *r = checkmatrix(L, 2), *q = checkmatrix(L, 3);
		checkfit(L, l, r);
		checkq(L, q, l->dim[0], r->dim[1], 3);
		be = mq_newtensor(L, 2, q->dim);
		s = mq_backward_error(l->dim[0], l->dim[1], r->dim[1], l->data, r->data, q->data, be->data);
	}
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 0, "NaN in Q, or NaN or Inf in L or R");
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	return 1;
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

static int stat_status(lua_State *L, mq_status s)
{
	if (s == MQ_ENONFINITE)
		return mq_lua_status(L, s, 1, "NaN in the data");
	if (s == MQ_ESHAPE)
		return mq_lua_status(L, s, 1, "too few elements");
	return mq_lua_status(L, s, 0, NULL);
}

static int l_summary(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_summary s;
	mq_status st = mq_stat_summary(t->data, t->n, &s);
	if (st)
		return stat_status(L, st);
	lua_createtable(L, 0, 6);
	setint(L, "n", s.n);
	setnum(L, "mean", s.mean);
	setnum(L, "median", s.median);
	setnum(L, "p99", s.p99);
	setnum(L, "min", s.min);
	setnum(L, "max", s.max);
	return 1;
}

static int l_quantile(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	double p = luaL_checknumber(L, 2);
	luaL_argcheck(L, p >= 0 && p <= 1, 2, "p must be in [0, 1]");
	double q;
	mq_status st = mq_stat_quantile(t->data, t->n, p, &q);
	if (st)
		return stat_status(L, st);
	lua_pushnumber(L, q);
	return 1;
}

static int l_moments(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_moments m;
	mq_status st = mq_stat_moments(t->data, t->n, &m);
	if (st == MQ_ENONFINITE)
		return mq_lua_status(L, st, 1, "NaN or Inf in the data");
	if (st == MQ_ESHAPE)
		return mq_lua_status(L, st, 1, "moments need at least 2 elements");
	if (st)
		return stat_status(L, st);
	lua_createtable(L, 0, 6);
	setint(L, "n", m.n);
	setnum(L, "mean", m.mean);
	setnum(L, "variance", m.variance);
	setnum(L, "sd", m.sd);
	setnum(L, "skew", m.skew);
	setnum(L, "kurtosis", m.kurtosis);
	return 1;
}

static int l_histogram(lua_State *L)
{
	mq_tensor *t = mq_checktensor(L, 1);
	mq_histspec spec = {50, 0, 0, 0};
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			lua_pop(L, 1);
			const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
			if (strcmp(k, "bins") && strcmp(k, "log") && strcmp(k, "lo") && strcmp(k, "hi"))
				luaL_argerror(L, 2, lua_pushfstring(L, "unknown field '%s' (known: bins, log, "
				              "lo, hi)", luaL_tolstring(L, -1, NULL)));
		}
		if (lua_getfield(L, 2, "bins") != LUA_TNIL) {
			int isint;
			lua_Integer b = lua_tointegerx(L, -1, &isint);
			if (!isint || b < 1 || b > MAXBINS)
				luaL_argerror(L, 2, lua_pushfstring(L, "'bins' must be an integer in 1..%d",
				                                    MAXBINS));
			spec.nbins = (size_t)b;
		}
		lua_getfield(L, 2, "log");
		spec.log = lua_toboolean(L, -1);
		if (lua_getfield(L, 2, "lo") != LUA_TNIL) {
			luaL_argcheck(L, lua_type(L, -1) == LUA_TNUMBER, 2, "'lo' must be a number");
			spec.lo = lua_tonumber(L, -1);
		}
		if (lua_getfield(L, 2, "hi") != LUA_TNIL) {
			luaL_argcheck(L, lua_type(L, -1) == LUA_TNUMBER, 2, "'hi' must be a number");
			spec.hi = lua_tonumber(L, -1);
		}
		lua_pop(L, 4);
	}
	double *edges = malloc((spec.nbins + 1) * sizeof *edges);
	uint64_t *counts = malloc(spec.nbins * sizeof *counts);
	if (!edges || !counts) {
		free(edges);
		free(counts);
		return luaL_error(L, "not enough memory for %I bins", (lua_Integer)spec.nbins);
	}
	mq_histcounts tails;
	mq_status st = mq_histogram(t->data, t->n, &spec, edges, counts, &tails);
	if (st) {
		free(edges);
		free(counts);
		if (st == MQ_EOPTION)
			return luaL_argerror(L, 2, "bad range: need lo < hi (lo > 0 with log), or lo = hi = 0 "
			                     "to take it from the data");
		return stat_status(L, st);
	}
	lua_createtable(L, 0, 6);
	lua_createtable(L, (int)spec.nbins + 1, 0);
	for (size_t i = 0; i <= spec.nbins; i++) {
		lua_pushnumber(L, edges[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "edges");
	lua_createtable(L, (int)spec.nbins, 0);
	for (size_t i = 0; i < spec.nbins; i++) {
		lua_pushinteger(L, (lua_Integer)counts[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "counts");
	free(edges);
	free(counts);
	setint(L, "n", tails.n);
	setint(L, "below", tails.below);
	setint(L, "above", tails.above);
	setint(L, "zero", tails.zero);
	return 1;
}

static int mse_sqnr(lua_State *L, int want_sqnr)
{
	mq_tensor *x = mq_checktensor(L, 1), *xq = mq_checktensor(L, 2);
	sameshape(L, x, xq, 2);
	double mse, sqnr;
	mq_status st = mq_mse_sqnr(x->data, xq->data, x->n, &mse, &sqnr);
	if (st == MQ_ENONFINITE)
		return mq_lua_status(L, st, 0, "NaN or Inf in x or xq");
	if (st)
		return mq_lua_status(L, st, 0, NULL);
	lua_pushnumber(L, want_sqnr ? sqnr : mse);
	return 1;
}

static int l_mse(lua_State *L)
{
	return mse_sqnr(L, 0);
}

static int l_sqnr(lua_State *L)
{
	return mse_sqnr(L, 1);
}

static int l_error_split(lua_State *L)
{
	mq_tensor *x = mq_checktensor(L, 1), *xq = mq_checktensor(L, 2);
	sameshape(L, x, xq, 2);
	mq_qcfg cfg;
	/* the seed does not matter here (scales are deterministic), so this
	 * takes no implicit seed; a given one is accepted so that the quantize
	 * config can be passed as it is */
	mq_checkqcfg(L, 3, 0, 3, NULL, 0, &cfg);
	mq_layout l;
	mq_tensor_layout(x, cfg.role, &l);
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

static const luaL_Reg funcs[] = {
	{"relerr", l_relerr},
	{"reference", l_reference},
	{"backward_error", l_backward_error},
	{"summary", l_summary},
	{"quantile", l_quantile},
	{"moments", l_moments},
	{"histogram", l_histogram},
	{"mse", l_mse},
	{"sqnr", l_sqnr},
	{"error_split", l_error_split},
	{NULL, NULL}
};

int mq_open_metrics(lua_State *L)
{
	luaL_newmetatable(L, MQ_REFERENCE);
	lua_pushcfunction(L, ref_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

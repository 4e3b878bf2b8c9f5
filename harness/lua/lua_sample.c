/* lua_sample.c: the samplers (sample.h).
 *
 *   metriq.normal(shape [, mean = 0 [, sd = 1 [, seed]]])
 *   metriq.studentt(shape, nu [, seed])          nu = math.huge: normal
 *   metriq.lognormal(shape [, mu = 0 [, sigma = 1 [, seed]]])
 *   metriq.laplace(shape [, b = 1 [, seed]])
 *   metriq.uniform(shape [, a = 0 [, b = 1 [, seed]]])
 *
 * Without a seed a call takes the run's next implicit seed (run.h).  An
 * optional last argument after the seed names the generator (sample.h):
 * "gsl" (the default: GSL's MT19937 and variate routines, the reference)
 * or "philox" (counter-based, on the run's --threads, same bits for any
 * thread count):  metriq.studentt({n, n}, 3, seed, "philox").  A seed of
 * nil takes the implicit one, as without the argument. */
#include <math.h>

#include "lmetriq.h"
#include "run.h"

static const char *const generators[] = {"gsl", "philox", NULL};

typedef struct dist_def {
	mq_dist_kind kind;
	int nparams, required;       /* parameters after the shape */
	double dflt[2];
} dist_def;

static int param_ok(mq_dist_kind k, int i, double v)
{
	switch (k) {
	case MQ_DIST_NORMAL:
	case MQ_DIST_LOGNORMAL:
		return isfinite(v) && (i == 0 || v >= 0);
	case MQ_DIST_T:
		return v > 0; /* inf allowed, NaN not */
	case MQ_DIST_LAPLACE:
		return isfinite(v) && v >= 0;
	case MQ_DIST_UNIFORM:
		return isfinite(v);
	}
	return 0;
}

/* the rules of param_ok, for messages; rows in mq_dist_kind order */
static const char *const rules[5][2] = {
	{"mean must be finite", "sd must be finite and >= 0"},
	{"nu must be > 0 (math.huge gives the normal)", ""},
	{"mu must be finite", "sigma must be finite and >= 0"},
	{"b must be finite and >= 0", ""},
	{"a must be finite", "b must be finite"},
};

static int sample(lua_State *L, const dist_def *d)
{
	size_t dim[MQ_TMAXDIM];
	int nd = mq_checkshape(L, 1, dim);
	double p[2] = {d->dflt[0], d->dflt[1]};
	for (int i = 0; i < d->nparams; i++) {
		p[i] = i < d->required ? luaL_checknumber(L, 2 + i) : luaL_optnumber(L, 2 + i, p[i]);
		luaL_argcheck(L, param_ok(d->kind, i, p[i]), 2 + i, rules[d->kind][i]);
	}
	if (d->kind == MQ_DIST_UNIFORM)
		luaL_argcheck(L, p[0] <= p[1], 3, "b must be >= a");
	uint64_t seed = mq_optseed(L, 2 + d->nparams);
	mq_gen gen = (mq_gen)luaL_checkoption(L, 3 + d->nparams, "gsl", generators);
	mq_tensor *t = mq_newtensor(L, nd, dim);
	mq_dist dist = {d->kind, p[0], p[1]};
	mq_status s = mq_sample_gen(&dist, gen, seed, t->data, t->n, mq_run_get(L)->threads);
	if (s == MQ_ENONFINITE)
		return luaL_error(L, "a draw is beyond float32's range (parameters too extreme)");
	if (s)
		return mq_lua_status(L, s, 0, NULL);
	return 1;
}

static int l_normal(lua_State *L)
{
	static const dist_def d = {MQ_DIST_NORMAL, 2, 0, {0, 1}};
	return sample(L, &d);
}

static int l_studentt(lua_State *L)
{
	static const dist_def d = {MQ_DIST_T, 1, 1, {0, 0}};
	return sample(L, &d);
}

static int l_lognormal(lua_State *L)
{
	static const dist_def d = {MQ_DIST_LOGNORMAL, 2, 0, {0, 1}};
	return sample(L, &d);
}

static int l_laplace(lua_State *L)
{
	static const dist_def d = {MQ_DIST_LAPLACE, 1, 0, {1, 0}};
	return sample(L, &d);
}

static int l_uniform(lua_State *L)
{
	static const dist_def d = {MQ_DIST_UNIFORM, 2, 0, {0, 1}};
	return sample(L, &d);
}

static const luaL_Reg funcs[] = {
	{"normal", l_normal},
	{"studentt", l_studentt},
	{"lognormal", l_lognormal},
	{"laplace", l_laplace},
	{"uniform", l_uniform},
	{NULL, NULL}
};

int mq_open_sample(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

/* lua_metriq.c: the module table, assembled from its parts as linit.c
 * assembles Lua's standard libraries, plus the run's own fields. */
#include "lmetriq.h"
#include "params.h"
#include "run.h"

/* The parts, each adding its functions to the module table. */
static const lua_CFunction parts[] = {
	mq_open_tensor,     /* tensor, zeros; the tensor type */
	mq_open_sample,     /* normal, studentt, lognormal, laplace, uniform */
	mq_open_quant,      /* quantize, formats, format */
	mq_open_qgemm,      /* matmul, qmatmul */
	mq_open_metrics,    /* relerr, backward_error, reference, summary, ... */
	mq_open_grid,       /* grid */
	mq_open_results,    /* results; the results type */
	mq_open_plot,       /* plot */
	mq_open_train,      /* train: the encoder of train/ (model.h) */
	mq_open_tfile,      /* load, quantize_layout, error_split_layout, spearman */
	mq_open_advise,     /* advise: a format per tensor (kernels/advise.h) */
	NULL
};

uint64_t mq_optseed(lua_State *L, int arg)
{
	if (lua_isnoneornil(L, arg))
		return mq_run_next_seed(mq_run_get(L));
	return (uint64_t)luaL_checkinteger(L, arg);
}

/* metriq.derive(seed, tag): an independent seed (rng.h's mq_seed_derive),
 * for scripts that want explicit streams: derive(cell.seed, 1), ... */
static int l_derive(lua_State *L)
{
	uint64_t s = (uint64_t)luaL_checkinteger(L, 1);
	uint64_t t = (uint64_t)luaL_checkinteger(L, 2);
	lua_pushinteger(L, (lua_Integer)mq_seed_derive(s, t));
	return 1;
}

int mq_open_metriq(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	lua_newtable(L);
	for (int i = 0; parts[i]; i++)
		parts[i](L);
	lua_pushcfunction(L, mq_lua_params);
	lua_setfield(L, -2, "params");
	lua_pushcfunction(L, l_derive);
	lua_setfield(L, -2, "derive");
	lua_pushinteger(L, (lua_Integer)run->seed);
	lua_setfield(L, -2, "seed");
	lua_pushinteger(L, run->threads);
	lua_setfield(L, -2, "threads");
	lua_pushstring(L, run->outdir);
	lua_setfield(L, -2, "outdir");
	lua_pushstring(L, run->name);
	lua_setfield(L, -2, "name");
	return 1;
}

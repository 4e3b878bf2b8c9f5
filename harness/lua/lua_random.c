/* lua_random.c: Lua's own math.random follows the run seed.
 *
 * Lua 5.4 seeds math.random from the time and an address when the state
 * opens, so a script that calls it would write other numbers on every run,
 * and a resumed run would mix the streams of two processes.  Instead the
 * generator is reseeded wherever metriq's implicit seeds restart (run.h):
 * from the run seed when the run starts, from the cell's seed when a cell
 * begins, and from the run seed and the grid's number when a grid ends, so
 * that code after a grid draws the same numbers whether its cells ran here
 * or were skipped by --resume or run by another process.
 *
 * The function called is the math.randomseed the state opened with, kept
 * in the registry: a script that replaces math.randomseed replaces only
 * its own calls. */
#include <stdint.h>

#include "lmetriq.h"
#include "rng.h"

#define RANDOMSEED "metriq.randomseed"
#define AFTER_GRID 0x6d6174682e72616eull /* "math.ran": tag of the seeds between grids */

void mq_lua_random_open(lua_State *L, uint64_t seed)
{
	lua_getglobal(L, "math");
	if (lua_istable(L, -1))
		lua_getfield(L, -1, "randomseed");
	else
		lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, RANDOMSEED);
	lua_pop(L, 1);
	mq_lua_random_seed(L, seed);
}

void mq_lua_random_seed(lua_State *L, uint64_t seed)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, RANDOMSEED) != LUA_TFUNCTION) {
		lua_pop(L, 1);
		return; /* no math library in this state */
	}
	/* 63 bits, as cell.seed shows it: math.randomseed(cell.seed) in a
	 * script starts the same stream */
	lua_pushinteger(L, (lua_Integer)(seed & INT64_MAX));
	lua_call(L, 1, 0);
}

void mq_lua_random_after_grid(lua_State *L, uint64_t run_seed, size_t grid)
{
	mq_lua_random_seed(L, mq_seed_derive(mq_seed_derive(run_seed, AFTER_GRID), grid));
}

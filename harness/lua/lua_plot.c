/* lua_plot.c: metriq.plot(name [, dir]): render a figure (plot.h) from
 * the run's output folder, or dir. */
#include "lmetriq.h"
#include "plot.h"

static int l_plot(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *dir;
	if (lua_isnoneornil(L, 2)) {
		lua_getglobal(L, "metriq");
		lua_getfield(L, -1, "outdir");
		dir = lua_tostring(L, -1);
		if (!dir)
			return luaL_error(L, "plot: no output folder (metriq.outdir) and no dir given");
	} else {
		dir = luaL_checkstring(L, 2);
	}
	char err[1024];
	if (mq_plot_render(name, dir, err, sizeof err) != 0)
		return luaL_error(L, "plot: %s", err);
	return 0;
}

static const luaL_Reg funcs[] = {
	{"plot", l_plot},
	{NULL, NULL}
};

int mq_open_plot(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	return 0;
}

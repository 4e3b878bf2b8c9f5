/* sandbox.c: `metriq run --sandbox`, for scripts from others.
 *
 * A metriq script is a program: with the standard libraries it can run
 * commands, open and delete files, load C code and poke at the VM.  The
 * sandbox takes away every way out of the script's own Lua state that does
 * not go through metriq's functions, and keeps what an experiment needs:
 *
 *   removed: os.execute, os.remove, os.rename, os.tmpname, os.getenv;
 *            io.open, io.popen, io.lines, io.input, io.output, io.close,
 *            io.tmpfile; package.loadlib, every package.searchers entry but
 *            package.preload's (no Lua file, no C module, by require);
 *            loadfile, dofile; the debug library;
 *   changed: load takes text chunks only (a binary chunk can break the
 *            VM's invariants);
 *   kept:    base functions, string, table, math (seeded by the run), utf8,
 *            coroutine, os.clock, os.time, os.date, os.difftime, os.exit,
 *            io.write, io.read, io.stdout, io.stderr, io.stdin, require of
 *            modules already loaded (metriq, the standard libraries), and
 *            the whole metriq module (which writes only inside --out and
 *            reads only the tensor files a script names).
 *
 * os.getenv goes because the environment is where secrets live and a
 * script from others could copy them into its results; a sandboxed script
 * takes its inputs from metriq.params and --set.  This is a barrier for
 * scripts, not for a hostile process: memory and time are not limited. */
#include <string.h>

#include "lmetriq.h"

static void drop(lua_State *L, const char *lib, const char *const *names)
{
	if (lua_getglobal(L, lib) == LUA_TTABLE)
		for (int i = 0; names[i]; i++) {
			lua_pushnil(L);
			lua_setfield(L, -2, names[i]);
		}
	lua_pop(L, 1);
}

/* load(chunk [, name [, mode [, env]]]) with mode forced to "t". */
static int load_text(lua_State *L)
{
	int env = !lua_isnone(L, 4);
	lua_settop(L, 4);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	if (!env)
		lua_settop(L, 4); /* load tells an absent env from a nil one */
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void mq_lua_sandbox(lua_State *L)
{
	static const char *const os_names[] = {"execute", "remove", "rename", "tmpname", "getenv",
	                                       NULL};
	static const char *const io_names[] = {"open", "popen", "lines", "input", "output", "close",
	                                       "tmpfile", NULL};
	static const char *const pkg_names[] = {"loadlib", NULL};
	static const char *const base_names[] = {"loadfile", "dofile", "debug", NULL};
	drop(L, "os", os_names);
	drop(L, "io", io_names);
	drop(L, "package", pkg_names);
	drop(L, LUA_GNAME, base_names);
	/* require finds only what is loaded or preloaded */
	if (lua_getglobal(L, "package") == LUA_TTABLE) {
		if (lua_getfield(L, -1, "searchers") == LUA_TTABLE)
			for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i > 1; i--) {
				lua_pushnil(L);
				lua_rawseti(L, -2, i);
			}
		lua_pop(L, 1);
		lua_pushliteral(L, "");
		lua_setfield(L, -2, "path");
		lua_pushliteral(L, "");
		lua_setfield(L, -2, "cpath");
	}
	lua_pop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	lua_setfield(L, -2, "debug");
	lua_pop(L, 1);
	lua_getglobal(L, "load");
	lua_pushcclosure(L, load_text, 1);
	lua_setglobal(L, "load");
}

-- sandbox_mod.lua: a module sandbox.lua must not be able to require.
return {loaded = true}

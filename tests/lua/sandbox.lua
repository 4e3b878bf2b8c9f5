-- sandbox.lua: under `metriq run --sandbox` every way out of the script's
-- own process state must be gone, and what a script needs must remain.
-- Without --sandbox the first open door is an error naming it (the test
-- that the check can fail).
local P = metriq.params{ dir = "." }   -- tests/lua, where sandbox_mod.lua is
local m = metriq
local closed = {
  {"os.execute", function() return os.execute("true") end},
  {"os.remove", function() return os.remove("/nonexistent-metriq") end},
  {"os.rename", function() return os.rename("/nonexistent-a", "/nonexistent-b") end},
  {"os.tmpname", function() return os.tmpname() end},
  {"os.getenv", function() return os.getenv("HOME") end},
  {"io.open", function() return io.open("/etc/hostname") end},
  {"io.popen", function() return io.popen("true") end},
  {"io.lines", function() return io.lines("/etc/hostname") end},
  {"io.input", function() return io.input("/etc/hostname") end},
  {"io.output", function() return io.output("/tmp/metriq-sandbox-out") end},
  {"package.loadlib", function() return package.loadlib("libc.so.6", "*") end},
  {"C module searchers", function()
     if #package.searchers > 1 then return true end
     error("only package.preload is searched") end},
  {"require of a Lua file", function()
     package.path = P.dir .. "/?.lua"
     return require("sandbox_mod") end},
  {"debug", function() return debug.getinfo(1) end},
  {"require 'debug'", function() return require("debug").getinfo(1) end},
  {"load of a binary chunk", function() return assert(load(string.dump(function() end)))() end},
  {"loadfile", function() return loadfile(P.dir .. "/sandbox_mod.lua") end},
  {"dofile", function() return dofile(P.dir .. "/sandbox_mod.lua") end},
}
for _, c in ipairs(closed) do
  local ok = pcall(c[2])
  if ok then error("not sandboxed: " .. c[1] .. " works") end
end
-- what remains
assert(load("return 1 + 1")() == 2, "load of text")
assert(math.random(1, 6) >= 1, "math.random")
assert(os.clock() >= 0 and os.time() > 0 and os.date("%Y"), "os.clock, os.time, os.date")
assert(string.format("%d", 3) == "3" and table.concat({"a", "b"}) == "ab", "string, table")
assert(io.write and io.stderr, "io.write and io.stderr")
assert(not pcall(require, "no_such_module"), "require of a missing module fails")
for cell in m.grid{a = {1, 2}} do
  m.results():write{a = cell.a, x = m.summary(m.normal(8)).mean}
end

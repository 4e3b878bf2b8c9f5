-- random.lua: Lua's own math.random, inside cells and outside them, must
-- follow the run seed (same.cmake: two runs agree; resume.cmake: a run
-- stopped and resumed agrees with one that was not).  DIE_AFTER and SLOW
-- as in resume.lua.
local die_after = tonumber(os.getenv("DIE_AFTER") or "0")
local slow = tonumber(os.getenv("SLOW") or "0") / 1000
local m = metriq
local results = m.results("resume")
local other = m.results("other")
other:write{what = "start", r = math.random(), k = math.random(1, 1000000)}
local ran = 0
local function cell_done()
  ran = ran + 1
  local t0 = os.clock()
  while os.clock() - t0 < slow do end
  if die_after > 0 and ran == die_after then os.exit(3) end
end
for cell in m.grid{a = {1, 2, 3}, b = {"x", "y", "z", "w"}} do
  results:write{a = cell.a, b = cell.b, r = math.random(), k = math.random(1 << 40)}
  cell_done()
end
other:write{what = "middle", r = math.random()}
for cell in m.grid{k = {1, 2}} do
  other:write{what = "k", k = cell.k, r = math.random()}
  cell_done()
end
other:write{what = "end", r = math.random()}

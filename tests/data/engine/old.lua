-- old.lua: the run behind the manifests in tests/data/engine/ (made by the
-- harness before the engine read manifests with jansson; tests/engine.cmake
-- resumes them).  DIE_AFTER=K: os.exit after the K-th cell this process runs
-- (no cleanup, like a kill).
local P = metriq.params{ n = 3, nus = {1, math.huge}, cap = math.huge, low = -math.huge,
                         tag = "x" }
local die_after = tonumber(os.getenv("DIE_AFTER") or "0")
local m = metriq
local results = m.results()
local other = m.results("other")
other:write{what = "start", n = P.n, cap = P.cap, x = m.normal(1)[1]}
local ran = 0
for cell in m.grid{nu = P.nus, k = {1, 2, 3}} do
  results:write{nu = cell.nu, k = cell.k, x = m.normal(1)[1], tag = P.tag}
  ran = ran + 1
  local t0 = os.clock()
  while os.clock() - t0 < 0.05 do end   -- long enough for a flush between cells
  if die_after > 0 and ran == die_after then os.exit(3) end
end
other:write{what = "end", n = P.n, cap = P.low}

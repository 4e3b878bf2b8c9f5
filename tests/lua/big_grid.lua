-- big_grid.lua: a 1000 x 1000 grid stopped after STOP_AFTER cells this
-- process runs (reliability_test.sh): the manifest lists the cells reached.
local stop = tonumber(os.getenv("STOP_AFTER") or "4")
local a = {}
for i = 1, 1000 do a[i] = i end
local r = metriq.results()
local ran = 0
for cell in metriq.grid{a = a, b = a} do
  r:write{a = cell.a, b = cell.b}
  ran = ran + 1
  if ran == stop then os.exit(3) end
end

-- cell_coords.lua: rows agree with their cell (reliability_test.sh): the
-- first grid (values with commas, inf) passes, the second writes x = 99 in x = 1.
local r = metriq.results()
for cell in metriq.grid{x = {1, 2}, s = {"a,b=c", "d"}, f = {1.5, math.huge}} do
  r:write{x = cell.x, s = cell.s, f = cell.f, y = 1}
end
for cell in metriq.grid{x = {1, 2}} do
  r:write{x = 99 , s = "q", f = 1, y = 2}
end

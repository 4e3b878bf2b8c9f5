-- dist_break.lua: a break out of a grid whose cells run apart is an error
-- (dist.cmake): which cells it leaves out would depend on timing.
metriq.params{}
local res = metriq.results()
for cell in metriq.grid{a = {1, 2, 3, 4}} do
  res:write{a = cell.a}
  if cell.a >= 1 then break end
end

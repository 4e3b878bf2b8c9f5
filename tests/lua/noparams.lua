-- noparams.lua: a script that declares no params, so any --set is an error
-- (raised before the first grid cell can write anything).
local results = metriq.results()
for cell in metriq.grid{a = {1, 2}} do
  results:write{a = cell.a}
end

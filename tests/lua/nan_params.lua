-- nan_params.lua: NaN in params, from the script, a list and --set x=nan
-- (reliability_test.sh).  DIE=1: os.exit(3) in the second cell.
local P = metriq.params{clip = 0/0, l = {1, 0/0}, x = 1}
local r = metriq.results()
for cell in metriq.grid{k = {1, 2, 3}} do
  r:write{k = cell.k, c = P.clip, x = P.x}
  if os.getenv("DIE") and cell.k == 2 then os.exit(3) end
end

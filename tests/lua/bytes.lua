-- bytes.lua: a string param that --set fills with any bytes (reliability_test.sh).
local P = metriq.params{s = "plain"}
local r = metriq.results()
for cell in metriq.grid{k = {1, 2}} do
  r:write{k = cell.k, n = #P.s}
  if os.getenv("DIE") and cell.k == 1 then os.exit(3) end
end

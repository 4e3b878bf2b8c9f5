-- order.lua: the column order (harness/run/results.h).  "natural" takes the
-- rule (the grid's axes in axis order, then the other columns sorted);
-- "given" the order the script lists, whatever the grid's axes.
local given = metriq.results("given", {columns = {"z", "nu", "format", "a"}})
local natural = metriq.results("natural")
for cell in metriq.grid{{"nu", {3, 5}}, {"format", {"e4m3", "e5m2"}}} do
  given:write{a = 1, format = cell.format, nu = cell.nu, z = 0}
  natural:write{z = 0, a = 1, format = cell.format, nu = cell.nu}
end
-- the same order given again is the same file
assert(metriq.results("given", {columns = {"z", "nu", "format", "a"}}):rows() == 4)

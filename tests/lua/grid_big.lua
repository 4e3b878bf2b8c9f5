-- grid_big.lua: grids too big to check value by value against each other.
-- axis: one axis of 100000 values starts at once (the duplicate check is
-- not quadratic); huge: 100000 x 100000 values fails at once with the
-- cell bound named; dup: a duplicate at the far end of a long axis is
-- still found.
local P = metriq.params{ case = "axis" }
local m = metriq
local vals = {}
for i = 1, 100000 do vals[i] = i end
if P.case == "axis" then
  local n = 0
  for cell in m.grid{a = vals} do
    n = n + 1
    m.results():write{a = cell.a}
    if n == 3 then break end
  end
elseif P.case == "huge" then
  for _ in m.grid{a = vals, b = vals} do end
elseif P.case == "dup" then
  vals[#vals + 1] = 50000.0     -- 50000 again, as a float: one value
  for _ in m.grid{a = vals} do end
else
  error("no case " .. P.case)
end

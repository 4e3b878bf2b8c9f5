-- cast.lua: metriq.cast values at unit and given scale, and its bad input
-- (selected by --set case=...).
local P = metriq.params{case = "ok"}
local t = metriq.tensor{448, 449, 0.1, -0.0009765625, 1.5}
if P.case == "ok" then
  local q = metriq.cast(t, "e4m3")
  assert(q[1] == 448 and q[2] == 448 and q[3] == 0.1015625 and q[4] == 0 and q[5] == 1.5)
  local q2 = metriq.cast(t, {format = "int8"}, 0.5)
  assert(q2[5] == 1.5 and q2[1] == 63.5)       -- 448/0.5 saturates to 127 -> 63.5
elseif P.case == "format" then
  metriq.cast(t, "e9m9")
elseif P.case == "scale" then
  metriq.cast(t, "e4m3", -1)
end

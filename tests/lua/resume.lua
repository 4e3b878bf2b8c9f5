-- resume.lua: a run that can be stopped abruptly (resume.cmake).
-- DIE_AFTER=K: os.exit after the K-th cell this process runs (no cleanup,
-- like a kill).  SLOW=MS: busy-wait MS milliseconds a cell.
local P = metriq.params{ n = 24, formats = {"int8", "e4m3", "e5m2"} }
local die_after = tonumber(os.getenv("DIE_AFTER") or "0")
local slow = tonumber(os.getenv("SLOW") or "0") / 1000
local m = metriq
local results = m.results()
local other = m.results("other")
other:write{what = "start", n = P.n, x = m.normal(1)[1]}   -- rows outside cells
local ran = 0
local function cell_done()
  ran = ran + 1
  local t0 = os.clock()
  while os.clock() - t0 < slow do end
  if die_after > 0 and ran == die_after then os.exit(3) end
end
for cell in m.grid{format = P.formats, nu = {1, 3, math.huge}} do
  local L = m.studentt({P.n, P.n}, cell.nu)
  local R = m.studentt({P.n, P.n}, cell.nu)
  local Q = m.qmatmul(L, R, {format = cell.format, rounding = "sr", granularity = "channel"})
  local be = m.summary(m.backward_error(L, R, Q))
  results:write{format = cell.format, nu = cell.nu, be_mean = be.mean, be_max = be.max,
                note = "first row"}
  if cell.nu == 3 then results:write{format = cell.format, nu = cell.nu, note = "second row"} end
  cell_done()
end
other:write{what = "middle", n = P.n, x = m.normal(1)[1]}
for cell in m.grid{k = {1, 2, 3, 4}} do
  other:write{what = "k", n = cell.k, x = m.uniform(1)[1]}
  cell_done()
end
other:write{what = "end", n = P.n}

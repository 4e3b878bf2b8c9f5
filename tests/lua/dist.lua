-- dist.lua: cells run apart (--shard, MPI) must write one process's bytes
-- (dist.cmake).  It has what could go wrong: two results files, rows
-- outside cells before, between and after grids, two grids, a field that
-- needs quoting, and rows whose columns differ from cell to cell (the
-- header comes from the first row in the grid's order, which a shard or a
-- worker may not have run).
--   SLOW=MS        busy-wait MS ms a cell, 5x in the first cell, so that
--                  under MPI later cells end first and wait, held
--   DIE_AFTER=K    os.exit after this process's K-th cell
--   KILL_INDEX=I   the process that runs cell I kills itself (SIGKILL)
--   FAIL_INDEX=I   cell I raises an error
--   EXTRA_INDEX=I  cell I's second row has a column the header lacks
local P = metriq.params{ n = 16, nus = {1, 2, 4, math.huge}, formats = {"int8", "e4m3"} }
local m = metriq
local slow = tonumber(os.getenv("SLOW") or "0") / 1000
local die_after = tonumber(os.getenv("DIE_AFTER") or "0")
local kill_index = tonumber(os.getenv("KILL_INDEX") or "0")
local fail_index = tonumber(os.getenv("FAIL_INDEX") or "0")
local extra_index = tonumber(os.getenv("EXTRA_INDEX") or "0")
local res = m.results()
local log = m.results("log")
log:write{what = "start", k = 0, x = m.normal(1)[1]}
local ran = 0
for cell in m.grid{format = P.formats, nu = P.nus} do
  local L = m.studentt({P.n, P.n}, cell.nu)
  local R = m.studentt({P.n, P.n}, cell.nu)
  local Q = m.qmatmul(L, R, {format = cell.format, rounding = "sr", granularity = "channel"})
  local be = m.summary(m.backward_error(L, R, Q))
  if cell.index == fail_index then error("cell " .. cell.index .. " fails on purpose") end
  if cell.index % 3 == 2 then
    res:write{format = cell.format, nu = cell.nu, be_mean = be.mean}
  else
    res:write{format = cell.format, nu = cell.nu, be_mean = be.mean, be_max = be.max,
              note = 'a, "quoted" note'}
    res:write{format = cell.format, nu = cell.nu, note = "second",
              extra = cell.index == extra_index and 1 or nil}
  end
  local t0 = os.clock()
  while os.clock() - t0 < (cell.index == 1 and 5 or 1) * slow do end
  ran = ran + 1
  if die_after > 0 and ran == die_after then os.exit(3) end
  if cell.index == kill_index then os.execute("kill -9 $PPID") end   -- $PPID: metriq
end
log:write{what = "middle", x = m.uniform(1)[1]}
for cell in m.grid{{"k", {3, 1, 2}}} do
  log:write{what = "k", k = cell.k, x = m.normal(1)[1]}
end
log:write{what = "end"}

-- example.lua: the style of a metriq experiment, in the manner of the
-- paper's Fig. 4 (backward error of a quantized matmul against the
-- heavy-tailedness of its inputs).  Run it with
--     metriq run experiments/example.lua [--set n=512] [--set nus=1,2,inf]
-- and find the table in results/example/example.csv.
local P = metriq.params{
  n = 128,                                  -- L is n x n, R is n x n
  nus = {1, 2, 4, 8, math.huge},            -- Student-t degrees of freedom
  formats = {"int8", "e4m3", "e5m2"},
  granularity = "channel",                  -- per row of L, per column of R
}
local results = metriq.results()

for cell in metriq.grid{format = P.formats, nu = P.nus} do
  -- both operands from the cell's own streams: the cell alone reproduces
  local L = metriq.studentt({P.n, P.n}, cell.nu)
  local R = metriq.studentt({P.n, P.n}, cell.nu)
  local Q, stats = metriq.qmatmul(L, R, {format = cell.format, granularity = P.granularity})
  local be = metriq.summary(metriq.backward_error(L, R, Q))   -- Eq. 3
  local k = metriq.moments(L).kurtosis
  results:write{
    format = cell.format, nu = cell.nu, kurtosis = k,
    be_mean = be.mean, be_median = be.median, be_p99 = be.p99, be_max = be.max,
    clipped = stats.lhs.clipped + stats.rhs.clipped,
  }
end

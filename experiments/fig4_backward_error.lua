-- fig4_backward_error.lua: the paper's Fig. 4, the backward error
--     BE_ij = |(LR)_ij - Q(L,R)_ij| / (|L||R|)_ij            (Eq. 3)
-- of a quantized matrix product on Student-t inputs, against the tail
-- parameter nu (nu = inf is the normal distribution).
--
-- One grid cell per nu.  In a cell, each trial draws L and R (n x n, i.i.d.
-- Student-t(nu)) once and quantizes the same pair in every format,
-- granularity and rounding, so the configurations are compared on the same
-- numbers.  Each configuration's per-trial mean BE is averaged over trials
-- (be_mean, with be_mean_std its standard deviation over trials); median,
-- p99 and max are averaged likewise.  Stochastic rounding streams are keyed
-- by the configuration's name, so dropping a format from the list changes
-- no other configuration's numbers.
--   metriq run experiments/fig4_backward_error.lua --set n=256 --set nus=2,inf --set plot=false
local P = metriq.params{
  n = 512,
  trials = 3,
  nus = {1, 1.5, 2, 2.5, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100, math.huge},
  formats = {"int8", "e4m3", "e5m2"},
  granularities = {"tensor", "channel", "block:32"},
  roundings = {"rtne", "sr"},
  accum = "exact",          -- or "fp32": sums of products in float32, in k order
  plot = true,
}
local results = metriq.results("fig4_backward_error")

-- A stable 62-bit tag of a string (FNV-1a), to key random streams by name.
local function tag(s)
  local h = 0xcbf29ce484222325
  for i = 1, #s do h = ((h ~ s:byte(i)) * 0x100000001b3) end
  return h & 0x3fffffffffffffff
end

local function mean_sd(xs)
  local m = 0
  for _, x in ipairs(xs) do m = m + x end
  m = m / #xs
  local s = 0
  for _, x in ipairs(xs) do s = s + (x - m) ^ 2 end
  return m, #xs > 1 and math.sqrt(s / (#xs - 1)) or 0
end

for cell in metriq.grid{nu = P.nus} do
  local acc = {}   -- per configuration: lists of per-trial summaries
  local configs = {}
  for _, f in ipairs(P.formats) do
    for _, g in ipairs(P.granularities) do
      for _, r in ipairs(P.roundings) do
        configs[#configs + 1] = {format = f, granularity = g, rounding = r}
      end
    end
  end
  for trial = 1, P.trials do
    local ts = metriq.derive(cell.seed, trial)
    local L = metriq.studentt({P.n, P.n}, cell.nu, metriq.derive(ts, 1))
    local R = metriq.studentt({P.n, P.n}, cell.nu, metriq.derive(ts, 2))
    local ref = metriq.reference(L, R)      -- L.R and |L|.|R| in double, once
    for _, c in ipairs(configs) do
      local key = c.format .. "/" .. c.granularity .. "/" .. c.rounding
      local s = metriq.derive(ts, tag(key))
      local Q = metriq.qmatmul(L, R, {
        format = c.format, granularity = c.granularity, rounding = c.rounding,
        accum = P.accum,
        lhs = {seed = metriq.derive(s, 1)}, rhs = {seed = metriq.derive(s, 2)},
      })
      local be = metriq.summary(metriq.backward_error(ref, Q))
      local a = acc[key] or {mean = {}, median = {}, p99 = {}, max = {}}
      acc[key] = a
      a.mean[trial], a.median[trial], a.p99[trial], a.max[trial] = be.mean, be.median, be.p99, be.max
    end
  end
  for _, c in ipairs(configs) do
    local a = acc[c.format .. "/" .. c.granularity .. "/" .. c.rounding]
    local m, sd = mean_sd(a.mean)
    results:write{
      nu = cell.nu, format = c.format, granularity = c.granularity, rounding = c.rounding,
      trials = P.trials, n = P.n, accum = P.accum,
      be_mean = m, be_mean_std = sd,
      be_median = (mean_sd(a.median)), be_p99 = (mean_sd(a.p99)), be_max = (mean_sd(a.max)),
    }
  end
end

if P.plot then metriq.plot("fig4") end

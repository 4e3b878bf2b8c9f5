-- fig2_moments.lua: the paper's Fig. 2, the distributions and moments of
-- the tensors that enter a matmul, here on synthetic stand-ins for the
-- three tensor categories of the paper:
--   weights      normal, sd 0.02 (BERT's initializer)
--   activations  Student-t(nu = 4): heavier tails than the weights
--   gradients    log-normal magnitudes (mu = -12, sigma = 2.5, natural log)
--                with random signs: "the gradients have a log-normal
--                distribution" (Sec. III-A)
-- For each tensor: moments (mean, variance, skew, excess kurtosis), a
-- histogram of the values and one of log2|x|, and, as the method asks, the
-- SQNR of each 8-bit format at tensor granularity, which already tells
-- INT8 (fine for the weights) from FP8 (needed for the gradients).
--   metriq run experiments/fig2_moments.lua [--set n=262144] [--set bins=80]
local P = metriq.params{
  n = 262144,
  bins = 80,
  formats = {"int8", "e4m3", "e5m2"},
  plot = true,
}
local moments = metriq.results("fig2_moments")
local hist = metriq.results("fig2_histograms")

local function gradients(n, seed)
  local mag = metriq.lognormal(n, -12, 2.5, metriq.derive(seed, 1))
  local sign = metriq.uniform(n, 0, 1, metriq.derive(seed, 2))
  for i = 1, n do
    if sign[i] < 0.5 then mag[i] = -mag[i] end
  end
  return mag
end

local makers = {
  weights = function(n, seed) return metriq.normal(n, 0, 0.02, seed) end,
  activations = function(n, seed) return metriq.studentt(n, 4, seed) end,
  gradients = gradients,
}

for cell in metriq.grid{{"tensor", {"weights", "activations", "gradients"}}} do
  local x = makers[cell.tensor](P.n, metriq.derive(cell.seed, 1))
  local m = metriq.moments(x)
  local row = {tensor = cell.tensor, n = m.n, mean = m.mean, variance = m.variance,
               skew = m.skew, kurtosis = m.kurtosis}
  local s = metriq.summary(x)
  row.min, row.max = s.min, s.max
  for _, f in ipairs(P.formats) do
    local q = metriq.quantize(x, {format = f, granularity = "tensor"})
    row["sqnr_" .. f] = metriq.sqnr(x, q)
  end
  moments:write(row)
  for _, kind in ipairs{"linear", "log2"} do
    local h = metriq.histogram(x, {bins = P.bins, log = (kind == "log2")})
    local width, total = {}, h.n
    for b = 1, #h.counts do
      local lo, hi = h.edges[b], h.edges[b + 1]
      local xl, xh = lo, hi
      if kind == "log2" then xl, xh = math.log(lo, 2), math.log(hi, 2) end
      hist:write{tensor = cell.tensor, scale = kind, bin_lo = xl, bin_hi = xh,
                 count = h.counts[b], density = h.counts[b] / (total * (xh - xl))}
    end
  end
end

if P.plot then metriq.plot("fig2") end

-- fig3_relative_error.lua: the paper's Fig. 3, the relative error
-- |v - q(v)| / |v| (Eq. 2) of each format across its range and beyond.
--
-- Values are log-spaced from below each format's smallest subnormal to above
-- its largest value, at unit scale (no absmax scaling: this is the format's
-- own range).  Where a value flushes to zero the error is 1; above max it
-- saturates and the error grows towards 1; in between it is the rounding
-- error, at most half a unit in the last place relative to the value.
-- Besides each value's error the CSV holds its envelope (the worst error
-- within 1/8 octave either side), and fig3_ranges.csv each format's subnormal,
-- normal and saturation thresholds, which the figure marks.
--   metriq run experiments/fig3_relative_error.lua [--set formats=int8,e4m3,e5m2]
local P = metriq.params{
  formats = {"int8", "e4m3", "e5m2"},
  roundings = {"rtne"},
  points_per_octave = 48,   -- log-spaced points per factor of two
  below = 5,                -- octaves below the smallest subnormal
  above = 5,                -- octaves above the largest value
  plot = true,
}
local results = metriq.results("fig3_relative_error")
local ranges = metriq.results("fig3_ranges")

for cell in metriq.grid{{"format", P.formats}, {"rounding", P.roundings}} do
  local f = metriq.format(cell.format)
  local lo = math.log(f.min_subnormal, 2) - P.below
  local hi = math.log(f.max, 2) + P.above
  local npts = math.floor((hi - lo) * P.points_per_octave) + 1
  local vals = {}
  for i = 1, npts do
    vals[i] = 2 ^ (lo + (i - 1) / P.points_per_octave)
  end
  local v = metriq.tensor(vals)
  local q = metriq.cast(v, {format = cell.format, rounding = cell.rounding})
  local re = metriq.relerr(v, q)
  -- the worst error within an eighth of an octave either side: the profile's
  -- envelope, drawn over the sawtooth of the individual values
  local w = math.max(1, P.points_per_octave // 8)
  for i = 1, npts do
    local env = 0
    for j = math.max(1, i - w), math.min(npts, i + w) do
      if re[j] > env then env = re[j] end
    end
    results:write{format = cell.format, rounding = cell.rounding, value = v[i],
                  rel_error = re[i], envelope = env}
  end
  ranges:write{format = cell.format, rounding = cell.rounding, min_subnormal = f.min_subnormal,
               min_normal = f.min_normal, max = f.max}
end

if P.plot then metriq.plot("fig3") end

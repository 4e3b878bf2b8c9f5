-- fig4_check.lua: metriq's side of bench/fig4_check.py.  Reads L.npy,
-- R.npy and T.npy from DIR and writes, per format, the fake-quantized
-- operands (L and T as an LHS, R as an RHS, channel scaling, RTNE), the
-- exactly accumulated product Q and its backward error (Eq. 3), one value
-- a line (%.9g: every float32 exactly), for the numpy script to compare.
--   metriq run bench/fig4_check.lua --set dir=DIR --quiet
local P = metriq.params{dir = "", formats = {"int8", "e4m3", "e5m2"}}
assert(P.dir ~= "", "--set dir=DIR is required")

local function dump(t, path)
  local f = assert(io.open(path, "w"))
  for i = 1, #t do f:write(string.format("%.9g\n", t[i])) end
  assert(f:close())
end

local L = metriq.load(P.dir .. "/L.npy")
local R = metriq.load(P.dir .. "/R.npy")
local T = metriq.load(P.dir .. "/T.npy")
for _, fmt in ipairs(P.formats) do
  local cfg = function(role) return {format = fmt, granularity = "channel", role = role} end
  dump(metriq.quantize(L, cfg("lhs")), P.dir .. "/fq_L_" .. fmt .. ".txt")
  dump(metriq.quantize(R, cfg("rhs")), P.dir .. "/fq_R_" .. fmt .. ".txt")
  dump(metriq.quantize(T, cfg("lhs")), P.dir .. "/fq_T_" .. fmt .. ".txt")
  local Q = metriq.qmatmul(L, R, {format = fmt, granularity = "channel", accum = "exact"})
  dump(Q, P.dir .. "/Q_" .. fmt .. ".txt")
  dump(metriq.backward_error(L, R, Q), P.dir .. "/be_" .. fmt .. ".txt")
end

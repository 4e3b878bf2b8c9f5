-- qmatmul_model.lua: metriq.qmatmul with an FP8 tensor core's accumulator
-- (accum = "h100-fp8" / "h100-fp8-fast", kernels/qgemm.h).  With
-- `--set case=NAME` it makes one bad call instead (ctest checks the
-- message); by default it checks values and raises on any mismatch.
local P = metriq.params{ case = "none" }
local m = metriq

local function eq(a, b, what)
  if a ~= b then error(("%s: got %s, want %s"):format(what, tostring(a), tostring(b)), 2) end
end

local t = m.normal({4, 4}, 0, 1, 7)
local bad = {
  int8 = function() m.qmatmul(t, t, {format = "int8", accum = "h100-fp8"}) end,
  rhs_fp16 = function() m.qmatmul(t, t, {format = "e4m3", rhs = "fp16", accum = "h100-fp8-fast"}) end,
  name = function() m.qmatmul(t, t, {format = "e4m3", accum = "h100"}) end,
}
if P.case ~= "none" then
  local f = bad[P.case]
  if not f then error("no case " .. P.case) end
  f()
  return
end

-- One dot product by hand (test_qmm_model.c explains it): products
-- 448^2, 448, 2^-6 * 448 = 7 and 0; the tensor core truncates the 7 away.
local L = m.tensor{{448, 1, 2 ^ -6, 0}}
local R = m.tensor{{448}, {448}, {448}, {448}}
eq(m.qmatmul(L, R, {format = "e4m3", accum = "h100-fp8"})[1], 201152, "h100-fp8")
eq(m.qmatmul(L, R, {format = "e4m3", accum = "h100-fp8-fast"})[1], 201152, "h100-fp8-fast")
eq(m.qmatmul(L, R, {format = "e4m3", accum = "fp32"})[1], 201159, "fp32")
eq(m.qmatmul(L, R, {format = "e4m3", accum = "exact"})[1], 201159, "exact")

-- Larger: e5m2 x e4m3 as measured, promotion every 128 products matters
-- (the two presets differ), threads do not.
local A, B = m.studentt({8, 1024}, 3, 1), m.studentt({1024, 8}, 3, 2)
local cfg = {lhs = "e5m2", rhs = "e4m3", accum = "h100-fp8", threads = 1}
local q1 = m.qmatmul(A, B, cfg)
cfg.threads = 3
local q3 = m.qmatmul(A, B, cfg)
for i = 1, #q1 do eq(q1[i], q3[i], "threads: element " .. i) end
cfg.accum = "h100-fp8-fast"
local qf = m.qmatmul(A, B, cfg)
local differ = 0
for i = 1, #q1 do if q1[i] ~= qf[i] then differ = differ + 1 end end
assert(differ > 0, "h100-fp8 and h100-fp8-fast agree on every output at K = 1024")
-- and the model's error is an accumulation error: far below quantization's
local ref = m.reference(A, B)
local be_exact = m.summary(m.backward_error(ref, m.qmatmul(A, B, {lhs = "e5m2", rhs = "e4m3"}))).mean
local be_fast = m.summary(m.backward_error(ref, qf)).mean
assert(be_fast > be_exact * 0.9 and be_fast < be_exact * 1.1,
       ("be %g with h100-fp8-fast, %g exact"):format(be_fast, be_exact))

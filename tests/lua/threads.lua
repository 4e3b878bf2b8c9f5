-- threads.lua: numbers that must not depend on --threads (threads test):
-- qmatmul splits rows over the threads; every bit of Q is hashed.
local m = metriq
m.params{}
local results = m.results()
local function hash(t)
  local h = 0
  for i = 1, #t do
    h = h * 1099511628211 ~ string.unpack("<I4", string.pack("<f", t[i]))
  end
  return h
end
for cell in m.grid{format = {"int8", "e4m3", "e5m2"}, gran = {"tensor", "channel", "block:16"},
                   accum = {"exact", "fp32"}} do
  local L, R = m.studentt({67, 80}, 3), m.studentt({80, 45}, 3)
  local Q = m.qmatmul(L, R, {format = cell.format, granularity = cell.gran, accum = cell.accum,
                             rounding = "sr"})
  local s = m.summary(m.backward_error(L, R, Q))
  results:write{format = cell.format, gran = cell.gran, accum = cell.accum, hash = hash(Q),
                be_mean = s.mean, be_p99 = s.p99}
end

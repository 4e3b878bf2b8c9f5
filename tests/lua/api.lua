-- api.lua: the Lua API of `metriq run`, checked value by value.
-- Run by ctest as `metriq run tests/lua/api.lua`; any failed check raises
-- an error, which makes the run exit non-zero.
local m = metriq
metriq.params{}

local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end
local function eq(a, b, what)
  if a ~= b then error(("%s: got %s, want %s"):format(what, tostring(a), tostring(b)), 2) end
end
local function near(a, b, tol, what)
  if math.abs(a - b) > tol then
    error(("%s: got %.17g, want %.17g +- %g"):format(what, a, b, tol), 2)
  end
end
local function same_table(a, b, what)
  eq(type(a), type(b), what .. " (type)")
  if type(a) ~= "table" then return eq(a, b, what) end
  eq(#a, #b, what .. " (length)")
  for i = 1, #a do same_table(a[i], b[i], what .. "[" .. i .. "]") end
end
local function same_tensor(a, b, what)
  eq(#a, #b, what .. " (size)")
  for i = 1, #a do eq(a[i], b[i], what .. "[" .. i .. "]") end
end

-- tensors ------------------------------------------------------------------
local t = m.tensor{{1, 2, 3}, {4, 5, 6}}
eq(#t, 6, "#t")
eq(t:ndim(), 2, "ndim")
local d1, d2, d3 = t:shape()
eq(d1, 2, "shape 1"); eq(d2, 3, "shape 2"); eq(d3, nil, "shape 3")
eq(t:get(2, 3), 6, "get")
eq(t[4], 4, "flat index")
eq(tostring(t), "tensor 2x3 (float32)", "tostring")
t:set(1, 1, 0.1)
eq(t:get(1, 1), f32(0.1), "set rounds to float32")
t[1] = 1
eq(t[1], 1, "newindex")
same_table(t:slice(nil, {2, 3}):totable(), {{2, 3}, {5, 6}}, "slice columns")
same_table(t:slice(-1):totable(), {{4, 5, 6}}, "slice last row")
same_table(t:reshape(3, 2):totable(), {{1, 2}, {3, 4}, {5, 6}}, "reshape")
same_table(t:reshape{6}:totable(), {1, 2, 3, 4, 5, 6}, "reshape to 1-D")
local c = t:clone()
c[1] = 99
eq(t[1], 1, "clone owns its data")
local z = m.zeros(2, 3, 4)
eq(#z, 24, "zeros 3-D")
eq(z:get(2, 3, 4), 0, "zeros are zero")
same_table({m.zeros{5}:shape()}, {5}, "zeros from a shape list")
local c3 = m.tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}
eq(c3:get(2, 1, 2), 6, "3-D get")
same_table(c3:slice(2, nil, 1):totable(), {{{5}, {7}}}, "3-D slice")
same_table(m.tensor{1.5, -2}:totable(), {1.5, -2}, "1-D round trip")

-- samplers -----------------------------------------------------------------
local a = m.normal({1000}, 0, 1, 42)
same_tensor(a, m.normal({1000}, 0, 1, 42), "same seed, same draws")
same_tensor(a, m.studentt({1000}, math.huge, 42), "t(inf) is the normal")
local i1, i2 = m.normal(1000), m.normal(1000)
local differ = false
for i = 1, #i1 do differ = differ or i1[i] ~= i2[i] end
assert(differ, "implicit seeds give different draws")
local big = m.normal({200, 500}, 1, 2, 7)
local mo = m.moments(big)
near(mo.mean, 1, 0.05, "normal mean")
near(mo.variance, 4, 0.1, "normal variance")
near(mo.kurtosis, 0, 0.1, "normal excess kurtosis")
local u = m.uniform({10000}, -3, 5, 1)
local su = m.summary(u)
assert(su.min >= -3 and su.max <= 5, "uniform range")
assert(m.summary(m.lognormal({1000}, 0, 1, 3)).min > 0, "lognormal is positive")
near(m.moments(m.laplace({100000}, 1, 4)).variance, 2, 0.1, "laplace variance 2b^2")
assert(m.moments(m.studentt({100000}, 3, 5)).kurtosis > 1, "t(3) has heavy tails")

-- quantize -----------------------------------------------------------------
local x = m.tensor{127, 63.5, -1, 0.3}
local q, st = m.quantize(x, "int8")
same_table(q:totable(), {127, 64, -1, 0}, "int8 tensor scale (ties to even)")
eq(st.n, 4, "stats n"); eq(st.clipped, 0, "stats clipped"); eq(st.underflowed, 1, "stats underflowed")
eq(#st.scales, 1, "one scale"); eq(st.scales[1], 1, "scale 127/127")
q = m.quantize(m.tensor{448, 1, 0.1}, {format = "e4m3"})
same_table(q:totable(), {448, 1, 0.1015625}, "e4m3 values")
local _, s2 = m.quantize(m.tensor{{1, 2}, {10, 20}}, {format = "int8", granularity = "channel"})
eq(#s2.scales, 2, "channel scales of an LHS: one a row")
eq(s2.scales[2], f32(20 / 127), "channel scale")
_, s2 = m.quantize(m.zeros(2, 3), {format = "int8", granularity = "channel", role = "rhs"})
eq(#s2.scales, 3, "channel scales of an RHS: one a column")
_, s2 = m.quantize(m.normal({4, 64}, 0, 1, 1), {format = "e4m3", block = 32})
eq(#s2.scales, 8, "block:32 scales")
_, s2 = m.quantize(m.normal({4, 64}, 0, 1, 1), {format = "e4m3", granularity = "block:16"})
eq(#s2.scales, 16, "block:16 scales")
local p2 = select(2, m.quantize(m.tensor{3}, {format = "e4m3", scale = "pow2"})).scales[1]
eq(p2, 2 ^ -7, "pow2 scale: smallest power of two with 3/p <= 448")
local n = m.normal({64, 64}, 0, 1, 9)
same_tensor(m.quantize(n, {format = "e5m2", rounding = "sr", seed = 5}),
            m.quantize(n, {format = "e5m2", rounding = "sr", seed = 5}), "SR with a seed")
m.quantize(m.normal({2, 3, 8}, 0, 1, 1), {format = "int8", granularity = "fine"})
eq(m.format("e4m3").max, 448, "e4m3 max")
eq(m.format("int8").max, 127, "int8 max")
eq(m.format("e5m2").has_inf, true, "e5m2 has inf")
local names = {}
for _, f in ipairs(m.formats()) do names[f] = true end
assert(names.e4m3 and names.e5m2 and names.int8, "formats() lists e4m3, e5m2, int8")

-- products -----------------------------------------------------------------
local L = m.tensor{{127, -3}, {2, 5}}
local R = m.tensor{{1, 127}, {-127, 0}}
local exact = m.matmul(L, R)
same_table(exact:totable(), {{508, 16129}, {-633, 254}}, "matmul")
local Q, qs = m.qmatmul(L, R, "int8")
same_tensor(Q, exact, "int8 qmatmul of integers within range is exact")
eq(qs.lhs.n, 4, "qmatmul lhs stats")
same_tensor(m.qmatmul(L, R, {format = "int8", accum = "fp32"}), exact, "fp32 accumulation")
same_tensor(m.qmatmul(L, R, {lhs = "int8", rhs = {format = "int8", granularity = "channel"}}),
            exact, "per-operand configs")
local BL, BR = m.normal({16, 32}, 0, 1, 1), m.normal({32, 8}, 0, 1, 2)
same_tensor(m.qmatmul(BL, BR, {format = "e4m3", threads = 1}),
            m.qmatmul(BL, BR, {format = "e4m3", threads = 3}), "qmatmul threads")
same_tensor(m.qmatmul(BL, BR, {format = "e4m3", reference = true}),
            m.qmatmul(BL, BR, {format = "e4m3"}), "reference loops = fast path")

-- metrics ------------------------------------------------------------------
same_table(m.relerr(m.tensor{2, -4, 0}, m.tensor{1, -4, 0}):totable(), {0.5, 0, 0}, "relerr")
eq(m.summary(m.backward_error(L, R, exact)).max, 0, "backward error of the exact product")
local BQ = m.qmatmul(BL, BR, {format = "e5m2"})
local be = m.backward_error(BL, BR, BQ)
same_tensor(m.backward_error(m.reference(BL, BR), BQ), be, "backward_error against a reference")
assert(m.summary(be).mean > 0, "e5m2 has some error")
local s5 = m.summary(m.tensor{1, 2, 3, 4, 5})
eq(s5.n, 5, "summary n"); eq(s5.mean, 3, "summary mean"); eq(s5.median, 3, "median")
eq(s5.min, 1, "min"); eq(s5.max, 5, "max"); near(s5.p99, 4.96, 1e-12, "p99")
eq(m.quantile(m.tensor{1, 2, 3, 4, 5}, 0.25), 2, "quantile")
local m4 = m.moments(m.tensor{1, 2, 3, 4})
eq(m4.mean, 2.5, "moments mean"); near(m4.variance, 5 / 3, 1e-12, "moments variance")
local h = m.histogram(m.tensor{0.5, 1.5, 1.5, 2.5, 7}, {bins = 3, lo = 0, hi = 3})
same_table(h.counts, {1, 2, 1}, "histogram counts")
same_table(h.edges, {0, 1, 2, 3}, "histogram edges")
eq(h.above, 1, "histogram above")
local hl = m.histogram(m.tensor{0.001, 0.01, 0.1, 0, -1}, {bins = 3, log = true, lo = 0.001, hi = 10})
eq(hl.zero, 1, "log histogram zeros")
eq(m.mse(m.tensor{1, 2}, m.tensor{1, 3}), 0.5, "mse")
near(m.sqnr(m.tensor{1, 2}, m.tensor{1, 3}), 10 * math.log(5, 10), 1e-12, "sqnr")
local cfg = {format = "e4m3", granularity = "channel"}
local X = m.studentt({32, 64}, 2, 11)
local XQ = m.quantize(X, cfg)
local sp = m.error_split(X, XQ, cfg)
eq(sp.n, 32 * 64, "split n")
near(sp.sse, sp.sse_clip + sp.sse_under + sp.sse_round, 0, "split parts add up")
near(sp.mse, m.mse(X, XQ), 1e-15 * sp.mse + 1e-300, "split mse")

-- grids --------------------------------------------------------------------
local seeds, order = {}, {}
for cell in m.grid{b = {1, 2}, a = {"x", "y"}} do
  order[#order + 1] = cell.a .. cell.b
  eq(cell.index, #order, "cell.index")
  seeds[cell.a .. cell.b] = cell.seed
  assert(math.type(cell.seed) == "integer" and cell.seed >= 0, "cell seeds are integers >= 0")
end
same_table(order, {"x1", "x2", "y1", "y2"}, "named axes sorted, last fastest")
order = {}
for cell in m.grid{{"b", {1, 2}}, {"a", {"x", "y"}}} do
  order[#order + 1] = cell.a .. cell.b
  eq(cell.seed, seeds[cell.a .. cell.b], "a cell's seed does not depend on the axis order")
end
same_table(order, {"x1", "y1", "x2", "y2"}, "axes in the given order")
for cell in m.grid{a = "y", b = 2} do
  eq(cell.seed, seeds.y2, "a cell alone has the seed it has in the full grid")
end
for cell in m.grid{a = {"x", "y"}, b = {1, 2, 3}} do
  if cell.index == 2 then break end
end
local draws = {}
for cell in m.grid{k = {1, 2}} do draws[cell.k] = m.normal(3)[1] end
for cell in m.grid{k = {2}} do eq(m.normal(3)[1], draws[2], "implicit seeds restart in each cell") end
eq(m.derive(1, 2), m.derive(1, 2), "derive is a function")
assert(m.derive(1, 2) ~= m.derive(1, 3), "derive separates tags")

-- results ------------------------------------------------------------------
local r = m.results("api_rows")
for cell in m.grid{z = {1}, a = {2}} do
  r:write{z = cell.z, a = cell.a, m = 3, b = 'hi, "you"', flag = true, big = math.huge, f = 0.1}
  r:write{a = 2}   -- a row that names an axis gives the cell's value (issue 15)
end
eq(r:rows(), 2, "rows")
local f = assert(io.open(r:path()))
local text = f:read("a")
f:close()
eq(text, 'a,z,b,big,f,flag,m\n2,1,"hi, ""you""",inf,0.1,true,3\n2,,,,,,\n',
   "CSV: axes first, then sorted keys; quoting; empty fields")
print("api: all checks passed")

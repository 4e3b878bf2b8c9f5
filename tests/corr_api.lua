-- corr_api.lua: metriq.load, metriq.quantize_layout, metriq.error_split_layout
-- and metriq.spearman (harness/lua_tfile.c), values and bad input (selected
-- by --set case=...; "ok" checks values).
local P = metriq.params{case = "ok", dir = ""}
assert(P.dir ~= "", "--set dir=... is required")
assert(os.execute("mkdir -p '" .. P.dir .. "'"))

local function write_npy(path, vals, shape, descr)
  local dict = string.format("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                             descr or "<f4", table.concat(shape, ", ") .. (#shape == 1 and "," or ""))
  local len = 10 + #dict + 1
  dict = dict .. string.rep(" ", (64 - len % 64) % 64) .. "\n"
  local parts = {"\147NUMPY\1\0", string.pack("<I2", #dict), dict}
  for i = 1, #vals do parts[#parts + 1] = string.pack(descr == "<f8" and "<d" or "<f", vals[i]) end
  local f = assert(io.open(path, "wb"))
  f:write(table.concat(parts))
  f:close()
end

-- a 4-D tensor [2][3][4][8] of distinct values with a different absmax per
-- (batch, free) row, and one far larger row so that scales differ
local E, B, F, C = 2, 3, 4, 8
local vals = {}
for e = 1, E do for b = 1, B do for f = 1, F do for c = 1, C do
  local v = math.sin(#vals + 1) * (f + 2 * b) * (e == 2 and b == 3 and f == 1 and 50 or 1)
  vals[#vals + 1] = v
end end end end
local path4 = P.dir .. "/t4.npy"
write_npy(path4, vals, {E, B, F, C})
local layout = {shape = {E, B, F, C}, roles = {"example", "batch", "free", "contract"}}

if P.case == "ok" then
  local x, shape = metriq.load(path4)
  assert(#shape == 4 and shape[1] == E and shape[2] == B and shape[3] == F and shape[4] == C)
  assert(x:ndim() == 1 and #x == E * B * F * C)
  for i = 1, #x do
    assert(x[i] == string.unpack("<f", string.pack("<f", vals[i])), "value " .. i)
  end
  -- up to 3 axes keep their shape; float64 files are rounded to float32
  write_npy(P.dir .. "/t2.npy", {1, 2, 3, 4.5, 5, 6}, {2, 3}, "<f8")
  local t2, s2 = metriq.load(P.dir .. "/t2.npy")
  assert(t2:ndim() == 2 and select(2, t2:shape()) == 3 and #s2 == 2 and t2:get(2, 1) == 4.5)

  -- scale groups: tensor 1, channel one per free index, fine one per (batch, free)
  local counts = {tensor = 1, channel = F, fine = B * F}
  for g, n in pairs(counts) do
    local _, st = metriq.quantize_layout(x, {format = "int8", granularity = g}, layout)
    assert(#st.scales == n, g .. ": " .. #st.scales .. " scales")
  end
  -- channel: scale f is the absmax over example, batch and contract / 127
  local y, st = metriq.quantize_layout(x, {format = "int8", granularity = "channel"}, layout)
  local i = 0
  local amax = {}
  for _ = 1, E do for _ = 1, B do for f = 1, F do for _ = 1, C do
    i = i + 1
    amax[f] = math.max(amax[f] or 0, math.abs(x[i]))
  end end end end
  for f = 1, F do
    local want = string.unpack("<f", string.pack("<f", amax[f] / 127))
    assert(st.scales[f] == want, "channel scale " .. f .. ": " .. st.scales[f] .. " vs " .. want)
  end
  -- every element is fakequant(x / s) * s with its row's scale
  i = 0
  for _ = 1, E do for _ = 1, B do for f = 1, F do for _ = 1, C do
    i = i + 1
    local q = metriq.cast(metriq.tensor{x[i]}, "int8", st.scales[f])
    assert(y[i] == q[1], "element " .. i)
  end end end end
  -- fine on 4-D = per row of the (example*batch*free) x contract matrix
  -- except that the example axis shares: compare with metriq.quantize on
  -- the [batch*free] x contract slice of each example quantized by channel
  -- when example = 1
  local x1 = x:reshape(E * B * F, C):slice({1, B * F}) -- example 1
  local y1 = metriq.quantize(x1, {format = "e4m3", granularity = "channel"})
  local lay1 = {shape = {1, B, F, C}, roles = layout.roles}
  local z1 = metriq.quantize_layout(x1:reshape(B * F * C), {format = "e4m3", granularity = "fine"}, lay1)
  for k = 1, #y1 do assert(y1[k] == z1[k], "fine vs channel rows " .. k) end
  -- error split as metriq.error_split of the same 2-D case
  local a = metriq.error_split(x1, y1, {format = "e4m3", granularity = "channel"})
  local b = metriq.error_split_layout(x1:reshape(B * F * C), z1,
                                      {format = "e4m3", granularity = "fine"}, lay1)
  assert(a.sse == b.sse and a.nclip == b.nclip and a.nunder == b.nunder and a.sqnr == b.sqnr)
  -- SR is reproducible from its seed and differs with another
  local s1 = metriq.quantize_layout(x, {format = "e5m2", rounding = "sr", seed = 5}, layout)
  local s2 = metriq.quantize_layout(x, {format = "e5m2", rounding = "sr", seed = 5}, layout)
  local s3 = metriq.quantize_layout(x, {format = "e5m2", rounding = "sr", seed = 6}, layout)
  local same, diff = true, false
  for k = 1, #x do same = same and s1[k] == s2[k]; diff = diff or s1[k] ~= s3[k] end
  assert(same and diff, "SR streams")

  -- Spearman: ties in y, 8 / sqrt(95) by hand (tests/test_rankcorr.c)
  local rho = metriq.spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7})
  assert(math.abs(rho - 8 / math.sqrt(95)) < 1e-15, rho)
  local r2, p = metriq.spearman({1, 2, 3, 4}, {1, 2, 3, 4}, {permutations = 20000, seed = 3})
  assert(r2 == 1 and math.abs(p - 2 / 24) < 0.01, p)
  local r3, p3 = metriq.spearman({1, 2, 3, 4}, {1, 2, 3, 4}, {permutations = 20000, seed = 3})
  assert(r3 == r2 and p3 == p, "same seed, same p")
  assert(metriq.spearman({1, 2, 3}, {2, 2, 2}) ~= metriq.spearman({1, 2, 3}, {2, 2, 2}),
         "constant: NaN")
elseif P.case == "load_missing" then
  metriq.load(P.dir .. "/nope.npy")
elseif P.case == "load_garbage" then
  local f = assert(io.open(P.dir .. "/bad.npy", "wb")); f:write("not a tensor"); f:close()
  metriq.load(P.dir .. "/bad.npy")
elseif P.case == "layout_size" then
  metriq.quantize_layout(metriq.zeros(10), "int8", {shape = {1, 1, 3, 4}, roles = layout.roles})
elseif P.case == "layout_role" then
  metriq.quantize_layout(metriq.zeros(12), "int8", {shape = {3, 4}, roles = {"free", "inner"}})
elseif P.case == "layout_two_contract" then
  metriq.quantize_layout(metriq.zeros(12), "int8", {shape = {3, 4}, roles = {"contract", "contract"}})
elseif P.case == "cfg_role" then
  metriq.quantize_layout(metriq.zeros(12), {format = "int8", role = "rhs"},
                         {shape = {3, 4}, roles = {"free", "contract"}})
elseif P.case == "spearman_len" then
  metriq.spearman({1, 2, 3}, {1, 2})
elseif P.case == "spearman_nan" then
  metriq.spearman({1, 0 / 0, 3}, {1, 2, 3})
elseif P.case == "spearman_opt" then
  metriq.spearman({1, 2, 3}, {1, 2, 3}, {permutation = 10})
end

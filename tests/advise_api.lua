-- advise_api.lua: metriq.advise (harness/lua/lua_advise.c) against
-- `metriq advise` on the same tensors: every number of metrics.csv and
-- advice.csv equal to the bit, at several option sets; and bad arguments
-- (selected by --set case=...; "ok" compares).
local P = metriq.params{case = "ok", metriq = "", gen = "", dir = ""}

local function bad_case(c)
  local x = metriq.normal({16, 32}, 0, 1, 1)
  local calls = {
    gran_unknown = function() metriq.advise(x, {granularity = "rows"}) end,
    gran_type = function() metriq.advise(x, {granularity = 32}) end,
    role_unknown = function() metriq.advise(x, {role = "middle"}) end,
    format_unknown = function() metriq.advise(x, {formats = {"int8", "e9m9"}}) end,
    format_e8m0 = function() metriq.advise(x, {formats = "int8,e8m0"}) end,
    formats_type = function() metriq.advise(x, {formats = 8}) end,
    rounding_unknown = function() metriq.advise(x, {roundings = {"rtne", "up"}}) end,
    budget_range = function() metriq.advise(x, {underflow_budget = 2}) end,
    margin_type = function() metriq.advise(x, {margin = "big"}) end,
    seed_type = function() metriq.advise(x, {seed = 0.5}) end,
    field_unknown = function() metriq.advise(x, {granularty = "channel"}) end,
    opts_type = function() metriq.advise(x, "channel") end,
    tensor_type = function() metriq.advise({1, 2, 3}) end,
    nan = function() metriq.advise(metriq.tensor{1, 0 / 0, 2}) end,
  }
  assert(calls[c], "unknown case " .. c)()
end

if P.case ~= "ok" then
  bad_case(P.case)
  return
end

assert(P.metriq ~= "" and P.gen ~= "" and P.dir ~= "", "--set metriq=, gen=, dir= are required")
local I = P.dir .. "/in"
assert(os.execute("rm -rf '" .. P.dir .. "' && mkdir -p '" .. I .. "'"))
assert(os.execute("'" .. P.gen .. "' '" .. I .. "'"))

-- CSV rows as tables keyed by the header (no quoted fields in these files)
local function read_csv(path)
  local rows, head = {}, nil
  for line in io.lines(path) do
    local f = {}
    for v in (line .. ","):gmatch("([^,]*),") do f[#f + 1] = v end
    if not head then
      head = f
    else
      local r = {}
      for i, k in ipairs(head) do r[k] = f[i] end
      rows[#rows + 1] = r
    end
  end
  return rows
end

-- the CSV writes the shortest text that reads back exactly, and inf / nan
local function num(s)
  if s == "inf" then return math.huge elseif s == "-inf" then return -math.huge
  elseif s == "nan" then return 0 / 0 end
  return assert(tonumber(s), "not a number: " .. tostring(s))
end

local function same(what, csv, v)
  if type(v) == "boolean" then v = v and 1 or 0 end
  local c = num(csv)
  assert(c == v or (c ~= c and v ~= v), string.format("%s: CLI %s, metriq.advise %.17g", what, csv, v))
end

local tensors = {
  {file = "weights.npy", name = "weights"},
  {file = "grads.safetensors", name = "grad.bf16"},
  {file = "grads.safetensors", name = "grad.f32"},
  {file = "t3.npy", name = "t3"},
}
local cand_cols = {"sqnr_db", "mse", "mean_relerr", "max_relerr", "clipped_frac", "clip_share",
                   "underflow_frac", "within_budgets", "recommended"}
local stat_cols = {"mean", "variance", "skew", "kurtosis", "tail_index"}

-- each: the command's options and metriq.advise's for the same
local cases = {
  {args = "", opts = nil},
  {args = "--granularity channel", opts = {granularity = "channel"}},
  {args = "--granularity block:32 --role rhs", opts = {granularity = "block:32", role = "rhs"}},
  {args = "--formats int8,e4m3,e5m2,e3m2 --roundings rtne,sr:8,rtz --scale pow2 --seed 7 --margin 3",
   opts = {formats = {"int8", "e4m3", "e5m2", "e3m2"}, roundings = "rtne,sr:8,rtz", scale = "pow2",
           seed = 7, margin = 3}},
  {args = "--formats int8 --underflow-budget 0 --clip-budget 0.5",
   opts = {formats = "int8", underflow_budget = 0, clip_budget = 0.5}},
  -- the cheaper format listed first wins within the margin
  {args = "--formats e5m2,e4m3 --roundings rtne --margin 7",
   opts = {formats = "e5m2,e4m3", roundings = {"rtne"}, margin = 7}},
}
local files = {}
for _, t in ipairs(tensors) do files[t.file] = true end
local flist = {}
for f in pairs(files) do flist[#flist + 1] = "'" .. I .. "/" .. f .. "'" end
table.sort(flist)
local compared, reasons = 0, {}
for ci, c in ipairs(cases) do
  local out = P.dir .. "/cli" .. ci
  assert(os.execute("cd '" .. I .. "' && '" .. P.metriq .. "' advise " .. table.concat(flist, " ") ..
                    " " .. c.args .. " --out '" .. out .. "' >/dev/null 2>&1"), "metriq advise " .. c.args)
  local metrics, advice = read_csv(out .. "/metrics.csv"), read_csv(out .. "/advice.csv")
  for _, t in ipairs(tensors) do
    local x = metriq.load(I .. "/" .. t.file, t.file:match("%.safetensors$") and t.name or nil)
    local r = metriq.advise(x, c.opts)
    local rows = {}
    for _, m in ipairs(metrics) do if m.tensor == t.name then rows[#rows + 1] = m end end
    assert(#rows == #r.candidates and #rows > 0, t.name .. ": " .. #rows .. " CLI rows, " ..
           #r.candidates .. " candidates")
    for k, m in ipairs(rows) do
      local cd = r.candidates[k]
      local what = (c.args .. " " .. t.name .. " " .. cd.format .. " " .. cd.rounding)
      assert(m.format == cd.format and m.rounding == cd.rounding, what .. ": order")
      assert(m.granularity == r.granularity and m.role == r.role and m.scale == r.scale, what)
      for _, col in ipairs(cand_cols) do same(what .. " " .. col, m[col], cd[col]) end
      compared = compared + 1
    end
    local a
    for _, row in ipairs(advice) do if row.tensor == t.name then a = row end end
    local what = c.args .. " " .. t.name
    assert(a.format == r.advice.format and a.rounding == r.advice.rounding, what .. ": advice " ..
           a.format .. " " .. a.rounding .. " vs " .. r.advice.format .. " " .. r.advice.rounding)
    assert(a.reason == r.advice.reason, what .. ": reason '" .. a.reason .. "' vs '" .. r.advice.reason .. "'")
    assert(r.candidates[r.advice.index].recommended and r.advice.recommended, what .. ": index")
    same(what .. " n", a.n, r.n)
    for _, col in ipairs(stat_cols) do same(what .. " " .. col, a[col], r[col]) end
    reasons[a.reason] = true
  end
end
-- the comparison covered every candidate of every case, and the rule's
-- three outcomes for nonzero tensors
assert(compared == 4 * (6 + 6 + 6 + 12 + 2 + 2), "compared " .. compared)
assert(reasons["best SQNR within budgets"] and reasons["first within the margin of the best SQNR within budgets"]
       and reasons["no candidate within budgets: fewest underflowed + clipped (try a finer granularity)"],
       "not every reason was seen")
-- a tensor of zeros: every candidate exact, the first advised
local z = metriq.advise(metriq.zeros{4, 8})
assert(z.advice.index == 1 and z.advice.reason == "all zeros: every candidate is exact" and z.nonzero == 0)

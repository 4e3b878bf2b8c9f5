-- check_figs.lua: checks on the figure scripts' CSV output (tests/figures_test.sh).
--   fig3: E4M3's relative error never exceeds 2^-4 in its normal range, nor
--         E5M2's 2^-3; it is 1 where values flush to zero (below half the
--         smallest subnormal); it is below 1 for every value the format
--         rounds to a nonzero number.
--   fig4: the paper's qualitative finding, on the samples of this run: at
--         nu = 1 INT8's mean backward error exceeds E4M3's, at nu = inf it
--         is lower.
--   fig2: (quick=true) one row per sampled operand; the kept arrays are
--         the subset, listed in tensors/tensors.csv, with the CSV's moments;
--         the initial weights are normal (excess kurtosis near 0, log2|x|
--         skewed as log|Z|'s) and INT8 has the best SQNR on them.
local P = metriq.params{which = "", dir = ""}

local function read_csv(path)
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local header, rows = nil, {}
  for line in f:lines() do
    local fields = {}
    for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
    if not header then
      header = fields
    else
      local r = {}
      for i, k in ipairs(header) do r[k] = fields[i] end
      rows[#rows + 1] = r
    end
  end
  f:close()
  assert(#rows > 0, path .. ": no rows")
  return rows
end

local failures, checks = 0, 0
local function check(cond, ...)
  checks = checks + 1
  if not cond then
    failures = failures + 1
    io.stderr:write("FAIL: ", string.format(...), "\n")
  end
end

if P.which == "fig3" then
  local bound = {e4m3 = 2 ^ -4, e5m2 = 2 ^ -3}
  local nnormal, nflush = {}, {}
  for _, r in ipairs(read_csv(P.dir .. "/fig3_relative_error.csv")) do
    local f, v, e = r.format, tonumber(r.value), tonumber(r.rel_error)
    local d = metriq.format(f)
    if bound[f] and v >= d.min_normal and v <= d.max then
      check(e <= bound[f], "%s: relative error %g at %g (normal range) exceeds %g", f, e, v, bound[f])
      nnormal[f] = (nnormal[f] or 0) + 1
    end
    if v < d.min_subnormal / 2 then
      check(e == 1, "%s: relative error %g at %g, below min_subnormal/2, should be 1", f, e, v)
      nflush[f] = (nflush[f] or 0) + 1
    end
    if v >= d.min_subnormal and v <= d.max then
      check(e < 1, "%s: relative error %g at representable-range value %g", f, e, v)
    end
  end
  for _, f in ipairs{"int8", "e4m3", "e5m2"} do
    check((nflush[f] or 0) > 0, "%s: no flushed values in the CSV", f)
  end
  check((nnormal.e4m3 or 0) > 100 and (nnormal.e5m2 or 0) > 100, "too few normal-range values")
elseif P.which == "fig4" then
  local be = {}
  for _, r in ipairs(read_csv(P.dir .. "/fig4_backward_error.csv")) do
    if r.granularity == "channel" and r.rounding == "rtne" then
      be[r.format .. "@" .. r.nu] = tonumber(r.be_mean)
    end
  end
  local i1, e1, iinf, einf = be["int8@1"], be["e4m3@1"], be["int8@inf"], be["e4m3@inf"]
  check(i1 and e1 and iinf and einf, "missing rows for int8/e4m3 at nu = 1 and inf")
  if i1 and e1 and iinf and einf then
    check(i1 > e1, "nu = 1: INT8 mean BE %g should exceed E4M3's %g", i1, e1)
    check(iinf < einf, "nu = inf: INT8 mean BE %g should be below E4M3's %g", iinf, einf)
    io.stderr:write(string.format("fig4: nu=1 int8 %.3g e4m3 %.3g; nu=inf int8 %.3g e4m3 %.3g\n",
                                  i1, e1, iinf, einf))
  end
elseif P.which == "fig2" then
  -- a quick run (experiments/fig2_moments.lua quick=true): 1 layer, sampled
  -- at steps 0 and 3, each step 1 x 18 products + 3 of the head, 2 operands
  local rows = read_csv(P.dir .. "/fig2_moments.csv")
  check(#rows == 2 * 42, "fig2_moments.csv: %d rows, want 84", #rows)
  local cats = read_csv(P.dir .. "/fig2_categories.csv")
  check(#cats == 6, "fig2_categories.csv: %d rows, want 2 steps x 3 categories", #cats)
  -- the kept arrays are the index's, and their moments are the CSV's
  local index = read_csv(P.dir .. "/tensors/tensors.csv")
  check(#index > 0, "no kept arrays")
  local byfile = {}
  for _, r in ipairs(rows) do byfile[r.file] = r end
  for _, e in ipairs(index) do
    check(e.step == "3" and (e.layer == "0" or e.layer == "-1"), "kept %s is not in the subset", e.file)
    local x = metriq.load(P.dir .. "/tensors/" .. e.file)
    local m, r = metriq.moments(x), byfile[e.file]
    check(r and math.abs(m.variance - tonumber(r.variance)) <= 1e-9 * m.variance and
          m.n == tonumber(r.n), "%s: moments differ from fig2_moments.csv", e.file)
  end
  -- at step 0 the weights are the initial normal ones: excess kurtosis near
  -- 0, and log2|x| shaped as log|Z| (skew -1.54, excess kurtosis 4.0)
  for _, r in ipairs(rows) do
    if r.step == "0" and r.pass == "fwd" and r.operand == "B" and r.category == "rhs" and
       (r.matmul == "attn.qkv" or r.matmul == "mlp.fc1") then
      local k, ls = tonumber(r.kurtosis), tonumber(r.lg_skew)
      check(math.abs(k) < 0.75, "%s W at init: excess kurtosis %g should be near 0", r.matmul, k)
      -- (a sample of 768 or 1024 values: its skew of log2|x| scatters by ~0.3;
      -- a log-normal |x| would give 0)
      check(ls < -0.8 and ls > -2.3, "%s W at init: skew of log2|x| %g, want about -1.54", r.matmul, ls)
      check(tonumber(r.sqnr_int8) > tonumber(r.sqnr_e4m3), "%s W: INT8 SQNR should beat E4M3", r.matmul)
    end
  end
else
  error("which must be fig2, fig3 or fig4")
end

io.stderr:write(string.format("check_figs %s: %d checks, %d failed\n", P.which, checks, failures))
if failures > 0 then os.exit(1) end

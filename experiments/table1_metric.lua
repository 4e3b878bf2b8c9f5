-- table1_metric.lua: does the per-tensor metric predict training?  For each
-- cell of Table I (category x format x granularity x rounding, as in the
-- training summary), every tensor of that category sampled in the fp32
-- baseline run is quantized exactly as training quantizes it (train/tquant.c:
-- the canonical layout [example][batch][free][contract] with roles EXAMPLE,
-- BATCH, FREE, CONTRACT; absmax scales in float32; saturation, gradual
-- underflow), and the error is measured.  Then Spearman's rank correlation
-- between each cell metric and the cell's trained AUC (mean over seeds), per
-- category and over all cells, with a two-sided permutation p-value.
--
-- The unit is a row of tensors.csv: one operand of one product at one
-- sampled step, as training quantizes it (a tensor that enters two products
-- is quantized twice in training, and counts twice here).  Cell metrics
-- (each row weighs the same, whatever its size, so that the few large
-- attention tensors do not decide alone):
--   sqnr_mean    mean over the category's tensors of the SQNR in dB
--   sqnr_min     the worst tensor's SQNR in dB
--   relerr_mean  mean over tensors of the mean relative error (Eq. 2)
--   under_frac   underflowed elements (nonzero, flushed to 0) / elements,
--                over all of the category's tensors
--   clip_frac    clipped elements / elements, likewise
-- A tensor whose signal is all zero (SQNR undefined) is left out of the
-- SQNR columns and counted in sqnr_skipped.  Stochastic rounding of tensor
-- j in a cell draws from derive(cell seed, j) (the cell seeds are in the
-- manifest); the permutation test of correlation k draws from
-- derive(run seed, k), written next to it.
--
-- The AUC's own noise: auc_reliability is the mean over seeds s of
-- Spearman's rho between the cells' AUC in seed s and their mean AUC over
-- the other seeds (from the per-seed training CSV): how well the AUC
-- ranking reproduces itself, an upper bound in practice on what any metric
-- can reach against a 3-seed mean.
--
-- Output (in the run's folder):
--   table1_metric_tensors.csv  one row per cell and sampled tensor
--   table1_metric.csv          one row per cell: the metrics, auc_mean, auc_sd,
--                              baseline_auc (the fp32 baseline's mean), and
--                              training's own clipped/underflowed shares
--   table1_corr.csv            scope (lhs, rhs, grad, grad_rtne, all), metric,
--                              against
--                              (auc_mean; or training's own counts,
--                              train_under_share / train_clip_share, for
--                              under_frac / clip_frac), n, rho, p, perm_seed,
--                              permutations, auc_reliability
--   table1_corr.png/.svg       AUC against mean SQNR (plots/table1_corr.gp)
--
-- With sample=true the script first runs the fp32 baseline itself, seed 1
-- of Table I's run (seed derive(table1_seed, 1), as table1_training.lua
-- derives it), sampling every matmul operand at sample_steps into
-- DIR/tensors (metriq.train's sample option, train/tsample.h), and checks
-- that this run's AUC is the table's seed-1 baseline AUC; table1_sample.csv
-- records it.  Unless keep_tensors, the .npy files are deleted at the end
-- (tens of MB a step; the run reproduces them) and tensors.csv is kept.
--
--   metriq run experiments/table1_metric.lua --out results/table1/correlation \
--       --set sample=true
--   metriq run experiments/table1_metric.lua --set tensors=DIR   (a sampler's folder)
local P = metriq.params{
  tensors = "results/paper/fig2/tensors",   -- the sampler's folder (tensors.csv)
  sample = false,         -- sample the baseline run here instead (see above)
  sample_steps = {0, 150, 300, 450, 599},
  table1_seed = 1,        -- the run seed of results/table1 (its manifest)
  keep_tensors = false,
  summary = "results/table1/table1_summary.csv",
  training = "results/table1/table1_training.csv",  -- per seed; "" to skip
  runs = "results/table1/table1_runs.csv",  -- training's own counts; "" to skip
  permutations = 100000,
  max_tensors = 0,        -- per category, the first N of tensors.csv (0: all)
  quick = false,          -- a smoke run: 4 tensors a category, 1000 permutations
  plot = true,
}
if P.quick then
  if P.max_tensors == 0 then P.max_tensors = 4 end
  P.permutations = 1000
end

-- ---- input ----

-- CSV without quoted fields (what the harness and the sampler write).
local function read_csv(path, need)
  local f, err = io.open(path, "r")
  if not f then error("cannot read " .. path .. ": " .. tostring(err), 0) end
  local header, rows = nil, {}
  for line in f:lines() do
    if line ~= "" then
      local fields = {}
      for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
      if not header then
        header = fields
      else
        if #fields ~= #header then
          error(string.format("%s line %d: %d fields, the header has %d", path, #rows + 2,
                              #fields, #header), 0)
        end
        local r = {}
        for i, k in ipairs(header) do r[k] = fields[i] end
        rows[#rows + 1] = r
      end
    end
  end
  f:close()
  if not header then error(path .. " is empty", 0) end
  local have = {}
  for _, k in ipairs(header) do have[k] = true end
  for _, k in ipairs(need) do
    if not have[k] then error(path .. " has no column '" .. k .. "'", 0) end
  end
  return rows
end

local function posint(r, k, where)
  local v = math.tointeger(tonumber(r[k]))
  if not v or v < 1 then error(where .. ": '" .. k .. "' is not an integer >= 1", 0) end
  return v
end

local sample_rows
if P.sample then
  local r = metriq.train{seed = metriq.derive(P.table1_seed, 1),
                         sample = {steps = P.sample_steps, dir = "tensors"}}
  P.tensors = r.sample.dir
  sample_rows = r.sample.rows
  -- the same run as Table I's seed-1 baseline?  (the same AUC to the bit)
  local table_auc = 0 / 0
  if P.training ~= "" then
    for _, t in ipairs(read_csv(P.training, {"category", "auc", "seed"})) do
      if t.category == "baseline" and t.seed == "1" then table_auc = tonumber(t.auc) end
    end
  end
  metriq.results("table1_sample"):write{
    seed = 1, auc = r.auc, table1_auc = table_auc, same_run = r.auc == table_auc,
    final_acc = r.final_acc, bytes = r.sample.bytes, operands = #r.sample.rows,
    steps = table.concat(P.sample_steps, " ")}
end

-- The sampled tensors, by category, in the order of tensors.csv.
local index = P.tensors .. "/tensors.csv"
local sampled = {lhs = {}, rhs = {}, grad = {}}
for i, r in ipairs(read_csv(index, {"step", "layer", "matmul", "pass", "operand", "category",
                                    "nex", "nbat", "free", "contract", "file"})) do
  local where = index .. " row " .. i
  local list = sampled[r.category]
  if not list then error(where .. ": unknown category '" .. r.category .. "'", 0) end
  local t = {step = r.step, layer = r.layer, matmul = r.matmul, pass = r.pass,
             operand = r.operand, file = r.file, path = P.tensors .. "/" .. r.file,
             shape = {posint(r, "nex", where), posint(r, "nbat", where),
                      posint(r, "free", where), posint(r, "contract", where)}}
  local f = io.open(t.path, "rb")
  if not f then error(where .. ": file " .. t.path .. " is missing", 0) end
  f:close()
  if P.max_tensors == 0 or #list < P.max_tensors then list[#list + 1] = t end
end

-- Table I's cells: (category, rounding) groups, each a full format x
-- granularity grid (so that metriq.grid gives every cell its own seed).
local cells, auc, baseline_auc = {}, {}, 0 / 0
local groups, gorder = {}, {}
for i, r in ipairs(read_csv(P.summary, {"category", "format", "granularity", "rounding",
                                        "auc_mean", "auc_sd", "seeds"})) do
  if r.category == "baseline" then
    baseline_auc = tonumber(r.auc_mean)
  else
    if not sampled[r.category] then
      error(P.summary .. " row " .. i .. ": unknown category '" .. r.category .. "'", 0)
    end
    local key = table.concat({r.category, r.format, r.granularity, r.rounding}, ",")
    auc[key] = {mean = tonumber(r.auc_mean), sd = tonumber(r.auc_sd),
                seeds = tonumber(r.seeds)}
    local gk = r.category .. "," .. r.rounding
    local g = groups[gk]
    if not g then
      g = {category = r.category, rounding = r.rounding, formats = {}, grans = {}, fs = {},
           gs = {}}
      groups[gk] = g
      gorder[#gorder + 1] = gk
    end
    if not g.fs[r.format] then g.fs[r.format] = true; g.formats[#g.formats + 1] = r.format end
    if not g.gs[r.granularity] then
      g.gs[r.granularity] = true; g.grans[#g.grans + 1] = r.granularity
    end
    cells[#cells + 1] = key
  end
end
for _, gk in ipairs(gorder) do
  local g = groups[gk]
  for _, f in ipairs(g.formats) do
    for _, gr in ipairs(g.grans) do
      local key = table.concat({g.category, f, gr, g.rounding}, ",")
      if not auc[key] then error(P.summary .. " lacks the cell " .. key, 0) end
    end
  end
  if #sampled[g.category] == 0 then
    error(index .. " has no tensor of category " .. g.category, 0)
  end
end

-- What training itself counted over all its steps (table1_runs.csv: the
-- clipped and underflowed shares of the quantized category's elements),
-- mean over seeds: does the sample measure what training saw?
local trained = {}
if P.runs ~= "" then
  local acc = {}
  for _, r in ipairs(read_csv(P.runs, {"category", "format", "granularity", "rounding",
                                       "clipped_share", "underflowed_share"})) do
    local key = table.concat({r.category, r.format, r.granularity, r.rounding}, ",")
    if auc[key] then
      local a = acc[key] or {clip = 0, under = 0, n = 0}
      a.clip, a.under, a.n = a.clip + tonumber(r.clipped_share),
                             a.under + tonumber(r.underflowed_share), a.n + 1
      acc[key] = a
    end
  end
  for key, a in pairs(acc) do
    trained[key] = {clip = a.clip / a.n, under = a.under / a.n}
  end
end

-- ---- the metric of every cell ----
local per_tensor = metriq.results("table1_metric_tensors")
local per_cell = metriq.results("table1_metric")
local roles = {"example", "batch", "free", "contract"}

-- The loaded tensors of one category at a time (the grids go category by
-- category), by file: rows that name the same file (the sampler writes a
-- tensor once when it enters several products in the same layout) load once.
local cache = {category = nil, x = {}}
local function tensor(category, j)
  if cache.category ~= category then cache = {category = category, x = {}} end
  local t = sampled[category][j]
  if not cache.x[t.path] then
    local x, shape = metriq.load(t.path)
    if #shape ~= 4 or shape[1] ~= t.shape[1] or shape[2] ~= t.shape[2] or
       shape[3] ~= t.shape[3] or shape[4] ~= t.shape[4] then
      error(string.format("%s is %s, tensors.csv says %s", t.path,
                          table.concat(shape, "x"), table.concat(t.shape, "x")), 0)
    end
    cache.x[t.path] = x
  end
  return cache.x[t.path]
end

local metric = {}     -- key -> cell metrics
for _, gk in ipairs(gorder) do
  local g = groups[gk]
  for c in metriq.grid{{"category", g.category}, {"format", g.formats},
                       {"granularity", g.grans}, {"rounding", g.rounding}} do
    local list = sampled[c.category]
    local s_sum, s_n, s_min, skipped, re_sum, nel, nclip, nunder = 0, 0, math.huge, 0, 0, 0, 0, 0
    for j, t in ipairs(list) do
      local x = tensor(c.category, j)
      local layout = {shape = t.shape, roles = roles}
      local cfg = {format = c.format, rounding = c.rounding, granularity = c.granularity,
                   seed = metriq.derive(c.seed, j)}
      local y = metriq.quantize_layout(x, cfg, layout)
      local e = metriq.error_split_layout(x, y, cfg, layout)
      local re = #x >= 2 and metriq.moments(metriq.relerr(x, y)).mean or metriq.relerr(x, y)[1]
      local ok = e.sqnr == e.sqnr  -- NaN: no signal and no error
      if ok then
        s_sum, s_n, s_min = s_sum + e.sqnr, s_n + 1, math.min(s_min, e.sqnr)
      else
        skipped = skipped + 1
      end
      re_sum = re_sum + re
      nel, nclip, nunder = nel + e.n, nclip + e.nclip, nunder + e.nunder
      per_tensor:write{category = c.category, format = c.format, granularity = c.granularity,
                       rounding = c.rounding, step = t.step, layer = t.layer,
                       matmul = t.matmul, pass = t.pass, operand = t.operand, file = t.file,
                       n = e.n, sqnr = e.sqnr, relerr_mean = re, clip_frac = e.nclip / e.n,
                       under_frac = e.nunder / e.n}
    end
    local key = table.concat({c.category, c.format, c.granularity, c.rounding}, ",")
    local m = {sqnr_mean = s_n > 0 and s_sum / s_n or 0 / 0,
               sqnr_min = s_n > 0 and s_min or 0 / 0,
               relerr_mean = re_sum / #list, under_frac = nunder / nel, clip_frac = nclip / nel}
    metric[key] = m
    per_cell:write{category = c.category, format = c.format, granularity = c.granularity,
                   rounding = c.rounding, tensors = #list, sqnr_skipped = skipped,
                   sqnr_mean = m.sqnr_mean, sqnr_min = m.sqnr_min,
                   relerr_mean = m.relerr_mean, under_frac = m.under_frac,
                   clip_frac = m.clip_frac, auc_mean = auc[key].mean, auc_sd = auc[key].sd,
                   seeds = auc[key].seeds, baseline_auc = baseline_auc,
                   train_under_share = trained[key] and trained[key].under or 0 / 0,
                   train_clip_share = trained[key] and trained[key].clip or 0 / 0}
  end
end

-- ---- rank correlations ----
-- grad_rtne: the gradient cells without SR (SR costs SQNR by design, an
-- unbiased rounding, so the two roundings may rank differently)
local scopes = {"lhs", "rhs", "grad", "grad_rtne", "all"}
local in_scope = function(scope, key)
  if scope == "grad_rtne" then return key:match("^grad,.*,rtne$") ~= nil end
  return scope == "all" or key:sub(1, #scope + 1) == scope .. ","
end

-- How well the AUC ranking reproduces across seeds, per scope (see top).
local reliability = {}
if P.training ~= "" then
  local per_seed = {}   -- key -> {seed -> auc}
  local seeds = {}
  for _, r in ipairs(read_csv(P.training, {"category", "format", "granularity", "rounding",
                                           "auc", "seed"})) do
    local key = table.concat({r.category, r.format, r.granularity, r.rounding}, ",")
    if auc[key] then
      per_seed[key] = per_seed[key] or {}
      per_seed[key][r.seed] = tonumber(r.auc)
      if not seeds[r.seed] then seeds[r.seed] = true; seeds[#seeds + 1] = r.seed end
    end
  end
  for _, scope in ipairs(scopes) do
    local sum, k = 0, 0
    for _, s in ipairs(seeds) do
      local a, b = {}, {}
      for _, key in ipairs(cells) do
        local v = per_seed[key] or {}
        if in_scope(scope, key) and v[s] then
          local o, no = 0, 0
          for _, s2 in ipairs(seeds) do
            if s2 ~= s and v[s2] then o, no = o + v[s2], no + 1 end
          end
          if no > 0 then a[#a + 1] = v[s]; b[#b + 1] = o / no end
        end
      end
      if #a >= 3 then
        local rho = metriq.spearman(a, b)
        if rho == rho then sum, k = sum + rho, k + 1 end
      end
    end
    reliability[scope] = k > 0 and sum / k or 0 / 0
  end
end

local corr = metriq.results("table1_corr")
local names = {"sqnr_mean", "sqnr_min", "relerr_mean", "under_frac", "clip_frac"}
local value = {
  auc_mean = function(key) return auc[key].mean end,
  train_under_share = function(key) return trained[key] and trained[key].under end,
  train_clip_share = function(key) return trained[key] and trained[key].clip end,
}
-- each metric against the AUC; the sampled counts against training's own
local pairs_ = {}
for _, name in ipairs(names) do pairs_[#pairs_ + 1] = {name, "auc_mean"} end
if P.runs ~= "" then
  pairs_[#pairs_ + 1] = {"under_frac", "train_under_share"}
  pairs_[#pairs_ + 1] = {"clip_frac", "train_clip_share"}
end
local tag = 0
for _, scope in ipairs(scopes) do
  for _, pr in ipairs(pairs_) do
    local name, against = pr[1], pr[2]
    local x, y = {}, {}
    for _, key in ipairs(cells) do
      local v = value[against](key)
      if in_scope(scope, key) and metric[key] and metric[key][name] == metric[key][name] and
         v and v == v then
        x[#x + 1] = metric[key][name]
        y[#y + 1] = v
      end
    end
    tag = tag + 1
    local seed = metriq.derive(metriq.seed, tag) & 0x7fffffffffffffff
    local rho, p = 0 / 0, 0 / 0
    if #x >= 3 then
      rho, p = metriq.spearman(x, y, {permutations = P.permutations, seed = seed})
    end
    corr:write{scope = scope, metric = name, against = against, n = #x, rho = rho, p = p,
               perm_seed = seed, permutations = P.permutations,
               auc_reliability = against == "auc_mean" and reliability[scope] or 0 / 0}
  end
end

if P.sample and not P.keep_tensors then
  -- the files this run wrote; tensors.csv stays as the record
  for _, r in ipairs(sample_rows) do os.remove(P.tensors .. "/" .. r.file) end
end

if P.plot then metriq.plot("table1_corr") end

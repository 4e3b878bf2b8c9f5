-- table1_training.lua: the paper's Table I.  The encoder of train/ (a small
-- BERT-style masked-language model on the Debian license texts) is trained
-- with one tensor category's matmul operands quantized, every other operand
-- in the base precision:
--   category    rhs (mostly weights), lhs (activations; keys and
--               probabilities inside attention), grad (upstream gradients)
--   format      int8, e4m3, e5m2
--   granularity tensor, channel, fine (per head and row in attention)
--   rounding    rtne; and sr for the gradients
-- plus the unquantized baseline, each with `seeds` seeds.  A seed fixes the
-- initial weights and the batches, the same for every configuration
-- (model.h), so configurations are compared on the same runs.
--
-- AUC is the area under the held-out accuracy curve, accuracy 0..1 against
-- step / eval_every (model.h), so a perfect model scores steps/eval_every.
--
-- Output (in the run's folder):
--   table1_training.csv  category, format, granularity, rounding, auc,
--                        final_acc, seed: one row per run
--   table1_curves.csv    the held-out accuracy and loss at every evaluation
--   table1_runs.csv      per run: seconds, step time, divergence, the
--                        unigram baseline's accuracy, clipped and
--                        underflowed shares of the quantized category
--   table1_summary.csv   mean and standard deviation over seeds
--   table1_paired.csv    the same of the difference from the baseline run
--                        of the same seed
--   table1_summary.md    the same in the paper's Table I layout
--   table1.png/.svg      the heatmap (plots/table1.gp)
--
--   metriq run experiments/table1_training.lua --out results/table1
--   metriq run experiments/table1_training.lua --set quick=true   (a smoke run)
local P = metriq.params{
  quick = false,          -- a tiny model and few steps: checks the plumbing only
  seeds = 3,
  categories = {"rhs", "lhs", "grad"},
  formats = {"int8", "e4m3", "e5m2"},
  granularities = {"tensor", "channel", "fine"},
  sr = true,              -- gradients with stochastic rounding too
  base = "fp32",          -- or bf16: the precision of every unquantized operand
  -- the model and the run (0: mq_train_defaults's value; see train/model.h)
  layers = 0, channels = 0, heads = 0, seq = 0, batch = 0, masked = 0,
  steps = 0, eval_every = 0, eval_seqs = 0, lr = 0,
  plot = true,
}

-- the training settings: model.h's defaults, or a tiny model when quick
local T = {}
if P.quick then
  T = {layers = 1, channels = 16, heads = 2, seq = 32, batch = 4, masked = 5,
       steps = 12, eval_every = 4, eval_seqs = 8}
end
for _, k in ipairs{"layers", "channels", "heads", "seq", "batch", "masked", "steps",
                   "eval_every", "eval_seqs", "lr"} do
  if P[k] ~= 0 then T[k] = P[k] end
end
T.base = P.base

local runs = metriq.results("table1_training")
local curves = metriq.results("table1_curves")
local info = metriq.results("table1_runs")

-- One training run; its rows in the three files.
local function train(category, format, granularity, rounding, rep)
  local cfg = {seed = metriq.derive(metriq.seed, rep)}
  for k, v in pairs(T) do cfg[k] = v end
  if category ~= "baseline" then
    cfg[category] = {format = format, granularity = granularity, rounding = rounding}
  end
  local r = metriq.train(cfg)
  local key = {category = category, format = format, granularity = granularity, rounding = rounding}
  local function row(extra)
    local t = {}
    for k, v in pairs(key) do t[k] = v end
    for k, v in pairs(extra) do t[k] = v end
    return t
  end
  runs:write(row{seed = rep, auc = r.auc, final_acc = r.final_acc})
  for _, e in ipairs(r.evals) do
    curves:write(row{seed = rep, step = e.step, acc = e.acc, loss = e.loss})
  end
  local st = category ~= "baseline" and r.stats[category] or {n = 0, clipped = 0, underflowed = 0}
  info:write(row{seed = rep, seconds = r.seconds, step_ms = r.step_ms,
                 diverged_step = r.diverged_step or -1, unigram_acc = r.unigram_acc,
                 train_loss = r.train_loss, params = r.params,
                 clipped_share = st.n > 0 and st.clipped / st.n or 0,
                 underflowed_share = st.n > 0 and st.underflowed / st.n or 0,
                 train_chars = r.train_chars, eval_chars = r.eval_chars,
                 corpus_hash = r.corpus_hash})
end

-- Seed by seed (the slowest axis), so that a run cut short holds whole
-- tables for the seeds it finished; within a seed the baseline first.
for rep = 1, P.seeds do
  for c in metriq.grid{{"category", "baseline"}, {"format", P.base}, {"granularity", "none"},
                       {"rounding", "none"}, {"rep", rep}} do
    train(c.category, c.format, c.granularity, c.rounding, rep)
  end
  for c in metriq.grid{{"category", P.categories}, {"format", P.formats},
                       {"granularity", P.granularities}, {"rounding", "rtne"}, {"rep", rep}} do
    train(c.category, c.format, c.granularity, c.rounding, rep)
  end
  if P.sr then
    for c in metriq.grid{{"category", "grad"}, {"format", P.formats},
                         {"granularity", P.granularities}, {"rounding", "sr"}, {"rep", rep}} do
      train(c.category, c.format, c.granularity, c.rounding, rep)
    end
  end
end

-- ---- the summary, from the CSV file (so that a resumed run, which skips
-- the cells done before, summarizes every run) ----
local function read_csv(path)
  local f = assert(io.open(path, "r"))
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
  return rows
end

local function mean_sd(xs)
  local m = 0
  for _, x in ipairs(xs) do m = m + x end
  m = m / #xs
  local s = 0
  for _, x in ipairs(xs) do s = s + (x - m) ^ 2 end
  return m, #xs > 1 and math.sqrt(s / (#xs - 1)) or 0
end

local cells, order, base_of = {}, {}, {}
local rows = read_csv(runs:path())
for _, r in ipairs(rows) do
  if r.category == "baseline" and r.format == P.base then
    base_of[r.seed] = {auc = tonumber(r.auc), final_acc = tonumber(r.final_acc)}
  end
end
for _, r in ipairs(rows) do
  local k = table.concat({r.category, r.format, r.granularity, r.rounding}, "/")
  if not cells[k] then
    cells[k] = {category = r.category, format = r.format, granularity = r.granularity,
                rounding = r.rounding, auc = {}, final_acc = {}, dauc = {}, dacc = {}}
    order[#order + 1] = k
  end
  local c = cells[k]
  table.insert(c.auc, tonumber(r.auc))
  table.insert(c.final_acc, tonumber(r.final_acc))
  -- paired with the baseline of the same seed (same weights and batches)
  local b = base_of[r.seed]
  if b then
    table.insert(c.dauc, tonumber(r.auc) - b.auc)
    table.insert(c.dacc, tonumber(r.final_acc) - b.final_acc)
  end
end
local summary = metriq.results("table1_summary")
for _, k in ipairs(order) do
  local c = cells[k]
  c.auc_mean, c.auc_sd = mean_sd(c.auc)
  c.acc_mean, c.acc_sd = mean_sd(c.final_acc)
  summary:write{category = c.category, format = c.format, granularity = c.granularity,
                rounding = c.rounding, seeds = #c.auc, auc_mean = c.auc_mean, auc_sd = c.auc_sd,
                final_acc_mean = c.acc_mean, final_acc_sd = c.acc_sd}
end
-- the same as differences from the baseline run of the same seed: the
-- seed's own luck (initial weights, batches) cancels
local paired = metriq.results("table1_paired")
for _, k in ipairs(order) do
  local c = cells[k]
  if #c.dauc > 0 then
    c.dauc_mean, c.dauc_sd = mean_sd(c.dauc)
    c.dacc_mean, c.dacc_sd = mean_sd(c.dacc)
    paired:write{category = c.category, format = c.format, granularity = c.granularity,
                 rounding = c.rounding, seeds = #c.dauc, auc_diff_mean = c.dauc_mean,
                 auc_diff_sd = c.dauc_sd, final_acc_diff_mean = c.dacc_mean,
                 final_acc_diff_sd = c.dacc_sd}
  end
end

-- Table I's layout: a row per granularity, a column per (category, rounding,
-- format); "mean ± sd" of the AUC over seeds, "x" where nothing was run.
local groups = {{"rhs", "rtne", "RHS (RTNE)"}, {"lhs", "rtne", "LHS (RTNE)"},
                {"grad", "rtne", "gradient (RTNE)"}, {"grad", "sr", "gradient (Stochastic)"}}
local md = {}
local base = cells["baseline/" .. P.base .. "/none/none"]
md[#md + 1] = string.format("Table I (metriq): AUC of the held-out masked-token accuracy, mean ± sd over seeds.")
if base then
  md[#md + 1] = string.format("Baseline (%s): AUC %.3f ± %.3f, final accuracy %.4f ± %.4f, %d seeds.",
                              P.base, base.auc_mean, base.auc_sd, base.acc_mean, base.acc_sd, #base.auc)
end
md[#md + 1] = ""
local head, sep = {"| granularity |"}, {"|---|"}
for _, g in ipairs(groups) do
  for _, f in ipairs(P.formats) do
    head[#head + 1] = " " .. g[3] .. " " .. f .. " |"
    sep[#sep + 1] = "---|"
  end
end
md[#md + 1] = table.concat(head)
md[#md + 1] = table.concat(sep)
local function rows_of(fmt_cell)
  for _, gr in ipairs(P.granularities) do
    local line = {"| **" .. gr .. "** |"}
    for _, g in ipairs(groups) do
      for _, f in ipairs(P.formats) do
        local c = cells[table.concat({g[1], f, gr, g[2]}, "/")]
        line[#line + 1] = " " .. (c and fmt_cell(c) or "x") .. " |"
      end
    end
    md[#md + 1] = table.concat(line)
  end
end
rows_of(function(c) return string.format("%.3f ± %.3f", c.auc_mean, c.auc_sd) end)
md[#md + 1] = ""
md[#md + 1] = "AUC minus the baseline's AUC of the same seed, mean ± sd over seeds:"
md[#md + 1] = ""
md[#md + 1] = table.concat(head)
md[#md + 1] = table.concat(sep)
rows_of(function(c)
  return c.dauc_mean and string.format("%+.3f ± %.3f", c.dauc_mean, c.dauc_sd) or nil
end)
local out = assert(io.open(metriq.outdir .. "/table1_summary.md", "w"))
out:write(table.concat(md, "\n"), "\n")
out:close()

if P.plot then metriq.plot("table1") end

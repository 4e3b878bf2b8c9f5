-- fig2_moments.lua: the paper's Fig. 2 from real tensors: the distributions
-- and moments of the inputs of the matmuls of training.
--
-- It runs the fp32 baseline training (Table I's seed-1 baseline: the
-- default model of docs/training.md, seed derive(table1_seed, 1)) and
-- samples every operand of every matmul, forward and backward, at
-- sample_steps (metriq.train's sample option, train/tsample.h), into
-- tensors/ in this run's folder.  Then, from the saved .npy files:
--   fig2_moments.csv      one row per sampled operand: its step, layer,
--                         matmul, pass, operand, category (lhs, rhs, grad;
--                         docs/training.md), moments (mean, variance, skew,
--                         excess kurtosis), min, max, the fraction of exact
--                         zeros, the same moments of log2|x| over the
--                         nonzero elements (lg_mean, lg_sd, lg_skew,
--                         lg_kurtosis: a log-normal magnitude has lg_skew =
--                         lg_kurtosis = 0; a normal x has -1.54 and 4.0, the
--                         moments of log|Z|), and the SQNR (dB) of each 8-bit format at
--                         tensor scale (RTNE, saturating: metriq.quantize's
--                         defaults)
--   fig2_categories.csv   per step and category: the number of distinct
--                         stored tensors (an activation that is A of a
--                         forward product and B of its dW product counts
--                         once: tsample.h's storage), the median, min and
--                         max over them of skew, excess kurtosis and the
--                         log2|x| moments, the mean SQNR per format, and
--                         the share of elements beyond 8 sd (x / sd of its
--                         own tensor) and of zeros.  No pooled moments: the
--                         operands of a category differ in scale by orders
--                         of magnitude, and a pooled kurtosis measures that
--                         mixture, not the shape of any tensor.
--   fig2_histograms.csv   the figure's three tensors (the paper's Fig. 2:
--                         the query projection, here layer fig_layer's
--                         fused QKV projection at the last sampled step):
--                         its input X (lhs) and weight W (rhs) in the
--                         forward pass, and the upstream gradient dY (grad)
--                         of dX = dY.W in the backward pass; a histogram of
--                         the values and one of log2|x|
--   fig2_cat_histograms.csv  per step and category, summed over the
--                         category's operands: a histogram of x / sd (each
--                         operand by its own sd, so that shapes add up, not
--                         scales) and one of log2|x| (raw magnitudes)
-- Only a subset of the sampled arrays is kept (keep_*, below; the whole
-- sample of one step is about 30 MB): the other files are removed after
-- the statistics above are taken from them, and tensors/tensors.csv is
-- rewritten (temp file, rename) to list the kept ones.  keep_all = true
-- keeps everything.
--   metriq run experiments/fig2_moments.lua --out results/paper/fig2
local P = metriq.params{
  table1_seed = 1,              -- the run seed of results/table1
  steps = 600,                  -- the default run (docs/training.md)
  sample_steps = {0, 300, 599}, -- start, middle, end (0-based training steps)
  bins = 80,                    -- the figure's per-tensor histograms
  formats = {"int8", "e4m3", "e5m2"},
  fig_layer = 1,
  fig_matmul = "attn.qkv",
  keep_step = 599,              -- kept arrays: this step,
  keep_layer = 1,               -- this layer's
  keep_matmuls = {"attn.qkv", "attn.proj", "mlp.fc1", "head"},  -- products
  keep_all = false,
  quick = false,                -- a smoke run (tests): a tiny model, 4 steps, sampled at 0
                                -- and 3, the figure and the kept arrays from layer 0 at 3
  plot = true,
}
local model = {}
if P.quick then
  model = {layers = 1, channels = 16, heads = 2, seq = 16, batch = 2, masked = 2,
           eval_every = 2, eval_seqs = 4}
  P.steps, P.sample_steps, P.keep_step, P.keep_layer, P.fig_layer = 4, {0, 3}, 3, 0, 0
end

local moments = metriq.results("fig2_moments")
local cats = metriq.results("fig2_categories")
local hist = metriq.results("fig2_histograms")
local chist = metriq.results("fig2_cat_histograms")

-- the figure's tensors: {label, fwd matmul name, operand}
local last = P.sample_steps[#P.sample_steps]
local fig = {
  {"X", P.fig_matmul, "A"},
  {"W", P.fig_matmul, "B"},
  {"dY", P.fig_matmul .. ".dx", "A"},
}
local function fig_label(row)
  if row.step ~= last or row.layer ~= P.fig_layer then return nil end
  for _, f in ipairs(fig) do
    if row.matmul == f[2] and row.operand == f[3] then return f[1] end
  end
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  return n % 2 == 1 and s[(n + 1) / 2] or 0.5 * (s[n / 2] + s[n / 2 + 1])
end

-- category histograms: fixed bins, so that operands add up
local SD_RANGE, SD_BINS = 8, 80
local LOG_LO, LOG_HI, LOG_BINS = -50, 10, 120
local function add(acc, counts)
  for b = 1, #counts do acc[b] = (acc[b] or 0) + counts[b] end
end

local per = {}   -- [step][category] = accumulators
local function acc_of(step, cat)
  per[step] = per[step] or {}
  local a = per[step][cat]
  if not a then
    a = {skew = {}, kurt = {}, lgskew = {}, lgkurt = {}, sqnr = {}, n = 0, tail = 0, zero = 0,
         sd = {}, lg = {}, ops = 0}
    for _, f in ipairs(P.formats) do a.sqnr[f] = 0 end
    per[step][cat] = a
  end
  return a
end

-- log2|x| of the nonzero elements, as a tensor
local function log2abs(x)
  local n = #x
  local nz = 0
  for i = 1, n do if x[i] ~= 0 then nz = nz + 1 end end
  if nz < 2 then return nil end
  local y = metriq.zeros(nz)
  local j = 0
  for i = 1, n do
    local v = x[i]
    if v ~= 0 then j = j + 1; y[j] = math.log(math.abs(v), 2) end
  end
  return y
end

-- one cell: the files are on disk when the grid ends (for the figure), and
-- --resume skips the whole run once it is done
for _ in metriq.grid{{"run", {"fp32 baseline"}}} do
model.seed = metriq.derive(P.table1_seed, 1)
model.steps = P.steps
model.sample = {steps = P.sample_steps, dir = "tensors"}
local r = metriq.train(model)
local rows = r.sample.rows
local seen, stored = {}, {}
for _, row in ipairs(rows) do
  local x = metriq.load(row.path)
  local m = metriq.moments(x)
  local lx = log2abs(x)
  local lm = lx and metriq.moments(lx) or {mean = 0 / 0, sd = 0 / 0, skew = 0 / 0, kurtosis = 0 / 0}
  local s = metriq.summary(x)
  local h2 = metriq.histogram(x, {bins = LOG_BINS, log = true, lo = 2 ^ LOG_LO, hi = 2 ^ LOG_HI})
  local out = {step = row.step, layer = row.layer, matmul = row.matmul, pass = row.pass,
               operand = row.operand, category = row.category, n = m.n, mean = m.mean,
               variance = m.variance, skew = m.skew, kurtosis = m.kurtosis, min = s.min,
               max = s.max, zero_frac = h2.zero / m.n, lg_mean = lm.mean, lg_sd = lm.sd,
               lg_skew = lm.skew, lg_kurtosis = lm.kurtosis, file = row.file}
  for _, f in ipairs(P.formats) do
    local q = metriq.quantize(x, {format = f, granularity = "tensor"})
    out["sqnr_" .. f] = metriq.sqnr(x, q)
  end
  moments:write(out)

  seen[row.file] = true
  -- a stored tensor counts once, whatever the products that read it
  local key = row.step .. ":" .. row.storage
  if not stored[key] then
    stored[key] = true
    local a = acc_of(row.step, row.category)
    a.ops = a.ops + 1
    a.n = a.n + m.n
    a.skew[#a.skew + 1] = m.skew
    a.kurt[#a.kurt + 1] = m.kurtosis
    a.lgskew[#a.lgskew + 1] = lm.skew
    a.lgkurt[#a.lgkurt + 1] = lm.kurtosis
    for _, f in ipairs(P.formats) do a.sqnr[f] = a.sqnr[f] + out["sqnr_" .. f] end
    local sd = m.sd > 0 and m.sd or 1
    local h1 = metriq.histogram(x, {bins = SD_BINS, lo = -SD_RANGE * sd, hi = SD_RANGE * sd})
    a.tail = a.tail + h1.below + h1.above
    a.zero = a.zero + h2.zero
    add(a.sd, h1.counts)
    add(a.lg, h2.counts)
  end

  local label = fig_label(row)
  if label then
    for _, kind in ipairs{"linear", "log2"} do
      local h = metriq.histogram(x, {bins = P.bins, log = (kind == "log2")})
      for b = 1, #h.counts do
        local lo, hi = h.edges[b], h.edges[b + 1]
        if kind == "log2" then lo, hi = math.log(lo, 2), math.log(hi, 2) end
        hist:write{tensor = label, category = row.category, step = row.step, layer = row.layer,
                   matmul = row.matmul, operand = row.operand, scale = kind, bin_lo = lo, bin_hi = hi,
                   count = h.counts[b], density = h.counts[b] / (h.n * (hi - lo))}
      end
    end
  end
end

for _, step in ipairs(P.sample_steps) do
  for _, cat in ipairs{"lhs", "rhs", "grad"} do
    local a = per[step] and per[step][cat]
    if a then
      local out = {step = step, category = cat, operands = a.ops, n = a.n,
                   skew_median = median(a.skew), skew_min = math.min(table.unpack(a.skew)),
                   skew_max = math.max(table.unpack(a.skew)), kurtosis_median = median(a.kurt),
                   kurtosis_min = math.min(table.unpack(a.kurt)),
                   kurtosis_max = math.max(table.unpack(a.kurt)),
                   lg_skew_median = median(a.lgskew), lg_kurtosis_median = median(a.lgkurt),
                   lg_skew_min = math.min(table.unpack(a.lgskew)),
                   lg_skew_max = math.max(table.unpack(a.lgskew)),
                   beyond_8sd_frac = a.tail / a.n, zero_frac = a.zero / a.n}
      for _, f in ipairs(P.formats) do out["sqnr_mean_" .. f] = a.sqnr[f] / a.ops end
      cats:write(out)
      local w = 2 * SD_RANGE / SD_BINS
      for b = 1, SD_BINS do
        local lo = -SD_RANGE + (b - 1) * w
        chist:write{step = step, category = cat, scale = "sd", bin_lo = lo, bin_hi = lo + w,
                    count = a.sd[b], density = a.sd[b] / (a.n * w)}
      end
      w = (LOG_HI - LOG_LO) / LOG_BINS
      for b = 1, LOG_BINS do
        local lo = LOG_LO + (b - 1) * w
        chist:write{step = step, category = cat, scale = "log2", bin_lo = lo, bin_hi = lo + w,
                    count = a.lg[b], density = a.lg[b] / (a.n * w)}
      end
    end
  end
end

-- keep the subset (see the top); the index lists exactly the files left
if not P.keep_all then
  local keepmm = {}
  for _, m in ipairs(P.keep_matmuls) do keepmm[m] = true end
  local keep = {}
  for _, row in ipairs(rows) do
    local fwd = row.matmul:match("^(.-)%.d%a+$") or row.matmul
    if row.step == P.keep_step and keepmm[fwd] and (row.layer == P.keep_layer or row.layer < 0) then
      keep[row.file] = true
    end
  end
  for _, row in ipairs(rows) do
    if not keep[row.file] and seen[row.file] then
      seen[row.file] = nil
      assert(os.remove(row.path))
    end
  end
  local index = r.sample.dir .. "/tensors.csv"
  local lines = {}
  for line in io.lines(index) do
    local file = line:match("([^,]*)$")
    if #lines == 0 or keep[file] then lines[#lines + 1] = line end
  end
  local tmp = index .. ".tmp"
  local f = assert(io.open(tmp, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  assert(f:close())
  assert(os.rename(tmp, index))
end
end

if P.plot then metriq.plot("fig2") end

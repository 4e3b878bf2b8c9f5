-- train_speed.lua: the training step's time with one category quantized
-- against the unquantized (fp32) step (a benchmark, not a test).  Each
-- configuration trains `steps` steps of the default model (train/model.h),
-- `reps` times, interleaved with the others so that a slow spell of a
-- shared machine falls on all of them; step_ms excludes the evaluations.
-- The summary keeps each configuration's fastest repetition and its ratio
-- to the fastest fp32 one.
--   metriq run experiments/train_speed.lua --threads 1 --out results/table1/speed
local P = metriq.params{
  steps = 100,
  reps = 3,
  -- "base" for fp32, else category:format:granularity:rounding
  configs = {"base", "rhs:int8:channel:rtne", "lhs:int8:fine:rtne", "lhs:e4m3:fine:rtne",
             "grad:e5m2:fine:rtne", "grad:int8:fine:sr", "grad:e4m3:fine:sr"},
}
local times = metriq.results("train_speed")
local best = {}
for rep = 1, P.reps do
  for c in metriq.grid{{"config", P.configs}, {"rep", rep}} do
    local cfg = {steps = P.steps, eval_every = P.steps, eval_seqs = 16, seed = 1}
    local cat, fmt, gran, rnd = c.config:match("^(%a+):([%w]+):(%a+):(%a+)$")
    if cat then cfg[cat] = {format = fmt, granularity = gran, rounding = rnd} end
    local r = metriq.train(cfg)
    times:write{config = c.config, rep = rep, step_ms = r.step_ms}
    best[c.config] = math.min(best[c.config] or math.huge, r.step_ms)
  end
end
local summary = metriq.results("train_speed_summary")
for _, k in ipairs(P.configs) do
  if best[k] then
    summary:write{config = k, best_step_ms = best[k],
                  ratio = best.base and best[k] / best.base or 0/0}
  end
end

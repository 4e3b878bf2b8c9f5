-- interrupt.lua: a long C call that Ctrl-C must stop (interrupt_test.sh).
local P = metriq.params{ case = "spearman" }
local m = metriq
for cell in m.grid{a = {1}} do
  if P.case == "spearman" then
    local x, y = {}, {}
    for i = 1, 200 do x[i], y[i] = i, (i * 37) % 200 end
    m.spearman(x, y, {permutations = 1 << 50})   -- years of work
  elseif P.case == "train" then
    m.train{steps = 1000000000, eval_every = 1000000000}
  end
  m.results():write{a = cell.a}
end

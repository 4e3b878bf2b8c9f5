-- bad_input.lua: every binding given a bad argument.  `--set case=NAME`
-- picks the bad call; ctest checks the message, the non-zero exit, and that
-- the CSV holds only the row of the cell that completed (no partial row).
local P = metriq.params{ case = "none" }
local m = metriq
local results = m.results()
local t = m.normal({4, 4}, 0, 1, 7)
local cases = {
  quantize_format = function() m.quantize(t, "e9m9") end,
  quantize_field = function() m.quantize(t, {format = "e4m3", rouding = "sr"}) end,
  quantize_rounding = function() m.quantize(t, {format = "e4m3", rounding = "up"}) end,
  quantize_gran = function() m.quantize(t, {format = "e4m3", granularity = "row"}) end,
  quantize_role = function() m.quantize(t, {format = "e4m3", role = "middle"}) end,
  quantize_block = function() m.quantize(t, {format = "e4m3", granularity = "tensor", block = 8}) end,
  quantize_overflow = function() m.quantize(t, {format = "e2m1", overflow = "ieee"}) end,
  quantize_tensor = function() m.quantize({1, 2}, "e4m3") end,
  quantize_nan = function() local u = t:clone(); u[3] = 0 / 0; m.quantize(u, "int8") end,
  qmatmul_shape = function() m.qmatmul(t, m.zeros(3, 2), "int8") end,
  qmatmul_lhs = function() m.qmatmul(t, t, {lhs = {format = "e9m9"}, rhs = "int8"}) end,
  qmatmul_accum = function() m.qmatmul(t, t, {format = "fp16", accum = "exact"}) end,
  qmatmul_accum_name = function() m.qmatmul(t, t, {format = "int8", accum = "int32"}) end,
  qmatmul_field = function() m.qmatmul(t, t, {format = "int8", acum = "fp32"}) end,
  qmatmul_role = function() m.qmatmul(t, t, {format = "int8", role = "rhs"}) end,
  matmul_shape = function() m.matmul(t, m.zeros(5, 5)) end,
  matmul_3d = function() m.matmul(m.zeros(2, 2, 2), t) end,
  relerr_shape = function() m.relerr(t, m.zeros(16)) end,
  backward_error_shape = function() m.backward_error(t, t, m.zeros(3, 3)) end,
  reference_shape = function() m.reference(t, m.zeros(2, 4)) end,
  summary_nan = function() local u = m.zeros(3); u[1] = 0 / 0; m.summary(u) end,
  quantile_p = function() m.quantile(t, 2) end,
  moments_n = function() m.moments(m.zeros(1)) end,
  histogram_bins = function() m.histogram(t, {bins = 0}) end,
  histogram_range = function() m.histogram(t, {lo = 1, hi = 0}) end,
  histogram_bins_big = function() m.histogram(t, {bins = 2^31}) end,
  qmatmul_threads = function() m.qmatmul(t, t, {format = "int8", threads = 100000}) end,
  train_threads = function() m.train{threads = 1e6} end,
  train_steps = function() m.train{steps = 0} end,
  tensor_huge = function() m.zeros(1 << 20, 1 << 20) end,
  load_proc = function() m.load("/proc/self/status") end,
  mse_shape = function() m.mse(t, m.zeros(4, 3)) end,
  sqnr_shape = function() m.sqnr(t, m.zeros(2)) end,
  error_split_format = function() m.error_split(t, t, "e9m9") end,
  normal_shape = function() m.normal({4, 0}) end,
  normal_sd = function() m.normal(4, 0, -1) end,
  studentt_nu = function() m.studentt({4}, -1) end,
  studentt_generator = function() m.studentt({4}, 3, 1, "mt") end,
  lognormal_sigma = function() m.lognormal(4, 0, 0 / 0) end,
  laplace_b = function() m.laplace(4, -2) end,
  uniform_range = function() m.uniform(4, 2, 1) end,
  sample_seed = function() m.normal(4, 0, 1, 1.5) end,
  zeros_dims = function() m.zeros(2, 2, 2, 2) end,
  tensor_ragged = function() m.tensor{{1, 2}, {3}} end,
  tensor_element = function() m.tensor{1, "two"} end,
  get_range = function() t:get(5, 1) end,
  get_arity = function() t:get(1) end,
  set_value = function() t:set(1, 1, "x") end,
  slice_range = function() t:slice({3, 9}) end,
  reshape_size = function() t:reshape(3, 5) end,
  index_range = function() return t[17] end,
  newindex_value = function() t[1] = "x" end,
  format_name = function() m.format("e9m9") end,
  results_name = function() m.results("a/b") end,
  write_column = function() results:write{step = 2, extra = 1} end,
  order_lacks = function() m.results("ordered", {columns = {"step", "ok"}}):write{step = 2} end,
  order_extra = function() m.results("ordered", {columns = {"step", "ok"}}):write{step = 2, ok = 1, extra = 1} end,
  order_other = function()
    m.results("ordered", {columns = {"step", "ok"}})
    m.results("ordered", {columns = {"ok", "step"}})
  end,
  order_header = function() m.results(nil, {columns = {"ok", "step"}}) end,
  order_twice = function() m.results("ordered", {columns = {"ok", "ok"}}) end,
  order_type = function() m.results("ordered", {columns = {"ok", 2}}) end,
  order_option = function() m.results("ordered", {column = {"ok"}}) end,
  write_value = function() results:write{step = {}} end,
  derive_seed = function() m.derive("x", 1) end,
  params_twice = function() m.params{} end,
  params_type = function() m.params(5) end,
  shape_self = function() t.shape(42) end,
  ndim_self = function() t.ndim("x") end,
  clone_self = function() t.clone(results) end,
  totable_self = function() t.totable() end,
  rows_self = function() results.rows(t) end,
  path_self = function() results.path() end,
  runtime_error = function() error("the script's own error") end,
}
-- grid misuse cannot happen inside a cell (that is an error of its own)
local after = {
  grid_duplicate = function() for _ in m.grid{a = {1, 1}} do end end,
  grid_name = function() for _ in m.grid{seed = {1}} do end end,
  grid_value = function() for _ in m.grid{a = {{}}} do end end,
  grid_empty = function() for _ in m.grid{a = {}} do end end,
}
if not cases[P.case] and not after[P.case] and P.case ~= "nested_grid" then
  error("no case " .. P.case)
end
for cell in m.grid{step = {1, 2, 3}} do
  if cell.step == 2 and after[P.case] then break end
  results:write{step = cell.step, ok = true}
  if cell.step == 2 then
    if P.case == "nested_grid" then m.grid{b = {1}} end
    cases[P.case]()
  end
end
-- the grid above stopped at its second cell; this one must not add rows
after[P.case]()

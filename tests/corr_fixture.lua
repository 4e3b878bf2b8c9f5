-- corr_fixture.lua: a TEST FIXTURE, not a result: a tiny stand-in for the
-- baseline run's sampled tensors (tensors.csv and 4-D float32 .npy files in
-- the canonical layout [example][batch][free][contract]), with synthetic
-- values (weights normal, activations Student-t, gradients log-normal
-- magnitudes), for tests/corr_test.sh.
--   metriq run tests/corr_fixture.lua --out DIR/fixture-run --set dir=DIR/fixture
local P = metriq.params{dir = "", steps = 2}
assert(P.dir ~= "", "--set dir=... is required")
assert(os.execute("mkdir -p '" .. P.dir .. "'"))

-- .npy 1.0: magic, version, header length (LE u16), the dict padded with
-- spaces to a multiple of 64 bytes with '\n' last, then the data.
local function write_npy(path, x, shape)
  local dict = string.format("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                             table.concat(shape, ", "))
  local len = 10 + #dict + 1
  dict = dict .. string.rep(" ", (64 - len % 64) % 64) .. "\n"
  local parts = {"\147NUMPY\1\0", string.pack("<I2", #dict), dict}
  for i = 1, #x do parts[#parts + 1] = string.pack("<f", x[i]) end
  local f = assert(io.open(path, "wb"))
  f:write(table.concat(parts))
  f:close()
end

local makers = {
  rhs = function(n, s) return metriq.normal(n, 0, 0.02, s) end,
  lhs = function(n, s) return metriq.studentt(n, 4, s) end,
  grad = function(n, s)
    local m = metriq.lognormal(n, -12, 2.5, metriq.derive(s, 1))
    local u = metriq.uniform(n, 0, 1, metriq.derive(s, 2))
    for i = 1, n do if u[i] < 0.5 then m[i] = -m[i] end end
    return m
  end,
}
-- (matmul, pass, operand, category, nex, nbat, free, contract)
local ops = {
  {"mlp.fc1", "fwd", "A", "lhs", 2, 1, 8, 16},
  {"mlp.fc1", "fwd", "B", "rhs", 1, 1, 32, 16},
  {"attn.qk", "fwd", "A", "lhs", 2, 2, 8, 4},
  {"attn.qk", "fwd", "B", "rhs", 2, 2, 8, 4},
  {"mlp.fc1", "bwd", "A", "grad", 2, 1, 8, 32},
  {"attn.pv", "bwd", "A", "grad", 2, 2, 8, 8},
}
local rows = {"step,layer,matmul,pass,operand,category,nex,nbat,free,contract,file"}
local k = 0
for step = 1, P.steps do
  for _, o in ipairs(ops) do
    k = k + 1
    local shape = {o[5], o[6], o[7], o[8]}
    local n = o[5] * o[6] * o[7] * o[8]
    local file = string.format("s%d_%s_%s_%s.npy", step, o[1], o[2], o[3])
    write_npy(P.dir .. "/" .. file, makers[o[4]](n, metriq.derive(metriq.seed, k)), shape)
    rows[#rows + 1] = table.concat({step, 0, o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8],
                                    file}, ",")
  end
end
local f = assert(io.open(P.dir .. "/tensors.csv", "w"))
f:write(table.concat(rows, "\n"), "\n")
f:close()

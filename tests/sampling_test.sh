#!/usr/bin/env bash
# metriq.train's sample option (tests/sampling.cmake): a tiny run writes
# its index and arrays inside the output folder, `metriq advise` reads
# them, and bad sample settings fail with a message naming the problem.
# Usage: sampling_test.sh METRIQ OUTDIR
set -u
M=$1 OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
TINY='steps = 3, eval_every = 3, eval_seqs = 2, layers = 1, channels = 16, heads = 2, seq = 8, batch = 2, masked = 2'

cat > "$OUT/s.lua" <<LUA
metriq.params{}
local r = metriq.train{$TINY, sample = {steps = {1, 2}, dir = "t"}}
local s = r.sample
assert(s.dir == metriq.outdir .. "/t", s.dir)
-- per step: 1 layer x 18 products + 3 of the head, 2 operands each
assert(#s.rows == 2 * 42, #s.rows)
local bytes = 0
for _, row in ipairs(s.rows) do
  assert(row.path == s.dir .. "/" .. row.file)
  bytes = bytes + 4 * row.nex * row.nbat * row.free * row.contract
end
assert(bytes == s.bytes, bytes .. " " .. s.bytes)
-- metriq.load reads an array back: its shape is the row's
local w = s.rows[2]
local x, shape = metriq.load(w.path)
assert(#shape == 4 and shape[1] == w.nex and shape[2] == w.nbat and shape[3] == w.free
       and shape[4] == w.contract and #x == w.free * w.contract, table.concat(shape, "x"))
print(s.rows[1].matmul, s.rows[1].pass, s.rows[1].operand, s.rows[1].category)
LUA
out=$("$M" run "$OUT/s.lua" --out "$OUT/run" --quiet 2>&1) && ok || bad "sample run: $out"
[ "$out" = "$(printf 'attn.qkv\tfwd\tA\tlhs')" ] && ok || bad "first row: $out"
[ "$(wc -l < "$OUT/run/t/tensors.csv")" = 85 ] && ok || bad "index rows"
[ "$(ls "$OUT/run/t"/*.npy | wc -l)" = 84 ] && ok || bad "npy files: $(ls "$OUT/run/t" | wc -l)"
ls "$OUT/run/t" | grep -q '\.tmp$' && bad "temporary files left" || ok
# advise reads the arrays as they are
"$M" advise "$OUT/run/t/s000002_l0_mlp.fc1.dx_A.npy" > "$OUT/advise.txt" 2>&1 && ok \
	|| bad "advise: $(head -3 "$OUT/advise.txt")"

expect_err() { # expect_err "substring" lua-code
	local want=$1
	printf 'metriq.params{}\n%s\n' "$2" > "$OUT/bad.lua"
	local err; err=$("$M" run "$OUT/bad.lua" --out "$OUT/bad" --quiet 2>&1 >/dev/null); local rc=$?
	[ $rc -ne 0 ] || { bad "$2: exit 0"; return; }
	case "$err" in *"$want"*) ok ;; *) bad "$2: '$err' lacks '$want'" ;; esac
}
expect_err "sample: steps[2] must be an integer step number from 0 to 2" \
	"metriq.train{$TINY, sample = {steps = {1, 'x'}}}"
expect_err "sample: steps[1] must be an integer step number from 0 to 2" \
	"metriq.train{$TINY, sample = {steps = {3}}}"
expect_err "sample: 'steps' must be a list" "metriq.train{$TINY, sample = {steps = 1}}"
expect_err "sample: 'steps' is empty" "metriq.train{$TINY, sample = {steps = {}}}"
expect_err "sample: unknown field 'step'" "metriq.train{$TINY, sample = {step = {1}}}"
expect_err "'sample' must be a table" "metriq.train{$TINY, sample = 'tensors'}"
expect_err "must be a folder inside the output folder" \
	"metriq.train{$TINY, sample = {steps = {0}, dir = '../x'}}"
expect_err "must be a folder inside the output folder" \
	"metriq.train{$TINY, sample = {steps = {0}, dir = '/tmp/x'}}"
expect_err "load: $OUT/none.npy: No such file" "metriq.load('$OUT/none.npy')"
# a folder that cannot be made: its parent is a file
expect_err "cannot create the sample folder" \
	"io.open(metriq.outdir .. '/f', 'w'):close(); metriq.train{$TINY, sample = {steps = {0}, dir = 'f/t'}}"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

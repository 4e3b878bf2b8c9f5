#!/usr/bin/env bash
# The training table's smoke run (tests/training.cmake): the Table I script
# with quick=true (a tiny model, every cell of the grid), its files and
# figure; a rerun reproduces it byte for byte; bad input to metriq.train.
# Usage: training_test.sh METRIQ SRCDIR OUTDIR
set -u
M=$1 SRC=$2 OUT=$3
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
lines() { wc -l < "$1" | tr -d ' '; }
S=$SRC/experiments/table1_training.lua
# BLAS threads fixed, so that the rerun below sums in the same order
export OPENBLAS_NUM_THREADS=1

"$M" run "$S" --out "$OUT/quick" --set quick=true --quiet && ok || bad "quick run"
# 3 seeds x (1 baseline + 27 rtne + 9 sr) runs, 37 cells
[ "$(lines "$OUT/quick/table1_training.csv")" = 112 ] && ok || bad "table1_training.csv rows"
[ "$(lines "$OUT/quick/table1_summary.csv")" = 38 ] && ok || bad "table1_summary.csv rows"
head -1 "$OUT/quick/table1_training.csv" | grep -qx 'category,format,granularity,rounding,auc,final_acc,seed' \
	&& ok || bad "table1_training.csv header: $(head -1 "$OUT/quick/table1_training.csv")"
# quick: 12 steps, evaluations at 0, 4, 8, 12
[ "$(lines "$OUT/quick/table1_curves.csv")" = $((1 + 111 * 4)) ] && ok || bad "table1_curves.csv rows"
grep -q '^| \*\*fine\*\* |' "$OUT/quick/table1_summary.md" && ok || bad "summary table"
[ -s "$OUT/quick/table1.png" ] && [ -s "$OUT/quick/table1.svg" ] && ok || bad "figure missing"
grep -q '"status": "done"' "$OUT/quick/manifest.json" && ok || bad "manifest not done"
# every AUC is a number in [0, steps / eval_every]
awk -F, 'NR > 1 && !($5 >= 0 && $5 <= 3) { exit 1 }' "$OUT/quick/table1_training.csv" \
	&& ok || bad "AUC out of range"

# the same cells again, alone: the same numbers
"$M" run "$S" --out "$OUT/again" --set quick=true --set seeds=1 --set categories=grad \
	--set formats=int8 --set plot=false --quiet && ok || bad "rerun"
grep -E '^(baseline|grad),' "$OUT/quick/table1_training.csv" | grep -E ',1$' \
	| grep -E '^baseline|,int8,' > "$OUT/want.csv"
tail -n +2 "$OUT/again/table1_training.csv" > "$OUT/got.csv"
cmp -s "$OUT/want.csv" "$OUT/got.csv" && ok || bad "rerun differs: $(diff "$OUT/want.csv" "$OUT/got.csv" | head -5)"

# bad input: a message naming the problem, non-zero exit
expect_err() { # expect_err "substring" lua-code
	local want=$1
	printf 'metriq.params{}\n%s\n' "$2" > "$OUT/bad.lua"
	local err; err=$("$M" run "$OUT/bad.lua" --out "$OUT/bad" --quiet 2>&1 >/dev/null); local rc=$?
	[ $rc -ne 0 ] || { bad "$2: exit 0"; return; }
	case "$err" in *"$want"*) ok ;; *) bad "$2: '$err' lacks '$want'" ;; esac
}
expect_err "unknown field 'stpes'" 'metriq.train{stpes = 3}'
expect_err "lhs: unknown format 'e9m9'" 'metriq.train{lhs = "e9m9"}'
expect_err "grad: unknown granularity 'row'" 'metriq.train{grad = {format = "int8", granularity = "row"}}'
expect_err "'role' is implied" 'metriq.train{rhs = {format = "int8", role = "lhs"}}'
expect_err "'heads' (3) must divide 'channels'" 'metriq.train{heads = 3, channels = 16}'
expect_err "unknown base 'fp8'" 'metriq.train{base = "fp8"}'
expect_err "'steps' must be an integer in 1..1000000000" 'metriq.train{steps = 0}'
expect_err "cannot read the text" 'metriq.train{data = "/nonexistent-metriq", steps = 1}'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
